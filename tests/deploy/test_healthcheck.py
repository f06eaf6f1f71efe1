"""``python -m icam_bot.healthcheck``, deploy/Dockerfile's HEALTHCHECK: it probes /healthz on the port serve uses
in each mode (HTTP: PORT; Socket Mode: ICAM_HEALTH_PORT, default 8080), against a local stand-in server."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from icam_bot.config import Settings
from icam_bot.healthcheck import health_port, health_url

REPO = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-A0000001-healthcheck-app-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Health:
    """A stand-in for serve's /healthz on one port, answering ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.paths: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                self.send_response(owner.status if self.path == "/healthz" else 404)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def health() -> Iterator[Health]:
    stand_in = Health()
    thread = threading.Thread(target=stand_in.server.serve_forever, daemon=True)
    thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ICAM_", "DATABASE_"))}
    return {**keep, "ICAM_DATA_DIR": str(tmp_path / "data"), "PORT": str(free_port())}


def dockerfile_healthcheck() -> list[str]:
    """The HEALTHCHECK command exactly as deploy/Dockerfile has it, with this interpreter for the image's."""
    text = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    command = json.loads(re.search(r"^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$", text, flags=re.MULTILINE).group(1))
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        dockerfile_healthcheck(),
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_ports_follow_the_mode(tmp_path):
    data = {"ICAM_DATA_DIR": str(tmp_path)}
    assert health_port(Settings.from_env(data)) == 3000
    assert health_port(Settings.from_env(data | {"PORT": "4000"})) == 4000
    assert health_port(Settings.from_env(data | {"SLACK_APP_TOKEN": APP_TOKEN})) == 8080
    socket_mode = data | {"SLACK_APP_TOKEN": APP_TOKEN, "ICAM_HEALTH_PORT": "3000", "PORT": "4000"}
    assert health_url(Settings.from_env(socket_mode)) == "http://127.0.0.1:3000/healthz"


def test_http_mode_probes_port(env, health):
    env["PORT"] = str(health.port)
    proc = healthcheck(env)
    assert proc.returncode == 0, proc.stderr
    assert health.paths == ["/healthz"]


def test_socket_mode_probes_the_health_port_not_port(env, health, tmp_path):
    """The bug this replaces: a Socket Mode container probed PORT, where nothing listens."""
    token = tmp_path / "app-token"
    token.write_text(APP_TOKEN + "\n", encoding="utf-8")
    env |= {"SLACK_APP_TOKEN_FILE": str(token), "ICAM_HEALTH_PORT": str(health.port)}  # PORT: a closed port
    proc = healthcheck(env)
    assert proc.returncode == 0, proc.stderr
    assert health.paths == ["/healthz"]
    del env["SLACK_APP_TOKEN_FILE"]  # the same container seen as HTTP mode probes PORT: nothing there
    proc = healthcheck(env)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"unhealthy: http://127.0.0.1:{env['PORT']}/healthz: ")


def test_unhealthy_answers_fail(env, health):
    env["PORT"] = str(health.port)
    health.status = 503
    proc = healthcheck(env)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"unhealthy: http://127.0.0.1:{health.port}/healthz: HTTP 503"


def test_invalid_settings_fail_without_showing_secrets(env, tmp_path):
    env |= {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_APP_TOKEN_FILE": str(tmp_path / "app-token")}
    proc = healthcheck(env)
    assert proc.returncode == 1
    assert "SLACK_APP_TOKEN and SLACK_APP_TOKEN_FILE are both set" in proc.stderr
    assert APP_TOKEN not in proc.stderr
