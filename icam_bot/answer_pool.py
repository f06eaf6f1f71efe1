"""Answering off the event loop: in a worker thread, or in worker processes that each load the core.

Matching is CPU-bound Python and numpy work that holds the GIL much of the time. In a thread it competes with
the code that must ack Slack within 3 s; in a separate process it does not. Processes are started with
``spawn`` and build their own Responder from the same Settings (the knowledge and vector caches make that a
second or two), at a lower CPU priority than the process that acks.

Besides ``ask`` and ``match``, the pool runs *jobs*: the whole piece of work that follows an ack (match,
record, reply). The caller supplies a picklable ``job_runner`` factory, called once per worker (or once in
the calling process for ``workers=0``) as ``job_runner(settings, responder, store)``; the callable it returns
runs each job. The core stays free of Slack: the factory is the caller's.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from icam_bot.answers import Reply, Responder
from icam_bot.config import Settings
from icam_bot.db import make_engine
from icam_bot.matching.engine import MatchResult
from icam_bot.teaching.live import LiveKnowledge

logger = logging.getLogger(__name__)

T = TypeVar("T")
JobRunner = Callable[[Any], Any]
JobRunnerFactory = Callable[[Settings | None, Responder, Any], JobRunner]
#: Worker processes run at this niceness: under a burst the process that acks Slack gets the CPU first.
WORKER_NICENESS = 5
#: How often a worker process checks that the server that started it is still there (see ``watch_parent``).
PARENT_CHECK_SECONDS = 1.0

_worker_responder: Responder | None = None
#: The worker's watch on live knowledge (taught from Slack): looked at before each question, at most every
#: ICAM_KB_WATCH_SECONDS.
_worker_live: LiveKnowledge | None = None
_worker_job_runner: JobRunner | None = None


def watch_parent(parent_pid: int, interval: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """End this process once ``parent_pid`` is no longer its parent.

    A server killed outright (SIGKILL, the OOM killer) cannot shut its pool down, and its workers, waiting on the
    pool's queue, would otherwise live on and hold their memory. A job a worker had not finished is not lost: it is
    in the store, and is claimed again when its lease runs out."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        logger.warning("answer worker %d: the server process %d is gone; exiting", os.getpid(), parent_pid)
        logging.shutdown()
        os._exit(1)

    thread = threading.Thread(target=watch, name="icam-parent-watch", daemon=True)
    thread.start()
    return thread


def _init_worker(settings: Settings, job_runner: JobRunnerFactory | None, server_pid: int | None = None) -> None:
    global _worker_responder, _worker_job_runner, _worker_live  # noqa: PLW0603 - built once per worker process
    from icam_bot.logs import configure_logging
    from icam_bot.runtime import build_responder

    # Workers serve ``icam-bot serve``: the same log lines (JSON by default, secrets masked) as the server.
    secrets = (settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token)
    configure_logging(settings.log_level, settings.log_format or "json", secrets)
    if server_pid is not None:
        watch_parent(server_pid)
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # pragma: no cover - not permitted on some platforms
        logger.debug("could not lower the answer worker's priority", exc_info=True)
    _worker_responder = build_responder(settings)
    _worker_live = LiveKnowledge(_worker_responder, make_engine(settings.database_url), settings.kb_watch_seconds)
    _worker_live.refresh(force=True)
    if job_runner is not None:
        _worker_job_runner = job_runner(settings, _worker_responder, None)


def _fresh() -> None:
    """Reload the worker's knowledge when the live version moved (checked at most every watch interval)."""
    if _worker_live is not None:
        _worker_live.refresh()


def _ask(question: str) -> Reply:
    _fresh()
    assert _worker_responder is not None
    return _worker_responder.ask(question)


def _match(text: str) -> MatchResult:
    _fresh()
    assert _worker_responder is not None
    return _worker_responder.matcher.match(text)


def _run_job(job: Any) -> Any:
    _fresh()
    if _worker_job_runner is None:
        raise RuntimeError("this answer pool was started without a job runner")
    return _worker_job_runner(job)


class AnswerPool:
    """``ask``, ``match`` and ``run_job`` without blocking the event loop; ``workers=0`` keeps them in a thread."""

    def __init__(
        self,
        responder: Responder,
        settings: Settings | None = None,
        workers: int = 0,
        *,
        job_runner: JobRunnerFactory | None = None,
        store: Any = None,
    ) -> None:
        self.responder = responder
        self.settings = settings
        self.workers = workers if settings is not None else 0
        self._job_runner_factory = job_runner
        self._store = store
        self._local_runner: JobRunner | None = None
        self._executor = self._start()

    def _start(self) -> Executor:
        if self.workers == 0:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="icam-match")
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.settings, self._job_runner_factory, os.getpid()),
        )

    def worker_pids(self) -> list[int]:
        """The process ids of the live worker processes (none when answering in a thread), for metrics."""
        if self.workers == 0:
            return []
        processes = getattr(self._executor, "_processes", None) or {}
        return [pid for pid, process in list(processes.items()) if process.is_alive()]

    def warm_up(self) -> None:
        """Start every worker process now (each loads the core), rather than on the first question."""
        if self.workers:
            futures = [self._executor.submit(_match, "warm up") for _ in range(self.workers)]
            for future in futures:
                future.result()

    async def ask(self, question: str) -> Reply:
        if self.workers == 0:
            return await self._run(self.responder.ask, question)
        return await self._run(_ask, question)

    async def match(self, text: str) -> MatchResult:
        if self.workers == 0:
            return await self._run(self.responder.matcher.match, text)
        return await self._run(_match, text)

    async def run_job(self, job: Any) -> Any:
        """Run one job with the job runner (in a worker process, or in the pool's thread)."""
        if self._job_runner_factory is None:
            raise RuntimeError("this answer pool was started without a job runner")
        if self.workers == 0:
            return await self._run(self._local_job, job)
        return await self._run(_run_job, job)

    def _local_job(self, job: Any) -> Any:
        if self._local_runner is None:
            assert self._job_runner_factory is not None
            self._local_runner = self._job_runner_factory(self.settings, self.responder, self._store)
        return self._local_runner(job)

    async def _run(self, fn: Callable[[Any], T], arg: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, arg)
        except BrokenProcessPool:
            logger.exception("an answer worker process died; starting new workers and retrying once")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            return await loop.run_in_executor(self._executor, fn, arg)

    def close(self, wait: bool = False) -> None:
        """Stop the workers; with ``wait``, jobs already submitted finish first."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
