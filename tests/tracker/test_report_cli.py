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
