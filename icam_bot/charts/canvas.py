"""A pixel canvas: filled rectangles, straight lines and bitmap text on an RGB numpy array, clipped to the edges."""

from __future__ import annotations

import numpy as np

from icam_bot.charts.font import text_mask
from icam_bot.charts.png import encode_png

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)


class Canvas:
    """``width`` x ``height`` pixels, (0, 0) at the top left, filled with ``background``."""

    def __init__(self, width: int, height: int, background: Colour = WHITE) -> None:
        self.pixels = np.full((height, width, 3), background, dtype=np.uint8)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        """Fill columns x0..x1-1 of rows y0..y1-1."""
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x0 < x1 and y0 < y1:
            self.pixels[y0:y1, x0:x1] = colour

    def line(self, start: tuple[int, int], end: tuple[int, int], colour: Colour, *, width: int = 1) -> None:
        """A straight line between two points (both drawn), ``width`` pixels thick."""
        (x0, y0), (x1, y1) = start, end
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        xs = np.rint(np.linspace(x0, x1, steps + 1)).astype(int)
        ys = np.rint(np.linspace(y0, y1, steps + 1)).astype(int)
        half = width // 2
        for dx in range(-half, width - half):
            for dy in range(-half, width - half):
                x, y = xs + dx, ys + dy
                inside = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height)
                self.pixels[y[inside], x[inside]] = colour

    def text(self, x: int, y: int, text: str, colour: Colour = BLACK, scale: int = 1) -> None:
        """``text`` with its top-left corner at (x, y)."""
        mask = text_mask(text, scale)
        h, w = mask.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        window = mask[y0 - y : y1 - y, x0 - x : x1 - x]
        self.pixels[y0:y1, x0:x1][window] = colour

    def png(self) -> bytes:
        return encode_png(self.pixels)
