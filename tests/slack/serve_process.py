"""Run ``icam-bot serve`` as a real subprocess (HTTP mode) against the fake Slack, and read its JSON logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_requests import SIGNING_SECRET, event_callback, signature_headers, slash_command

REPO = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1111-2222-serveprocesssecrettoken"
#: Settings the test environment must not inherit from the developer's shell.
OWN_SETTINGS = ("DATABASE_URL", "PORT", "LOG_LEVEL")
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(database_url: str) -> None:
    """Migrate the database once, the way a deployment's migration job does it (``icam-bot db upgrade``)."""
    upgrade = subprocess.run(
        [sys.executable, "-m", "icam_bot.cli.main", "db", "upgrade"],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr


def serve_env(api_url: str, database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a served process: the fake Slack, one database, answers in a thread."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLACK_")
        and not (k.startswith("ICAM_") and k != "ICAM_CACHE_DIR")
        and k not in OWN_SETTINGS
    }
    return {
        **base,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "ICAM_DATA_DIR": str(data_dir),
        "ICAM_ANSWER_WORKERS": "0",
        "ICAM_EMBEDDINGS": "off",  # lexical matching starts in seconds; these tests are about serving
        "ICAM_DEMO": "1",  # the bundled routing file's example Slack ids
        "PYTHONUNBUFFERED": "1",
        # no weekly digest: on the wall clock it falls due every Monday and would post into tests about other things
        "ICAM_DIGEST_CHANNEL": "off",
        **extra,
    }


@dataclass
class Served:
    """One ``icam-bot serve`` process, its port and the file its stderr goes to."""

    proc: subprocess.Popen
    port: int
    log_path: Path
    #: ICAM_METRICS_PORT: /metrics and the readiness details (HTTP mode).
    metrics_port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """Every stderr line parsed as JSON (a line that is not JSON fails the test)."""
        lines = []
        for raw in self.log_text().splitlines():
            if raw.strip():
                try:
                    lines.append(json.loads(raw))
                except ValueError as exc:
                    raise AssertionError(f"not a JSON log line: {raw!r}") from exc
        return lines

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    async def wait_exit(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"serve did not exit within {timeout} s; log:\n{self.log_text()[-3000:]}")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start_serve(env: dict[str, str], log_path: Path, port: int | None = None) -> Served:
    port = port or free_port()
    metrics_port = int(env.setdefault("ICAM_METRICS_PORT", str(free_port())))  # never a fixed port
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "icam_bot.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    return Served(proc, port, log_path, metrics_port)


async def wait_healthy(session: aiohttp.ClientSession, served: Served, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise AssertionError(f"serve exited with {served.proc.returncode}:\n{served.log_text()[-3000:]}")
        try:
            async with session.get(served.url + "/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    served.kill()
    raise AssertionError(f"serve not healthy within {timeout} s:\n{served.log_text()[-3000:]}")


async def post_signed(
    session: aiohttp.ClientSession, url: str, body: str, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    """POST a signed body to /slack/events; returns the status and the signature headers used."""
    signed = signature_headers(body)
    all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
    async with session.post(url + "/slack/events", data=body.encode(), headers=all_headers) as resp:
        await resp.read()
        return resp.status, signed


async def post_command(session: aiohttp.ClientSession, url: str, text: str, response_url: str) -> tuple[int, str]:
    """A signed ``/icam`` slash command; returns the status and the X-Slack-Request-Timestamp sent."""
    status, signed = await post_signed(
        session, url, slash_command(text, response_url), "application/x-www-form-urlencoded"
    )
    return status, signed["X-Slack-Request-Timestamp"]


async def post_event(
    session: aiohttp.ClientSession, url: str, event: dict[str, Any], event_id: str, retry: int | None = None
) -> int:
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
    body = json.dumps(event_callback(event, event_id))
    status, _ = await post_signed(session, url, body, "application/json", headers)
    return status
