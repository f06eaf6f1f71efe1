"""Pacing posts per channel: Slack accepts about one message per second per channel (chat.postMessage)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: Slack's documented chat.postMessage pace: about one message per second per channel.
PER_CHANNEL_INTERVAL_S = 1.0


class ChannelRateLimiter:
    """``await wait(channel)`` before each post: returns once ``interval`` has passed since that channel's last
    post; other channels are not held up. The clock and sleep are injectable so tests need not wait. It keeps a
    time and a lock per channel ever posted to: bounded by the workspace's channels."""

    def __init__(
        self,
        interval: float = PER_CHANNEL_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        """Wait for ``channel``'s turn and book the next one (concurrent callers queue per channel)."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            delay = self._next.get(channel, 0.0) - self.clock()
            if delay > 0:
                await self.sleep(delay)
            self._next[channel] = self.clock() + self.interval
