"""The teaching forms' submissions: "Another entry…", "New answer" and "Not ICAM"."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.forms import field_value
from handlers.common.guard import guarded
from handlers.common.ids import BlockId, CallbackId
from handlers.services import services_of
from handlers.teaching.actions import run_action, tell
from handlers.teaching.blocks import GapMeta
from icam_bot.errors import FieldsError
from icam_bot.teaching.drafts import AnswerForm
from icam_bot.teaching.service import TeachingError


def register(app: AsyncApp) -> None:
    app.view(CallbackId.GAP_ENTRY_MODAL)(guarded(on_entry_submitted))
    app.view(CallbackId.GAP_ANSWER_MODAL)(guarded(on_answer_submitted))
    app.view(CallbackId.GAP_NOT_ICAM_MODAL)(guarded(on_not_icam_submitted))


def _values(view: dict[str, Any]) -> dict[str, Any]:
    return (view.get("state") or {}).get("values") or {}


def _body_for(meta: GapMeta, body: dict[str, Any]) -> dict[str, Any]:
    """Where run_action confirms: the queue message's response_url when the form came from one."""
    return {**body, "response_url": meta.response_url or None}


async def on_entry_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    services = services_of(context)
    words = field_value(_values(view), BlockId.GAP_SEARCH) or ""
    found = services.responder.entry(words)
    if found is None:
        found = next(iter(await asyncio.to_thread(services.teaching.search, words)), None)
    if found is None:
        await ack(response_action="errors", errors={BlockId.GAP_SEARCH: "No entry matches those words."})
        return
    await ack()
    meta = GapMeta.loads(view.get("private_metadata"))
    user = str((body.get("user") or {}).get("id") or "")
    await run_action(
        services, client, _body_for(meta, body), services.teaching.close_with_entry, user, meta.key, found.id
    )


async def on_answer_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    services = services_of(context)
    values = _values(view)
    days = field_value(values, BlockId.GAP_REVIEW_DAYS) or ""
    if not days.isdigit():
        await ack(response_action="errors", errors={BlockId.GAP_REVIEW_DAYS: "must be a whole number of days"})
        return
    form = AnswerForm(
        question=field_value(values, BlockId.GAP_QUESTION) or "",
        answer=field_value(values, BlockId.GAP_ANSWER) or "",
        category=field_value(values, BlockId.GAP_CATEGORY) or "",
        owner=field_value(values, BlockId.GAP_OWNER) or "",
        sources=field_value(values, BlockId.GAP_SOURCES) or "",
        review_days=int(days),
        alternates=field_value(values, BlockId.GAP_ALTERNATES) or "",
        entry_id=field_value(values, BlockId.GAP_ENTRY_ID) or "",
    )
    meta = GapMeta.loads(view.get("private_metadata"))
    user = str((body.get("user") or {}).get("id") or "")
    try:
        outcome = await asyncio.to_thread(services.teaching.propose, user, form, meta.key or None)
    except FieldsError as exc:
        known = {b.value for b in BlockId}
        errors = {(k if k in known else BlockId.GAP_ANSWER.value): v[:300] for k, v in exc.errors.items()}
        await ack(response_action="errors", errors=errors)
        return
    except TeachingError as exc:
        await ack(response_action="errors", errors={BlockId.GAP_QUESTION: str(exc)[:300]})
        return
    await ack()
    await tell(services, client, _body_for(meta, body), outcome.message)


async def on_not_icam_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    redirect = field_value(_values(view), BlockId.GAP_REDIRECT)
    meta = GapMeta.loads(view.get("private_metadata"))
    user = str((body.get("user") or {}).get("id") or "")
    await run_action(
        services, client, _body_for(meta, body), services.teaching.close_out_of_scope, user, meta.key, redirect
    )
