"""Malformed payloads (wrong types, oversized ids, bytes that are not UTF-8) get 4xx, never 5xx or a 404."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from slack_harness import serve_app
from slack_requests import SIGNING_SECRET, block_actions, direct_message, event_callback, view_submission

from handlers.common.ids import ActionId, BlockId, CallbackId

JSON = "application/json"


def _issue_view(state: Any) -> dict[str, Any]:
    payload = view_submission(CallbackId.ISSUE_MODAL)
    payload["view"]["state"] = state
    return payload


def _program_view(state: Any) -> dict[str, Any]:
    payload = view_submission(CallbackId.PROGRAM_MODAL, user="U0EXAMPLEPM1")
    payload["view"]["state"] = state
    return payload


def _action(**overrides: Any) -> dict[str, Any]:
    return block_actions({"action_id": ActionId.HELPFUL, "value": "{}", **overrides}, "http://127.0.0.1:9/r")


MALFORMED_INTERACTIONS = {
    "state-is-a-string": _issue_view("state"),
    "state-is-a-list": _issue_view([1, 2]),
    "values-is-a-string": _issue_view({"values": "x"}),
    "values-is-a-list": _issue_view({"values": [{"title": {}}]}),
    "block-is-a-string": _issue_view({"values": {BlockId.TITLE: "x"}}),
    "field-is-a-list": _issue_view({"values": {BlockId.TITLE: {ActionId.FIELD: ["x"]}}}),
    "value-is-a-number": _issue_view({"values": {BlockId.TITLE: {ActionId.FIELD: {"value": 3}}}}),
    "option-is-a-string": _issue_view({"values": {BlockId.KIND: {ActionId.FIELD: {"selected_option": "issue"}}}}),
    "program-rag-is-a-number": _program_view({"values": {BlockId.PROGRAM_RAG: 3}}),
    "program-rag-value-is-a-number": _program_view(
        {"values": {BlockId.PROGRAM_RAG: {ActionId.FIELD: {"selected_option": {"value": 3}}}}}
    ),
    "metadata-is-a-number": {**_issue_view({"values": {}}), "view": {**_issue_view({})["view"], "private_metadata": 7}},
    "view-id-is-huge": {**_issue_view({"values": {}}), "view": {**_issue_view({})["view"], "id": "V" * 10_000}},
    "user-id-is-huge": {**_issue_view({"values": {}}), "user": {"id": "U" * 10_000}},
    "action-id-is-a-number": _action(action_id=12345),
    "action-id-is-huge": _action(action_id="a" * 10_000),
    "action-value-is-a-dict": _action(value={"e": "x"}),
    "container-is-a-string": {**_action(), "container": "x"},
    "channel-is-a-list": {**_action(), "channel": ["C1"]},
    "message-is-a-string": {**_action(), "message": "x"},
}


@pytest.mark.parametrize("payload", list(MALFORMED_INTERACTIONS.values()), ids=list(MALFORMED_INTERACTIONS))
async def test_interactive_payloads_of_the_wrong_shape_get_400(responder, sqlite_url, payload):
    async with serve_app(responder, sqlite_url) as h:
        started = time.monotonic()
        status, text = await h.interact(payload)
        assert status == 400, (status, text)
        assert time.monotonic() - started < 2.5
        assert "Traceback" not in text


MALFORMED_EVENTS = {
    "event-id-is-huge": event_callback(direct_message("what does PACS stand for?"), "Ev" + "1" * 10_000),
    "event-id-is-a-number": {**event_callback(direct_message("hi")), "event_id": 12345},
    "event-user-is-a-dict": event_callback({**direct_message("hi"), "user": {"id": "U1"}}),
    "event-text-is-a-list": event_callback({**direct_message("hi"), "text": ["hi"]}),
    "event-channel-is-huge": event_callback({**direct_message("hi"), "channel": "D" * 10_000}),
}


@pytest.mark.parametrize("payload", list(MALFORMED_EVENTS.values()), ids=list(MALFORMED_EVENTS))
async def test_events_of_the_wrong_shape_get_400_and_no_answer(responder, sqlite_url, payload):
    async with serve_app(responder, sqlite_url) as h:
        status, text = await h.post(json.dumps(payload), JSON)
        assert status == 400, (status, text)
        await asyncio.sleep(0.3)
        assert h.fake.calls_to("chat.postMessage") == []


async def test_a_huge_event_id_cannot_skip_the_duplicate_check(responder, sqlite_url):
    """Two deliveries of one event with an over-long id: neither is answered (400), so nothing twice."""

    async with serve_app(responder, sqlite_url) as h:
        body = json.dumps(event_callback(direct_message("what does PACS stand for?"), "Ev" + "7" * 10_000))
        first, _ = await h.post(body, JSON)
        second, _ = await h.post(body, JSON, headers={"X-Slack-Retry-Num": "1"})
        assert (first, second) == (400, 400)
        await asyncio.sleep(0.3)
        assert h.fake.calls_to("chat.postMessage") == []


async def test_a_signed_body_that_is_not_utf8_gets_400_not_401(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        raw = b'{"type": "event_callback", "text": "\xff\xfe"}'
        ts = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": JSON, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
        async with h.session.post(h.url + "/slack/events", data=raw, headers=headers) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "body_not_utf8"


async def test_an_unsigned_body_that_is_not_utf8_still_gets_401(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        stamp = str(int(time.time()))
        headers = {"Content-Type": JSON, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=00"}
        async with h.session.post(h.url + "/slack/events", data=b"\xff\xfe", headers=headers) as resp:
            assert resp.status == 401
