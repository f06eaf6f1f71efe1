"""``/icam ask`` under concurrent requests: their questions are committed together (icam_bot/inbox/intake.py),
each before its own ack; when a batch's commit fails, every question in it is written to the spool before its
ack and answered when the database returns. Nothing is acknowledged that is in neither."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from slack_harness import Harness, serve_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from icam_bot.inbox.models import PendingQuestion
from icam_bot.inbox.service import Intake, Stored

COUNT = 24


def stored_urls(h: Harness) -> set[str]:
    with h.store.sessions() as session:
        return set(session.scalars(select(PendingQuestion.response_url)))


async def answered(h: Harness, count: int) -> set[str]:
    """The response URLs answered once ``count`` answers arrived (every answer goes to its own URL)."""
    await h.fake.wait_for("response_url", count, timeout=60)
    return {call.path for call in h.fake.calls_to("response_url")}


async def test_concurrent_asks_are_each_committed_before_their_ack_and_answered_once(responder, database_url):
    async with serve_app(responder, database_url) as h:

        async def ask(n: int) -> bool:
            status, _ = await h.command(f"ask how do I reset my PIV PIN? ({n})", key=f"ask{n}")
            assert status == 200
            return h.fake.response_url(f"ask{n}") in stored_urls(h)  # read as soon as the ack arrived

        stored_at_ack = await asyncio.gather(*(ask(n) for n in range(COUNT)))
        assert all(stored_at_ack)
        assert h.services.intake.stored == COUNT
        assert h.services.intake.commits <= COUNT
        paths = await answered(h, COUNT)
        assert paths == {f"/response/ask{n}" for n in range(COUNT)}
        await asyncio.sleep(0.3)
        assert len(h.fake.calls_to("response_url")) == COUNT  # each answered once


async def test_a_batch_whose_commit_fails_is_spooled_before_its_acks_and_answered_when_the_database_returns(
    responder, database_url, monkeypatch
):
    async with serve_app(responder, database_url) as h:
        inbox = h.services.inbox
        down = [True]
        original = inbox.store_many

        def store_many(intakes: Sequence[Intake]) -> list[Stored | None]:
            if down[0]:
                raise OperationalError("COMMIT", {}, ConnectionRefusedError("connection refused"))
            return original(intakes)

        monkeypatch.setattr(inbox, "store_many", store_many)
        results = await asyncio.gather(
            *(h.command(f"ask what does PACS stand for? ({n})", key=f"down{n}") for n in range(COUNT))
        )
        assert [status for status, _ in results] == [200] * COUNT
        assert len(h.services.spool) == COUNT  # every waiter of the failed commits: in the spool before its ack
        assert stored_urls(h) == set()
        await asyncio.sleep(0.3)
        assert h.fake.calls_to("response_url") == []

        down[0] = False  # the database is back: the spool is written and its questions answered from the store
        paths = await answered(h, COUNT)
        assert paths == {f"/response/down{n}" for n in range(COUNT)}
        assert stored_urls(h) == {h.fake.response_url(f"down{n}") for n in range(COUNT)}
