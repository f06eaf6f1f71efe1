"""Exactly one digest per period across replicas and restarts: a claimed -> sent state machine in ``digest_runs``.

``claim`` inserts the period's row (its primary key lets exactly one replica win the insert) with a lease; a
row whose lease has expired while still ``claimed`` (the replica died between claim and send) is taken over
with a conditional UPDATE, which again only one replica can win. ``mark_sent`` only succeeds for the current
owner. A failed send releases the lease early so the next check retries; after MAX_ATTEMPTS it is ``failed``.
A send that outlives its lease could be repeated by another replica, so the lease is far longer than a post;
likewise a database failure between the post and ``mark_sent`` leaves the period claimed, and it is posted
again once the lease expires (at least once in that narrow window, never lost).

The server does not post the digest itself: ``queue`` moves the period claimed -> queued and writes the outbox
row of its post in one transaction, and the outbox (any replica) posts it; the row's settle hook
(icam_bot/comms/digest_outbox.py) records queued -> sent with the ts, or releases the claim when Slack refuses
the post for good (the next check composes and queues it again, up to MAX_ATTEMPTS). A replica that dies after
claiming and before queueing leaves a claim whose lease runs out (taken over, as above); after queueing, the
post is owed in the database and delivered once.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.comms.models import DigestRun
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory

logger = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5


class RunState(enum.StrEnum):
    CLAIMED = "claimed"
    QUEUED = "queued"  # its post is in the outbox (written with this state, in one transaction); any replica sends it
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class RunView:
    period: str
    state: RunState
    owner: str
    attempts: int
    claimed_at: dt.datetime
    lease_until: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None
    channel_id: str | None = None
    message_ts: str | None = None


class DigestRuns:
    """Claims, completions and failures of digest periods."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.lease = lease
        self.clock = clock

    def claim(self, period: str, owner: str) -> bool:
        """True if ``owner`` now holds ``period``: a new row, or an expired lease taken over."""
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                session.add(
                    DigestRun(
                        period=period,
                        state=RunState.CLAIMED,
                        owner=owner,
                        attempts=1,
                        claimed_at=now,
                        lease_until=now + self.lease,
                    )
                )
            return True
        except IntegrityError:
            pass  # the period exists: sent, failed, or claimed by someone whose lease may have run out
        with self.sessions.begin() as session:
            won = session.execute(
                update(DigestRun)
                .where(
                    DigestRun.period == period,
                    DigestRun.state == RunState.CLAIMED,
                    DigestRun.lease_until <= now,
                    DigestRun.attempts < MAX_ATTEMPTS,
                )
                .values(owner=owner, attempts=DigestRun.attempts + 1, claimed_at=now, lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:
                logger.warning("digest %s: lease expired, taken over by %s", period, owner)
                return True
            session.execute(  # out of attempts: stop trying for this period, loudly
                update(DigestRun)
                .where(
                    DigestRun.period == period,
                    DigestRun.state == RunState.CLAIMED,
                    DigestRun.lease_until <= now,
                    DigestRun.attempts >= MAX_ATTEMPTS,
                )
                .values(state=RunState.FAILED)
                .execution_options(synchronize_session=False)
            )
        return False

    def mark_sent(
        self,
        period: str,
        owner: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        entry_ids: list[str] | None = None,
    ) -> bool:
        """claimed -> sent, only for the lease holder; False if the lease was lost meanwhile (logged)."""
        with self.sessions.begin() as session:
            won = session.execute(
                update(DigestRun)
                .where(DigestRun.period == period, DigestRun.owner == owner, DigestRun.state == RunState.CLAIMED)
                .values(
                    state=RunState.SENT,
                    sent_at=self.clock(),
                    channel_id=channel_id,
                    message_ts=message_ts,
                    entry_ids=entry_ids,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
        if won.rowcount != 1:
            logger.error("digest %s was sent by %s after its lease had passed to another replica", period, owner)
            return False
        return True

    def queue(self, period: str, owner: str, entry_ids: list[str], write: Callable[[Session], None]) -> bool:
        """claimed -> queued, only for the lease holder, and ``write`` (the outbox row of the post) in the same
        transaction: both commit or neither. False if the lease was lost meanwhile (nothing written)."""
        with self.sessions.begin() as session:
            won = session.execute(
                update(DigestRun)
                .where(DigestRun.period == period, DigestRun.owner == owner, DigestRun.state == RunState.CLAIMED)
                .values(state=RunState.QUEUED, entry_ids=entry_ids, last_error=None)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:
                logger.error("digest %s: %s lost its lease before queueing the post; not queued", period, owner)
                return False
            write(session)
        return True

    def release(self, period: str, owner: str, error: str) -> None:
        """The send failed: end the lease now (the next check retries) and keep the error."""
        with self.sessions.begin() as session:
            session.execute(
                update(DigestRun)
                .where(DigestRun.period == period, DigestRun.owner == owner, DigestRun.state == RunState.CLAIMED)
                .values(lease_until=self.clock(), last_error=error[:2000])
                .execution_options(synchronize_session=False)
            )

    def get(self, period: str) -> RunView | None:
        with self.sessions() as session:
            row = session.get(DigestRun, period)
            return None if row is None else _view(row)

    def last_sent_entry_ids(self, before: str) -> list[str] | None:
        """The knowledge entry ids recorded by the latest digest sent for a period before ``before``."""
        with self.sessions() as session:
            ids = session.scalars(
                select(DigestRun.entry_ids)
                .where(
                    DigestRun.state.in_((RunState.SENT, RunState.QUEUED)),
                    DigestRun.period < before,
                    DigestRun.entry_ids.is_not(None),
                )
                .order_by(DigestRun.period.desc())
                .limit(1)
            ).first()
        return list(ids) if ids is not None else None


def _view(row: DigestRun) -> RunView:
    return RunView(
        row.period,
        RunState(row.state),
        row.owner,
        row.attempts,
        row.claimed_at,
        row.lease_until,
        row.sent_at,
        row.last_error,
        row.channel_id,
        row.message_ts,
    )
