"""Persistence: SQLAlchemy 2.0 models, sessions, Alembic migrations and the store service."""

from icam_bot.db.base import Base
from icam_bot.db.migrate import SchemaStatus, head_revision, schema_status, upgrade
from icam_bot.db.session import make_engine
from icam_bot.db.store import GapRow, Store

__all__ = [
    "Base",
    "GapRow",
    "SchemaStatus",
    "Store",
    "head_revision",
    "make_engine",
    "schema_status",
    "upgrade",
]
