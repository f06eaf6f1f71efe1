"""A replica killed with SIGKILL after acking questions: the surviving replica answers them within the lease."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from fake_slack import FakeSlack
from serve_process import Served, migrate, post_event, serve_env, start_serve, wait_healthy
from slack_requests import direct_message
from sqlalchemy import select

from icam_bot.db import make_engine
from icam_bot.inbox.models import PendingQuestion

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE_S = 2
QUESTIONS = ("what does PACS stand for?", "how do I reset my PIV PIN?", "my piv card is locked")


def statuses(database_url: str) -> dict[str, tuple[str, str | None]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(PendingQuestion.channel_id, PendingQuestion.status, PendingQuestion.claimed_by))
            return {channel: (status, owner) for channel, status, owner in rows}
    finally:
        engine.dispose()


async def test_a_killed_replicas_acked_questions_are_answered_by_the_survivor(empty_postgres_url, tmp_path):
    migrate(empty_postgres_url)
    await _kill_one(empty_postgres_url, tmp_path)


async def _kill_one(database_url: str, tmp_path) -> None:
    stuck, alive = await FakeSlack().start(), await FakeSlack().start()
    stuck.delays["chat.postMessage"] = 20.0  # replica A's answers do not get out before it dies
    replicas: list[Served] = []
    try:
        for name, fake in (("a", stuck), ("b", alive)):
            env = serve_env(fake.api_url, database_url, tmp_path / name, ICAM_LEASE_SECONDS=str(LEASE_S))
            replicas.append(start_serve(env, tmp_path / f"{name}.log"))
        a, b = replicas
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(wait_healthy(session, a), wait_healthy(session, b))
            channels = [f"D0CRASH{n:04d}" for n in range(len(QUESTIONS))]
            for n, (question, channel) in enumerate(zip(QUESTIONS, channels, strict=True)):
                status = await post_event(session, a.url, direct_message(question, channel=channel), f"EvCRASH{n:04d}")
                assert status == 200  # acked by A: stored before the ack
            await asyncio.sleep(0.5)
            assert set(statuses(database_url)) == set(channels)
            a.proc.kill()  # SIGKILL: no graceful shutdown
            a.proc.wait(10)
            killed_at = time.monotonic()
            await alive.wait_for("chat.postMessage", len(channels), timeout=30)
            took = time.monotonic() - killed_at
            assert took < 4 * LEASE_S + 5, took  # the lease (answering: twice it) plus one look
            await asyncio.sleep(LEASE_S + 1)  # more looks: nothing answered twice
            answered = [c.params["channel"] for c in alive.calls_to("chat.postMessage")]
            assert sorted(answered) == sorted(channels)
            final = statuses(database_url)
            assert {status for status, _ in final.values()} == {"answered"}
            assert len({owner for _, owner in final.values()}) == 1  # all by the survivor
    finally:
        for served in replicas:
            served.kill()
        await stuck.stop()
        await alive.stop()
