"""The per-channel pace, timed with an injected clock and sleep (no real waiting)."""

from __future__ import annotations

import asyncio

from icam_bot.comms.ratelimit import ChannelRateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_one_post_per_second_per_channel_and_other_channels_do_not_wait():
    time = FakeTime()
    limiter = ChannelRateLimiter(1.0, clock=time.clock, sleep=time.sleep)

    posted = []
    for channel in ("C1", "C2", "C1", "C1", "C3"):
        await limiter.wait(channel)
        posted.append((channel, time.now))
    assert time.slept == [1.0, 1.0]  # the second and third post to C1 waited; C2 and C3 never did
    assert posted == [("C1", 100.0), ("C2", 100.0), ("C1", 101.0), ("C1", 102.0), ("C3", 102.0)]


async def test_no_wait_once_the_interval_has_passed():
    time = FakeTime()
    limiter = ChannelRateLimiter(1.0, clock=time.clock, sleep=time.sleep)

    await limiter.wait("C1")
    time.now += 0.4
    await limiter.wait("C1")  # 0.6 s early
    time.now += 5
    await limiter.wait("C1")
    assert time.slept == [0.6]


async def test_concurrent_posts_to_one_channel_queue_a_second_apart():
    time = FakeTime()
    limiter = ChannelRateLimiter(1.0, clock=time.clock, sleep=time.sleep)
    starts: list[float] = []

    async def post() -> None:
        await limiter.wait("C1")
        starts.append(time.now)

    await asyncio.gather(post(), post(), post())
    assert starts == [100.0, 101.0, 102.0]
