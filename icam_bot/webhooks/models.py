"""The webhook deliveries table: one row per event and receiving webhook."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import UtcDateTime

EVENT_ID_LEN = 36
EVENT_TYPE_LEN = 32
TARGET_KEY_LEN = 96
URL_LEN = 2000
CLAIMANT_LEN = 64
ERROR_LEN = 200


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at, or leased by the replica sending it
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # gave up after the last attempt (``icam-bot webhooks retry ID`` sends it again)


class WebhookDelivery(Base):
    """An event owed to one webhook (``target``: ``program/name`` in the routing file)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "target", name="uq_webhook_deliveries_event_target"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LEN))
    event_type: Mapped[str] = mapped_column(String(EVENT_TYPE_LEN))
    target: Mapped[str] = mapped_column(String(TARGET_KEY_LEN))
    url: Mapped[str] = mapped_column(String(URL_LEN))
    #: The JSON body, exactly as signed and sent (docs/operating.md#outbound-webhooks).
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(CLAIMANT_LEN))
    #: The receiver's last HTTP status (None: no answer, e.g. a timeout) and what went wrong.
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LEN))
    #: The tracker item an ``item.*`` event is about (its copy of the title goes when the item is redacted).
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
