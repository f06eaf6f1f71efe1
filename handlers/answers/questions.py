"""Questions as the listeners see them: which events are questions, and the answer job of a stored question."""

from __future__ import annotations

import time
from typing import Any

from handlers.runtime.worker import AnswerJob
from icam_bot.inbox.service import FIRST_EPOCH, Question, Stored

#: Where the middleware leaves the stored question's id for the event listener (Bolt context key).
QUESTION_ID_KEY = "icam_question_id"
#: Set by the middleware for a question acked while the database was down: its key in the spool.
SPOOLED_KEY = "icam_question_spooled"
#: Set by the middleware when the answer queue was full: the listener replies "busy" instead.
TURNED_AWAY_KEY = "icam_question_turned_away"
#: When the app received the request (Unix time), set by the first middleware: the answer latency starts there.
RECEIVED_AT_KEY = "icam_received_at"


def from_person(event: dict[str, Any]) -> bool:
    """A new message typed by a person (not a bot, not an edit/deletion/join notice)."""
    return bool(event.get("user")) and not event.get("bot_id") and not event.get("subtype")


#: Questions read in a help channel (``/icam listen on``): answered in the thread only when confident.
CHANNEL_SURFACE = "channel"


def is_top_level(event: dict[str, Any]) -> bool:
    """Not a reply in a thread (a thread's parent has ``thread_ts`` equal to its own ``ts``)."""
    thread_ts = event.get("thread_ts")
    return not thread_ts or thread_ts == event.get("ts")


def event_question(body: dict[str, Any]) -> Question | None:
    """The question an event asks (a mention, a direct message, or a top-level message in a public channel,
    typed by a person), or None. A channel message is a question only where the bot listens: the caller checks."""
    event = body.get("event")
    event_id = body.get("event_id")
    if not isinstance(event, dict) or not isinstance(event_id, str) or not from_person(event):
        return None
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel:
        return None
    if event.get("type") == "app_mention":
        surface, thread_ts = "mention", event.get("thread_ts") or event.get("ts")
    elif event.get("type") == "message" and event.get("channel_type") == "im":
        surface, thread_ts = "dm", event.get("thread_ts")
    elif event.get("type") == "message" and event.get("channel_type") == "channel" and is_top_level(event):
        surface, thread_ts = CHANNEL_SURFACE, event.get("ts")
    else:
        return None
    text = str(event.get("text") or "")
    return Question(f"event:{event_id}", str(event["user"]), channel, surface, text, None, thread_ts)


def answer_job(
    question: Question,
    question_id: int | None = None,
    owner: str | None = None,
    lease_s: float = 30.0,
    *,
    received_at: float | None = None,
    epoch: int = FIRST_EPOCH,
    sent_since: float = 0.0,
) -> AnswerJob:
    """The job answering ``question`` (stored as ``question_id``, held by ``owner`` at ``epoch`` for
    ``lease_s``), received at ``received_at`` (Unix time; default now)."""
    return AnswerJob(
        question.text,
        question.user_id,
        question.channel_id,
        question.surface,
        response_url=question.response_url,
        thread_ts=question.thread_ts,
        question_id=question_id,
        owner=owner,
        answer_lease_s=2 * lease_s,
        received_at=time.time() if received_at is None else received_at,
        epoch=epoch,
        sent_since=sent_since,
    )


def stored_job(stored: Stored, owner: str, lease_s: float = 30.0) -> AnswerJob:
    """The job answering a stored question (taken over): its latency counts from when it was first stored."""
    asked = stored.asked_at.timestamp() if stored.asked_at is not None else None
    sent = stored.send_started_at.timestamp() if stored.send_started_at is not None else 0.0
    return answer_job(
        stored.question, stored.id, owner, lease_s, received_at=asked, epoch=stored.epoch, sent_since=sent
    )


def received_at(context: Any) -> float | None:
    """When the app received the request being handled (see RECEIVED_AT_KEY), if the middleware said."""
    value = context.get(RECEIVED_AT_KEY) if context is not None else None
    return value if isinstance(value, float) else None
