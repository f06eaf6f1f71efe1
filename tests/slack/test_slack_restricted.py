"""Sensitive programs in Slack: the triage channel sees "ICAM-n (restricted)"; "Show details" shows the item
privately to those allowed, refuses the others, and records both in the access log."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_harness import serve_app
from slack_requests import block_actions

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId, BlockId
from icam_bot.records.access import AccessFilter, AccessLog
from icam_bot.tracker.service import NewItem

STAFF = "U0000STAFF"
OTHER = "U0000OTHER"
PSEC_OWNER = "U0EXAMPLE41"
PSEC_CHANNEL = "C0EXAMPLEPSEC"
SECRET_TITLE = "Clearance suspended for J. Doe"
SECRET_TEXT = "Adjudication found foreign contacts."


def button(action_id: str, item_id: int) -> dict[str, Any]:
    return {"action_id": action_id, "value": encode_value(i=item_id), "block_id": BlockId.ITEM_ACTIONS}


async def test_sensitive_items_are_restricted_in_channels_and_shown_privately_to_those_allowed(responder, database_url):
    async with serve_app(responder, database_url) as h:
        new = NewItem(
            kind="concern",
            title=SECRET_TITLE,
            description=SECRET_TEXT,
            program="personnel-security",
            severity="high",
            reporter_id=STAFF,
        )
        result = await asyncio.to_thread(h.services.tracker.create, new)
        await h.services.deliver_outbox()  # the notifications were written to the outbox with the item
        item = result.item
        (channel_post,) = [c.params for c in h.fake.calls_to("chat.postMessage") if c.params["channel"] == PSEC_CHANNEL]
        assert channel_post["text"] == f"{item.ref} (restricted)"
        assert SECRET_TITLE not in str(channel_post)
        assert SECRET_TEXT not in str(channel_post)
        (owner_dm,) = [c.params for c in h.fake.calls_to("chat.postMessage") if c.params["channel"] == PSEC_OWNER]
        assert SECRET_TITLE in str(owner_dm)  # a direct message to someone allowed keeps the details

        show = button(ActionId.ITEM_SHOW_DETAILS, item.id)
        await h.interact(block_actions(show, h.fake.response_url("owner"), user=PSEC_OWNER, channel=PSEC_CHANNEL))
        (details,) = await h.fake.wait_for("response_url")
        assert details.params["response_type"] == "ephemeral"
        assert details.params["replace_original"] is False
        assert SECRET_TITLE in str(details.params)
        assert SECRET_TEXT in str(details.params)

        await h.interact(block_actions(show, h.fake.response_url("other"), user=OTHER, channel=PSEC_CHANNEL))
        refusal = (await h.fake.wait_for("response_url", 2))[1]
        assert "belongs to someone else" in refusal.params["text"]
        assert SECRET_TITLE not in str(refusal.params)

        reads = AccessLog(h.store.engine).events(AccessFilter(item_id=item.id))
        assert [(r.actor_id, r.action, r.outcome) for r in reversed(reads)] == [
            (PSEC_OWNER, "item_view", "allowed"),
            (OTHER, "item_view", "refused"),
        ]

        # acting from the channel message keeps it restricted
        ack = button(ActionId.ITEM_ACKNOWLEDGE, item.id)
        await h.interact(
            block_actions(ack, h.fake.response_url("ack"), user=PSEC_OWNER, channel=PSEC_CHANNEL, message_ts="5.1")
        )
        # the message pressed and the item's triage post are both edited, both restricted
        updates = await h.fake.wait_for("chat.update", 2)
        (channel_ts,) = [m["ts"] for m in h.fake.messages[PSEC_CHANNEL]]
        assert sorted(u.params["ts"] for u in updates) == sorted(["5.1", channel_ts])
        for update in updates:
            assert update.params["text"] == f"{item.ref} (restricted)"
            assert SECRET_TITLE not in str(update.params)
        (pressed,) = [u for u in updates if u.params["ts"] == "5.1"]
        assert f"acknowledged by <@{PSEC_OWNER}>" in str(pressed.params)
