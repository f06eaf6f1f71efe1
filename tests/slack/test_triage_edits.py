"""Changes made without a button (slash commands, the SLA sweeper) edit the item's triage post too: the same
``update`` outbox row the buttons write, in the transaction of the change."""

from __future__ import annotations

import asyncio
import datetime as dt

from slack_harness import Harness, reply_to, serve_app
from slack_requests import block_actions
from test_slack_tracker import CRED_CHANNEL, CRED_OWNER, CRED_OWNER_2, PMO, STAFF, item_button

from handlers.common.ids import ActionId
from icam_bot.tracker.service import NewItem
from icam_bot.tracker.sweeper import SWEEPER_WORDS, Sweeper


async def posted_item(h: Harness) -> str:
    """An item whose triage post went out (its ts recorded): the ts."""
    h.services.tracker.create(NewItem("issue", "Reader fails", "Readers fail", "credentialing", "high", STAFF))
    h.services.notify()
    await h.fake.wait_for("chat.postMessage", 3)
    for _ in range(200):
        with h.store.engine.connect() as conn:
            sent = conn.exec_driver_sql(
                "SELECT message_ts FROM outbox WHERE recipient = ? AND status = 'sent'"
                if conn.dialect.name == "sqlite"
                else "SELECT message_ts FROM outbox WHERE recipient = %s AND status = 'sent'",
                (CRED_CHANNEL,),
            ).scalar()
        if sent:
            return str(sent)
        await asyncio.sleep(0.05)
    raise AssertionError("the triage post was not recorded")


async def edits(h: Harness, count: int) -> list[dict]:
    calls = await h.fake.wait_for("chat.update", count)
    await asyncio.sleep(0.3)  # and no more
    calls = h.fake.calls_to("chat.update")
    assert len(calls) == count
    return [c.params for c in calls]


async def test_slash_commands_edit_the_triage_post(responder, database_url):
    async with serve_app(responder, database_url) as h:
        ts = await posted_item(h)
        assert "assigned to" in (await reply_to(h, f"assign ICAM-1 <@{CRED_OWNER_2}|bob>", user=PMO))["text"]
        (edit,) = await edits(h, 1)
        assert (edit["channel"], edit["ts"]) == (CRED_CHANNEL, ts)
        assert "(triaged)" in edit["text"]
        assert f"assigned by <@{PMO}>" in str(edit["blocks"])

        assert "is resolved" in (await reply_to(h, "resolve ICAM-1 reader firmware updated", user=PMO))["text"]
        _, resolved = await edits(h, 2)
        assert (resolved["channel"], resolved["ts"]) == (CRED_CHANNEL, ts)
        assert "(resolved)" in resolved["text"]
        assert f"resolved by <@{PMO}>" in str(resolved["blocks"])


async def test_a_sweeper_escalation_edits_the_triage_post(responder, database_url):
    async with serve_app(responder, database_url) as h:
        ts = await posted_item(h)
        sweeper = Sweeper(h.store.engine, h.services.tracker.programs)
        result = sweeper.sweep_once(dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
        assert result.escalated == ("ICAM-1",)
        h.services.notify()
        (edit,) = await edits(h, 1)
        assert (edit["channel"], edit["ts"]) == (CRED_CHANNEL, ts)
        assert SWEEPER_WORDS in str(edit["blocks"])


async def test_a_button_on_the_triage_post_edits_it_once(responder, database_url):
    async with serve_app(responder, database_url) as h:
        ts = await posted_item(h)
        button = item_button(ActionId.ITEM_ACKNOWLEDGE)
        payload = block_actions(button, h.fake.response_url("b"), user=CRED_OWNER, channel=CRED_CHANNEL, message_ts=ts)
        status, _ = await h.interact(payload)
        assert status == 200
        (edit,) = await edits(h, 1)  # the tracker's edit and the button's: the later one supersedes
        assert (edit["channel"], edit["ts"]) == (CRED_CHANNEL, ts)
        assert f"acknowledged by <@{CRED_OWNER}>" in str(edit["blocks"])
