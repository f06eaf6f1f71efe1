"""Finding the reply an earlier holder of a question may have posted, by the metadata every reply carries.

A replica can die after Slack accepted a reply and before the question was marked answered; the replica that
takes the question over finds it in ``sending`` with ``send_started_at`` set and, before posting, reads the
conversation (``conversations.history``, or ``conversations.replies`` for a reply in a thread) from a little
before that time. Found: the question is marked answered, nothing is posted. Replies through a response_url
(``/icam ask``, ephemeral) cannot be read back and are sent again. Synchronous: the answer worker's client.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.runtime.outbox_lookup import MARGIN, PAGE_SIZE, SCOPE_ERRORS, carries

logger = logging.getLogger(__name__)

#: The metadata event type of replies to stored questions: ``event_payload`` is ``{"question": <id>}``.
EVENT_TYPE = "icam_answer"


def answer_metadata(question_id: int) -> dict[str, Any]:
    """The ``metadata`` argument of the reply to stored question ``question_id``."""
    return {"event_type": EVENT_TYPE, "event_payload": {"question": question_id}}


class AnswerLookup:
    """Looks for replies already posted; remembers (and logs once) that the app may not read history."""

    def __init__(self) -> None:
        self.unavailable = False

    def posted(
        self, client: WebClient, channel: str, thread_ts: str | None, question_id: int, since: float
    ) -> bool | None:
        """True when the reply to ``question_id`` is in ``channel`` (``thread_ts``: in that thread) since a
        little before ``since`` (Unix time); False when not (or history cannot be read: sent as before); None
        when Slack could not be asked (try later)."""
        if self.unavailable:
            return False
        oldest = f"{since - MARGIN.total_seconds():.6f}"
        try:
            if thread_ts:
                page = client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=PAGE_SIZE
                )
            else:
                page = client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=PAGE_SIZE
                )
        except SlackApiError as exc:
            error = str(exc.response.get("error") if exc.response is not None else "request_failed")
            if error in SCOPE_ERRORS:
                if not self.unavailable:
                    self.unavailable = True
                    logger.warning(
                        "answers: cannot read conversation history (%s): a reply whose send was interrupted is "
                        "sent again without looking for it first",
                        error,
                    )
                return False
            logger.warning("question %d: looking for an earlier reply failed: %s", question_id, error)
            return None
        except OSError:
            logger.warning("question %d: looking for an earlier reply failed", question_id, exc_info=True)
            return None
        return any(carries(m, EVENT_TYPE, "question", question_id) for m in page.get("messages") or [])
