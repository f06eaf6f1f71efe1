"""Two ``icam-bot serve`` replicas on one PostgreSQL schema: events once, escalations once, both ready."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest
from fake_slack import FakeSlack
from prometheus_client.parser import text_string_to_metric_families
from serve_process import Served, migrate, post_event, serve_env, start_serve, wait_healthy
from slack_requests import app_mention
from sqlalchemy import func, select, update

from icam_bot.db import make_engine
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.models import TrackerEvent, TrackerItem
from icam_bot.tracker.service import NewItem, TrackerService

pytestmark = pytest.mark.postgres

OVERDUE_ITEMS = 150
MENTION_CHANNEL = "C0REPLICAS1"
#: Long before the test runs: an item due "then" is far past its SLA now.
LONG_AGO = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


async def counter(session: aiohttp.ClientSession, served: Served, name: str) -> float:
    async with session.get(served.metrics_url + "/metrics") as resp:
        exposition = await resp.text()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return sample.value
    return 0.0


def create_items(database_url: str) -> list[int]:
    """Items created now: not overdue yet."""
    engine = make_engine(database_url)
    try:
        tracker = TrackerService(engine, load_programs())
        return [
            tracker.create(
                NewItem("issue", f"Reader outage {n}", "Readers fail in building 4", "credentialing", "critical", "U0S")
            ).item.id
            for n in range(OVERDUE_ITEMS)
        ]
    finally:
        engine.dispose()


def make_overdue(database_url: str) -> None:
    """Every item past its first-response SLA at once (one transaction), so both sweepers find them together."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(TrackerItem).values(first_response_due_at=LONG_AGO, next_escalation_at=LONG_AGO))
    finally:
        engine.dispose()


def escalation_state(database_url: str) -> tuple[dict[int, int], dict[int, int]]:
    """Each item's escalation level, and how many escalations its audit trail records."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            levels = dict(conn.execute(select(TrackerItem.id, TrackerItem.escalation_level)).all())
            events = dict(
                conn.execute(
                    select(TrackerEvent.item_id, func.count())
                    .where(TrackerEvent.action == "escalated")
                    .group_by(TrackerEvent.item_id)
                ).all()
            )
        return levels, events
    finally:
        engine.dispose()


async def test_two_replicas_share_the_work_exactly_once(empty_postgres_url, tmp_path):
    migrate(empty_postgres_url)
    await _drive_two_replicas(empty_postgres_url, tmp_path)


async def _drive_two_replicas(database_url: str, tmp_path) -> None:
    fake = await FakeSlack().start()
    replicas: list[Served] = []
    try:
        for name in ("a", "b"):
            env = serve_env(fake.api_url, database_url, tmp_path / name, ICAM_SWEEP_SECONDS="1")
            replicas.append(start_serve(env, tmp_path / f"{name}.log"))
        a, b = replicas
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(wait_healthy(session, a), wait_healthy(session, b))

            # (c) both ready: database reachable, schema current, knowledge loaded
            for served in replicas:
                async with session.get(served.url + "/readyz") as resp:
                    assert resp.status == 200, await resp.text()

            # (a) the same event delivered to both (the second as Slack's retry) is answered once
            event = app_mention("how do I reset my PIV PIN?", channel=MENTION_CHANNEL)
            statuses = await asyncio.gather(
                post_event(session, a.url, event, "EvREPLICA0001"),
                post_event(session, b.url, event, "EvREPLICA0001", retry=1),
            )
            assert statuses == [200, 200]
            await fake.wait_for("chat.postMessage", 1, timeout=20)
            await asyncio.sleep(1.0)
            answers = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == MENTION_CHANNEL]
            assert len(answers) == 1
            skipped = [
                line
                for served in replicas
                for line in served.log_lines()
                if line["msg"].startswith("skipping duplicate event")
            ]
            assert [line.get("event_id") for line in skipped] == ["EvREPLICA0001"]

            # (b) items becoming overdue while both sweepers run are escalated exactly once each
            ids = await asyncio.to_thread(create_items, database_url)
            await asyncio.sleep(1.2)  # both sweepers have looked at them (nothing due yet)
            assert (await asyncio.to_thread(escalation_state, database_url))[1] == {}
            await asyncio.to_thread(make_overdue, database_url)
            for _ in range(200):
                levels, _events = await asyncio.to_thread(escalation_state, database_url)
                if all(levels[i] >= 1 for i in ids):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # a few more sweeps by both replicas
            levels, events = await asyncio.to_thread(escalation_state, database_url)
            assert {levels[i] for i in ids} == {1}
            assert {events.get(i, 0) for i in ids} == {1}
            breaches = [await counter(session, served, "icam_bot_sla_breaches_total") for served in replicas]
            escalated = [await counter(session, served, "icam_bot_items_escalated_total") for served in replicas]
            assert sum(breaches) == sum(escalated) == OVERDUE_ITEMS, (breaches, escalated)
    finally:
        for served in replicas:
            served.signal()
        for served in replicas:
            await served.wait_exit(30)
        await fake.stop()
