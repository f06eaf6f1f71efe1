"""The chart renderer: valid PNGs whose pixels show the data (bar heights proportional to the values, colours
where the values are), read back with an independent PNG reader."""

from __future__ import annotations

import numpy as np
import pytest
from png_reader import chunks, read_png

from icam_bot.charts.canvas import Canvas
from icam_bot.charts.font import GLYPHS, text_mask, text_width
from icam_bot.charts.plot import Series, bar_chart, line_chart, nice_step, stack
from icam_bot.charts.png import encode_png

RED, BLUE = (200, 30, 30), (30, 60, 200)
LABELS = ("01-05", "01-12", "01-19", "01-26")


def test_a_png_round_trips_pixel_for_pixel() -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (13, 17, 3), dtype=np.uint8)
    data = encode_png(pixels)
    assert [kind for kind, _ in chunks(data)] == [b"IHDR", b"IDAT", b"IEND"]
    assert np.array_equal(read_png(data), pixels)


def test_bad_pixel_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="at least one pixel"):
        encode_png(np.zeros((0, 4, 3), np.uint8))


def _column_height(image: np.ndarray, x: int, bottom: int, colour: tuple[int, int, int]) -> int:
    """How many pixels of ``colour`` rise without a break from just above row ``bottom`` in column ``x``."""
    height, y = 0, bottom - 1
    while y >= 0 and tuple(image[y, x]) == colour:
        height, y = height + 1, y - 1
    return height


def test_bar_heights_are_proportional_to_the_values() -> None:
    values_a, values_b = (4, 10, 0, 7), (2, 5, 8, 1)
    chart = bar_chart("Answered vs not", LABELS, [Series("a", values_a, RED), Series("b", values_b, BLUE)])
    image = read_png(chart.png())
    assert image.shape == (300, 640, 3)
    assert chart.y_max == 20  # four ticks of 5 reach the peak of 10
    plot = chart.plot
    measured = {}
    for mark in chart.marks:
        colour = (RED, BLUE)[mark.series]
        middle = (mark.x0 + mark.x1) // 2
        measured[mark.series, mark.index] = _column_height(image, middle, plot.bottom, colour)
    for index, (a, b) in enumerate(zip(values_a, values_b, strict=True)):
        assert measured[0, index] == round(a / chart.y_max * plot.height)
        assert measured[1, index] == round(b / chart.y_max * plot.height)
    # proportional: the bar of 10 is twice the bar of 5, the bar of 0 is not drawn
    assert abs(measured[0, 1] - 2 * measured[1, 1]) <= 1
    assert measured[0, 2] == 0
    # the x axis under the bars, the title's first letter in the top left corner
    assert tuple(image[plot.bottom, plot.left + 5]) == (90, 90, 90)
    title = text_mask("A", 2)
    assert (image[8 : 8 + title.shape[0], 8 : 8 + title.shape[1]].sum(axis=2) == 0).tolist() == title.tolist()


def test_a_line_passes_through_its_points() -> None:
    values = (3, 0, 6, 2)
    chart = line_chart("Items", LABELS, [Series("opened", values, BLUE)])
    image = read_png(chart.png())
    for mark in chart.marks:
        assert tuple(image[mark.top, mark.x0]) == BLUE
        assert chart.plot.bottom - mark.top == chart.height_of(values[mark.index])
    first, second = chart.marks[0], chart.marks[1]
    midway = ((first.x0 + second.x0) // 2, (first.top + second.top) // 2)
    assert tuple(image[midway[1], midway[0]]) == BLUE  # the segment between the points is drawn


def test_nice_steps_are_whole_numbers() -> None:
    assert [nice_step(v) for v in (0, 3, 4, 5, 9, 10, 41, 400, 401, 99_999)] == [1, 1, 1, 2, 5, 5, 20, 100, 200, 50_000]


def test_labels_are_thinned_to_fit_and_charts_stack() -> None:
    labels = tuple(f"{i:02d}-01" for i in range(60))
    chart = bar_chart("Many", labels, [Series("a", tuple(range(60)), RED)], width=400)
    one = line_chart("One", ("x",), [Series("a", (1,), RED)])
    both = stack([chart, one])
    assert (both.width, both.height) == (640, 600)
    assert np.array_equal(both.pixels[:300, :400], chart.canvas.pixels)
    with pytest.raises(ValueError, match="3 values for 2 categories"):
        bar_chart("Bad", ("a", "b"), [Series("s", (1, 2, 3), RED)])


def test_the_font_draws_text_and_unknown_characters_as_question_marks() -> None:
    assert text_width("AB") == 11
    assert np.array_equal(text_mask("é"), GLYPHS["?"])
    assert np.array_equal(text_mask("a"), GLYPHS["A"])
    canvas = Canvas(20, 10)
    canvas.text(-2, 1, "7")  # clipped at the left edge, not wrapped round
    assert (canvas.pixels[1:8, 0:3].sum(axis=2) == 0).tolist() == GLYPHS["7"][:, 2:].tolist()
