"""Exactly one digest per period: the claimed -> sent state machine, its lease, and two schedulers at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from fake_clock import Clock
from sqlalchemy import Engine

from icam_bot.comms.delivery import PostOutcome
from icam_bot.comms.runs import MAX_ATTEMPTS, DigestRuns, RunState
from icam_bot.comms.schedule import DigestSchedule
from icam_bot.comms.scheduler import DigestComposer, DigestScheduler
from icam_bot.db import make_engine
from icam_bot.knowledge.model import Entry
from icam_bot.programs.routing import load_programs

SCHEDULE = DigestSchedule(0, dt.time(9, 0), "America/New_York")
DUE = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 EST: period 2026-W10
LEASE = dt.timedelta(minutes=10)
ENTRY = Entry(
    id="piv-reset",
    question="How do I reset my PIV PIN?",
    alternates=(),
    answer="At a credentialing station.",
    category="credentialing",
    tags=(),
    references=(),
    owner="credentialing",
    last_reviewed=dt.date(2026, 1, 5),
)


def runs_at(engine: Engine, clock: Clock) -> DigestRuns:
    return DigestRuns(engine, lease=LEASE, clock=clock)


def test_a_period_is_claimed_once(engine):
    clock = Clock(DUE)
    runs = runs_at(engine, clock)
    assert runs.claim("2026-W10", "a") is True
    assert runs.claim("2026-W10", "b") is False
    assert runs.claim("2026-W10", "a") is False  # not even by the same owner: a claim is not re-entrant
    run = runs.get("2026-W10")
    assert (run.state, run.owner, run.attempts, run.lease_until) == (RunState.CLAIMED, "a", 1, DUE + LEASE)


def test_a_claim_whose_owner_died_is_taken_over_when_its_lease_expires(engine):
    clock = Clock(DUE)
    runs = runs_at(engine, clock)
    assert runs.claim("2026-W10", "crashed")
    clock.advance(minutes=9, seconds=59)
    assert runs.claim("2026-W10", "b") is False  # the lease still holds
    clock.advance(seconds=1)
    assert runs.claim("2026-W10", "b") is True
    run = runs.get("2026-W10")
    assert (run.owner, run.attempts, run.lease_until) == ("b", 2, clock.now + LEASE)
    # the replica that lost its lease cannot complete the period afterwards
    assert runs.mark_sent("2026-W10", "crashed", message_ts="1.1") is False
    assert runs.mark_sent("2026-W10", "b", message_ts="2.2", channel_id="C1", entry_ids=["x"]) is True
    run = runs.get("2026-W10")
    assert (run.state, run.sent_at) == (RunState.SENT, clock.now)
    clock.advance(days=1)
    assert runs.claim("2026-W10", "c") is False  # sent is final


def test_a_failed_send_releases_the_lease_and_gives_up_after_max_attempts(engine):
    clock = Clock(DUE)
    runs = runs_at(engine, clock)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert runs.claim("2026-W10", f"r{attempt}") is True
        runs.release("2026-W10", f"r{attempt}", "channel_not_found")
        assert runs.get("2026-W10").attempts == attempt
    assert runs.claim("2026-W10", "again") is False
    run = runs.get("2026-W10")
    assert (run.state, run.last_error) == (RunState.FAILED, "channel_not_found")


def test_last_sent_entry_ids_come_from_the_latest_earlier_sent_digest(engine):
    clock = Clock(DUE)
    runs = runs_at(engine, clock)
    assert runs.last_sent_entry_ids("2026-W10") is None
    runs.claim("2026-W08", "a")
    runs.mark_sent("2026-W08", "a", entry_ids=["old"])
    runs.claim("2026-W09", "a")
    runs.mark_sent("2026-W09", "a", entry_ids=["x", "y"])
    runs.claim("2026-W10", "a")  # claimed, not sent: not a baseline
    assert runs.last_sent_entry_ids("2026-W10") == ["x", "y"]
    assert runs.last_sent_entry_ids("2026-W09") == ["old"]


def scheduler(engine: Engine, clock: Clock, owner: str) -> DigestScheduler:
    composer = DigestComposer.create(engine, load_programs(), lambda: [ENTRY], SCHEDULE, runs_at(engine, clock))
    return DigestScheduler(composer, owner=owner, clock=clock)


def test_two_schedulers_at_the_due_time_send_one_digest(empty_url, engine):
    """Two replicas (separate engines and connection pools) check at the same moment, many times over."""
    clock = Clock(DUE + dt.timedelta(seconds=5))
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def replica(owner: str) -> None:
        own_engine = make_engine(empty_url)
        sched = scheduler(own_engine, clock, owner)

        async def send(digest) -> PostOutcome:
            with lock:
                sent.append((owner, digest.period.key))
            return PostOutcome(ts="1700000000.000100", channel="C0PMO")

        async def ticks() -> None:
            for _ in range(5):
                await sched.tick(send)

        barrier.wait()
        try:
            asyncio.run(ticks())
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=replica, args=(name,)) for name in ("replica-a", "replica-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(sent) == 1
    owner, key = sent[0]
    assert key == "2026-W10"
    run = DigestRuns(engine).get("2026-W10")
    assert (run.state, run.owner, run.attempts) == (RunState.SENT, owner, 1)


async def test_a_crash_between_claim_and_send_is_recovered_by_another_replica_after_the_lease(engine):
    clock = Clock(DUE + dt.timedelta(minutes=1))
    crashed = scheduler(engine, clock, "crashed")
    survivor = scheduler(engine, clock, "survivor")
    sent: list[str] = []

    async def crash(_digest) -> PostOutcome:
        raise SystemExit("killed mid-send")  # the process dies: nothing is released

    async def send(digest) -> PostOutcome:
        sent.append(digest.period.key)
        return PostOutcome(ts="1.2", channel="C0PMO")

    with pytest.raises(SystemExit):
        (await crashed.tick(crash))
    assert DigestRuns(engine).get("2026-W10").state is RunState.CLAIMED
    assert (await survivor.tick(send)) is None  # the lease still holds
    clock.advance(minutes=10)
    assert (await survivor.tick(send)).key == "2026-W10"
    assert sent == ["2026-W10"]
    run = DigestRuns(engine).get("2026-W10")
    assert (run.state, run.owner, run.attempts) == (RunState.SENT, "survivor", 2)
    assert (await survivor.tick(send)) is None  # sent once, never again
    assert sent == ["2026-W10"]


async def test_a_failed_post_is_retried_at_the_next_check(engine):
    clock = Clock(DUE)
    sched = scheduler(engine, clock, "a")
    outcomes = [PostOutcome(error="request_failed"), PostOutcome(ts="3.4", channel="C0PMO")]

    async def send(_digest) -> PostOutcome:
        return outcomes.pop(0)

    assert (await sched.tick(send)) is None
    assert DigestRuns(engine).get("2026-W10").last_error == "request_failed"
    clock.advance(minutes=1)
    assert (await sched.tick(send)).key == "2026-W10"
    assert DigestRuns(engine).get("2026-W10").state is RunState.SENT


async def test_nothing_is_sent_before_the_due_time_or_more_than_a_day_late(engine):
    clock = Clock(DUE - dt.timedelta(days=5, hours=23))  # the previous period, 25 hours after its due time
    sched = scheduler(engine, clock, "a")
    sent: list[str] = []

    async def send(digest) -> PostOutcome:
        sent.append(digest.period.key)
        return PostOutcome(ts="1.1")

    assert (await sched.tick(send)) is None
    clock.now = DUE - dt.timedelta(seconds=1)
    assert (await sched.tick(send)) is None
    clock.now = DUE + dt.timedelta(hours=23)  # late (e.g. the bot was down at 9:00) but within a day
    assert (await sched.tick(send)).key == "2026-W10"
    assert sent == ["2026-W10"]


def test_many_concurrent_claims_of_one_period_have_one_winner(empty_url, engine):
    clock = Clock(DUE)
    results: dict[str, bool] = {}
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        own_engine = make_engine(empty_url)
        try:
            barrier.wait()
            results[owner] = runs_at(own_engine, clock).claim("2026-W10", owner)
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=claim, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [owner for owner, won in results.items() if won]
    assert len(results) == 6
    assert len(winners) == 1
    assert DigestRuns(engine).get("2026-W10").owner == winners[0]
