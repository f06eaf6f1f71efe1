"""GET /healthz, /readyz and /metrics on the real served app: readiness checks and counters that move."""

from __future__ import annotations

import asyncio
from collections import deque
from types import SimpleNamespace

import aiohttp
from aiohttp import web
from fake_slack import FakeSlack
from prometheus_client.parser import text_string_to_metric_families
from slack_harness import Harness, app_settings, serve_app
from slack_requests import block_actions
from sqlalchemy import create_engine, text

from handlers.app import create_app, services_of_app
from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId
from handlers.runtime.metrics import DECISIONS, Metrics
from handlers.runtime.server import build_health_app
from icam_bot.matching.model_files import MODEL_SHA256
from icam_bot.questions.store import Store

METRIC_NAMES = (
    "icam_bot_questions_total",
    "icam_bot_feedback_total",
    "icam_bot_items_opened_total",
    "icam_bot_items_escalated_total",
    "icam_bot_items_resolved_total",
    "icam_bot_sla_breaches_total",
    "icam_bot_slack_api_errors_total",
    "icam_bot_slack_api_retries_total",
    "icam_bot_http_request_duration_seconds",
)


async def metrics(h: Harness) -> tuple[str, str]:
    async with h.session.get(h.internal_url + "/metrics") as resp:
        assert resp.status == 200
        return resp.headers["Content-Type"], await resp.text()


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample (0 if the series is absent)."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


async def readyz(h: Harness, public: bool = False) -> tuple[int, dict]:
    """The internal /readyz (with details), or the one on Slack's port."""
    async with h.session.get((h.url if public else h.internal_url) + "/readyz") as resp:
        return resp.status, await resp.json()


async def test_slacks_port_serves_probes_but_no_metrics_and_no_schema_revision(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        async with h.session.get(h.url + "/metrics") as resp:
            assert resp.status == 404
        async with h.session.get(h.url + "/healthz") as resp:
            assert resp.status == 200
        status, body = await readyz(h, public=True)
        assert status == 200, body
        assert body == {
            "ok": True,
            "checks": {n: {"ok": True} for n in ("database", "knowledge_base", "migrations")},
            "matching": {"mode": responder.matcher.mode},  # never the model hash on Slack's port
        }
        _, detailed = await readyz(h)
        head = detailed["checks"]["migrations"]["head"]
        async with h.session.get(h.url + "/readyz") as resp:
            assert head not in await resp.text()


async def test_public_readyz_still_names_failing_checks(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        with create_engine(sqlite_url).begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        status, body = await readyz(h, public=True)
        assert status == 503
        assert body["failing"] == ["migrations"]
        assert body["checks"]["migrations"] == {"ok": False}


async def test_readyz_is_200_when_database_knowledge_and_migrations_are_fine(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        status, body = await readyz(h)
        assert status == 200, body
        assert body["ok"] is True
        assert set(body["checks"]) == {"database", "knowledge_base", "migrations"}
        assert all(check["ok"] for check in body["checks"].values())
        assert body["checks"]["knowledge_base"]["entries"] > 0
        expected = {"mode": "semantic", "model_sha256": MODEL_SHA256}
        if responder.matcher.mode == "lexical":  # tests may run without the model (a warning says so)
            expected = {"mode": "lexical", "model_sha256": None}
        assert body["matching"] == expected


async def test_readyz_is_503_naming_the_database_when_it_is_unreachable(responder, sqlite_url, tmp_path):
    async with serve_app(responder, sqlite_url) as h:
        healthy_store = h.services.store
        h.services.store = Store(create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite3'}"))
        try:
            status, body = await readyz(h)
        finally:
            h.services.store.close()
            h.services.store = healthy_store
        assert status == 503
        assert body["ok"] is False
        assert "database" in body["failing"]
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["knowledge_base"]["ok"] is True
        async with h.session.get(h.url + "/healthz") as resp:
            assert resp.status == 200  # liveness does not depend on the database


async def test_readyz_is_503_naming_migrations_when_the_schema_is_not_current(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        with h.store.engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        status, body = await readyz(h)
        assert status == 503
        assert body["failing"] == ["migrations"]
        assert body["checks"]["migrations"]["current"] is None
        assert body["matching"]["mode"] == responder.matcher.mode  # reported whether ready or not


async def test_metrics_are_exposed_and_count_questions_and_feedback(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        content_type, before = await metrics(h)
        assert content_type.startswith("text/plain")
        for name in METRIC_NAMES:
            assert name in before

        await h.command("ask how do I reset my PIV PIN?")
        await h.fake.wait_for("response_url")
        for _ in range(100):  # counted when the worker hands back its outcome (after the reply is marked sent)
            _, after_ask = await metrics(h)
            asked = sum(sample(after_ask, "icam_bot_questions_total", decision=d) for d in DECISIONS)
            if asked:
                break
            await asyncio.sleep(0.05)
        assert asked == 1

        value = encode_value(e="glossary-pacs", q=None)
        await h.interact(block_actions({"action_id": ActionId.HELPFUL, "value": value}, h.fake.response_url()))
        await h.fake.wait_for("response_url", 2)
        _, after_click = await metrics(h)
        assert sample(after_click, "icam_bot_feedback_total", helpful="true") == 1
        assert sample(after_click, "icam_bot_feedback_total", helpful="false") == 0
        assert sample(after_click, "icam_bot_http_request_duration_seconds_count", path="/slack/events") >= 2


async def test_slack_retries_and_failures_are_counted(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.failures["response_url"] = deque([503, 503, 503])
        await h.command("ask how do I reset my PIV PIN?")
        for _ in range(200):  # three attempts with a short backoff, then the failure is counted
            _, exposition = await metrics(h)
            if sample(exposition, "icam_bot_slack_api_errors_total", method="response_url"):
                break
            await asyncio.sleep(0.05)
        assert sample(exposition, "icam_bot_slack_api_errors_total", method="response_url") == 1
        assert sample(exposition, "icam_bot_slack_api_retries_total") == 2


def test_each_app_has_its_own_registry():
    first, second = Metrics(), Metrics()
    first.slack_retry()
    assert sample(first.exposition().decode(), "icam_bot_slack_api_retries_total") == 1
    assert sample(second.exposition().decode(), "icam_bot_slack_api_retries_total") == 0


async def test_socket_mode_health_app_serves_the_three_endpoints_only(responder, sqlite_url):
    fake = await FakeSlack().start()
    store = Store.from_url(sqlite_url)
    app = create_app(app_settings(fake), responder, store)
    runner = web.AppRunner(build_health_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/healthz", "/readyz", "/metrics"):
                async with session.get(url + path) as resp:
                    assert resp.status == 200, path
            async with session.post(url + "/slack/events", data=b"{}") as resp:
                assert resp.status in (404, 405)
    finally:
        await runner.cleanup()
        await services_of_app(app).close()
        store.close()
        await fake.stop()


async def test_readyz_reports_lexical_mode_without_changing_readiness(responder, sqlite_url, monkeypatch):
    async with serve_app(responder, sqlite_url) as h:
        lexical = SimpleNamespace(mode="lexical", model_sha256=None)  # as with ICAM_EMBEDDINGS=off
        monkeypatch.setattr(h.services, "responder", SimpleNamespace(kb=responder.kb, matcher=lexical))
        status, body = await readyz(h)
        assert status == 200, body
        assert body["matching"] == {"mode": "lexical", "model_sha256": None}
        status, body = await readyz(h, public=True)
        assert status == 200
        assert body["matching"] == {"mode": "lexical"}
