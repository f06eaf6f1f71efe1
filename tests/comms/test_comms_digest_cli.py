"""``icam-bot digest --dry-run``: the digest printed for a person to check; bad settings exit 2."""

from __future__ import annotations

import pytest
from tracker_support import new_item

from icam_bot.cli.main import main
from icam_bot.comms.runs import DigestRuns
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.service import TrackerService


@pytest.fixture
def database(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ICAM_DATA_DIR", str(tmp_path))
    for name in ("ICAM_DIGEST_DAY", "ICAM_DIGEST_TIME", "ICAM_DIGEST_TZ", "ICAM_DIGEST_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    return engine


def test_dry_run_prints_the_coming_digest_and_sends_nothing(database, monkeypatch, capsys):
    TrackerService(database, load_programs()).create(new_item(title="Reader firmware rejects new cards"))
    monkeypatch.setenv("ICAM_DIGEST_DAY", "friday")
    monkeypatch.setenv("ICAM_DIGEST_TIME", "16:30")
    monkeypatch.setenv("ICAM_DIGEST_TZ", "Europe/Paris")
    monkeypatch.setenv("ICAM_DIGEST_CHANNEL", "C0DIGEST01")
    assert main(["digest", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[dry run: nothing sent; Fridays at 16:30 Europe/Paris; channel C0DIGEST01]")
    assert "ITEMS OPENED THIS WEEK: 1" in out
    assert "Reader firmware rejects new cards" in out
    assert "STATUS BOARD" in out
    assert "KNOWLEDGE ENTRIES DUE FOR REVIEW" in out
    with DigestRuns(database).sessions() as session:  # a dry run claims nothing
        from icam_bot.comms.models import DigestRun

        assert session.query(DigestRun).count() == 0


def test_last_shows_the_digest_that_was_due_and_the_routing_channel_by_default(database, capsys):
    assert main(["digest", "--dry-run", "--last"]) == 0
    out = capsys.readouterr().out
    assert "Mondays at 09:00 America/New_York; channel C0EXAMPLEPMO" in out
    assert "ITEMS OPENED THIS WEEK: 0" in out


def test_without_dry_run_it_explains_that_the_server_sends(database, capsys):
    assert main(["digest"]) == 2
    assert "only --dry-run is supported" in capsys.readouterr().err


def test_bad_digest_settings_are_named(database, monkeypatch, capsys):
    monkeypatch.setenv("ICAM_DIGEST_DAY", "someday")
    monkeypatch.setenv("ICAM_DIGEST_TIME", "9am")
    monkeypatch.setenv("ICAM_DIGEST_TZ", "Atlantis/Capital")
    monkeypatch.setenv("ICAM_DIGEST_CHANNEL", "#icam-pmo")
    assert main(["digest", "--dry-run"]) == 2
    err = capsys.readouterr().err
    for name in ("ICAM_DIGEST_DAY", "ICAM_DIGEST_TIME", "ICAM_DIGEST_TZ", "ICAM_DIGEST_CHANNEL"):
        assert name in err
