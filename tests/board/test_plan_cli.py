"""``icam-bot programs import|export``: round trips, all-or-nothing imports, problems named by file/entry/field."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
import yaml
from board_support import PMO
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Workstream
from icam_bot.board.service import BoardService, ProgramEdit
from icam_bot.board.validation import MilestoneInput

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "examples" / "program-plan.yaml"
#: The CLI runs on the real clock: plans are dated relative to today.
SOON = (dt.date.today() + dt.timedelta(days=60)).isoformat()
LATER = (dt.date.today() + dt.timedelta(days=200)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=60)).isoformat()

PLAN = f"""\
version: 1
programs:
  credentialing:
    rag: amber
    note: "Card stock <late> & more"
    workstreams:
      - {{name: PIV refresh, owner: U0EXAMPLE11, due: {LATER}, status: in_progress, rag: amber}}
    milestones:
      - {{name: Plan approved, workstream: PIV refresh, due: {PAST}, status: done, completed_on: {PAST}}}
      - {{name: Wave 1 issued, workstream: PIV refresh, owner: U0EXAMPLE12, due: {SOON}, rag: amber, note: 400 cards}}
  pacs:
    milestones:
      - {{name: Readers upgraded, due: {LATER}, status: planned, rag: red}}
"""


@pytest.fixture
def db(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def run(capsys, *args: str) -> tuple[int, str, str]:
    from icam_bot.cli.main import main

    code = main(["programs", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (ProgramStatus, Workstream, Milestone, BoardEvent)
        )


def test_import_export_round_trip(db, capsys, tmp_path):
    code, out, _ = run(capsys, "import", str(write(tmp_path, PLAN)))
    assert code == 0
    assert "4 created" in out
    code, exported, _ = run(capsys, "export")
    assert code == 0
    data = yaml.safe_load(exported)
    cred = data["programs"]["credentialing"]
    assert (cred["rag"], cred["note"]) == ("amber", "Card stock <late> & more")
    assert [m["name"] for m in cred["milestones"]] == ["Plan approved", "Wave 1 issued"]
    assert cred["milestones"][1] == {
        "name": "Wave 1 issued",
        "workstream": "PIV refresh",
        "owner": "U0EXAMPLE12",
        "due": dt.date.fromisoformat(SOON),
        "status": "planned",
        "rag": "amber",
        "note": "400 cards",
    }
    assert data["programs"]["pacs"]["milestones"][0]["rag"] == "red"
    before = counts(db)
    target = tmp_path / "export.yaml"
    assert run(capsys, "export", "-o", str(target))[0] == 0
    code, out, _ = run(capsys, "import", str(target))  # importing the export changes nothing
    assert code == 0
    assert "0 created, 0 updated, 4 unchanged" in out
    assert counts(db) == before
    assert yaml.safe_load(target.read_text()) == data


def test_malformed_file_names_file_entry_and_field_and_imports_nothing(db, capsys, tmp_path):
    bad = PLAN.replace(f"due: {SOON}", "due: 2027-02-30").replace("rag: red", "rag: crimson")
    path = write(tmp_path, bad, "q3-plan.yaml")
    code, _, err = run(capsys, "import", str(path))
    assert code == 1
    assert "q3-plan.yaml: milestone 'credentialing/Wave 1 issued': field 'due': is not a real calendar date" in err
    assert "q3-plan.yaml: milestone 'pacs/Readers upgraded': field 'rag': must be one of green, amber, red" in err
    assert "nothing was imported" in err
    assert counts(db) == (0, 0, 0, 0)


def test_open_milestone_due_in_the_past_is_refused_and_nothing_imported(db, capsys, tmp_path):
    bad = PLAN.replace(f"due: {SOON}", f"due: {PAST}")
    code, _, err = run(capsys, "import", str(write(tmp_path, bad)))
    assert code == 1
    assert "milestone 'credentialing/Wave 1 issued': field 'due':" in err
    assert "is in the past" in err
    assert counts(db) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nprograms:\n  credentaling: {}\n",
            "program 'credentaling': is not a component program: did you mean 'credentialing'?",
        ),
        ("version: 1\nprograms: [a, b]\n", "field 'programs': must map program slugs"),
        ("version: 2\nprograms:\n  pacs: {}\n", "field 'version': must be 1"),
        (
            "version: 1\nprograms:\n  pacs:\n    milestones:\n      - {due: 2099-01-01}\n",
            "milestone 'pacs/milestones[1]': field 'name': is required",
        ),
        (
            "version: 1\nprograms:\n  pacs:\n    milestones:\n      - {name: X, due: 2099-01-01, workstream: Nope}\n",
            "milestone 'pacs/X': field 'workstream': 'Nope' is not in pacs's workstreams",
        ),
        (
            "version: 1\nprograms:\n  pacs:\n    milestones:\n      - {name: X, due: 2099-01-01, colour: red}\n",
            "milestone 'pacs/X': field 'colour': is not a known field",
        ),
        (
            "version: 1\nprograms:\n  pacs:\n    milestones:\n"
            "      - {name: X, due: 2099-01-01}\n      - {name: X, due: 2099-02-01}\n",
            "field 'name': is repeated",
        ),
        (
            "version: 1\nprograms:\n  pacs:\n    milestones:\n      - {name: X, due: 2099-01-01 10:00:00}\n",
            "field 'due': must be a date like",
        ),
        ("version: 1\nprograms: {pacs: [\n", "plan.yaml: is not valid YAML at line"),
    ],
)
def test_each_kind_of_problem_is_named(db, capsys, tmp_path, text, expected):
    code, _, err = run(capsys, "import", str(write(tmp_path, text)))
    assert code == 1
    assert expected in err
    assert counts(db) == (0, 0, 0, 0)


def test_replace_removes_what_the_file_no_longer_lists_and_audits_it(db, capsys, tmp_path, programs):
    assert run(capsys, "import", str(write(tmp_path, PLAN)))[0] == 0
    smaller = f"""\
version: 1
programs:
  credentialing:
    milestones:
      - {{name: Wave 1 issued, due: {SOON}, status: in_progress, rag: red}}
"""
    path = write(tmp_path, smaller, "smaller.yaml")
    code, out, _ = run(capsys, "import", str(path))  # without --replace: upsert only
    assert code == 0
    assert "1 updated" in out
    board = BoardService(db, programs)
    assert len(board.milestones("credentialing")) == 2
    code, out, _ = run(capsys, "import", "--replace", str(path))
    assert code == 0
    assert "2 removed" in out  # "Plan approved" and the workstream "PIV refresh"
    (only,) = board.milestones("credentialing")
    assert (only.name, only.rag.value, only.workstream) == ("Wave 1 issued", "red", None)
    assert board.program_status("credentialing") == (None, None)  # --replace: absent rag and note cleared
    assert len(board.milestones("pacs")) == 1  # programs not in the file are untouched
    removed = [e for e in board.history("credentialing") if e.action == "removed"]
    assert {e.target_name for e in removed} == {"Plan approved", "PIV refresh"}
    assert all(e.detail == "imported from smaller.yaml" and e.actor_id.startswith("cli:") for e in removed)


def test_import_keeps_stored_overdue_milestones_importable(db, capsys, tmp_path, programs):
    """An exported board with an overdue open milestone imports back: the unchanged past date is accepted."""
    from fake_clock import Clock

    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    board = BoardService(db, programs, clock=Clock(long_ago))
    due = (long_ago.date() + dt.timedelta(days=10)).isoformat()
    board.edit(ProgramEdit("pacs", milestone=MilestoneInput(name="Overdue", due_date=due)), actor=PMO)
    target = tmp_path / "board.yaml"
    assert run(capsys, "export", "-o", str(target))[0] == 0
    code, out, _ = run(capsys, "import", str(target))
    assert code == 0
    assert "1 unchanged" in out


def test_the_shipped_example_plan_imports_cleanly(db, capsys):
    code, out, err = run(capsys, "import", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert "3 program(s)" in out
    text = EXAMPLE.read_text()
    assert "EXAMPLE" in text
    names = [m["name"] for p in yaml.safe_load(text)["programs"].values() for m in p.get("milestones", [])]
    assert names
    assert all(n.startswith("EXAMPLE") for n in names)


def test_schema_behind_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    code, _, err = run(capsys, "export")
    assert code == 2
    assert "icam-bot db upgrade" in err
