"""Tracker counters on /metrics: every path that creates, escalates or resolves an item, and the SLA sweeper."""

from __future__ import annotations

import asyncio

from fake_clock import Clock
from slack_harness import Harness, reply_to, serve_app
from slack_requests import modal_state, view_submission
from sqlalchemy import create_engine
from test_ops_endpoints import metrics, sample
from test_slack_tracker import CRED_LEAD, CRED_OWNER, OTHER, STAFF, _wait_posts, create_item, text_value

from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.tracker.modals import ReasonModalMeta
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.service import NewItem, TrackerService

COUNTERS = ("icam_bot_items_opened_total", "icam_bot_items_escalated_total", "icam_bot_items_resolved_total")


async def counts(h: Harness) -> dict[str, float]:
    _, exposition = await metrics(h)
    return {name: sample(exposition, name) for name in (*COUNTERS, "icam_bot_sla_breaches_total")}


async def reason(h: Harness, action: str, text: str, user: str) -> str:
    meta = ReasonModalMeta(action, 1, "C0EXAMPLECRD", "9.1").dump()
    view_state = modal_state(**{BlockId.REASON: text_value(text)})
    _, body = await h.interact(view_submission(CallbackId.REASON_MODAL, view_state, meta, user=user))
    return body


async def test_reason_modal_escalations_and_resolutions_are_counted_refusals_are_not(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        assert "errors" in await reason(h, ActionId.ITEM_RESOLVE, "fixed", user=OTHER)  # refused
        assert (await counts(h))["icam_bot_items_resolved_total"] == 0
        assert "errors" not in await reason(h, ActionId.ITEM_ESCALATE, "blocking 40 staff", user=CRED_OWNER)
        assert "errors" not in await reason(h, ActionId.ITEM_RESOLVE, "reader replaced", user=CRED_OWNER)
        after = await counts(h)
        assert after["icam_bot_items_escalated_total"] == 1
        assert after["icam_bot_items_resolved_total"] == 1
        assert after["icam_bot_items_opened_total"] == 0  # created outside Slack
        assert after["icam_bot_sla_breaches_total"] == 0  # people's escalations are not SLA breaches


async def test_slash_command_refusals_are_not_counted(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        create_item(h)
        assert "you raised ICAM-1" in (await reply_to(h, "resolve ICAM-1 fixed it myself", user=STAFF))["text"]
        assert "Usage" in (await reply_to(h, "escalate ICAM-1"))["text"]
        assert (await counts(h))["icam_bot_items_resolved_total"] == 0
        assert (await counts(h))["icam_bot_items_escalated_total"] == 0


async def test_sweeper_escalations_count_as_escalations_and_sla_breaches_once_each(responder, sqlite_url):
    engine = create_engine(sqlite_url)
    service = TrackerService(engine, load_programs(), clock=Clock())  # created long ago: overdue now
    for title in ("Old item", "Older item"):
        service.create(NewItem("issue", title, "Overdue for months", "credentialing", "critical", STAFF))
    engine.dispose()

    async with serve_app(responder, sqlite_url, sweep_seconds=0.05) as h:
        await _wait_posts(h, CRED_LEAD, 2)
        await asyncio.sleep(0.3)  # several more sweeps: nothing is escalated twice
        after = await counts(h)
        assert after["icam_bot_sla_breaches_total"] == 2
        assert after["icam_bot_items_escalated_total"] == 2
        assert after["icam_bot_items_opened_total"] == 0
