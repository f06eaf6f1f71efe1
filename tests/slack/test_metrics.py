"""The metrics people look at, through the real app over HTTP: names, answers by decision, question-to-answer
latency, queue depths, the outbox backlog, the matcher's mode, HTTP responses, process metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import math

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_harness import Harness, serve_app
from slack_requests import app_mention, direct_message
from test_ops_endpoints import metrics, sample

from handlers.runtime.metrics import DECISIONS, Metrics
from icam_bot.db.base import utcnow
from icam_bot.outbox.models import OutboxMessage, OutboxStatus
from icam_bot.outbox.service import Backlog

LATENCY = "icam_bot_answer_latency_seconds"
#: The client library's standard collectors keep their conventional names.
STANDARD_PREFIXES = ("process_", "python_")


def sample_names(exposition: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(exposition) for s in family.samples}


async def scrape_until(h: Harness, ready, tries: int = 200) -> str:
    """Scrape until ``ready(exposition)`` holds (answers are counted when the worker hands back its outcome)."""
    for _ in range(tries):
        _, exposition = await metrics(h)
        if ready(exposition):
            return exposition
        await asyncio.sleep(0.05)
    return exposition


def replies(exposition: str) -> float:
    return sum(sample(exposition, "icam_bot_questions_total", decision=d) for d in DECISIONS)


async def test_every_metric_is_named_icam_bot_and_no_created_series_clash(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        await h.command("ask what does PACS stand for?")
        exposition = await scrape_until(h, lambda e: replies(e) == 1)
        names = sample_names(exposition)
        ours = {n for n in names if not n.startswith(STANDARD_PREFIXES)}
        assert ours, names
        assert all(n.startswith("icam_bot_") for n in ours), sorted(n for n in ours if "icam_bot_" not in n)
        assert not [n for n in names if n.endswith("_created")]  # no created-timestamp series at all
        assert "icam_bot_items_opened_total" in names
        assert not {"tracker_items_created_total", "questions_total", "request_duration_seconds_count"} & names
        # the process and platform collectors are on the app's own registry
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"):
            assert name in names, name
        assert sample(exposition, "process_resident_memory_bytes") > 0
        assert "python_gc_collections_total" in names


@pytest.mark.parametrize("surface", ["command", "mention", "dm"])
async def test_a_question_counts_its_decision_and_its_latency(responder, sqlite_url, questions, surface):
    question = questions.answer

    async with serve_app(responder, sqlite_url) as h:
        _, before = await metrics(h)
        assert sample(before, f"{LATENCY}_count") == 0
        assert replies(before) == 0
        if surface == "command":
            await h.command(f"ask {question}")
        elif surface == "mention":
            assert await h.event(app_mention(question)) == 200
        else:
            assert await h.event(direct_message(question)) == 200
        after = await scrape_until(h, lambda e: sample(e, f"{LATENCY}_count") >= 1)
        assert sample(after, "icam_bot_questions_total", decision="answer") == 1
        assert replies(after) == 1
        assert sample(after, f"{LATENCY}_count") == 1
        latency = sample(after, f"{LATENCY}_sum")
        assert 0 < latency < 10
        assert sample(after, f"{LATENCY}_bucket", le="+Inf") == 1


async def test_latency_counts_from_receipt_including_the_wait_for_slack(responder, sqlite_url, questions):
    """The reply being sent is part of the latency: a slow response_url shows in the histogram."""
    question = questions.answer

    async with serve_app(responder, sqlite_url) as h:
        h.fake.delays["response_url"] = 0.6
        await h.command(f"ask {question}")
        after = await scrape_until(h, lambda e: sample(e, f"{LATENCY}_count") >= 1)
        assert sample(after, f"{LATENCY}_sum") >= 0.6
        assert sample(after, f"{LATENCY}_bucket", le="0.5") == 0


@pytest.mark.parametrize("kind", ["suggest", "abstain", "redirect"])
async def test_replies_are_counted_by_what_the_person_got(responder, sqlite_url, questions, kind):
    question = getattr(questions, kind)

    async with serve_app(responder, sqlite_url) as h:
        await h.command(f"ask {question}")
        after = await scrape_until(h, lambda e: replies(e) == 1)
        got = {d: sample(after, "icam_bot_questions_total", decision=d) for d in DECISIONS}
        assert got == {d: float(d == kind) for d in DECISIONS}  # a redirect is no longer an abstention


async def test_answer_queue_depth_shows_questions_waiting_for_their_reply(responder, sqlite_url, questions):
    async with serve_app(responder, sqlite_url) as h:
        _, idle = await metrics(h)
        assert sample(idle, "icam_bot_answer_queue_depth") == 0
        h.fake.delays["response_url"] = 1.0  # each reply takes a second: the questions wait meanwhile
        for n in range(3):
            await h.command(f"ask {questions.answer}", key=f"q{n}")
        busy = await scrape_until(h, lambda e: sample(e, "icam_bot_answer_queue_depth") >= 3, tries=20)
        assert sample(busy, "icam_bot_answer_queue_depth") == 3
        done = await scrape_until(h, lambda e: sample(e, "icam_bot_answer_queue_depth") == 0)
        assert sample(done, f"{LATENCY}_count") == 3


async def test_outbox_backlog_reports_messages_owed_and_the_oldest_ones_age(responder, database_url):
    async with serve_app(responder, database_url) as h:
        _, empty = await metrics(h)
        assert sample(empty, "icam_bot_outbox_pending") == 0
        assert sample(empty, "icam_bot_outbox_oldest_pending_age_seconds") == 0
        now = utcnow()
        later = now + dt.timedelta(hours=1)  # not due yet: the dispatcher leaves them alone
        with h.store.sessions.begin() as session:
            for age_s, status in ((600, OutboxStatus.PENDING), (60, OutboxStatus.PENDING), (900, "sent")):
                session.add(
                    OutboxMessage(
                        topic="item_created",
                        recipient="C0EXAMPLE01",
                        payload={},
                        status=str(status),
                        attempts=0,
                        next_attempt_at=later,
                        created_at=now - dt.timedelta(seconds=age_s),
                    )
                )
        _, owed = await metrics(h)
        assert sample(owed, "icam_bot_outbox_pending") == 2  # the sent row is not owed
        assert 600 <= sample(owed, "icam_bot_outbox_oldest_pending_age_seconds") < 900


async def test_matcher_info_names_the_mode_the_model_and_the_knowledge_base(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        _, exposition = await metrics(h)
        (info,) = [s for f in text_string_to_metric_families(exposition) for s in f.samples if "matcher" in s.name]
        assert info.name == "icam_bot_matcher_info"
        assert info.value == 1
        assert info.labels == {
            "mode": responder.matcher.mode,
            "model_sha256": responder.matcher.model_sha256 or "none",
            "knowledge_entries": str(len(responder.kb.entries)),
        }
        if responder.matcher.mode == "semantic":
            assert len(info.labels["model_sha256"]) == 64


async def test_http_responses_are_counted_by_path_and_status(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        status, _ = await h.post("{}", "application/json", sign=False)
        assert status == 401
        await h.command("ask what does PACS stand for?")
        async with h.session.get(h.url + "/nowhere") as resp:
            assert resp.status == 404
        _, exposition = await metrics(h)
        count = "icam_bot_http_responses_total"
        assert sample(exposition, count, path="/slack/events", code="401") == 1
        assert sample(exposition, count, path="/slack/events", code="200") == 1
        assert sample(exposition, count, path="other", code="404") == 1


async def test_answer_worker_metrics_are_exported_for_the_dashboard(responder, sqlite_url):
    """Answering in a thread (the tests): no worker processes, the series are there at 0."""

    async with serve_app(responder, sqlite_url) as h:
        _, exposition = await metrics(h)
        assert sample(exposition, "icam_bot_answer_worker_processes") == 0
        assert "icam_bot_answer_workers_cpu_seconds_total" in sample_names(exposition)
        assert "icam_bot_answer_workers_resident_memory_bytes" in sample_names(exposition)


def test_answer_worker_processes_report_their_cpu_and_memory():
    import os

    metrics_ = Metrics()
    metrics_.watch_answer_workers(lambda: [os.getpid()])  # this process stands in for a worker
    exposition = metrics_.exposition().decode()
    assert sample(exposition, "icam_bot_answer_worker_processes") == 1
    assert sample(exposition, "icam_bot_answer_workers_resident_memory_bytes") > 0
    assert sample(exposition, "icam_bot_answer_workers_cpu_seconds_total") > 0


async def test_outbox_backlog_is_nan_when_the_database_does_not_answer():
    metrics_ = Metrics()
    calls = []

    def backlog() -> Backlog:
        calls.append(1)
        if len(calls) == 1:
            return Backlog(4, 30.0)
        raise OSError("database down")

    metrics_.watch_outbox(backlog)
    await metrics_.refresh()
    assert sample(metrics_.exposition().decode(), "icam_bot_outbox_pending") == 4
    await metrics_.refresh()
    exposition = metrics_.exposition().decode()
    assert math.isnan(sample(exposition, "icam_bot_outbox_pending"))
    assert math.isnan(sample(exposition, "icam_bot_outbox_oldest_pending_age_seconds"))
