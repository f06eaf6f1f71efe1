"""Button and shortcut listeners never fail silently: whatever goes wrong after (or before) the ack, the
person is acked at once and told plainly, instead of Bolt waiting out its timeout and answering 404."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from handlers.common.blocks import text_message
from handlers.services import services_of

logger = logging.getLogger(__name__)

UNAVAILABLE_TEXT = (
    ":warning: Sorry, I could not do that: my database is unavailable right now, so nothing was recorded. "
    "Please try again in a minute."
)
FAILED_TEXT = ":warning: Sorry, something went wrong and nothing was recorded. Please try again in a minute."

Listener = Callable[..., Awaitable[None]]


def guarded(listener: Listener) -> Listener:
    """``listener`` with every exception caught: ack if it had not, then an ephemeral apology (or a DM)."""

    @functools.wraps(listener)
    async def wrapper(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception as exc:
            logger.exception("%s failed", listener.__name__)
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                await ack()
            await _apologise(kwargs, UNAVAILABLE_TEXT if isinstance(exc, SQLAlchemyError) else FAILED_TEXT)

    return wrapper


async def _apologise(kwargs: dict[str, Any], text: str) -> None:
    body = kwargs.get("body") or {}
    context = kwargs.get("context")
    if not isinstance(body, dict) or context is None:
        return
    try:
        services = services_of(context)
    except (KeyError, AssertionError):
        return
    if body.get("response_url"):
        await services.sender.respond(body["response_url"], replace_original=False, **text_message(text))
        return
    user = (body.get("user") or {}).get("id")
    client = kwargs.get("client") or services.client
    if isinstance(user, str) and user and client is not None:
        await services.sender.post_message(client, user, **text_message(text))
