"""Test databases (importable as ``database_support``): a fresh PostgreSQL schema per test, dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The PostgreSQL server the tests use (``postgresql+psycopg://...``); PostgreSQL tests skip without it.
PG_URL = os.environ.get("ICAM_TEST_DATABASE_URL")


@contextlib.contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a URL whose search_path points at it, dropped afterwards."""
    schema = f"icam_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
