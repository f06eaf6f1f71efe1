"""App Home: the user's recent questions and how to ask; PMO members also see top unanswered questions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.blocks import home_view
from handlers.sender import SEND_ERRORS
from handlers.services import services_of

logger = logging.getLogger(__name__)

RECENT_LIMIT = 5
GAPS_LIMIT = 10


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)


async def on_home_opened(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    services = services_of(context)
    user_id = event["user"]
    is_pmo = services.slack.is_pmo(user_id)
    recent = await asyncio.to_thread(services.store.recent_questions, user_id, RECENT_LIMIT)
    gaps = await asyncio.to_thread(services.store.top_unanswered, GAPS_LIMIT) if is_pmo else []
    try:
        await client.views_publish(user_id=user_id, view=home_view(recent, is_pmo=is_pmo, gaps=gaps))
    except SEND_ERRORS:
        logger.exception("views.publish failed (user=%s)", user_id)
