"""The background look every replica takes for questions whose holder's lease ran out (a dead replica): it
takes them over and answers them. It is also the heartbeat renewing the leases of the questions this replica
has in hand (queued or being answered: a slow replica keeps them), and writes the spool when the database is
back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from handlers.answers.questions import stored_job
from handlers.services import Services

logger = logging.getLogger(__name__)

#: How often to look: a dead replica's questions are answered within a lease (30 s) plus this.
LOOK_EVERY_S = 5.0
SPOOL_LOOK_S = 0.5
#: A replica with this many answers queued takes over nothing more.
BUSY_QUEUE = 200


class QuestionTask:
    """Takes over abandoned questions and flushes the spool every ``interval`` seconds."""

    def __init__(self, services: Services, interval: float | None = None) -> None:
        self.services = services
        #: A third of the lease (at most LOOK_EVERY_S): a dead replica's questions wait at most 4/3 of a lease.
        self.interval = interval if interval is not None else min(LOOK_EVERY_S, services.lease_seconds / 3)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._take_over_after = 0.0

    def start(self) -> QuestionTask:
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="icam-questions")
        return self

    async def look_once(self) -> int:
        """Renew the leases of the questions in hand, write the spool, then take over abandoned questions and
        queue them; returns how many were taken.

        Nothing is taken over while this replica's own queue is long (it is busy enough; its own questions
        would only be queued twice), nor for a lease after it lost the database (the holders, back at the
        same time, first record what they answered)."""
        services = self.services
        await self.renew_leases()
        if len(services.spool):
            await asyncio.to_thread(services.spool.flush)
            for stored in services.spool.take_restored():  # questions acked during the outage: answered now
                services.answer_queue.start(stored_job(stored, services.replica_id, services.lease_seconds))
            if services.spool.database_down:
                raise RuntimeError("the database is still unavailable")
        queue = services.answer_queue
        if len(queue) >= BUSY_QUEUE or time.monotonic() < self._take_over_after:
            return 0
        exclude = set(queue.queued_ids)
        taken = await asyncio.to_thread(services.inbox.take_over, services.replica_id, exclude=exclude)
        for stored in taken:
            queue.start(stored_job(stored, services.replica_id, services.lease_seconds))
        return len(taken)

    async def renew_leases(self) -> int:
        """The heartbeat: the questions queued here or being answered stay this replica's a lease longer."""
        held = set(self.services.answer_queue.queued_ids)
        return await asyncio.to_thread(self.services.inbox.renew, held, self.services.replica_id)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.look_once()
            except Exception:
                logger.warning("could not look for abandoned questions (database unavailable?)", exc_info=True)
                self._take_over_after = time.monotonic() + self.services.lease_seconds
            # while records wait in the spool, look often: the database may be back any moment
            interval = SPOOL_LOOK_S if len(self.services.spool) else self.interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
