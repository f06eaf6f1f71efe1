"""``icam-bot db upgrade``, ``db current``, ``kb gaps`` and the server's schema check."""

from __future__ import annotations

import argparse
import json

import pytest

from icam_bot.cli import db as db_cli
from icam_bot.cli.common import CommandError
from icam_bot.cli.gaps import register_gaps
from icam_bot.cli.main import main
from icam_bot.cli.serve import open_store
from icam_bot.db import make_engine, schema_status
from icam_bot.questions.store import Store


def test_db_upgrade_command_migrates_database_url(empty_url, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # no alembic.ini anywhere near: the config is built in code
    monkeypatch.setenv("DATABASE_URL", empty_url)
    assert main(["db", "current"]) == 1
    assert main(["db", "upgrade"]) == 0
    assert "database at revision" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    engine = make_engine(empty_url)
    assert schema_status(engine).up_to_date
    engine.dispose()


def test_db_upgrade_reports_a_bad_database_url(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    assert main(["db", "upgrade"]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err


def test_server_upgrades_an_embedded_sqlite_database(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'sub' / 'icam.sqlite3'}")
    assert schema_status(store.engine).up_to_date
    store.close()


@pytest.mark.postgres
def test_server_refuses_a_postgres_schema_that_is_behind(empty_url):
    if not empty_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    with pytest.raises(CommandError, match="icam-bot db upgrade"):
        open_store(empty_url)


def _gaps_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    kb = sub.add_parser("kb").add_subparsers()
    register_gaps(kb)
    return parser


def test_kb_gaps_lists_unanswered_questions_by_frequency(empty_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_url)
    store = open_store(empty_url) if empty_url.startswith("sqlite") else None
    if store is None:
        db_cli.run_upgrade(argparse.Namespace(revision="head"))
        store = Store.from_url(empty_url)
    for user in ("U1", "U2", "U3"):
        store.record_unanswered("how do I get a parking permit?", user)
    store.record_unanswered("who won the game", "U1")
    store.close()
    capsys.readouterr()
    args = _gaps_parser().parse_args(["kb", "gaps"])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["3", "0", "3"]
    assert lines[1].endswith("how do I get a parking permit?")
    assert lines[2].endswith("who won the game")
    args = _gaps_parser().parse_args(["kb", "gaps", "--json", "--limit", "1"])
    assert args.func(args) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["count"] == 3
    assert row["askers"] == 3
