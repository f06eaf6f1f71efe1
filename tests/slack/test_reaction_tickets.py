"""The ticket reaction end to end over signed HTTP: an ephemeral confirmation to the person who reacted; Create makes
exactly one tracker item (reporter: who reacted, a permalink back, the text made inert), Cancel makes none, and a
second reaction on the same message makes no second item."""

from __future__ import annotations

import asyncio

from slack_harness import Harness, serve_app
from slack_requests import block_actions, reaction_added
from sqlalchemy import func, select
from webhook_support import SECRET, SECRET_ENV, Receiver, write_routing

from handlers.common.ids import ActionId
from icam_bot.tracker.models import TrackerItem

HELP = "C0000HELP"
TS = "1700000500.000100"
REACTOR = "U0000REACT"
TEXT = '=HYPERLINK("x") badge readers in building 3 reject new PIV cards <@U0000BOSS> <!channel>'


def items(h: Harness) -> list[TrackerItem]:
    with h.store.sessions() as session:
        rows = list(session.scalars(select(TrackerItem).order_by(TrackerItem.id)))
        session.expunge_all()
        return rows


async def confirmation(h: Harness, count: int = 1) -> dict:
    calls = await h.fake.wait_for("chat.postEphemeral", count)
    return calls[count - 1].params


def button(params: dict, action_id: str) -> dict:
    for block in params["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {params['blocks']}")


async def click(h: Harness, params: dict, action_id: str, key: str) -> dict:
    element = button(params, action_id)
    before = len(h.fake.calls_to("response_url"))
    payload = block_actions(
        {"action_id": action_id, "value": element["value"]}, h.fake.response_url(key), user=REACTOR, ephemeral=True
    )
    status, _ = await h.interact(payload)
    assert status == 200
    return (await h.fake.wait_for("response_url", before + 1))[before].params


def seed(h: Harness) -> None:
    h.fake.messages[HELP].append({"type": "message", "user": "U0000AUTH", "ts": TS, "text": TEXT})


async def test_confirm_creates_one_item_reported_by_whoever_reacted_with_a_link_back(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seed(h)
        assert await h.event(reaction_added("ticket", user=REACTOR, channel=HELP, ts=TS), "EvREACT0001") == 200
        asked = await confirmation(h)
        assert (asked["channel"], asked["user"]) == (HELP, REACTOR)
        assert "<@U0000BOSS>" not in asked["text"] + str(asked["blocks"])
        assert items(h) == []  # nothing before the person confirms
        reply = await click(h, asked, ActionId.REACTION_TICKET_CREATE, "c1")
        (item,) = items(h)
        assert f"ICAM-{item.id}" in reply["text"]
        assert reply["replace_original"] is True
        assert (item.reporter_id, item.channel_id, item.thread_ts) == (REACTOR, HELP, TS)
        assert item.permalink == f"https://example.slack.com/archives/{HELP}/p{TS.replace('.', '')}"
        assert h.fake.calls_to("chat.getPermalink")
        for text in (item.title, item.description):
            assert "<@" not in text
            assert "<!" not in text
            assert not text.startswith(("=", "+", "-", "@"))
        assert item.title.startswith("'=HYPERLINK")
        assert "@someone" in item.description
        for _ in range(250):  # the reporter is told through the outbox, like for any new item
            if any(c.params.get("channel") == REACTOR for c in h.fake.calls_to("chat.postMessage")):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the reporter was not told about the new item")


async def test_cancel_creates_nothing(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seed(h)
        await h.event(reaction_added("ticket", user=REACTOR, channel=HELP, ts=TS), "EvREACT0002")
        reply = await click(h, await confirmation(h), ActionId.REACTION_TICKET_CANCEL, "c2")
        assert "no tracker item" in reply["text"]
        await asyncio.sleep(0.2)
        assert items(h) == []


async def test_a_second_reaction_on_the_same_message_creates_no_second_item(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seed(h)
        await h.event(reaction_added("ticket", user=REACTOR, channel=HELP, ts=TS), "EvREACT0003")
        first = await confirmation(h)
        await h.event(reaction_added("ticket", user="U0000OTHER", channel=HELP, ts=TS), "EvREACT0004")
        second = await confirmation(h, 2)  # both confirmations are out before either is clicked
        await click(h, first, ActionId.REACTION_TICKET_CREATE, "c3")
        again = await click(h, second, ActionId.REACTION_TICKET_CREATE, "c4")
        assert "already tracked" in again["text"]
        await h.event(reaction_added("ticket", user="U0000THIRD", channel=HELP, ts=TS), "EvREACT0005")
        third = await confirmation(h, 3)
        assert "already tracked" in third["text"]
        assert not any(b["type"] == "actions" for b in third["blocks"])
        with h.store.sessions() as session:
            assert session.scalar(select(func.count()).select_from(TrackerItem)) == 1


async def test_other_reactions_do_nothing(responder, database_url):
    async with serve_app(responder, database_url) as h:
        seed(h)
        await h.event(reaction_added("thumbsup", user=REACTOR, channel=HELP, ts=TS), "EvREACT0006")
        await asyncio.sleep(0.3)
        assert h.fake.attempts("chat.postEphemeral") == []
        assert items(h) == []


async def test_the_new_item_reaches_the_programs_webhook_from_the_served_app(
    responder, database_url, tmp_path, monkeypatch
):
    """The served app's webhook dispatcher: the change that created the item wrote its event; notify() sends it."""
    receiver = await Receiver().start()
    try:
        monkeypatch.setenv(
            "ICAM_PROGRAMS_FILE", str(write_routing(tmp_path / "programs.yaml", receiver.url, every_program=True))
        )
        monkeypatch.setenv(SECRET_ENV, SECRET)
        monkeypatch.setenv("ICAM_WEBHOOKS_ALLOW_HTTP", "1")
        async with serve_app(responder, database_url) as h:
            h.fake.messages[HELP].append({"type": "message", "user": "U0000AUTH", "ts": TS, "text": "PIV card locked"})
            await h.event(reaction_added("ticket", user=REACTOR, channel=HELP, ts=TS), "EvREACT0007")
            await click(h, await confirmation(h), ActionId.REACTION_TICKET_CREATE, "c7")
            (got,) = await receiver.wait_for(1)
            (item,) = items(h)
            assert got.signed
            assert (got.body["type"], got.body["data"]["item"]["ref"]) == ("item.created", f"ICAM-{item.id}")
            counted = 'icam_bot_webhook_deliveries_total{event="item.created",outcome="delivered"} 1.0'
            for _ in range(250):  # counted once the delivery is recorded, just after the receiver answered
                if counted in h.services.metrics.exposition().decode():
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the delivery was not counted")
    finally:
        await receiver.stop()
