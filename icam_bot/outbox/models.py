"""The outbox table: one row per Slack message the bot owes someone."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import TARGET_LEN, UtcDateTime

TOPIC_LEN = 32
DEDUPE_KEY_LEN = 160
CLAIMANT_LEN = 64
ERROR_LEN = 64
TS_LEN = 32


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its turn (next_attempt_at), or leased by a replica sending it
    SENT = "sent"  # posted; message_ts recorded
    FAILED = "failed"  # Slack refused it for good, or it ran out of attempts


class OutboxMessage(Base):
    """A message owed: ``topic`` says how ``payload`` becomes a Slack message for ``recipient``."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_announcement_id", "announcement_id"),
        Index("ix_outbox_recipient_target_ts", "recipient", "target_ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(TOPIC_LEN))
    recipient: Mapped[str] = mapped_column(String(TARGET_LEN))
    payload: Mapped[dict] = mapped_column(JSON)
    #: Writing the same key twice keeps one row (e.g. an announcement's report, written once).
    dedupe_key: Mapped[str | None] = mapped_column(String(DEDUPE_KEY_LEN), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: While a replica sends the row it holds it until then; after, any replica may take it over.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(CLAIMANT_LEN))
    #: Bumped at every claim: a send is started only by the holder of the current epoch (see OutboxService).
    lease_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When a send that may have reached Slack started and was not settled since (cleared once it is): the
    #: next attempt first looks for the message by its metadata (handlers/runtime/outbox_lookup.py).
    attempt_started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(TS_LEN))
    error: Mapped[str | None] = mapped_column(String(ERROR_LEN))
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    announcement_id: Mapped[int | None] = mapped_column(Integer)
    #: An edit (topic ``update``): the ts of the message in ``recipient`` it chat.updates.
    target_ts: Mapped[str | None] = mapped_column(String(TS_LEN))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
