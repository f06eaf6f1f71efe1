"""Global middleware: inject services, and handle each Slack event exactly once (retries included)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from handlers.services import CONTEXT_KEY, Services

logger = logging.getLogger(__name__)


def install(app: AsyncApp, services: Services) -> None:
    """Add the middleware to ``app`` (before any listener runs)."""

    async def inject_services(context: Any, next_: Callable[[], Awaitable[None]]) -> None:
        context[CONTEXT_KEY] = services
        await next_()

    async def once_per_event(
        body: dict[str, Any], request: Any, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str) or not event_id:
            await next_()
            return None
        try:
            first = await asyncio.to_thread(services.store.claim_event, event_id)
        except SQLAlchemyError:
            logger.exception("could not record event %s; handling it anyway", event_id)
            first = True
        if first:
            await next_()
            return None
        retry = request.headers.get("x-slack-retry-num", ["0"])
        logger.info("skipping duplicate event %s (retry %s)", event_id, retry[0] if retry else "?")
        return BoltResponse(status=200, body="")

    app.middleware(inject_services)
    app.middleware(once_per_event)
