"""Fixtures: one Responder per session, a fresh migrated database per test, the app served on port 0."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fake_slack import FakeSlack
from handlers.app import create_app
from handlers.server import EVENTS_PATH, build_web_app
from handlers.settings import SlackSettings
from icam_bot.answers import Responder
from icam_bot.config import Settings
from icam_bot.db import Store, make_engine, upgrade
from slack_requests import SIGNING_SECRET, event_callback, interactive_body, signature_headers, slash_command

PG_URL = os.environ.get("ICAM_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def responder(tmp_path_factory: pytest.TempPathFactory) -> Responder:
    """The real bundled knowledge base, built once per session.

    The embedding cache lives in a stable temp directory (ICAM_TEST_CACHE_DIR to override) because encoding
    every phrasing takes from 20 s to minutes on a busy machine; the cache is keyed by the KB's fingerprint.
    """
    from icam_bot.runtime import build_responder

    cache = os.environ.get("ICAM_TEST_CACHE_DIR") or str(Path(tempfile.gettempdir()) / "icam-bot-test-cache")
    data = tmp_path_factory.mktemp("data")
    settings = Settings.from_env({"ICAM_CACHE_DIR": cache, "ICAM_DATA_DIR": str(data)})
    built = build_responder(settings)
    built.ask("warm up the matcher")
    return built


@contextlib.contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a URL whose search_path points at it, dropped afterwards."""
    schema = f"icam_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database URL: a SQLite file, and PostgreSQL when ICAM_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'icam.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    if not PG_URL:
        pytest.skip("ICAM_TEST_DATABASE_URL is not set")
    with postgres_schema(PG_URL) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'icam.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def app_settings(fake: FakeSlack) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "ICAM_DATA_DIR": tempfile.gettempdir(),
        }
    )


@dataclass
class Harness:
    """The served app, a client session to drive it, the fake Slack and the store behind the app."""

    url: str
    session: aiohttp.ClientSession
    fake: FakeSlack
    store: Store

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None,
                   sign: bool = True) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(signature_headers(body) if sign else {}), **(headers or {})}
        async with self.session.post(self.url + EVENTS_PATH, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text()

    async def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> int:
        payload = event_callback(event, event_id)
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        status, _ = await self.post(_json(payload), "application/json", headers)
        return status

    async def command(self, text_: str, key: str = "cmd") -> tuple[int, str]:
        return await self.post(slash_command(text_, self.fake.response_url(key)), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(interactive_body(payload), "application/x-www-form-urlencoded")


def _json(payload: Any) -> str:
    import json

    return json.dumps(payload)


@contextlib.asynccontextmanager
async def serve_app(
    responder: Responder, database_url: str, fake: FakeSlack | None = None, pmo_members: frozenset[str] = frozenset()
) -> AsyncIterator[Harness]:
    """Serve a fresh app (its own store on ``database_url``) over HTTP on a free port."""
    own_fake = fake is None
    fake = fake or await FakeSlack().start()
    store = Store.from_url(database_url)
    app = create_app(app_settings(fake), responder, store, SlackSettings(pmo_members))
    runner = web.AppRunner(build_web_app(app, SIGNING_SECRET), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            yield Harness(f"http://127.0.0.1:{port}", session, fake, store)
    finally:
        await runner.cleanup()
        store.close()
        if own_fake:
            await fake.stop()


ANSWER_PROBES = ("what does PACS stand for?", "how do I reset my PIV PIN?", "my piv card is locked")
SUGGEST_PROBES = ("derived credential", "card", "access", "reset", "piv card renewal or certificates update")
ABSTAIN_PROBES = ("who won the football game?", "purple monkey dishwasher", "what's the weather in Paris tomorrow")
REDIRECT_PROBES = ("I need help with my laptop", "how do I book a conference room", "what is the cafeteria menu")


@dataclass(frozen=True)
class Questions:
    """Questions that, with the knowledge base and matcher as they are now, lead to each kind of reply.

    Found by asking (the knowledge base and the matcher's calibration evolve), so scenario tests assert on
    the Slack behaviour for a kind of reply rather than on one matcher decision.
    """

    found: dict[str, str]

    def __getattr__(self, kind: str) -> str:
        if kind not in self.found:
            pytest.skip(f"no probe question currently leads to a {kind!r} reply")
        return self.found[kind]


@pytest.fixture(scope="session")
def questions(responder: Responder) -> Questions:
    from icam_bot.matching.engine import Decision

    found: dict[str, str] = {}
    answer_probes = [*ANSWER_PROBES, *(e.question for e in responder.kb.entries)]
    for question in answer_probes:
        reply = responder.ask(question)
        if reply.decision is Decision.ANSWER and reply.suggestions:
            found["answer"] = question
            break
    for question in SUGGEST_PROBES:
        reply = responder.ask(question)
        if reply.decision is Decision.SUGGEST and len(reply.suggestions) >= 2:
            found["suggest"] = question
            break
    for question in ABSTAIN_PROBES:
        reply = responder.ask(question)
        if reply.decision is Decision.ABSTAIN and reply.can_log:
            found["abstain"] = question
            break
    for question in REDIRECT_PROBES:
        if responder.ask(question).redirect_id:
            found["redirect"] = question
            break
    return Questions(found)
