"""``icam-bot serve`` in Socket Mode as a subprocess: envelope ids in the logs, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from fake_slack import FakeSlack
from serve_process import Served, free_port, serve_env, start_serve, wait_healthy
from slack_requests import slash_command

APP_TOKEN = "xapp-1-A0000001-1234567890-socketmodesecret"
ENVELOPE_ID = "0b3a4c5d-envelope-0001"


class SocketModeSlack(FakeSlack):
    """The fake Web API, plus a Socket Mode WebSocket that sends one slash command and records the acks."""

    def __init__(self) -> None:
        super().__init__()
        self.acks: list[dict[str, Any]] = []
        self.connected = asyncio.Event()
        self.command_body = ""
        self._ws_runner: web.AppRunner | None = None
        self.ws_port = 0

    async def start(self) -> SocketModeSlack:
        await super().start()
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._ws_runner = web.AppRunner(app, access_log=None)
        await self._ws_runner.setup()
        await web.TCPSite(self._ws_runner, "127.0.0.1", 0).start()
        self.ws_port = self._ws_runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._ws_runner is not None:
            await self._ws_runner.cleanup()
        await super().stop()

    def _body(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link"}
        return super()._body(method, params)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0000001"}})
        await ws.send_json(
            {
                "envelope_id": ENVELOPE_ID,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": dict(parse_qsl(self.command_body)),
            }
        )
        self.connected.set()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return ws


async def test_socket_mode_logs_the_envelope_and_finishes_the_answer_on_sigterm(tmp_path):
    fake = await SocketModeSlack().start()
    fake.command_body = slash_command("ask how do I reset my PIV PIN?", fake.response_url())
    fake.delays["response_url"] = 1.5
    health_port = free_port()
    env = serve_env(
        fake.api_url,
        f"sqlite:///{tmp_path / 'icam.sqlite3'}",
        tmp_path,
        SLACK_APP_TOKEN=APP_TOKEN,
        ICAM_HEALTH_PORT=str(health_port),
    )
    served = start_serve(env, tmp_path / "serve.log", port=health_port)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, Served(served.proc, health_port, served.log_path))
            await asyncio.wait_for(fake.connected.wait(), 60)
            for _ in range(200):
                if fake.acks:
                    break
                await asyncio.sleep(0.05)
            assert [ack["envelope_id"] for ack in fake.acks] == [ENVELOPE_ID]
            assert fake.calls_to("response_url") == []  # answer still on its way
            served.signal(signal.SIGTERM)
            assert await served.wait_exit() == 0
            (answer,) = fake.calls_to("response_url")
            assert answer.params["response_type"] == "ephemeral"
    finally:
        served.kill()
        await fake.stop()

    lines = served.log_lines()
    (request,) = [line for line in lines if line.get("envelope_id") == ENVELOPE_ID]
    assert request["request_id"] == ENVELOPE_ID
    assert request["command"] == "/icam ask"
    messages = [line["msg"] for line in lines]
    assert any(m.startswith("shutting down: disconnecting") for m in messages)
    assert messages[-1].startswith("shutdown completed")
    assert APP_TOKEN not in served.log_text()
    assert "socketmodesecret" not in served.log_text()


async def test_container_healthcheck_finds_socket_modes_health_port(tmp_path):
    """deploy/Dockerfile's HEALTHCHECK (``python -m icam_bot.healthcheck``) against a real Socket Mode server whose
    app token comes from a file: it probes ICAM_HEALTH_PORT; the former probe of PORT finds nothing there."""

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], check=False, capture_output=True, text=True, env=env, timeout=60)

    fake = await SocketModeSlack().start()
    fake.command_body = slash_command("ask how do I reset my PIV PIN?", fake.response_url())
    token = tmp_path / "slack_app_token"
    token.write_text(APP_TOKEN + "\n", encoding="utf-8")
    health_port, slack_port = free_port(), free_port()
    env = serve_env(
        fake.api_url,
        f"sqlite:///{tmp_path / 'icam.sqlite3'}",
        tmp_path,
        SLACK_APP_TOKEN_FILE=str(token),
        ICAM_HEALTH_PORT=str(health_port),
        PORT=str(slack_port),
    )
    served = start_serve(env, tmp_path / "serve.log", port=slack_port)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, Served(served.proc, health_port, served.log_path))
        proc = await asyncio.to_thread(run, "-m", "icam_bot.healthcheck", env=env)
        assert proc.returncode == 0, proc.stderr
        old_probe = (
            "import os, urllib.request; "
            "urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", timeout=4)"
        )
        assert (await asyncio.to_thread(run, "-c", old_probe, env=env)).returncode != 0
        served.signal(signal.SIGTERM)
        assert await served.wait_exit() == 0
    finally:
        served.kill()
        await fake.stop()
    assert APP_TOKEN not in served.log_text()
