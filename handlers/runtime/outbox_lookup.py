"""Finding a message an earlier attempt of an outbox row posted, by the metadata every outbox post carries.

A replica can die after Slack accepted a message and before the ts was recorded; the row's next attempt (by
any replica) first reads the conversation from a little before that attempt started (``conversations.history``
with ``include_all_metadata``) and, when the message is there, records its ts instead of posting it again.
Direct messages are read in the IM conversation (``conversations.open`` names it). Reading history needs the
``channels:history``, ``groups:history`` and ``im:history`` scopes; without them (``missing_scope``) the row is
sent again as before (logged once).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.runtime.sender import SEND_ERRORS

logger = logging.getLogger(__name__)

#: The metadata event type of outbox posts: ``event_payload`` is ``{"row": <outbox id>}``.
EVENT_TYPE = "icam_outbox"
#: How far before the attempt's start to read (clocks of the replicas and Slack differ a little).
MARGIN = dt.timedelta(minutes=2)
#: Pages of history read at most (a busy channel: 200 messages a page).
MAX_PAGES = 5
PAGE_SIZE = 200
SCOPE_ERRORS = frozenset({"missing_scope", "not_allowed_token_type", "no_permission"})


def outbox_metadata(row_id: int) -> dict[str, Any]:
    """The ``metadata`` argument of chat.postMessage for outbox row ``row_id``."""
    return {"event_type": EVENT_TYPE, "event_payload": {"row": row_id}}


class Found(enum.Enum):
    """What the look found when no message was: NOT_FOUND (send it), UNKNOWN (could not read: see ``error``)."""

    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Lookup:
    """The ts of the message found, else what prevented it (``error``: a Slack error code) or nothing found."""

    ts: str | None = None
    result: Found = Found.NOT_FOUND
    error: str | None = None


class SentLookup:
    """Looks for outbox posts in Slack; remembers (and logs once) that the app may not read history."""

    def __init__(self) -> None:
        self.unavailable = False

    async def find(self, client: AsyncWebClient, recipient: str, row_id: int, since: dt.datetime) -> Lookup:
        """The message row ``row_id`` posted to ``recipient`` (a conversation, or a user: their IM) since a
        little before ``since``."""
        if self.unavailable:
            return Lookup()
        try:
            channel = await self._conversation(client, recipient)
            oldest = f"{(since - MARGIN).timestamp():.6f}"
            cursor: str | None = None
            for _ in range(MAX_PAGES):
                page = await client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=PAGE_SIZE, cursor=cursor
                )
                for message in page.get("messages") or []:
                    if carries(message, EVENT_TYPE, "row", row_id):
                        return Lookup(ts=str(message["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or not cursor:
                    break
        except SlackApiError as exc:
            error = str(exc.response.get("error") if exc.response is not None else "request_failed")
            if error in SCOPE_ERRORS:
                if self.unavailable:  # (concurrent looks: logged once)
                    return Lookup()
                self.unavailable = True
                logger.warning(
                    "outbox: cannot read conversation history (%s): a message whose send was interrupted is sent "
                    "again without looking for it first; grant channels:history, groups:history, im:history",
                    error,
                )
                return Lookup()
            logger.warning("outbox row %d: looking for an earlier send failed: %s", row_id, error)
            return Lookup(result=Found.UNKNOWN, error=error)
        except SEND_ERRORS:
            logger.warning("outbox row %d: looking for an earlier send failed", row_id, exc_info=True)
            return Lookup(result=Found.UNKNOWN, error="request_failed")
        return Lookup()

    async def _conversation(self, client: AsyncWebClient, recipient: str) -> str:
        """The conversation id of ``recipient``: a user id (U..., W...) is their IM with the app."""
        if not recipient.startswith(("U", "W")):
            return recipient
        opened = await client.conversations_open(users=recipient)
        channel = (opened.get("channel") or {}).get("id")
        return str(channel) if channel else recipient


def carries(message: dict[str, Any], event_type: str, key: str, value: int) -> bool:
    """Whether a message from conversations.history carries the metadata ``{event_type, {key: value}}``."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != event_type:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and str(payload.get(key)) == str(value) and bool(message.get("ts"))
