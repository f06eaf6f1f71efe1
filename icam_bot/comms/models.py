"""Communications tables: channel subscriptions, announcements and their deliveries, weekly digest runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import TARGET_LEN, USER_ID_LEN, UtcDateTime

#: The ``program`` of a subscription to every announcement (not a program slug).
ALL_PROGRAMS = "all"
PROGRAM_LEN = 32
ERROR_LEN = 64
PERIOD_LEN = 16


class ChannelSubscription(Base):
    """A channel receiving announcements: all of them (``program = "all"``) or one program's.

    A channel the bot can no longer post to is *marked* (``disabled_reason``), not deleted, so the PMO can see
    why it stopped receiving; subscribing again clears the mark.
    """

    __tablename__ = "channel_subscriptions"
    __table_args__ = (UniqueConstraint("channel_id", "program"), Index("ix_channel_subscriptions_program", "program"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(TARGET_LEN))
    program: Mapped[str] = mapped_column(String(PROGRAM_LEN))
    subscribed_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    subscribed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    disabled_reason: Mapped[str | None] = mapped_column(String(ERROR_LEN))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Announcement(Base):
    """An announcement composed by the PMO: ``draft`` (previewed) -> ``sending`` (confirmed) -> ``sent``."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    audience: Mapped[str] = mapped_column(String(PROGRAM_LEN))  # "all" or a program slug
    headline: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class AnnouncementDelivery(Base):
    """What was sent where: one row per announcement and channel, ``sent`` (with the message ts) or ``failed``."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (UniqueConstraint("announcement_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="RESTRICT"))
    channel_id: Mapped[str] = mapped_column(String(TARGET_LEN))
    status: Mapped[str] = mapped_column(String(16))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(ERROR_LEN))
    attempted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DigestRun(Base):
    """One weekly digest period (e.g. ``2026-W10``): the primary key makes it exactly one row per period.

    ``claimed`` with a lease (``lease_until``) while one replica builds it, ``queued`` once its post is in the
    outbox (written in the same transaction), then ``sent`` (the outbox records the ts); a replica that dies
    after claiming loses the lease when it expires, and another (or the restarted one) takes over.
    ``failed`` after too many attempts. ``entry_ids`` is the knowledge base's entry ids when the digest was
    sent: the next digest reports entries not in it as added.
    """

    __tablename__ = "digest_runs"

    period: Mapped[str] = mapped_column(String(PERIOD_LEN), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(TARGET_LEN))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    entry_ids: Mapped[list[str] | None] = mapped_column(JSON)
