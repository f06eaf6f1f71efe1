"""The outbox dispatcher of one replica: claims due rows, posts each as one Slack message, records the ts.

Runs as a background task of the server (started with it, woken at once by ``kick()`` after a listener's
transaction wrote rows, else polling every few seconds for rows other replicas left behind or rows due for a
retry). A database outage pauses it; the rows wait in the database.

Every send is fenced: the row's send is claimed in the database just before Slack is called (``start_send``:
only the holder of the row's current lease epoch can), and a heartbeat renews the leases of the rows in hand,
so a slow replica keeps its rows and a replica that lost one never sends it. A row whose earlier attempt may
have reached Slack is first looked for by its metadata (handlers/runtime/outbox_lookup.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Mapping

from slack_sdk.web.async_client import AsyncWebClient

from handlers.runtime.metrics import Metrics
from handlers.runtime.outbox_lookup import Found, SentLookup, outbox_metadata
from handlers.runtime.outbox_render import UNKNOWN_TOPIC, render, render_edit
from handlers.runtime.sender import Sender
from handlers.runtime.tasks import stop_within
from icam_bot.analytics.figures import figure_from_payload
from icam_bot.comms.delivery import CHANNEL_GONE_ERRORS, PostOutcome
from icam_bot.comms.digest_outbox import TOPIC as DIGEST_TOPIC
from icam_bot.comms.outbox import POST_TOPIC
from icam_bot.comms.ratelimit import ChannelRateLimiter
from icam_bot.logs import log_context
from icam_bot.outbox.service import CLAIM_BATCH, UPDATE_TOPIC, UPLOAD_TOPIC, Claimed, OutboxService, Outcome

logger = logging.getLogger(__name__)

POLL_S = 2.0
#: Messages in flight at once (each waits on Slack; the per-channel pace applies to announcements).
CONCURRENT_SENDS = 8
#: Slack errors that may pass: the row is retried with backoff. Any other error is final.
TRANSIENT_ERRORS = frozenset(
    {"request_failed", "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class OutboxTask:
    """Delivers the outbox through ``sender`` on ``client``; ``kick()`` wakes it, ``stop()`` ends it."""

    def __init__(
        self,
        outbox: OutboxService,
        sender: Sender,
        client: AsyncWebClient,
        *,
        programs: Mapping[str, str],
        limiter: ChannelRateLimiter | None = None,
        metrics: Metrics | None = None,
        poll_s: float = POLL_S,
        restricted: Callable[[str | None, str], bool] | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.client = client
        self.programs = dict(programs)
        self.limiter = limiter or ChannelRateLimiter()
        self.metrics = metrics or sender.metrics
        self.poll_s = poll_s
        #: (conversation, program) -> whether a tracker message there shows only "ICAM-n (restricted)".
        self.restricted = restricted
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(CONCURRENT_SENDS)
        #: Sends Slack accepted whose record the database did not take yet (recorded before anything else).
        self._unsettled: list[tuple[Claimed, Outcome]] = []
        #: When this replica may take over rows other replicas held: a lease after it lost the database,
        #: so that the holders (back at the same time) record what they sent before anyone sends it again.
        self._take_over_after = 0.0
        #: Rows this replica holds (claimed, not yet settled): the heartbeat renews their leases.
        self._in_hand: set[int] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self.lookup = SentLookup()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> OutboxTask:
        if not self.running:
            self._stop.clear()
            # a fresh context: the dispatcher outlives the request that may start it (see handlers.runtime.inflight)
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="icam-outbox", context=contextvars.Context())
            if self._heartbeat is not None:
                self._heartbeat.cancel()
            self._heartbeat = loop.create_task(
                self._renew_leases(), name="icam-outbox-heartbeat", context=contextvars.Context()
            )
        return self

    def kick(self) -> None:
        """Rows were just committed: deliver them now (starts the task on first use)."""
        self.start()
        self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand (bounded by ``timeout``), then stop; unsent rows stay for the next start."""
        if self._task is None:
            return
        self._stop.set()
        self._wake.set()
        await stop_within(self._task, timeout, "outbox dispatcher")
        self._task = None
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    @property
    def heartbeat_s(self) -> float:
        """How often the leases of the rows in hand are renewed: a third of the lease."""
        return self.outbox.lease.total_seconds() / 3

    async def renew_leases(self) -> int:
        """Renew the leases of the rows in hand (the heartbeat's one beat); returns how many were renewed."""
        return await asyncio.to_thread(self.outbox.renew, set(self._in_hand))

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            if not self._in_hand:
                continue
            try:
                await self.renew_leases()
            except Exception:
                logger.warning("outbox: could not renew the leases of %d row(s)", len(self._in_hand), exc_info=True)

    async def deliver_due(self) -> int:
        """One pass: record earlier sends first, then claim due rows and send them; returns how many were
        claimed. Raises when the database does not answer."""
        while self._unsettled:
            row, outcome = self._unsettled[0]
            await asyncio.to_thread(self.outbox.settle, row, outcome)
            if self._unsettled and self._unsettled[0][0].id == row.id:  # (another pass may have done it)
                self._unsettled.pop(0)
            self._in_hand.discard(row.id)
            logger.info("outbox row %d recorded after the database came back", row.id)
        take_over = time.monotonic() >= self._take_over_after
        rows = await asyncio.to_thread(self.outbox.claim, take_over=take_over)
        self._in_hand.update(row.id for row in rows)
        if rows:
            await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                claimed = await self.deliver_due()
            except Exception:
                logger.warning("outbox: database unavailable; messages wait in the outbox", exc_info=True)
                self._take_over_after = time.monotonic() + self.outbox.lease.total_seconds()
                claimed = 0
            if claimed >= CLAIM_BATCH:
                continue  # more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def _deliver(self, row: Claimed) -> None:
        async with self._slots:
            with log_context(item_id=row.item_id, command=f"outbox:{row.topic}"):
                try:
                    if not await asyncio.to_thread(self.outbox.start_send, row):
                        self._in_hand.discard(row.id)  # another replica has it now
                        return
                except Exception:  # not sent; the row stays pending and is claimed again later
                    logger.warning("outbox row %d not sent: the database did not answer", row.id)
                    self._in_hand.discard(row.id)
                    return
                outcome = await self._send(row)
                try:
                    await asyncio.to_thread(self.outbox.settle, row, outcome)
                except Exception:  # recorded when the database is back, before anything new is claimed
                    logger.warning(
                        "outbox row %d sent (ts=%s); recording it waits for the database", row.id, outcome.ts
                    )
                    self._unsettled.append((row, outcome))
                    return
                self._in_hand.discard(row.id)

    async def _send(self, row: Claimed) -> Outcome:
        if row.topic == UPDATE_TOPIC:
            return await self._edit(row)
        if row.topic == UPLOAD_TOPIC:
            return await self._upload(row)
        try:
            message = render(row, self.programs, self.restricted)
        except Exception:
            logger.exception("outbox row %d (%s) cannot be rendered", row.id, row.topic)
            return Outcome(error="unrenderable")
        if message is None:
            return Outcome(error=UNKNOWN_TOPIC, retry=True)
        if row.unsettled_attempt_at is not None:  # an earlier attempt may have reached Slack: look first
            found = await self.lookup.find(self.client, row.recipient, row.id, row.unsettled_attempt_at)
            if found.ts is not None:
                logger.info("outbox row %d was posted by an earlier attempt (ts=%s); not sent again", row.id, found.ts)
                return Outcome(ts=found.ts)
            if found.result is Found.UNKNOWN:
                return Outcome(error=found.error or "request_failed", retry=True)
        if row.topic in (POST_TOPIC, DIGEST_TOPIC):
            await self.limiter.wait(row.recipient)
        posted = await self.sender.post_outcome(self.client, row.recipient, metadata=outbox_metadata(row.id), **message)
        return _outcome(posted)

    async def _upload(self, row: Claimed) -> Outcome:
        """A file shared in the row's channel (the chart a digest owes), at the channel's pace."""
        try:
            figure, comment = figure_from_payload(row.payload)
        except (KeyError, TypeError, ValueError):
            logger.exception("outbox row %d (%s) cannot be read", row.id, row.topic)
            return Outcome(error="unrenderable")
        await self.limiter.wait(row.recipient)
        return _outcome(await self.sender.upload_outcome(self.client, row.recipient, figure, comment))

    async def _edit(self, row: Claimed) -> Outcome:
        """chat.update of the row's target message, unless a later edit of it was written (then skipped)."""
        if row.target_ts is None:
            return Outcome(error="no_target")
        if await asyncio.to_thread(self.outbox.superseded, row):
            logger.info("outbox row %d: a later edit of %s supersedes it; skipped", row.id, row.target_ts)
            return Outcome(ts=row.target_ts)
        try:
            message = render_edit(row, self.restricted)
        except Exception:
            logger.exception("outbox row %d (an edit) cannot be rendered", row.id)
            return Outcome(error="unrenderable")
        edited = await self.sender.update_outcome(self.client, row.recipient, row.target_ts, **message)
        return _outcome(edited)


def _outcome(posted: PostOutcome) -> Outcome:
    if posted.ok:
        return Outcome(ts=posted.ts)
    error = str(posted.error)
    return Outcome(error=error, retry=error in TRANSIENT_ERRORS and error not in CHANNEL_GONE_ERRORS)
