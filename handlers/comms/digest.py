"""The weekly digest as a background task of the server: posted to the PMO channel, once per period."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from handlers.comms.digest_blocks import digest_message
from handlers.runtime.tasks import stop_within
from handlers.services import Services
from icam_bot.comms.delivery import PostOutcome
from icam_bot.comms.digest import Digest
from icam_bot.comms.runs import DigestRuns
from icam_bot.comms.scheduler import DEFAULT_CHECK_SECONDS, DigestComposer, DigestScheduler

logger = logging.getLogger(__name__)


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
    """Runs ``DigestScheduler.run_forever`` on the event loop, posting through the sender at the channel's pace."""

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

    async def send(self, digest: Digest) -> PostOutcome:
        comms = self.services.comms
        channel = comms.pmo_channel
        if not channel:
            return PostOutcome(error="no PMO channel configured (ICAM_DIGEST_CHANNEL or pmo_channel)")
        await comms.limiter.wait(channel)
        return await self.services.sender.post_outcome(self.client, channel, **digest_message(digest))

    def start(self) -> DigestTask:
        self._stop.clear()
        coro = self.scheduler.run_forever(self.send, self.check_seconds, self._stop)
        self._task = asyncio.create_task(coro, name="icam-weekly-digest")
        return self

    async def stop(self, timeout: float = 30) -> None:
        if self._task is None:
            return
        self._stop.set()
        await stop_within(self._task, timeout, "digest task")
        self._task = None
        logger.info("weekly digest task stopped")
