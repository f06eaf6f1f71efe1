"""The weekly digest in-process: compose it, and on schedule send it exactly once per period across replicas.

Each replica checks every ``check_seconds``; the first to claim the current period (icam_bot/comms/runs.py)
composes it and queues its post in the outbox (``queue``; ``tick`` posts directly, through a ``send`` it is
given), the others see the claim and do nothing. A digest whose due time passed more than
MAX_LATENESS ago is not sent any more (a replica starting days later does not post a stale digest).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.comms.delivery import PostOutcome
from icam_bot.comms.digest import Digest, build_digest
from icam_bot.comms.digest_board import board_section
from icam_bot.comms.runs import DigestRuns, RunState
from icam_bot.comms.schedule import DigestPeriod, DigestSchedule
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.knowledge.model import Entry
from icam_bot.programs.routing import ProgramsConfig

logger = logging.getLogger(__name__)

MAX_LATENESS = dt.timedelta(days=1)
DEFAULT_CHECK_SECONDS = 60.0


def replica_id() -> str:
    """Who holds a claim: host, process and a random suffix (two processes never share one)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class DigestComposer:
    """Builds the digest of a period from the tracker, the unanswered questions, the KB and the status board."""

    sessions: sessionmaker[Session]
    programs: ProgramsConfig
    entries: Callable[[], Sequence[Entry]]
    schedule: DigestSchedule
    runs: DigestRuns

    @classmethod
    def create(
        cls,
        engine: Engine,
        programs: ProgramsConfig,
        entries: Callable[[], Sequence[Entry]],
        schedule: DigestSchedule,
        runs: DigestRuns | None = None,
    ) -> DigestComposer:
        sessions = make_session_factory(engine)
        return cls(sessions, programs, entries, schedule, runs or DigestRuns(sessions))

    def compose(self, period: DigestPeriod) -> Digest:
        today = period.end.astimezone(self.schedule.zone).date()
        board = board_section(self.sessions, self.programs, period.end, today)
        previous = self.runs.last_sent_entry_ids(period.key)
        with self.sessions() as session:
            return build_digest(
                session,
                period,
                tz=self.schedule.tz,
                entries=self.entries(),
                previous_entry_ids=previous,
                board=board,
                restricted=self.programs.sensitive_programs(),
            )


Send = Callable[[Digest], Awaitable[PostOutcome]]
#: Writes the digest's post into the outbox in the given transaction: (session, digest, attempt).
Enqueue = Callable[[Session, Digest, int], None]


class DigestScheduler:
    """One ``tick`` per check: send the current period's digest if it is due, unsent, and ours to claim."""

    def __init__(
        self,
        composer: DigestComposer,
        *,
        owner: str | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        max_lateness: dt.timedelta = MAX_LATENESS,
    ) -> None:
        self.composer = composer
        self.runs = composer.runs
        self.schedule = composer.schedule
        self.owner = owner or replica_id()
        self.clock = clock
        self.max_lateness = max_lateness

    def _claim_due(self) -> DigestPeriod | None:
        """The due period if this replica just claimed it, else None."""
        now = self.clock()
        period = self.schedule.period(now)
        if now - period.due_at > self.max_lateness:
            return None
        run = self.runs.get(period.key)
        if run is not None and run.state is not RunState.CLAIMED:
            return None
        return period if self.runs.claim(period.key, self.owner) else None

    async def tick(self, send: Send) -> DigestPeriod | None:
        """Claim, compose and send the due digest; returns the period sent (None if nothing was sent)."""
        period = await asyncio.to_thread(self._claim_due)
        if period is None:
            return None
        try:
            digest = await asyncio.to_thread(self.composer.compose, period)
            outcome = await send(digest)
        except Exception as exc:
            logger.exception("digest %s could not be composed or sent", period.key)
            outcome = PostOutcome(error=f"{exc.__class__.__name__}: {exc}")
            digest = None
        if outcome.error is not None or digest is None:
            logger.error("digest %s not sent (%s); it will be retried", period.key, outcome.error)
            await asyncio.to_thread(self.runs.release, period.key, self.owner, str(outcome.error))
            return None
        await asyncio.to_thread(
            self.runs.mark_sent,
            period.key,
            self.owner,
            channel_id=outcome.channel,
            message_ts=outcome.ts,
            entry_ids=list(digest.entry_ids),
        )
        logger.info("digest %s sent", period.key)
        return period

    async def queue(self, enqueue: Enqueue) -> DigestPeriod | None:
        """Claim and compose the due digest, then write its post into the outbox with the period's queued state
        (one transaction; the outbox posts it); returns the period queued (None if nothing was)."""
        period = await asyncio.to_thread(self._claim_due)
        if period is None:
            return None
        try:
            digest = await asyncio.to_thread(self.composer.compose, period)
            run = await asyncio.to_thread(self.runs.get, period.key)
            attempt = run.attempts if run is not None else 1

            def write(session: Session) -> None:
                enqueue(session, digest, attempt)

            entry_ids = list(digest.entry_ids)
            queued = await asyncio.to_thread(self.runs.queue, period.key, self.owner, entry_ids, write)
        except Exception as exc:
            logger.exception("digest %s could not be composed or queued", period.key)
            await asyncio.to_thread(self.runs.release, period.key, self.owner, f"{exc.__class__.__name__}: {exc}")
            return None
        if not queued:
            return None
        logger.info("digest %s queued in the outbox", period.key)
        return period

    async def run_forever(
        self, check: Callable[[], Awaitable[DigestPeriod | None]], check_seconds: float, stop: asyncio.Event
    ) -> None:
        """Run ``check`` (e.g. ``lambda: scheduler.queue(enqueue)``) every ``check_seconds`` until ``stop`` is
        set; errors (e.g. the database down) are logged."""
        logger.info("weekly digest scheduled %s (owner %s)", self.schedule.describe(), self.owner)
        while not stop.is_set():
            try:
                await check()
            except Exception:
                logger.exception("digest check failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=check_seconds)
