"""``icam-bot report answers --csv|--json`` over the seeded history: the counts, formula-safe CSV, the access log."""

from __future__ import annotations

import csv
import io
import json

import pytest
from analytics_history import EXPECTED_MEDIAN_HOURS, seed
from sqlalchemy import select

from icam_bot.records.models import AccessEvent

WINDOW = ("--since", "2026-03-04", "--until", "2026-03-11")


@pytest.fixture
def seeded(engine, monkeypatch):
    seed(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def run(capsys, *args: str) -> tuple[int, str, str]:
    from icam_bot.cli.main import main

    code = main(["report", "answers", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_report(seeded, capsys):
    code, out, err = run(capsys, "--json", *WINDOW, "--actor", "pmo analyst")
    assert code == 0, err
    data = json.loads(out)
    assert data["since"] == "2026-03-02T00:00:00+00:00"
    assert data["until"] == "2026-03-12T00:00:00+00:00"
    assert [(w["week"], w["asked"], w["answered"], w["not_answered"]) for w in data["weeks"]] == [
        ("2026-03-02", 10, 5, 5),
        ("2026-03-09", 3, 2, 1),
    ]
    assert data["total"] == {
        "asked": 13,
        "answered": 7,
        "suggested": 1,
        "declined": 4,
        "redirected": 1,
        "helpful": 2,
        "not_helpful": 2,
        "became_items": 4,
    }
    assert [c["category"] for c in data["categories"]] == ["piv", "uncategorised", "pacs"]
    assert data["median_hours_to_answer"] == EXPECTED_MEDIAN_HOURS
    assert data["unanswered"]["topics"] == 3
    assert data["unanswered"]["top"][0]["text"] == "how do contractors get a badge"
    with seeded.connect() as conn:
        events = conn.execute(select(AccessEvent.actor_id, AccessEvent.action, AccessEvent.surface)).all()
    assert events == [("pmo analyst", "analytics", "cli")]


def test_csv_report_neutralises_formulas(seeded, capsys):
    code, out, _ = run(capsys, "--csv", *WINDOW)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    weeks = [r for r in rows if r["record"] == "week"]
    assert len(weeks) == 6
    piv = next(r for r in weeks if (r["week"], r["category"]) == ("2026-03-02", "piv"))
    assert (piv["asked"], piv["answered"], piv["suggested"], piv["helpful"]) == ("5", "4", "1", "2")
    (total,) = [r for r in rows if r["record"] == "total"]
    assert (total["asked"], total["became_items"]) == ("13", "4")
    (median,) = [r for r in rows if r["record"] == "median"]
    assert (float(median["hours"]), median["sample"]) == (EXPECTED_MEDIAN_HOURS, "3")
    texts = [r["text"] for r in rows if r["record"] == "topic"]
    assert '\'=HYPERLINK("http://x") what is FICAM' in texts
    assert not any(t.startswith("=") for r in rows for t in r.values() if t)


def test_weeks_and_output_file(seeded, capsys, tmp_path):
    target = tmp_path / "answers.json"
    code, out, _ = run(capsys, "--json", "--weeks", "3", "--until", "2026-03-11", "-o", str(target))
    assert code == 0
    assert out == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [w["week"] for w in data["weeks"]] == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert data["total"]["asked"] == 14
    assert oct(target.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", "--weeks", "0"], "--weeks must be 1-520"),
        (["--json", "--weeks", "2", "--since", "2026-03-01"], "--weeks or --since"),
        (["--csv", "--since", "2026-13-01"], "--since must be a date"),
        (["--csv", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
        (["--csv", "--program", "pacs"], "applies to the items report"),
        ([], "--csv or --json"),
    ],
)
def test_bad_options_exit_2(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


def test_weeks_is_refused_for_the_items_report(capsys):
    from icam_bot.cli.main import main

    assert main(["report", "--csv", "--weeks", "2"]) == 2
    assert "--weeks applies to `report answers` only" in capsys.readouterr().err
