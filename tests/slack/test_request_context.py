"""Per-request log context (request_log.slack_fields, the server's middleware) and in-flight work tracking."""

from __future__ import annotations

import asyncio
import io
import json
from collections import deque

from slack_harness import serve_app
from slack_requests import block_actions, event_callback

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId
from handlers.runtime.inflight import InFlight, mark_handling, unmark
from handlers.runtime.request_log import new_request_id, slack_fields
from handlers.tracker.modals import ReasonModalMeta
from icam_bot.logs import logging_configured


def test_fields_of_a_slash_command_name_the_subcommand_and_item_never_the_text():
    body = {"command": "/icam", "text": "escalate icam-12 my secret plan", "user_id": "U0123ABC"}
    assert slack_fields(body) == {"command": "/icam escalate", "user": "U0123ABC", "item_id": 12}
    odd = {"command": "/icam", "text": "<script> hi", "user_id": "U 1"}
    assert slack_fields(odd) == {"command": "/icam", "user": None, "item_id": None}


def test_fields_of_an_event_carry_its_event_id_and_user():
    body = event_callback({"type": "app_mention", "user": "U0000STAFF", "text": "hi"}, "Ev0000000042")
    assert slack_fields(body) == {
        "event_id": "Ev0000000042",
        "command": "event:app_mention",
        "user": "U0000STAFF",
        "item_id": None,
    }


def test_fields_of_buttons_and_reason_modals_carry_the_item():
    button = block_actions({"action_id": ActionId.ITEM_ACKNOWLEDGE, "value": encode_value(i=7)}, "http://x/r")
    fields = slack_fields(button)
    assert (fields["command"], fields["item_id"], fields["user"]) == (
        f"block_actions:{ActionId.ITEM_ACKNOWLEDGE}",
        7,
        "U0000STAFF",
    )
    meta = ReasonModalMeta(ActionId.ITEM_ESCALATE, 9, None, None).dump()
    modal = {"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": "cb", "private_metadata": meta}}
    assert slack_fields(modal) == {"command": "view_submission:cb", "user": "U1", "item_id": 9}


def test_request_ids_start_with_slacks_timestamp_and_are_unique():
    first, second = new_request_id("1700000000"), new_request_id("1700000000")
    assert first.startswith("1700000000-")
    assert first != second
    assert "-" not in new_request_id("not-a-number")


async def test_work_started_after_the_ack_logs_with_the_request_id(responder, sqlite_url):
    """A response_url failure is logged by the answer task Bolt starts after acking: it carries the request's
    fields although the HTTP request is long over."""

    stream = io.StringIO()
    with logging_configured("INFO", "json", stream=stream):
        async with serve_app(responder, sqlite_url) as h:
            h.fake.failures["response_url"] = deque([503, 503, 503])
            status, _ = await h.command("ask how do I reset my PIV PIN?", user="U0CONTEXT1")
            assert status == 200
            for _ in range(200):
                if h.services.metrics.registry.get_sample_value(
                    "icam_bot_slack_api_errors_total", {"method": "response_url"}
                ):
                    break
                await asyncio.sleep(0.05)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (acked,) = [line for line in lines if line["msg"].startswith("slack request")]
    (failed,) = [line for line in lines if "response_url post failed" in line["msg"]]
    assert failed["request_id"] == acked["request_id"]
    assert (failed["command"], failed["user"]) == ("/icam ask", "U0CONTEXT1")
    assert "PIV PIN" not in stream.getvalue()


async def test_drain_waits_for_tracked_tasks_only_and_gives_up_after_the_timeout():
    inflight = InFlight()
    inflight.install()
    try:
        untracked = asyncio.create_task(asyncio.sleep(30))
        token = mark_handling()
        quick = asyncio.create_task(asyncio.sleep(0.05))
        stuck = asyncio.create_task(asyncio.sleep(30), name="stuck-answer")
        unmark(token)
        assert len(inflight) == 2
        assert await inflight.drain(0.3) == 1
        assert quick.done()
        assert not stuck.done()
        stuck.cancel()
        untracked.cancel()
        await asyncio.sleep(0)
        assert await inflight.drain(0.1) == 0
    finally:
        inflight.uninstall()
