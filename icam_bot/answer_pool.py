"""Answering off the event loop: in a worker thread, or in worker processes that each load the core.

Matching is CPU-bound Python and numpy work that holds the GIL much of the time. In a thread it competes with
the code that must ack Slack within 3 s; in a separate process it does not. Processes are started with
``spawn`` and build their own Responder from the same Settings (the knowledge and vector caches make that a
second or two).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from icam_bot.answers import Reply, Responder
from icam_bot.config import Settings
from icam_bot.matching.engine import MatchResult

logger = logging.getLogger(__name__)

_worker_responder: Responder | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_responder  # noqa: PLW0603 - one Responder per worker process, built once
    from icam_bot.logs import configure_logging
    from icam_bot.runtime import build_responder

    # Workers serve ``icam-bot serve``: the same log lines (JSON by default, secrets masked) as the server.
    secrets = (settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token)
    configure_logging(settings.log_level, settings.log_format or "json", secrets)

    _worker_responder = build_responder(settings)


def _ask(question: str) -> Reply:
    assert _worker_responder is not None
    return _worker_responder.ask(question)


def _match(text: str) -> MatchResult:
    assert _worker_responder is not None
    return _worker_responder.matcher.match(text)


class AnswerPool:
    """``ask`` and ``match`` without blocking the event loop; ``workers=0`` keeps them in one thread."""

    def __init__(self, responder: Responder, settings: Settings | None = None, workers: int = 0) -> None:
        self.responder = responder
        self.settings = settings
        self.workers = workers if settings is not None else 0
        self._executor = self._start()

    def _start(self) -> Executor:
        if self.workers == 0:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="icam-match")
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_init_worker, initargs=(self.settings,)
        )

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

    async def _run(self, fn, arg: str):
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, arg)
        except BrokenProcessPool:
            logger.exception("an answer worker process died; starting new workers and retrying once")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            return await loop.run_in_executor(self._executor, fn, arg)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
