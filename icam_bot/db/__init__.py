"""The persistence kernel: the declarative base, column types, the audit trail's columns, the model registry,
sessions and Alembic migrations. It imports no domain: domains import it (see ``icam_bot.db.registry``)."""

from icam_bot.db.base import Base
from icam_bot.db.migrate import SchemaStatus, head_revision, schema_status, upgrade
from icam_bot.db.session import make_engine

__all__ = [
    "Base",
    "SchemaStatus",
    "head_revision",
    "make_engine",
    "schema_status",
    "upgrade",
]
