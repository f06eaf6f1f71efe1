"""The weekly digest through the outbox: its post is one row (the chat.postMessage arguments, rendered when the
digest was composed) written with the period's queued state; settling the row records the period sent (with
the message ts) or releases its claim so that the next check composes and queues it again.

The digest's chart (icam_bot.analytics.figures) travels in the digest's row; once the digest is posted, the same
transaction that records it sent writes the chart's upload as a row of its own, so that the chart follows the
message it illustrates and is owed (retried, taken over) like any other message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from icam_bot.analytics.figures import Figure, figure_payload
from icam_bot.comms.models import DigestRun
from icam_bot.comms.runs import RunState
from icam_bot.db.base import utcnow
from icam_bot.outbox.models import OutboxMessage
from icam_bot.outbox.service import UPLOAD_TOPIC, Outcome, enqueue

TOPIC = "digest"


def enqueue_digest(
    session: Session,
    period: str,
    attempt: int,
    channel: str,
    message: dict[str, Any],
    *,
    figure: Figure | None = None,
) -> bool:
    """The digest's post, once per period and attempt, in the caller's transaction (``DigestRuns.queue``); its
    ``figure`` is uploaded once the post is sent, with its description as the text fallback."""
    payload: dict[str, Any] = {"period": period, "message": message}
    if figure is not None:
        payload["figure"] = figure_payload(figure, comment=figure.alt_text)
    return enqueue(session, TOPIC, channel, payload, dedupe_key=f"digest:{period}:{attempt}")


def settle_digest(session: Session, row: OutboxMessage, outcome: Outcome) -> None:
    """queued -> sent with the ts; a post refused for good releases the claim (retried at the next check)."""
    period = str(row.payload.get("period") or "")
    queued = (DigestRun.period == period, DigestRun.state == RunState.QUEUED)
    if outcome.ok:
        values: dict[str, Any] = {
            "state": RunState.SENT,
            "sent_at": utcnow(),
            "channel_id": row.recipient,
            "message_ts": outcome.ts,
            "last_error": None,
        }
        figure = row.payload.get("figure")
        if isinstance(figure, dict):
            enqueue(session, UPLOAD_TOPIC, row.recipient, figure, dedupe_key=f"digest-figure:{period}")
    else:  # claimed again with its lease over (claimed_at is before any clock that claimed it)
        values = {"state": RunState.CLAIMED, "lease_until": DigestRun.claimed_at, "last_error": outcome.error}
    session.execute(update(DigestRun).where(*queued).values(**values).execution_options(synchronize_session=False))
