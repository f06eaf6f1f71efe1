"""``icam-bot webhooks test | list --dead | retry ID`` as subprocesses, against the local receiver."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tracker_support import new_item
from webhook_support import SECRET, SECRET_ENV, Receiver, routing, write_routing

from icam_bot.db.session import make_session_factory
from icam_bot.tracker.service import TrackerService
from icam_bot.webhooks.dispatcher import WebhookDispatcher
from icam_bot.webhooks.models import WebhookDelivery
from icam_bot.webhooks.settings import WebhookSettings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def receiver():
    found = await Receiver().start()
    yield found
    await found.stop()


async def icam_bot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the console script while this test's event loop keeps serving the receiver."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "icam_bot.cli.main",
        *args,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def cli_env(tmp_path: Path, url: str, receiver: Receiver) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "ICAM_DATA_DIR": str(tmp_path),
        "ICAM_PROGRAMS_FILE": str(write_routing(tmp_path / "programs.yaml", receiver.url)),
        SECRET_ENV: SECRET,
        "ICAM_WEBHOOKS_ALLOW_HTTP": "1",
        "ICAM_WEBHOOK_TIMEOUT_SECONDS": "2",
    }


async def test_webhooks_test_sends_a_signed_event_and_says_what_each_webhook_answered(tmp_path, empty_url, receiver):
    env = cli_env(tmp_path, empty_url, receiver)
    code, out, err = await icam_bot(env, "webhooks", "test", "--program", "credentialing")
    assert (code, err) == (0, "")
    assert out.strip() == f"credentialing/ticketing: ok (HTTP 200) {receiver.url}"
    (got,) = receiver.received
    assert got.signed
    assert got.body["type"] == "webhook.test"
    receiver.plan.extend([500, 500])
    code, out, _ = await icam_bot(env, "webhooks", "test")
    assert code == 1
    assert out.count("FAILED (HTTP 500)") == 2
    code, _, err = await icam_bot({**env, SECRET_ENV: ""}, "webhooks", "test")
    assert code == 2
    assert "secret" in err
    code, _, err = await icam_bot({**env, "ICAM_WEBHOOKS_ALLOW_HTTP": ""}, "webhooks", "test")
    assert code == 2
    assert "ICAM_WEBHOOKS_ALLOW_HTTP=1" in err


async def test_dead_letters_are_listed_and_retried(tmp_path, engine, empty_url, clock, receiver, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("ICAM_WEBHOOKS_ALLOW_HTTP", "1")
    config = routing(receiver.url)
    TrackerService(engine, config, clock=clock).create(new_item())
    receiver.plan.extend([500, 500])
    dispatcher = WebhookDispatcher(
        make_session_factory(engine), config, "replica-1", WebhookSettings(max_attempts=2, backoff_s=0.01)
    )
    try:
        await dispatcher.deliver_due()
        await asyncio.sleep(0.05)
        await dispatcher.deliver_due()
    finally:
        await dispatcher.stop()
    with Session(engine) as session:
        (row,) = session.scalars(select(WebhookDelivery))
        dead_id, status = row.id, row.status
    assert status == "dead"
    env = cli_env(tmp_path, empty_url, receiver)
    code, out, _ = await icam_bot(env, "webhooks", "list", "--dead", "--json")
    assert code == 0
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert (listed["id"], listed["status"], listed["event"], listed["attempts"]) == (dead_id, "dead", "item.created", 2)
    code, out, _ = await icam_bot(env, "webhooks", "list", "--dead")
    assert "credentialing/ticketing" in out
    assert "HTTP 500" in out
    code, out, err = await icam_bot(env, "webhooks", "retry", str(dead_id), "--actor", "ops")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"delivery {dead_id} queued again by ops",
        f"delivery {dead_id} to credentialing/ticketing: delivered (HTTP 200)",
    ]
    assert len(receiver.good()) == 3
    code, out, _ = await icam_bot(env, "webhooks", "list", "--dead")
    assert out.strip() == "no dead webhook deliveries"
    code, _, err = await icam_bot(env, "webhooks", "retry", str(dead_id), "--actor", "ops")
    assert code == 2
    assert "is delivered: only dead deliveries are retried" in err
