"""App Home: recent questions and open items; PMO members also see the tracker queue and top unanswered questions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from handlers.common.blocks import Block, divider, plain
from handlers.home.blocks import home_view
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services, services_of
from handlers.teaching.blocks import queue_blocks
from handlers.tracker.blocks import TrackerHome
from icam_bot.analytics.report import AnswerReport
from icam_bot.tracker.errors import TrackerError

logger = logging.getLogger(__name__)

RECENT_LIMIT = 5
GAPS_LIMIT = 10
TEACH_LIMIT = 5
QUEUE_LIMIT = 100


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)


async def on_home_opened(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    await publish_home(services_of(context), client, event["user"])


async def publish_home(services: Services, client: AsyncWebClient, user_id: str) -> None:
    """Build and views.publish the Home tab for ``user_id`` (also after an action taken on it)."""
    is_pmo = services.is_pmo(user_id)
    recent = await asyncio.to_thread(services.store.recent_questions, user_id, RECENT_LIMIT)
    gaps = await asyncio.to_thread(services.store.top_unanswered, GAPS_LIMIT) if is_pmo else []
    tracker = await asyncio.to_thread(_tracker_home, services, user_id, is_pmo)
    answers = await asyncio.to_thread(_answers, services, user_id) if is_pmo else None
    teach = await _teaching_blocks(services, user_id)
    view = home_view(recent, is_pmo=is_pmo, gaps=gaps, tracker=tracker, answers=answers, teaching=teach)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SEND_ERRORS:
        services.metrics.slack_error("views.publish")
        logger.exception("views.publish failed (user=%s)", user_id)


def _answers(services: Services, user_id: str) -> AnswerReport | None:
    """The last 12 weeks' counts for the PMO's Home (no question text: the gaps section lists those)."""
    try:
        return services.analytics.report(actor=user_id, pmo=False)
    except SQLAlchemyError:
        logger.warning("Home tab without answer analytics (user=%s)", user_id, exc_info=True)
        return None


async def _teaching_blocks(services: Services, user_id: str) -> list[Block]:
    """The review queue for PMO members and program owners (nothing for anyone else)."""
    if not services.teaching.may_review(user_id):
        return []
    rows = await asyncio.to_thread(services.teaching.queue, user_id, TEACH_LIMIT)
    drafts = await asyncio.to_thread(services.teaching.drafts)
    return [
        divider(),
        {"type": "header", "text": plain("Teach me", 150)},
        *queue_blocks(rows, drafts[:5], services.responder.kb.by_id()),
    ]


def _tracker_home(services: Services, user_id: str, is_pmo: bool) -> TrackerHome:
    tracker = services.tracker
    now = services.clock()
    owned = () if is_pmo else tracker.programs.programs_staffed_by(user_id)
    try:
        mine = tracker.mine(actor=user_id)
        if is_pmo:
            return TrackerHome(now, mine, tracker.queue(actor=user_id, limit=QUEUE_LIMIT))
        if not owned:
            return TrackerHome(now, mine)
        queue = [item for slug in owned for item in tracker.queue(actor=user_id, program=slug, limit=QUEUE_LIMIT)]
    except TrackerError:
        logger.warning("Home tab without tracker items (user=%s)", user_id, exc_info=True)
        return TrackerHome(now, unavailable=True)
    queue.sort(key=lambda item: (item.resolution_due_at, item.id))
    return TrackerHome(now, mine, queue[:QUEUE_LIMIT], queue_title="Your programs' queue")
