"""``icam-bot report --csv|--json`` with filters; bad filter values exit 2 with a clear message."""

from __future__ import annotations

import csv
import io
import json

import pytest
from tracker_support import CRED_OWNER, PMO, new_item


@pytest.fixture
def seeded(service, engine, clock, monkeypatch):
    """Four items over three days; DATABASE_URL points at them."""
    refs = [service.create(new_item(title="first")).item.ref]
    clock.advance(days=1)
    refs.append(service.create(new_item(program="pacs", title='door, "quoted"\nline two')).item.ref)
    clock.advance(days=1)
    refs.append(service.create(new_item(title="third")).item.ref)
    refs.append(service.create(new_item(kind="risk", likelihood=2, impact=3, title="risk")).item.ref)
    service.resolve(refs[2], "fixed", actor=CRED_OWNER)
    service.close(refs[3], actor=PMO)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return refs


def run(capsys, *args: str) -> tuple[int, str, str]:
    from icam_bot.cli.main import main

    code = main(["report", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_csv_export_of_everything(seeded, capsys):
    code, out, err = run(capsys, "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["ref"] for r in rows] == seeded
    assert rows[1]["title"] == 'door, "quoted"\nline two'
    assert rows[3]["risk_score"] == "6"
    assert "4 item(s) exported" in err


def test_json_export_with_filters(seeded, capsys):
    _, out, _ = run(capsys, "--json", "--program", "credentialing", "--status", "resolved")
    assert [r["ref"] for r in json.loads(out)] == [seeded[2]]
    _, out, _ = run(capsys, "--json", "--since", "2026-03-03", "--until", "2026-03-03")
    assert [r["ref"] for r in json.loads(out)] == [seeded[1]]
    _, out, _ = run(capsys, "--json", "--since", "2026-03-04")
    assert [r["status"] for r in json.loads(out)] == ["resolved", "closed"]
    _, out, _ = run(capsys, "--json", "--until", "2026-03-01")
    assert json.loads(out) == []


def test_output_file(seeded, capsys, tmp_path):
    target = tmp_path / "report.csv"
    code, out, _ = run(capsys, "--csv", "-o", str(target))
    assert code == 0
    assert out == ""
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "--program", "hr"], "--program must be one of"),
        (["--csv", "--status", "done"], "--status must be one of"),
        (["--json", "--since", "yesterday"], "--since must be a date"),
        (["--json", "--until", "2026-02-30"], "--until must be a date"),
        (["--json", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
        ([], "--csv or --json"),
    ],
)
def test_bad_filters_exit_2_with_a_clear_message(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]


def test_csv_cells_that_would_run_as_formulas_are_neutralised(service, engine, monkeypatch, capsys):
    refs = [service.create(new_item(title=formula, description=formula)).item.ref for formula in FORMULAS]
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    code, out, _ = run(capsys, "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["ref"] for r in rows] == refs
    for row, formula in zip(rows, FORMULAS, strict=True):
        assert row["title"] == "'" + formula
        assert row["description"] == "'" + formula
    # JSON is data, not a spreadsheet: it keeps the text as typed
    _, out, _ = run(capsys, "--json")
    assert [r["title"] for r in json.loads(out)] == FORMULAS


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised():
    """Titles and descriptions are stripped when stored, so leading tab and CR are checked on the writer."""
    from icam_bot.tracker.export import write_csv

    out = io.StringIO()
    write_csv(iter([{"ref": "ICAM-1", "title": "\t=1+1", "description": "\r=1+1", "risk_score": -3}]), out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (row["title"], row["description"], row["risk_score"]) == ("'\t=1+1", "'\r=1+1", "-3")


@pytest.mark.parametrize("fmt", ["--csv", "--json"])
def test_report_files_are_readable_by_the_owner_only(seeded, capsys, tmp_path, fmt):
    target = tmp_path / "report.out"
    target.write_text("old")
    target.chmod(0o644)  # an existing file is tightened too
    assert run(capsys, fmt, "-o", str(target))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o600
    fresh = tmp_path / "fresh.out"
    assert run(capsys, fmt, "-o", str(fresh))[0] == 0
    assert fresh.stat().st_mode & 0o777 == 0o600
    assert seeded[0] in fresh.read_text()
