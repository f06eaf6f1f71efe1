"""The weekly digest as a background task of the server: posted to the PMO channel, once per period."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from handlers.comms.digest_blocks import digest_message
from handlers.runtime.tasks import stop_within
from handlers.services import Services
from icam_bot.analytics.figures import weekly_figure
from icam_bot.comms.digest import Digest
from icam_bot.comms.digest_outbox import enqueue_digest
from icam_bot.comms.runs import DigestRuns
from icam_bot.comms.schedule import DigestPeriod
from icam_bot.comms.scheduler import DEFAULT_CHECK_SECONDS, DigestComposer, DigestScheduler

logger = logging.getLogger(__name__)

NO_CHANNEL = "no PMO channel configured (ICAM_DIGEST_CHANNEL or pmo_channel)"


def digest_scheduler(
    services: Services, *, clock: Callable[[], dt.datetime] | None = None, owner: str | None = None
) -> DigestScheduler:
    """The scheduler over the app's database, knowledge base, routing file and digest settings; the time is
    ``clock``, else the communications clock (read at each use)."""
    comms = services.comms
    if clock is None:

        def clock() -> dt.datetime:
            return comms.clock()

    composer = DigestComposer(
        comms.sessions,
        services.tracker.programs,
        lambda: services.responder.kb.entries,
        comms.schedule,
        DigestRuns(comms.sessions, clock=clock),
    )
    return DigestScheduler(composer, owner=owner, clock=clock)


class DigestTask:
    """Runs ``DigestScheduler.run_forever`` on the event loop: the due digest's post is queued in the outbox (with
    the period's queued state, one transaction) and the outbox dispatcher of any replica posts it."""

    def __init__(
        self,
        services: Services,
        client: AsyncWebClient,
        check_seconds: float = DEFAULT_CHECK_SECONDS,
        scheduler: DigestScheduler | None = None,
    ) -> None:
        self.services = services
        self.client = client
        self.check_seconds = check_seconds
        self.scheduler = scheduler or digest_scheduler(services)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def enqueue(self, session: Session, digest: Digest, attempt: int) -> None:
        """The digest's post as an outbox row to the PMO channel, in the transaction that queues the period, with
        the weekly chart (the 12 weeks up to the digest's end), uploaded after the post."""
        channel = self.services.comms.pmo_channel
        if not channel:
            raise LookupError(NO_CHANNEL)
        figure = weekly_figure(session, digest.period.end)
        enqueue_digest(session, digest.period.key, attempt, channel, digest_message(digest), figure=figure)

    async def check(self) -> DigestPeriod | None:
        """Queue the due digest (if any) and wake the outbox dispatcher; returns the period queued."""
        period = await self.scheduler.queue(self.enqueue)
        if period is not None:
            self.services.notify()
        return period

    def start(self) -> DigestTask:
        self._stop.clear()
        coro = self.scheduler.run_forever(self.check, self.check_seconds, self._stop)
        self._task = asyncio.create_task(coro, name="icam-weekly-digest")
        return self

    async def stop(self, timeout: float = 30) -> None:
        if self._task is None:
            return
        self._stop.set()
        await stop_within(self._task, timeout, "digest task")
        self._task = None
        logger.info("weekly digest task stopped")
