"""Work started while handling a request, tracked so that a graceful shutdown can let it finish.

Bolt acks first and runs the listener in a task it creates itself (``process_before_response=False``), so the
HTTP request is over while the answer is still being matched and sent. A task factory on the event loop
records every task created while a request is being handled (marked with a context variable, which asyncio
copies into the tasks), and :meth:`InFlight.drain` waits for them, bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from contextvars import Context, ContextVar, Token
from typing import Any

logger = logging.getLogger(__name__)

_handling: ContextVar[bool] = ContextVar("icam_handling_request", default=False)


def mark_handling() -> Token[bool]:
    """Tasks created from here on in this context belong to a request (``unmark(token)`` to stop)."""
    return _handling.set(True)


def unmark(token: Token[bool]) -> None:
    _handling.reset(token)


class InFlight:
    """The tasks started by requests that are still running."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def __len__(self) -> int:
        return sum(1 for task in self._tasks if not task.done())

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Track tasks created on ``loop`` (the running loop by default) while a request is handled."""
        loop = loop or asyncio.get_running_loop()
        previous = loop.get_task_factory()

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
        ) -> asyncio.Task[Any]:
            task = previous(loop, coro, **kwargs) if previous else asyncio.Task(coro, loop=loop, **kwargs)
            context: Context | None = kwargs.get("context")
            if context.get(_handling, False) if context is not None else _handling.get():
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]
        self._loop, self._previous = loop, previous

    def uninstall(self) -> None:
        """Put back the loop's previous task factory."""
        if self._loop is not None:
            self._loop.set_task_factory(self._previous)
            self._loop = None

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` s for the tracked tasks (and tasks they start); returns how many are left."""
        deadline = time.monotonic() + timeout
        while True:
            pending = {task for task in self._tasks if not task.done()}
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                break
            await asyncio.wait(pending, timeout=remaining)
        if pending:
            names = ", ".join(sorted(task.get_name() for task in pending))
            logger.warning("%d request task(s) still running after %.1f s: %s", len(pending), timeout, names)
        return len(pending)
