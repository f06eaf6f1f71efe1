"""Encoding an RGB pixel array as a PNG file (signature, IHDR, one IDAT, IEND) with zlib and struct."""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: IHDR: 8 bits per channel, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
BIT_DEPTH, COLOUR_RGB = 8, 2


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray) -> bytes:
    """``pixels`` (height x width x 3, uint8) as PNG bytes; every scanline uses filter 0 (none)."""
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"expected a height x width x 3 uint8 array, got {pixels.shape} {pixels.dtype}")
    height, width = pixels.shape[:2]
    if not (height and width):
        raise ValueError("an image needs at least one pixel")
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, width * 3)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, BIT_DEPTH, COLOUR_RGB, 0, 0, 0)
    return b"".join(
        (SIGNATURE, chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)), chunk(b"IEND", b""))
    )
