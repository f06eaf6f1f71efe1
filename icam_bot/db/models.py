"""The kernel's own table: events already handled (exactly-once across replicas). Domain tables live in their
packages, listed in the model registry (``icam_bot.db.registry``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow


class ProcessedEvent(Base):
    """A Slack event already handled; the primary key makes handling exactly-once across replicas."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
