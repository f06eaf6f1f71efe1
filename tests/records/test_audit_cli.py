"""``icam-bot report`` names the person exporting (``--actor``, default the OS user) in the access log, and
``icam-bot audit`` reads the log (itself a recorded read)."""

from __future__ import annotations

import getpass
import json

import pytest
from tracker_support import PMO, REPORTER, new_item

from icam_bot.cli.main import main
from icam_bot.records.access import AccessFilter, AccessLog


@pytest.fixture
def seeded(engine, programs, clock, monkeypatch):
    from icam_bot.tracker.service import TrackerService

    tracker = TrackerService(engine, programs, clock=clock)
    item = tracker.create(new_item()).item
    tracker.get(item.ref, actor=PMO)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return item


def log_of(engine) -> AccessLog:
    return AccessLog(engine)


def test_report_records_who_exported_what(seeded, engine, capsys):
    assert main(["report", "--csv", "--program", "credentialing", "--actor", "jane.doe"]) == 0
    assert main(["report", "--json"]) == 0
    capsys.readouterr()
    default, named = log_of(engine).events(AccessFilter(action="export"))
    assert (named.actor_id, named.surface, named.target, named.outcome) == (
        "jane.doe",
        "cli",
        "program=credentialing",
        "allowed",
    )
    assert named.detail == "csv, 1 item(s)"
    assert default.actor_id == getpass.getuser()
    assert default.target == "all items"


def test_report_refuses_a_blank_actor(seeded, capsys):
    assert main(["report", "--csv", "--actor", "  "]) == 2
    assert "--actor" in capsys.readouterr().err


def test_audit_lists_access_events_and_records_the_reading(seeded, engine, capsys):
    assert main(["audit", "--json", "--actor", "auditor1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["actor"], r["action"], r["target"], r["outcome"]) for r in rows] == [
        (PMO, "item_view", seeded.ref, "allowed")
    ]
    assert main(["audit", "--by", PMO, "--item", seeded.ref]) == 0
    text = capsys.readouterr().out
    assert PMO in text
    assert seeded.ref in text
    assert "item_view" in text
    assert main(["audit", "--by", REPORTER]) == 0
    assert "No access events" in capsys.readouterr().out
    reads = log_of(engine).events(AccessFilter(action="audit"))
    assert [(r.actor_id, r.outcome) for r in reads][-1] == ("auditor1", "allowed")
    assert reads[0].target == f"by={REPORTER}"


def test_audit_rejects_bad_filters(seeded, capsys):
    assert main(["audit", "--item", "nope"]) == 2
    assert main(["audit", "--since", "yesterday"]) == 2
    assert main(["audit", "--limit", "0"]) == 2
