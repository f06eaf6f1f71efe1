"""A strict reader of the PNGs icam_bot.charts writes (importable as ``png_reader``): checks the signature, each
chunk's CRC and order, and decodes the RGB scanlines (filter 0) back into a numpy array."""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == SIGNATURE, "not a PNG signature"
    found, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        found.append((kind, body))
        pos += 12 + length
    assert pos == len(data), "trailing bytes"
    return found


def read_png(data: bytes) -> np.ndarray:
    """The image as height x width x 3 uint8."""
    parts = chunks(data)
    kinds = [k for k, _ in parts]
    assert kinds[0] == b"IHDR", kinds
    assert kinds[-1] == b"IEND", kinds
    assert b"IDAT" in kinds, kinds
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", parts[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + width * 3)
    assert not rows[:, 0].any(), "only filter 0 is expected"
    return rows[:, 1:].reshape(height, width, 3)
