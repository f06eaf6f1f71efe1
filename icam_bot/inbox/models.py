"""The pending-questions table."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import TARGET_LEN, USER_ID_LEN, UtcDateTime

REQUEST_KEY_LEN = 160
URL_LEN = 2000
CLAIMANT_LEN = 64


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"  # queued by the replica in claimed_by until lease_until, then anyone's
    ANSWERING = "answering"  # a worker holds it until lease_until
    SENDING = "sending"  # the worker claimed the reply's send (only the holder of the current epoch can)
    ANSWERED = "answered"
    FAILED = "failed"  # gave up after too many attempts (logged)


class PendingQuestion(Base):
    """A question acknowledged to a person, stored before the ack and answered from here exactly once."""

    __tablename__ = "pending_questions"
    __table_args__ = (Index("ix_pending_questions_status_lease_until", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Slack's event id, or the command's own key: a redelivery finds the stored question.
    request_key: Mapped[str] = mapped_column(String(REQUEST_KEY_LEN), unique=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    channel_id: Mapped[str | None] = mapped_column(String(TARGET_LEN))
    surface: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    response_url: Mapped[str | None] = mapped_column(String(URL_LEN))
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(CLAIMANT_LEN))
    #: Bumped at every change of holder: the reply is sent only by the holder of the current epoch.
    lease_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When the reply's send was first claimed: a holder taking the question over looks for that reply first.
    send_started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
