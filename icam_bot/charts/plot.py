"""Bar and line charts over labelled categories (e.g. weeks): a title, a legend, a y axis with whole-number ticks
and gridlines, one label per category (thinned to fit). Each chart keeps its geometry (the plot box, the scale,
where each value was drawn) so a caller, or a test, can find the data in the pixels."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from icam_bot.charts.canvas import BLACK, Canvas, Colour
from icam_bot.charts.font import ADVANCE, GLYPH_H, text_width

WIDTH, HEIGHT = 640, 300
GRID: Colour = (225, 225, 225)
AXIS: Colour = (90, 90, 90)
TITLE_SCALE = 2
#: Ticks on the y axis above zero.
TICKS = 4
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 52, 22
POINT = 5  # side of a line chart's point marker


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    colour: Colour


@dataclass(frozen=True)
class Box:
    """The plotting area: columns left..right-1; values rise from the baseline row ``bottom`` (the x axis)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Mark:
    """Where one value was drawn: a bar over columns x0..x1-1 from row ``top`` down to the baseline, or a line
    point at (x0, top) (then x1 == x0 + 1)."""

    series: int
    index: int
    x0: int
    x1: int
    top: int


@dataclass(frozen=True)
class Chart:
    canvas: Canvas
    plot: Box
    y_max: int
    marks: tuple[Mark, ...]

    def png(self) -> bytes:
        return self.canvas.png()

    def height_of(self, value: float) -> int:
        """Pixels a value rises above the baseline."""
        return scaled(value, self.y_max, self.plot.height)


def scaled(value: float, y_max: int, pixels: int) -> int:
    return round(max(value, 0) / y_max * pixels) if y_max else 0


def nice_step(peak: float, ticks: int = TICKS) -> int:
    """The smallest whole step of 1, 2 or 5 x 10^k whose ``ticks`` steps reach ``peak``."""
    need = max(peak, 1) / ticks
    power = 10 ** max(math.floor(math.log10(need)), 0)
    for factor in (1, 2, 5, 10):
        if factor * power >= need:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def _frame(title: str, labels: Sequence[str], series: Sequence[Series], width: int, height: int) -> tuple:
    if not labels:
        raise ValueError("a chart needs at least one category")
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)} categories")
    canvas = Canvas(width, height)
    canvas.text(8, 8, title, BLACK, TITLE_SCALE)
    x = 8
    for s in series:  # the legend: a swatch and the name of each series
        canvas.rect(x, 32, x + 8, 40, s.colour)
        canvas.text(x + 12, 33, s.name, BLACK)
        x += 12 + text_width(s.name) + 16
    plot = Box(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_RIGHT, height - MARGIN_BOTTOM)
    step = nice_step(max((v for s in series for v in s.values), default=0))
    y_max = step * TICKS
    for tick in range(TICKS + 1):
        y = plot.bottom - scaled(tick * step, y_max, plot.height)
        if tick:
            canvas.rect(plot.left, y, plot.right, y + 1, GRID)
        label = str(tick * step)
        canvas.text(plot.left - 4 - text_width(label), y - GLYPH_H // 2, label, AXIS)
    slot = (plot.right - plot.left) / len(labels)
    every = max(1, math.ceil((max(len(t) for t in labels) * ADVANCE + 6) / slot))
    for i, label in enumerate(labels):
        if i % every == 0:
            centre = plot.left + int((i + 0.5) * slot)
            canvas.text(centre - text_width(label) // 2, plot.bottom + 7, label, AXIS)
    return canvas, plot, y_max, slot


def _axes(canvas: Canvas, plot: Box) -> None:
    canvas.rect(plot.left, plot.bottom, plot.right, plot.bottom + 1, AXIS)
    canvas.rect(plot.left - 1, plot.top, plot.left, plot.bottom + 1, AXIS)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = WIDTH, height: int = HEIGHT
) -> Chart:
    """Grouped bars: one group per label, one bar per series, heights proportional to the values."""
    canvas, plot, y_max, slot = _frame(title, labels, series, width, height)
    bar = max(1, int(slot * 0.8 / max(len(series), 1)))
    marks = []
    for i in range(len(labels)):
        start = plot.left + int(i * slot + (slot - bar * len(series)) / 2)
        for s_index, s in enumerate(series):
            x0 = start + s_index * bar
            top = plot.bottom - scaled(s.values[i], y_max, plot.height)
            canvas.rect(x0, top, x0 + bar - 1, plot.bottom, s.colour)  # one blank column between bars
            marks.append(Mark(s_index, i, x0, x0 + bar - 1, top))
    _axes(canvas, plot)
    return Chart(canvas, plot, y_max, tuple(marks))


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = WIDTH, height: int = HEIGHT
) -> Chart:
    """One line per series through a point per label (a square marker on each point)."""
    canvas, plot, y_max, slot = _frame(title, labels, series, width, height)
    _axes(canvas, plot)  # under the lines: a point at zero stays visible
    marks = []
    for s_index, s in enumerate(series):
        points = [
            (plot.left + int((i + 0.5) * slot), plot.bottom - scaled(v, y_max, plot.height))
            for i, v in enumerate(s.values)
        ]
        for start, end in itertools.pairwise(points):
            canvas.line(start, end, s.colour, width=2)
        for i, (x, y) in enumerate(points):
            canvas.rect(x - POINT // 2, y - POINT // 2, x + POINT // 2 + 1, y + POINT // 2 + 1, s.colour)
            marks.append(Mark(s_index, i, x, x + 1, y))
    return Chart(canvas, plot, y_max, tuple(marks))


def stack(charts: Sequence[Chart]) -> Canvas:
    """The charts one above the other on one canvas (as wide as the widest)."""
    width = max(c.canvas.width for c in charts)
    out = Canvas(width, sum(c.canvas.height for c in charts))
    y = 0
    for chart in charts:
        out.pixels[y : y + chart.canvas.height, : chart.canvas.width] = chart.canvas.pixels
        y += chart.canvas.height
    return out
