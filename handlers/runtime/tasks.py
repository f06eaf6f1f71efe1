"""Stopping a background task (SLA sweeper, digest, retention, outbox dispatcher) within a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging

logger = logging.getLogger(__name__)


async def stop_within(task: asyncio.Task[object], timeout: float, what: str) -> None:
    """Wait for ``task`` (already told to stop) to finish its current work; cancel it after ``timeout`` s."""
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
    except TimeoutError:
        logger.warning("%s did not stop within %.0f s; cancelling it", what, timeout)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
