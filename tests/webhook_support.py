"""A local webhook receiver (aiohttp on a free port) that checks every signature, and routing files naming it
(importable as ``webhook_support`` from every test directory)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.programs.routing import ProgramsConfig, parse_programs
from icam_bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "receiver-shared-secret-0123456789"
SECRET_ENV = "ICAM_TEST_WEBHOOK_SECRET"


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    signed: bool


@dataclass
class Receiver:
    """Answers 200 to well-signed requests (401 otherwise); ``plan`` answers the next ones with a status, or
    ``"slow"`` (sleeps past any timeout) or ``"redirect"`` (302 to /elsewhere, which records if followed)."""

    secret: str = SECRET
    plan: deque[int | str] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    followed: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/elsewhere", self._elsewhere)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def good(self) -> list[Received]:
        return [r for r in self.received if r.signed]

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} webhook request(s); got {len(self.received)}")
            await asyncio.sleep(0.02)
        return self.received

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        signed = verify(self.secret.encode(), stamp, raw, request.headers.get(SIGNATURE_HEADER, ""))
        signed = signed and abs(time.time() - int(stamp or 0)) < 300
        self.received.append(Received(json.loads(raw), dict(request.headers), signed))
        step = self.plan.popleft() if self.plan else 200
        if step == "slow":
            await asyncio.sleep(5)
            step = 200
        if step == "redirect":
            raise web.HTTPFound("/elsewhere")
        if not signed:
            return web.Response(status=401, text="bad signature")
        return web.Response(status=int(step), text="ok" if step == 200 else "receiver error")

    async def _elsewhere(self, _request: web.Request) -> web.Response:
        self.followed += 1
        return web.Response(text="followed")


def routing_data(url: str, /, **webhook: Any) -> dict[str, Any]:
    """The bundled routing file with a webhook on credentialing and on the sensitive personnel-security program."""
    data = yaml.safe_load((bundled_knowledge_dir() / "programs.yaml").read_text(encoding="utf-8"))
    hook = {
        "name": "ticketing",
        "url": url,
        "secret_env": SECRET_ENV,
        "events": ["item.created", "item.assigned", "item.escalated", "item.resolved", "announcement.sent"],
    }
    hook.update(webhook)
    hook = {key: value for key, value in hook.items() if value is not None}  # None: leave the field out
    data["programs"]["credentialing"]["webhooks"] = [hook]
    data["programs"]["personnel-security"]["webhooks"] = [{**hook, "name": "psec"}]
    return data


def routing(url: str, /, **webhook: Any) -> ProgramsConfig:
    return parse_programs(routing_data(url, **webhook))


def write_routing(path: Path, url: str, /, *, every_program: bool = False, **webhook: Any) -> Path:
    """The routing file at ``path``; ``every_program``: the webhook on every program, not only credentialing's."""
    data = routing_data(url, **webhook)
    if every_program:
        for raw in data["programs"].values():
            raw["webhooks"] = data["programs"]["credentialing"]["webhooks"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
