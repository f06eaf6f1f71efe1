"""The tracker in Slack: signed commands, modal submissions and buttons in; Web API calls on the fake out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fake_clock import MONDAY_9AM, Clock
from fake_slack import FakeSlack
from slack_harness import Harness, action_ids, posts_to, reply_to, serve_app
from slack_requests import app_home_opened, block_actions, modal_state, view_submission
from sqlalchemy import create_engine, select, update

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.common.text import MODAL_TITLE_LIMIT, VIEW_BLOCK_LIMIT
from handlers.tracker.modals import IssueModalMeta, ReasonModalMeta
from handlers.tracker.sweep import SweeperTask
from icam_bot.cli.main import main
from icam_bot.outbox.models import OutboxMessage
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.service import NewItem, TrackerService

STAFF = "U0000STAFF"
OTHER = "U0000OTHER"
PMO = "U0EXAMPLEPM1"
CRED_OWNER = "U0EXAMPLE11"
CRED_OWNER_2 = "U0EXAMPLE12"
CRED_LEAD = "U0EXAMPLE14"
CRED_CHANNEL = "C0EXAMPLECRD"


def use_clock(h: Harness, clock: Clock) -> None:
    """Point the app (its services' clock) and its tracker at an injected clock (same engine and routing)."""
    h.services.clock = clock
    h.services.tracker = TrackerService(h.store.engine, h.services.tracker.programs, clock=clock)


def create_item(h: Harness, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "kind": "issue",
        "title": "PIV card not read by laptop reader",
        "description": "Since Monday my PIV card is not read.",
        "program": "credentialing",
        "severity": "high",
        "reporter_id": STAFF,
    }
    values.update(overrides)
    item = h.services.tracker.create(NewItem(**values)).item
    forget_messages(h, item.id)  # created outside Slack: its confirmations are not what the tests look at
    return item.ref


def forget_messages(h: Harness, item_id: int) -> None:
    """Mark the outbox rows an item's creation wrote as sent (run on the event loop: no dispatcher in between)."""
    with h.store.engine.begin() as conn:
        conn.execute(update(OutboxMessage).where(OutboxMessage.item_id == item_id).values(status="sent"))


def option(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def issue_state(**overrides: dict[str, Any]) -> dict[str, Any]:
    fields = {
        BlockId.KIND: option("issue"),
        BlockId.PROGRAM: option("credentialing"),
        BlockId.SEVERITY: option("high"),
        BlockId.BUREAU: text_value("Office of the CIO"),
        BlockId.TITLE: text_value("PIV card locked"),
        BlockId.DESCRIPTION: text_value("My PIV card is locked after too many PIN tries."),
        BlockId.LIKELIHOOD: {"type": "static_select", "selected_option": None},
        BlockId.IMPACT: {"type": "static_select", "selected_option": None},
        BlockId.MITIGATION_OWNER: {"type": "users_select", "selected_user": None},
    }
    fields.update(overrides)
    return modal_state(**fields)


# -- intake ---------------------------------------------------------------------------------------------


async def test_icam_issue_opens_the_modal_prefilled_with_text_and_suggested_program(responder, sqlite_url):
    text = "my PIV card is locked after too many PIN attempts"
    match = responder.matcher.match(text)
    expected = responder.entry(match.candidates[0].entry_id).owner if match.candidates else "other"

    async with serve_app(responder, sqlite_url) as h:
        status, body = await h.command(f"issue {text}")
        assert status == 200
        assert body == ""  # acked with nothing: the modal is the reply
        (call,) = await h.fake.wait_for("views.open")
        assert call.params["trigger_id"] == "1337.42.abcdef"
        view = call.params["view"]
        assert view["type"] == "modal"
        assert view["callback_id"] == CallbackId.ISSUE_MODAL
        assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        for block_id in BlockId.KIND, BlockId.PROGRAM, BlockId.SEVERITY, BlockId.TITLE, BlockId.DESCRIPTION:
            assert block_id in blocks
            assert not blocks[block_id].get("optional")
        for block_id in BlockId.BUREAU, BlockId.LIKELIHOOD, BlockId.IMPACT, BlockId.MITIGATION_OWNER:
            assert blocks[block_id]["optional"] is True
        kinds = [o["value"] for o in blocks[BlockId.KIND]["element"]["options"]]
        assert kinds == ["question", "issue", "concern", "risk"]
        assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == expected
        assert blocks[BlockId.DESCRIPTION]["element"]["initial_value"] == text
        assert IssueModalMeta.load(view["private_metadata"]).channel_id == "C0000CHAN"


async def test_icam_issue_without_a_match_preselects_other(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        await h.command("issue")
        (call,) = await h.fake.wait_for("views.open")
        blocks = {b.get("block_id"): b for b in call.params["view"]["blocks"]}
        assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == "other"


async def test_submitting_the_modal_creates_icam_1_and_notifies_reporter_owner_and_triage_channel(
    responder, database_url
):
    async with serve_app(responder, database_url) as h:
        meta = IssueModalMeta(channel_id="C0000CHAN", permalink="https://example.slack.com/archives/C1/p1").dump()
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, issue_state(), meta))
        assert status == 200
        assert "errors" not in body
        await h.fake.wait_for("chat.postMessage", 3)
        (confirmation,) = posts_to(h, STAFF)
        assert "ICAM-1" in confirmation["text"]
        (owner_dm,) = posts_to(h, CRED_OWNER)
        assert "ICAM-1" in owner_dm["text"]
        (triage,) = posts_to(h, CRED_CHANNEL)
        assert action_ids(triage["blocks"]) == [
            ActionId.ITEM_ACKNOWLEDGE,
            ActionId.ITEM_ASSIGN_ME,
            ActionId.ITEM_ESCALATE,
            ActionId.ITEM_RESOLVE,
        ]
        item = h.services.tracker.get("ICAM-1", actor=STAFF)
        assert (item.program, item.bureau, item.permalink) == (
            "credentialing",
            "Office of the CIO",
            "https://example.slack.com/archives/C1/p1",
        )
        assert h.services.metrics.registry.get_sample_value("icam_bot_items_opened_total") == 1


async def test_bad_modal_input_comes_back_as_errors_on_the_fields(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        bad = issue_state(**{BlockId.KIND: option("risk"), BlockId.TITLE: text_value(None)})
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, bad, ""))
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "errors"
        assert set(reply["errors"]) == {BlockId.TITLE, BlockId.LIKELIHOOD, BlockId.IMPACT}
        assert "required" in reply["errors"][BlockId.TITLE]
        await asyncio.sleep(0.1)
        assert h.fake.calls_to("chat.postMessage") == []


async def test_a_risk_keeps_its_likelihood_impact_and_mitigation_owner(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        risk = issue_state(
            **{
                BlockId.KIND: option("risk"),
                BlockId.LIKELIHOOD: option("4"),
                BlockId.IMPACT: option("5"),
                BlockId.MITIGATION_OWNER: {"type": "users_select", "selected_user": CRED_OWNER_2},
            }
        )
        status, _ = await h.interact(view_submission(CallbackId.ISSUE_MODAL, risk, ""))
        assert status == 200
        await h.fake.wait_for("chat.postMessage", 3)
        item = h.services.tracker.get("ICAM-1", actor=STAFF)
        assert (item.risk_score, item.mitigation_owner_id) == (20, CRED_OWNER_2)


async def test_database_down_shows_not_saved_on_the_form_which_keeps_the_text(responder, sqlite_url, tmp_path):
    async with serve_app(responder, sqlite_url) as h:
        broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
        h.services.tracker = TrackerService(broken, h.services.tracker.programs)
        view_state = issue_state(**{BlockId.DESCRIPTION: text_value("Readers down <!channel> & more")})
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, view_state, ""))
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "errors"
        assert "Not saved" in reply["errors"][BlockId.DESCRIPTION]
        assert "unavailable" in reply["errors"][BlockId.DESCRIPTION]
        await asyncio.sleep(0.2)
        assert h.fake.calls_to("chat.postMessage") == []
        broken.dispose()


# -- commands -------------------------------------------------------------------------------------------


async def test_status_mine_and_refusals_are_ephemeral(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        ref = create_item(h)
        reply = await reply_to(h, f"status {ref}")
        assert "ICAM-1" in reply["text"]
        assert "PIV card not read" in reply["text"]
        assert "belongs to someone else" in (await reply_to(h, "status ICAM-1", user=OTHER))["text"]
        # not an item id: /icam status <program> is the program board, which names the programs
        assert "no component program called 'banana'" in (await reply_to(h, "status banana"))["text"]
        assert "no item ICAM-99" in (await reply_to(h, "status ICAM-99"))["text"]
        assert "ICAM program status board" in (await reply_to(h, "status"))["text"]  # enterprise view
        assert "ICAM-1" in (await reply_to(h, "mine"))["text"]
        assert "no open items" in (await reply_to(h, "mine", user=OTHER))["text"]
        assert h.fake.calls_to("chat.postMessage") == []  # nothing about the item went to a channel


async def test_queue_and_stats_are_for_the_pmo(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        assert "only ICAM PMO members" in (await reply_to(h, "queue"))["text"]
        assert "ICAM-1" in (await reply_to(h, "queue", user=PMO))["text"]
        assert "ICAM-1" in (await reply_to(h, "queue credentialing", user=CRED_OWNER))["text"]
        assert "Nothing open" in (await reply_to(h, "queue pacs", user=PMO))["text"]
        assert "must be one of" in (await reply_to(h, "queue nope", user=PMO))["text"]
        assert "statistics are for" in (await reply_to(h, "stats"))["text"]
        stats = (await reply_to(h, "stats", user=PMO))["text"]
        assert "Total 1" in stats
        assert "open 1" in stats


async def test_assign_comment_escalate_resolve_reopen_notify_and_refuse(responder, database_url):
    async with serve_app(responder, database_url) as h:
        create_item(h)
        reply = await reply_to(h, f"assign ICAM-1 <@{CRED_OWNER_2}|bob>", user=PMO)
        assert f"assigned to <@{CRED_OWNER_2}>" in reply["text"]
        await h.fake.wait_for("chat.postMessage", 2)
        assert "assigned to you" in posts_to(h, CRED_OWNER_2)[0]["text"]
        assert "new -&gt; triaged" in posts_to(h, STAFF)[0]["text"]
        assert "Usage" in (await reply_to(h, "assign ICAM-1 bob", user=PMO))["text"]
        assert "you raised ICAM-1" in (await reply_to(h, f"assign ICAM-1 <@{OTHER}>"))["text"]

        assert "has your comment" in (await reply_to(h, "comment ICAM-1 still <b>broken</b>"))["text"]
        await h.fake.wait_for("chat.postMessage", 3)
        assert "still &lt;b&gt;broken&lt;/b&gt;" in posts_to(h, CRED_OWNER_2)[-1]["text"]

        assert "escalated" in (await reply_to(h, "escalate ICAM-1 blocking the whole office"))["text"]
        assert any("escalated" in p["text"] for p in await _wait_posts(h, CRED_LEAD, 1))

        assert "you raised ICAM-1" in (await reply_to(h, "resolve ICAM-1 fixed it myself"))["text"]
        assert "Usage" in (await reply_to(h, "resolve ICAM-1", user=PMO))["text"]
        assert "is resolved" in (await reply_to(h, "resolve ICAM-1 reader firmware updated", user=PMO))["text"]
        reporter_dms = await _wait_posts(h, STAFF, 2)
        assert "resolved" in reporter_dms[-1]["text"]
        assert "cannot resolve" in (await reply_to(h, "resolve ICAM-1 again", user=PMO))["text"]

        assert "is reopened" in (await reply_to(h, "reopen ICAM-1"))["text"]
        reporter_dms = await _wait_posts(h, STAFF, 3)
        assert "reopened" in reporter_dms[-1]["text"]
        assert "still open" in (await reply_to(h, "reopen ICAM-1"))["text"]

        registry = h.services.metrics.registry  # create_item bypasses Slack: nothing counted as created
        assert registry.get_sample_value("icam_bot_items_escalated_total") == 1
        assert registry.get_sample_value("icam_bot_items_resolved_total") == 1


async def _wait_posts(h: Harness, channel: str, count: int) -> list[dict[str, Any]]:
    for _ in range(200):
        if len(posts_to(h, channel)) >= count:
            break
        await asyncio.sleep(0.02)
    posts = posts_to(h, channel)
    assert len(posts) >= count, posts
    return posts


async def test_help_lists_the_tracker_subcommands(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        _, body = await h.command("help")
        text = json.loads(body)["text"]
        for sub in ("issue", "status", "mine", "queue", "assign", "comment", "escalate", "resolve", "reopen"):
            assert f"/icam {sub}" in text
        assert "/icam stats" in text


# -- triage buttons ---------------------------------------------------------------------------------------


def item_button(action_id: str, item_id: int = 1) -> dict[str, Any]:
    return {"action_id": action_id, "value": encode_value(i=item_id), "block_id": BlockId.ITEM_ACTIONS}


async def test_acknowledge_and_assign_to_me_update_the_triage_message(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        payload = block_actions(
            item_button(ActionId.ITEM_ACKNOWLEDGE),
            h.fake.response_url("btn"),
            user=CRED_OWNER,
            channel=CRED_CHANNEL,
            message_ts="1700000100.000100",
        )
        status, _ = await h.interact(payload)
        assert status == 200
        (update,) = await h.fake.wait_for("chat.update")
        assert (update.params["channel"], update.params["ts"]) == (CRED_CHANNEL, "1700000100.000100")
        assert "triaged" in update.params["text"]
        assert f"acknowledged by <@{CRED_OWNER}>" in update.texts()
        assert "triaged" in (await _wait_posts(h, STAFF, 1))[0]["text"]

        payload = block_actions(
            item_button(ActionId.ITEM_ASSIGN_ME),
            h.fake.response_url("btn"),
            user=CRED_OWNER_2,
            channel=CRED_CHANNEL,
            message_ts="1700000100.000100",
        )
        await h.interact(payload)
        await h.fake.wait_for("chat.update", 2)
        assert h.services.tracker.get("ICAM-1", actor=PMO).assignee_id == CRED_OWNER_2

        # someone with no role on the item is refused, privately
        button = item_button(ActionId.ITEM_ASSIGN_ME)
        await h.interact(block_actions(button, h.fake.response_url("no"), user=OTHER))
        (refusal,) = await h.fake.wait_for("response_url")
        assert refusal.params["response_type"] == "ephemeral"
        assert "belongs to someone else" in refusal.params["text"]
        assert len(h.fake.calls_to("chat.update")) == 2


async def test_an_edit_owed_by_a_replica_that_died_is_made_by_another(responder, database_url):
    """The edit of the triage message is stored with the change (an outbox row of topic ``update``): replica A
    records the acknowledgement and dies before its dispatcher sends the edit; replica B makes it, once."""
    fake = await FakeSlack().start()
    try:
        async with serve_app(responder, database_url, fake=fake) as a:
            create_item(a)
            await a.services.outbox_task.stop()  # A "dies": its dispatcher sends nothing more
            a.services.outbox_task.kick = lambda: None
            payload = block_actions(
                item_button(ActionId.ITEM_ACKNOWLEDGE),
                fake.response_url("btn"),
                user=CRED_OWNER,
                channel=CRED_CHANNEL,
                message_ts="1700000100.000100",
            )
            status, _ = await a.interact(payload)
            assert status == 200
            edits = await _wait_edits(a, 1)  # the button's listener runs after its ack
            assert edits == [(CRED_CHANNEL, "1700000100.000100", "pending")]
            assert a.services.tracker.get("ICAM-1", actor=PMO).status.value == "triaged"
        assert fake.calls_to("chat.update") == []
        async with serve_app(responder, database_url, fake=fake):
            (edit,) = await fake.wait_for("chat.update")
            assert (edit.params["channel"], edit.params["ts"]) == (CRED_CHANNEL, "1700000100.000100")
            assert f"acknowledged by <@{CRED_OWNER}>" in edit.texts()
            await asyncio.sleep(0.3)
        assert len(fake.calls_to("chat.update")) == 1
    finally:
        await fake.stop()


async def _wait_edits(h: Harness, count: int, timeout: float = 10.0) -> list[tuple[str, str, str]]:
    """The outbox's edit rows (channel, target ts, status) once there are ``count`` of them."""
    query = select(OutboxMessage.recipient, OutboxMessage.target_ts, OutboxMessage.status).where(
        OutboxMessage.topic == "update"
    )
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with h.store.engine.connect() as conn:
            edits = [tuple(e) for e in conn.execute(query).all()]
        if len(edits) >= count or asyncio.get_running_loop().time() > deadline:
            return edits
        await asyncio.sleep(0.05)


def test_escalate_and_resolve_buttons_ask_for_a_reason_in_a_modal(responder, database_url):
    async def scenario():
        async with serve_app(responder, database_url) as h:
            create_item(h)
            button = item_button(ActionId.ITEM_ESCALATE)
            await h.interact(
                block_actions(button, h.fake.response_url(), user=CRED_OWNER, channel=CRED_CHANNEL, message_ts="9.1")
            )
            (opened,) = await h.fake.wait_for("views.open")
            view = opened.params["view"]
            assert view["callback_id"] == CallbackId.REASON_MODAL
            assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
            meta = view["private_metadata"]
            assert ReasonModalMeta.load(meta) == ReasonModalMeta(ActionId.ITEM_ESCALATE, 1, CRED_CHANNEL, "9.1")

        empty = modal_state(**{BlockId.REASON: text_value(None)})
        status, body = await h.interact(view_submission(CallbackId.REASON_MODAL, empty, meta, user=CRED_OWNER))
        assert status == 200
        assert json.loads(body)["response_action"] == "errors"
        assert BlockId.REASON in json.loads(body)["errors"]

        reason = modal_state(**{BlockId.REASON: text_value("blocking 40 staff")})
        status, body = await h.interact(view_submission(CallbackId.REASON_MODAL, reason, meta, user=CRED_OWNER))
        assert status == 200
        assert "errors" not in body
        (update,) = await h.fake.wait_for("chat.update")
        assert (update.params["channel"], update.params["ts"]) == (CRED_CHANNEL, "9.1")
        assert any("blocking 40 staff" in p["text"] for p in await _wait_posts(h, CRED_LEAD, 1))

        # resolving needs the right role: the refusal shows on the modal's field
        resolve = ReasonModalMeta(ActionId.ITEM_RESOLVE, 1, CRED_CHANNEL, "9.1").dump()
        done = modal_state(**{BlockId.REASON: text_value("fixed")})
        _, body = await h.interact(view_submission(CallbackId.REASON_MODAL, done, resolve, user=OTHER))
        assert "belongs to someone else" in json.loads(body)["errors"][BlockId.REASON]
        _, body = await h.interact(view_submission(CallbackId.REASON_MODAL, done, resolve, user=CRED_OWNER))
        assert "errors" not in body
        await h.fake.wait_for("chat.update", 2)
        assert h.services.tracker.get("ICAM-1", actor=PMO).status.value == "resolved"


# -- App Home ---------------------------------------------------------------------------------------------


async def test_app_home_for_pmo_shows_queues_with_buttons_within_100_blocks(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        for n in range(30):
            create_item(h, title=f"item number {n}", program=("credentialing", "pacs", "other")[n % 3])
        await h.event(app_home_opened(user=PMO))
        (call,) = await h.fake.wait_for("views.publish")
        view = call.params["view"]
        sent = json.dumps(view)
        assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
        for heading in ("ICAM PMO queue", "New / unassigned", "Overdue", "Open items by program"):
            assert heading in sent
        assert ActionId.ITEM_ACKNOWLEDGE in action_ids(view["blocks"])
        block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
        assert len(block_ids) == len(set(block_ids))

        # an action taken on the Home tab re-publishes it
        payload = block_actions(item_button(ActionId.ITEM_ACKNOWLEDGE), "", user=PMO)
        payload.pop("response_url")
        payload.pop("message")
        payload["container"] = {"type": "view", "view_id": "V0000001"}
        await h.interact(payload)
        await h.fake.wait_for("views.publish", 2)


async def test_app_home_for_staff_shows_their_open_items_only(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h, title="my own item")
        create_item(h, title="someone else's item", reporter_id=OTHER)
        await h.event(app_home_opened(user=STAFF))
        (call,) = await h.fake.wait_for("views.publish")
        sent = json.dumps(call.params["view"])
        assert "my own item" in sent
        assert "someone else" not in sent
        assert "ICAM PMO queue" not in sent


async def test_app_home_for_a_program_owner_shows_their_programs_queue(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h, title="credentialing item")
        create_item(h, title="pacs item", program="pacs")
        await h.event(app_home_opened(user=CRED_OWNER_2))
        (call,) = await h.fake.wait_for("views.publish")
        sent = json.dumps(call.params["view"])
        assert "Your programs' queue" in sent
        assert "credentialing item" in sent
        assert "pacs item" not in sent
        assert ActionId.ITEM_ASSIGN_ME in sent


# -- SLA sweeper ------------------------------------------------------------------------------------------


async def test_sweeper_task_delivers_escalations_through_the_sender_and_stops_cleanly(responder, database_url):
    async with serve_app(responder, database_url) as h:
        clock = Clock()
        use_clock(h, clock)
        create_item(h, severity="critical")
        clock.now = MONDAY_9AM + dt.timedelta(days=3)
        assert posts_to(h, CRED_LEAD) == []
        task = SweeperTask(h.services, _client(h), interval=0.05).start()
        assert task.running
        try:
            posts = await _wait_posts(h, CRED_LEAD, 1)
        finally:
            await task.stop()
        assert "escalated" in posts[0]["text"]
        assert "first-response SLA missed" in posts[0]["text"]
        assert not task.running
        assert h.services.metrics.registry.get_sample_value("icam_bot_sla_breaches_total") == 1


def _client(h: Harness):
    from handlers.runtime.sender import make_web_client

    return make_web_client("xoxb-test-token", h.fake.api_url)


async def test_sweep_once_with_an_injected_clock_then_deliver(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        clock = Clock()
        use_clock(h, clock)
        create_item(h, severity="critical")
        task = SweeperTask(h.services, _client(h), interval=60)
        result = task.sweeper.sweep_once(MONDAY_9AM + dt.timedelta(days=3))
        assert result.escalated == ("ICAM-1",)
        await h.services.deliver_outbox()
        assert any("escalated" in p["text"] for p in posts_to(h, CRED_LEAD))


async def test_http_server_runs_the_sweeper_and_stops_it_on_shutdown(responder, sqlite_url):
    engine = create_engine(sqlite_url)
    service = TrackerService(engine, load_programs(), clock=Clock())
    service.create(NewItem("issue", "Old item", "Overdue for months", "credentialing", "critical", STAFF))
    engine.dispose()

    async with serve_app(responder, sqlite_url, sweep_seconds=0.05) as h:
        posts = await _wait_posts(h, CRED_LEAD, 1)
        assert "escalated" in posts[0]["text"]
    count = len(h.fake.calls_to("chat.postMessage"))
    await asyncio.sleep(0.2)
    assert len(h.fake.calls_to("chat.postMessage")) == count  # stopped with the server


# -- start-up -------------------------------------------------------------------------------------------


@pytest.fixture
def serve_env(monkeypatch, tmp_path):
    for name in ("SLACK_APP_TOKEN", "SLACK_API_URL", "ICAM_PMO_MEMBERS", "PORT", "ICAM_SWEEP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ICAM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("ICAM_DEMO", "1")
    return tmp_path


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "100000"])
def test_bad_sweep_interval_stops_start_up(serve_env, monkeypatch, capsys, value):
    monkeypatch.setenv("ICAM_SWEEP_SECONDS", value)
    assert main(["serve"]) == 2
    assert "ICAM_SWEEP_SECONDS" in capsys.readouterr().err


def test_broken_programs_file_stops_start_up_naming_the_problem(serve_env: Path, monkeypatch, capsys):
    broken = serve_env / "programs.yaml"
    broken.write_text("pmo_members: [nobody]\n")
    monkeypatch.setenv("ICAM_PROGRAMS_FILE", str(broken))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "programs.yaml" in err
    assert "pmo_members" in err
    assert "Traceback" not in err
