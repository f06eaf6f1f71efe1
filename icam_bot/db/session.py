"""Engines and session factories for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.registry import load_models

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30
#: PostgreSQL connections kept per engine (a serve process: its database threads, the outbox, the sweeper).
POOL_SIZE = 16
POOL_OVERFLOW = 8


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get their directory, WAL and a busy timeout for concurrent writers.

    SQL parameters are left out of error messages (``hide_parameters``): they carry what people typed, and
    database errors are logged at ERROR with their message.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Connections are kept (not opened and closed per burst): as many as the threads that use them at once.
        options = {"pool_pre_ping": True, "pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, **kwargs}
        return create_engine(url, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable with WAL except for the last commits on power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def upsert_insert(bind: Engine | Connection, entity: Any) -> Any:
    """``INSERT`` for ``entity`` in the bind's dialect, which has ``on_conflict_do_nothing`` (PostgreSQL or SQLite)."""
    return (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(entity)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded objects stay readable after commit (they are handed to async code).

    Every model module is loaded first (the registry), so foreign keys across domains resolve in any process.
    """
    load_models()
    return sessionmaker(engine, expire_on_commit=False)
