"""Serve the real app over HTTP on a free port against the fake Slack, and drive it with signed requests."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from fake_slack import FakeSlack
from slack_requests import SIGNING_SECRET, event_callback, interactive_body, signature_headers, slash_command

from handlers.app import create_app, services_of_app
from handlers.runtime.server import EVENTS_PATH, build_internal_app, build_web_app
from handlers.services import Services
from handlers.settings import SlackSettings
from icam_bot.answers import Responder
from icam_bot.config import Settings
from icam_bot.questions.store import Store


def app_settings(fake: FakeSlack, extra_env: dict[str, str] | None = None, spool_dir: str | None = None) -> Settings:
    """The app's settings against ``fake`` (plus ``extra_env``); the spool in ``spool_dir`` (default: a new one)."""
    return Settings.from_env(
        {
            **(extra_env or {}),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "ICAM_DATA_DIR": tempfile.gettempdir(),
            "ICAM_SPOOL_DIR": spool_dir or tempfile.mkdtemp(prefix="icam-spool-"),
            # answers in an in-process thread: the session-wide responder is shared, no worker processes
            "ICAM_ANSWER_WORKERS": "0",
        }
    )


@dataclass
class Harness:
    """The served app, a client session to drive it, the fake Slack and the store behind the app."""

    url: str
    session: aiohttp.ClientSession
    fake: FakeSlack
    store: Store
    services: Services
    #: The internal server (/metrics and the readiness details), as ICAM_METRICS_PORT serves it.
    internal_url: str = ""

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None, sign: bool = True
    ) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(signature_headers(body) if sign else {}), **(headers or {})}
        async with self.session.post(self.url + EVENTS_PATH, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text()

    async def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> int:
        payload = event_callback(event, event_id)
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        status, _ = await self.post(json.dumps(payload), "application/json", headers)
        return status

    async def command(
        self, text_: str, key: str = "cmd", user: str = "U0000STAFF", channel: str = "C0000CHAN"
    ) -> tuple[int, str]:
        body = slash_command(text_, self.fake.response_url(key), user=user, channel=channel)
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(interactive_body(payload), "application/x-www-form-urlencoded")


@contextlib.asynccontextmanager
async def serve_app(
    responder: Responder,
    database_url: str,
    fake: FakeSlack | None = None,
    pmo_members: frozenset[str] = frozenset(),
    sweep_seconds: float | None = None,
    digest_check_seconds: float | None = None,
    lease_seconds: float | None = None,
    extra_env: dict[str, str] | None = None,
    spool_dir: str | None = None,
    kb_watch_seconds: float | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> AsyncIterator[Harness]:
    """Serve a fresh app (its own store on ``database_url``) over HTTP on a free port; the SLA sweeper runs
    only when ``sweep_seconds`` is given, the digest task only with ``digest_check_seconds``. ``clock`` is the
    communications clock from the start (the digest task's first look is at start-up, before a test could set it)."""
    own_fake = fake is None
    fake = fake or await FakeSlack().start()
    store = Store.from_url(database_url)
    slack_settings = SlackSettings(pmo_members)
    if lease_seconds is not None:
        slack_settings = SlackSettings(pmo_members, lease_seconds=lease_seconds)
    env = dict(extra_env or {})
    if kb_watch_seconds is not None:
        env["ICAM_KB_WATCH_SECONDS"] = str(kb_watch_seconds)
    app = create_app(app_settings(fake, env, spool_dir), responder, store, slack_settings)
    if clock is not None:
        services_of_app(app).comms.clock = clock
    runner = web.AppRunner(
        build_web_app(app, SIGNING_SECRET, sweep_seconds, digest_check_seconds=digest_check_seconds), access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    internal = web.AppRunner(build_internal_app(app), access_log=None)
    await internal.setup()
    await web.TCPSite(internal, "127.0.0.1", 0).start()
    internal_url = f"http://127.0.0.1:{internal.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            yield Harness(f"http://127.0.0.1:{port}", session, fake, store, services_of_app(app), internal_url)
    finally:
        await internal.cleanup()
        await runner.cleanup()
        store.close()
        if own_fake:
            await fake.stop()


async def reply_to(
    h: Harness, text: str, user: str = "U0000STAFF", key: str = "cmd", channel: str = "C0000CHAN"
) -> dict[str, Any]:
    """Run a slash command and return the ephemeral reply sent to its response_url."""
    before = len(h.fake.calls_to("response_url"))
    status, _ = await h.command(text, key=key, user=user, channel=channel)
    assert status == 200
    calls = await h.fake.wait_for("response_url", before + 1)
    reply = calls[before].params
    assert reply["response_type"] == "ephemeral"
    return reply


async def reply_text(h: Harness, text: str, **kwargs: str) -> str:
    """The text of ``reply_to``'s ephemeral reply."""
    return (await reply_to(h, text, **kwargs))["text"]


def posts_to(h: Harness, channel: str) -> list[dict[str, Any]]:
    """The chat.postMessage calls made so far to one channel (or user), their params."""
    return [c.params for c in h.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    """The action ids of every element in the actions blocks, in order."""
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
