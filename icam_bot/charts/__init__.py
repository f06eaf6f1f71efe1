"""Small PNG charts drawn with numpy on a pixel grid (no imaging library): bars, lines, a bitmap font."""
