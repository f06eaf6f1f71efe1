"""Claiming due deliveries (any replica), settling them, and the dead letters (list, retry).

Like the outbox: a replica takes the lease on due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a
conditional update), sends them, and records the result; a failure waits ``backoff(attempts)``, and after
``max_attempts`` the row is dead. A replica dying with a lease delays its rows until the lease runs out.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.webhooks.models import ERROR_LEN, DeliveryStatus, WebhookDelivery
from icam_bot.webhooks.settings import WebhookSettings

logger = logging.getLogger(__name__)

LEASE_S = 120.0
CLAIM_BATCH = 20


@dataclass(frozen=True)
class Due:
    """A delivery a replica holds the lease on."""

    id: int
    event_type: str
    target: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Attempt:
    """What one POST did: the HTTP status (None when there was no answer) and the error, if any."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def outcome(self) -> str:
        """For metrics: delivered, http_error (an answer that is not 2xx) or no_answer (timeout, refused...)."""
        return "delivered" if self.ok else ("http_error" if self.status is not None else "no_answer")


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    target: str
    url: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryView:
        return cls(
            row.id,
            row.event_id,
            row.event_type,
            row.target,
            row.url,
            row.status,
            row.attempts,
            row.last_status,
            row.last_error,
            row.created_at,
            row.next_attempt_at,
        )


class WebhookDeliveries:
    """The ``webhook_deliveries`` table as ``owner`` (a replica, or the command line) works on it."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        owner: str,
        settings: WebhookSettings | None = None,
        *,
        lease_s: float = LEASE_S,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.owner = owner
        self.settings = settings or WebhookSettings()
        self.lease = dt.timedelta(seconds=lease_s)
        self.clock = clock

    def claim(self, limit: int = CLAIM_BATCH, *, only: int | None = None) -> list[Due]:
        """Take the lease on up to ``limit`` due rows, oldest first (``only``: that row, if due)."""
        now = self.clock()
        due = (
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
            WebhookDelivery.next_attempt_at <= now,
            (WebhookDelivery.lease_until.is_(None)) | (WebhookDelivery.lease_until < now),
        )
        with self.sessions.begin() as session:
            query = select(WebhookDelivery.id).where(*due).order_by(WebhookDelivery.id).limit(limit)
            if only is not None:
                query = query.where(WebhookDelivery.id == only)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            until = now + self.lease
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids), *due)
                .values(lease_until=until, claimed_by=self.owner, attempts=WebhookDelivery.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            rows = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids), WebhookDelivery.claimed_by == self.owner)
                .where(WebhookDelivery.lease_until == until)
                .order_by(WebhookDelivery.id)
            )
            return [Due(r.id, r.event_type, r.target, dict(r.payload), r.attempts) for r in rows]

    def settle(self, due: Due, attempt: Attempt) -> str | None:
        """Record an attempt while holding the lease: delivered, retried after the backoff, or dead after the
        last attempt. Returns the row's new status (None when the lease was lost meanwhile)."""
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id == due.id, WebhookDelivery.claimed_by == self.owner)
                .where(WebhookDelivery.status == DeliveryStatus.PENDING.value)
                .with_for_update()
            ).one_or_none()
            if row is None:
                logger.warning("webhook delivery %d was taken over before it was settled", due.id)
                return None
            row.lease_until, row.last_status = None, attempt.status
            if attempt.ok:
                row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED.value, now, None
            elif row.attempts >= self.settings.max_attempts:
                row.status, row.last_error = DeliveryStatus.DEAD.value, (attempt.error or "failed")[:ERROR_LEN]
                logger.error(
                    "webhook delivery %d (%s to %s) is dead after %d attempts: %s",
                    row.id,
                    row.event_type,
                    row.target,
                    row.attempts,
                    row.last_error,
                )
            else:
                wait = self.settings.backoff(row.attempts)
                row.next_attempt_at, row.last_error = now + wait, (attempt.error or "failed")[:ERROR_LEN]
                logger.warning(
                    "webhook delivery %d to %s: %s; retrying in %s", row.id, row.target, row.last_error, wait
                )
            return row.status

    def listing(self, *, dead_only: bool = False, limit: int = 100) -> list[DeliveryView]:
        """The newest deliveries (``dead_only``: the dead letters), newest first."""
        with self.sessions() as session:
            query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
            if dead_only:
                query = query.where(WebhookDelivery.status == DeliveryStatus.DEAD.value)
            return [DeliveryView.of(row) for row in session.scalars(query)]

    def get(self, delivery_id: int) -> DeliveryView | None:
        with self.sessions() as session:
            row = session.get(WebhookDelivery, delivery_id)
            return DeliveryView.of(row) if row is not None else None

    def retry(self, delivery_id: int) -> DeliveryView | None:
        """Send a dead delivery again: pending, due now, with a fresh count of attempts. None when the id is not
        a dead delivery (nothing changes)."""
        now = self.clock()
        with self.sessions.begin() as session:
            done = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.DEAD.value)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    lease_until=None,
                    claimed_by=None,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                return None
            row = session.get(WebhookDelivery, delivery_id, populate_existing=True)
            assert row is not None
            logger.info(
                "webhook delivery %d (%s to %s) queued again by an operator", row.id, row.event_type, row.target
            )
            return DeliveryView.of(row)

    def counts(self) -> dict[str, int]:
        """Rows per status (for metrics: pending and dead)."""
        with self.sessions() as session:
            rows = session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all()
        return {str(status): int(count) for status, count in rows}


def prune(engine: Engine, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget deliveries delivered more than ``older_than`` ago (dead ones stay until retried or redacted)."""
    cutoff = utcnow() - older_than
    with make_session_factory(engine).begin() as session:
        result = session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status == DeliveryStatus.DELIVERED.value, WebhookDelivery.created_at < cutoff
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
