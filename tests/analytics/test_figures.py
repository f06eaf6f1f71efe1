"""The weekly figure over the seeded history: the numbers, the description and the bars in the PNG."""

from __future__ import annotations

from analytics_history import NOW, WEEK1, WEEK2, seed
from png_reader import read_png
from sqlalchemy import Engine

from icam_bot.analytics.figures import ANSWERED, NO_RAG_HISTORY, NOT_ANSWERED, weekly_figure, weekly_series
from icam_bot.analytics.period import Window
from icam_bot.charts.plot import HEIGHT, MARGIN_BOTTOM, MARGIN_TOP, WIDTH
from icam_bot.db.session import make_session_factory


def test_weekly_series_and_figure(engine: Engine) -> None:
    seed(engine)
    with make_session_factory(engine)() as session:
        series = weekly_series(session, Window.last_weeks(NOW, 2))
        figure = weekly_figure(session, NOW, weeks=2)
    assert series.weeks == (WEEK1, WEEK2)
    assert (series.answered, series.not_answered) == ((5, 2), (5, 1))
    assert (series.opened, series.resolved) == ((3, 1), (3, 0))
    assert figure.alt_text.startswith("Two charts over the 2 weeks from the week of Mar 2. ")
    assert "Mar 2: 5 answered, 5 not; Mar 9: 2 answered, 1 not" in figure.alt_text
    assert "Mar 2: 3 opened, 3 resolved; Mar 9: 1 opened, 0 resolved" in figure.alt_text
    assert figure.alt_text.endswith(NO_RAG_HISTORY)

    image = read_png(figure.png)
    assert image.shape == (2 * HEIGHT, WIDTH, 3)
    baseline, plot_height = HEIGHT - MARGIN_BOTTOM, HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    heights = {}
    for colour in (ANSWERED, NOT_ANSWERED):  # the tallest run of each colour in each half of the top chart
        mask = (image[:HEIGHT] == colour).all(axis=2)
        for half, columns in enumerate((slice(0, WIDTH // 2), slice(WIDTH // 2, WIDTH))):
            heights[colour, half] = int(mask[:baseline, columns].sum(axis=0).max())
    unit = plot_height / 8  # peak 5: four ticks of 2
    assert heights[ANSWERED, 0] == round(5 * unit)
    assert heights[NOT_ANSWERED, 0] == round(5 * unit)
    assert heights[ANSWERED, 1] == round(2 * unit)
    assert heights[NOT_ANSWERED, 1] == round(1 * unit)
