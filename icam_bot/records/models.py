"""The access log table: one append-only row per read of sensitive records (allowed, refused or not found)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.audit import append_only
from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import UtcDateTime

#: Slack user ids, ``icam-bot`` for the bot itself, or a person named on the command line.
ACTOR_LEN = 64
TARGET_LEN = 200


class AccessEvent(Base):
    """Who read (or tried to read) what, from where, when, and whether it was allowed. Never updated or deleted."""

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_actor_id_id", "actor_id", "id"),
        Index("ix_access_events_item_id_id", "item_id", "id"),
        Index("ix_access_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(ACTOR_LEN))
    surface: Mapped[str] = mapped_column(String(16))  # slack | cli | serve
    action: Mapped[str] = mapped_column(String(32))  # item_view | queue | risks | stats | export | audit | retention
    target: Mapped[str] = mapped_column(String(TARGET_LEN))  # ICAM-<n>, a program, or the query
    item_id: Mapped[int | None] = mapped_column(ForeignKey("tracker_items.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | refused | not_found | failed
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


append_only(AccessEvent, "access event")
