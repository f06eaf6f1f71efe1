"""``/icam gaps``: the review queue for PMO members and program owners."""

from __future__ import annotations

import asyncio

from handlers.common.blocks import text_message
from handlers.services import Services
from handlers.slash.registry import Call, Message
from handlers.teaching.blocks import queue_message

NOT_ALLOWED_TEXT = "Only ICAM PMO members and program owners can see the questions to teach."


def reviewers(services: Services, user: str) -> Message | None:
    """Who may run ``/icam gaps``: PMO members and program staff (entry owners)."""
    return None if services.teaching.may_review(user) else text_message(NOT_ALLOWED_TEXT)


async def gaps(call: Call) -> Message:
    return await queue_for(call.services, call.user)


async def queue_for(services: Services, user: str) -> Message:
    """The queue (rows with their candidates, drafts waiting) as an ephemeral message."""
    rows = await asyncio.to_thread(services.teaching.queue, user, 8)
    drafts = await asyncio.to_thread(services.teaching.drafts)
    return queue_message(rows, drafts, services.responder.kb.by_id())
