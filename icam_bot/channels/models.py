"""The listened channels and the append-only audit of ``/icam listen``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.audit import AuditEventColumns, append_only
from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import TARGET_LEN, USER_ID_LEN, UtcDateTime


class ListenedChannel(Base):
    """A help channel: the bot reads its top-level messages and answers, in the thread, what it is sure of."""

    __tablename__ = "listened_channels"

    channel_id: Mapped[str] = mapped_column(String(TARGET_LEN), primary_key=True)
    enabled_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    enabled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChannelEvent(AuditEventColumns, Base):
    """Who switched listening on or off in which channel, and when (never changed nor deleted)."""

    __tablename__ = "channel_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(TARGET_LEN), index=True)


append_only(ChannelEvent, "channel event")
