"""Prometheus metrics, one registry per app (several apps in one process, e.g. tests, never clash).

Every metric the app defines is named ``icam_bot_*``; the registry also carries the client library's standard
``process_*`` (CPU, memory, file descriptors of this process), ``python_info`` and ``python_gc_*``. Counters
and histograms do not expose ``*_created`` series (``disable_created_metrics``): with them a counter named
``..._created`` used to clash with the created-timestamp of another (README, "Deprecated/renamed metrics").
Counters are per replica: sum them. Gauges read from the database (the outbox backlog) are the same on every
replica: take their max.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from icam_bot.answers import Responder
    from icam_bot.outbox.service import Backlog

logger = logging.getLogger(__name__)

disable_created_metrics()

PREFIX = "icam_bot_"
#: Replies counted by what the person got; ``error`` when answering failed.
DECISIONS = ("answer", "suggest", "abstain", "redirect", "silent", "error")
#: The Slack calls whose failures are counted (present from the start, at 0, so rates never show "no data").
SLACK_METHODS = ("chat.postMessage", "response_url", "views.open", "views.publish", "chat.update", "chat.getPermalink")
#: Question-to-answer latency: a reply normally follows in well under a second; a question taken over from a
#: dead replica waits about a lease (30 s), one asked while the database was down may wait longer.
ANSWER_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
#: A scrape waits at most this long for values read from the database (the outbox backlog).
REFRESH_TIMEOUT_S = 2.0


def _reader(pid: int) -> ProcessCollector:
    """The client library's /proc reader for another process (registered nowhere)."""
    return ProcessCollector(pid=lambda: pid, registry=None)


class _AnswerWorkers(Collector):
    """CPU time and resident memory of the answer worker processes (ICAM_ANSWER_WORKERS), summed; the
    ``process_*`` metrics cover only the process that serves HTTP."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self._readers: dict[int, ProcessCollector] = {}

    def collect(self) -> Iterable[Metric]:
        pids = self.pids()
        self._readers = {pid: self._readers.get(pid) or _reader(pid) for pid in pids}
        cpu = rss = 0.0
        for reader in self._readers.values():
            for family in reader.collect():
                for sample in family.samples:
                    if sample.name == "process_cpu_seconds_total":
                        cpu += sample.value
                    elif sample.name == "process_resident_memory_bytes":
                        rss += sample.value
        yield GaugeMetricFamily(f"{PREFIX}answer_worker_processes", "Answer worker processes alive", value=len(pids))
        yield CounterMetricFamily(
            f"{PREFIX}answer_workers_cpu_seconds",
            "User and system CPU time of the live answer worker processes, in seconds",
            value=cpu,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}answer_workers_resident_memory_bytes",
            "Resident memory of the live answer worker processes, in bytes",
            value=rss,
        )


class Metrics:
    """The app's metrics, registered in its own CollectorRegistry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        # -- questions and answers (PMO) --------------------------------------------------------------
        self.questions = Counter(
            f"{PREFIX}questions",
            "Questions replied to, by what the person got: answer, suggest, abstain, redirect (silent: a help "
            "channel's question the bot was not sure of; error: answering failed)",
            ["decision"],
            registry=registry,
        )
        self.feedback = Counter(
            f"{PREFIX}feedback", "Helpful / Not helpful clicks on answers", ["helpful"], registry=registry
        )
        self.answer_latency = Histogram(
            f"{PREFIX}answer_latency_seconds",
            "Seconds from the app receiving a question (Slack event or /icam ask) to its reply being sent and recorded",
            buckets=ANSWER_LATENCY_BUCKETS,
            registry=registry,
        )
        self.questions_turned_away = Counter(
            f"{PREFIX}questions_turned_away",
            "Questions refused at the ack because the answer queue was full",
            registry=registry,
        )
        # -- tracker (PMO) ------------------------------------------------------------------------------
        self.items_opened = Counter(f"{PREFIX}items_opened", "Tracker items opened", registry=registry)
        self.items_escalated = Counter(
            f"{PREFIX}items_escalated", "Tracker items escalated (by people or the SLA sweeper)", registry=registry
        )
        self.items_resolved = Counter(f"{PREFIX}items_resolved", "Tracker items resolved", registry=registry)
        self.sla_breaches = Counter(f"{PREFIX}sla_breaches", "Escalations by the SLA sweeper", registry=registry)
        # -- Slack and HTTP (operators) -------------------------------------------------------------------
        self.slack_api_errors = Counter(
            f"{PREFIX}slack_api_errors", "Slack API calls that failed after retries", ["method"], registry=registry
        )
        self.slack_api_retries = Counter(f"{PREFIX}slack_api_retries", "Slack API calls retried", registry=registry)
        self.request_duration = Histogram(
            f"{PREFIX}http_request_duration_seconds", "HTTP request duration by endpoint", ["path"], registry=registry
        )
        self.responses = Counter(
            f"{PREFIX}http_responses", "HTTP responses by endpoint and status code", ["path", "code"], registry=registry
        )
        # -- queues ---------------------------------------------------------------------------------------
        self.answer_queue_depth = Gauge(
            f"{PREFIX}answer_queue_depth",
            "Questions waiting in this replica's answer queue or being answered",
            registry=registry,
        )
        self.outbox_pending = Gauge(
            f"{PREFIX}outbox_pending",
            "Messages owed (outbox rows) not yet sent nor given up, all replicas (NaN: the database did not answer)",
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            f"{PREFIX}outbox_oldest_pending_age_seconds",
            "Age of the oldest message owed and not yet sent, in seconds (0: none; NaN: the database did not answer)",
            registry=registry,
        )
        # -- outbound webhooks ---------------------------------------------------------------------------
        self.webhook_attempts = Counter(
            f"{PREFIX}webhook_deliveries",
            "Webhook delivery attempts by event type and outcome: delivered, http_error (not 2xx), no_answer "
            "(timeout, refused connection, unreadable secret)",
            ["event", "outcome"],
            registry=registry,
        )
        self.webhook_dead = Counter(
            f"{PREFIX}webhook_dead_letters", "Webhook deliveries given up after their last attempt", registry=registry
        )
        self.matcher = Info(
            f"{PREFIX}matcher",
            "How questions are matched: mode, embedding model hash, knowledge entries",
            registry=registry,
        )
        self.matcher.info({"mode": "unknown", "model_sha256": "none", "knowledge_entries": "0"})
        for decision in DECISIONS:  # every series present from the start, at 0
            self.questions.labels(decision=decision)
        for helpful in ("true", "false"):
            self.feedback.labels(helpful=helpful)
        for method in SLACK_METHODS:
            self.slack_api_errors.labels(method=method)
        self._refreshers: list[tuple[str, Callable[[], None]]] = []
        self._refreshing: set[str] = set()

    # -- wiring (create_app) ------------------------------------------------------------------------------

    def describe_matcher(self, responder: Responder) -> None:
        """``icam_bot_matcher_info``: the matching mode, the verified model hash and the knowledge base's size."""
        matcher = responder.matcher
        self.matcher.info(
            {
                "mode": matcher.mode,
                "model_sha256": matcher.model_sha256 or "none",
                "knowledge_entries": str(len(responder.kb.entries)),
            }
        )

    def watch_answer_queue(self, depth: Callable[[], int]) -> None:
        self.answer_queue_depth.set_function(lambda: float(depth()))

    def watch_answer_workers(self, pids: Callable[[], list[int]]) -> None:
        self.registry.register(_AnswerWorkers(pids))

    def watch_outbox(self, backlog: Callable[[], Backlog]) -> None:
        """Read the outbox backlog (a database query) at each scrape; NaN when the database does not answer."""

        def refresh() -> None:
            try:
                found = backlog()
            except Exception:
                self.outbox_pending.set(math.nan)
                self.outbox_oldest_age.set(math.nan)
                raise
            self.outbox_pending.set(found.pending)
            self.outbox_oldest_age.set(found.oldest_age_s)

        self._refreshers.append(("outbox", refresh))

    # -- counting -------------------------------------------------------------------------------------------

    def question(self, decision: str) -> None:
        """Count a reply by what the person got (answer / suggest / abstain / redirect), or ``error``."""
        self.questions.labels(decision=decision).inc()

    def answered_after(self, seconds: float) -> None:
        self.answer_latency.observe(max(seconds, 0.0))

    def helpful(self, helpful: bool) -> None:
        self.feedback.labels(helpful="true" if helpful else "false").inc()

    def slack_error(self, method: str) -> None:
        self.slack_api_errors.labels(method=method).inc()

    def slack_retry(self) -> None:
        self.slack_api_retries.inc()

    def webhook_attempt(self, event_type: str, outcome: str, status: str | None) -> None:
        """Count one webhook delivery attempt; a delivery that just went dead is counted as a dead letter."""
        self.webhook_attempts.labels(event=event_type, outcome=outcome).inc()
        if status == "dead":
            self.webhook_dead.inc()

    # -- exposition -----------------------------------------------------------------------------------------

    async def refresh(self, timeout: float = REFRESH_TIMEOUT_S) -> None:
        """Update the values read from the database, each in a thread and within ``timeout`` (a slow database
        never holds a scrape longer; a read still running from an earlier scrape is not started twice)."""
        for name, refresher in self._refreshers:
            if name in self._refreshing:
                continue
            self._refreshing.add(name)
            task = asyncio.ensure_future(asyncio.to_thread(refresher))
            task.add_done_callback(lambda done, n=name: self._settled(n, done))
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                logger.warning("metrics: reading the %s backlog took over %.1f s; reported as before", name, timeout)
            except Exception as exc:
                logger.warning("metrics: could not read the %s backlog: %s", name, type(exc).__name__)
                logger.debug("metrics: %s backlog", name, exc_info=True)

    def _settled(self, name: str, task: asyncio.Future[None]) -> None:
        self._refreshing.discard(name)
        if not task.cancelled():
            task.exception()  # retrieved (logged by ``refresh`` when it still waited for it)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
