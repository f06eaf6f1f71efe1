"""``icam-bot serve`` as operators run it: JSON logs with request context, no secrets, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import aiohttp
from fake_slack import FakeSlack
from serve_process import BOT_TOKEN, post_command, serve_env, start_serve, wait_healthy
from slack_requests import SIGNING_SECRET

QUESTION = "how do I reset my PIV PIN? my token xoxp-9999-leaked-in-question is in my notes"


async def test_sigterm_finishes_the_answer_in_flight_then_exits_0_with_json_logs(tmp_path):
    """A slash command whose answer is still being delivered when SIGTERM arrives: the answer still reaches
    Slack, the process exits 0, /healthz is gone, and every log line is JSON without a secret in it."""

    fake = await FakeSlack().start()
    fake.delays["response_url"] = 1.5  # Slack is slow to take the answer
    env = serve_env(
        fake.api_url,
        f"sqlite:///{tmp_path / 'icam.sqlite3'}",
        tmp_path,
        ICAM_SWEEP_SECONDS="1",
        ICAM_SHUTDOWN_TIMEOUT="15",
        ICAM_ANSWER_WORKERS="1",  # a worker process answers: its log lines must be JSON lines too
    )
    served = start_serve(env, tmp_path / "serve.log")
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, served)
            async with session.get(served.url + "/metrics") as resp:
                assert resp.status == 404  # not on Slack's port
            async with session.get(served.metrics_url + "/metrics") as resp:
                assert resp.status == 200
                assert "icam_bot_questions_total" in await resp.text()
            async with session.get(served.metrics_url + "/readyz") as resp:
                assert "head" in (await resp.json())["checks"]["migrations"]
            async with session.get(served.url + "/readyz") as resp:
                assert (await resp.json())["checks"]["migrations"] == {"ok": True}
            status, timestamp = await post_command(session, served.url, f"ask {QUESTION}", fake.response_url())
            assert status == 200
            await asyncio.sleep(0.3)
            assert fake.calls_to("response_url") == []  # the answer is on its way, not delivered
            served.signal(signal.SIGTERM)
            assert await served.wait_exit() == 0
            (answer,) = fake.calls_to("response_url")
            assert answer.params["response_type"] == "ephemeral"
            try:
                async with session.get(served.url + "/healthz") as resp:
                    raise AssertionError(f"/healthz still answers ({resp.status}) after shutdown")
            except aiohttp.ClientConnectionError:
                pass
    finally:
        served.kill()
        await fake.stop()

    lines = served.log_lines()
    text = served.log_text()
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    assert all(line["ts"].endswith("Z") for line in lines)
    (request,) = [line for line in lines if line["msg"].startswith("slack request")]
    assert request["request_id"].startswith(f"{timestamp}-")
    assert request["command"] == "/icam ask"
    assert request["user"] == "U0000STAFF"
    messages = [line["msg"] for line in lines]
    assert any(m.startswith("shutting down") for m in messages)
    assert any(m.startswith("SLA sweeper stopped") for m in messages)
    assert messages[-1].startswith("shutdown completed")
    assert sum(m.startswith("knowledge base ready") for m in messages) == 2  # server and worker
    assert all(line["level"] != "DEBUG" for line in lines)
    for secret in (BOT_TOKEN, SIGNING_SECRET, "xoxp-9999", "PIV PIN"):  # nor the question at INFO
        assert secret not in text
