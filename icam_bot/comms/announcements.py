"""Announcements: validate a draft against Slack's limits, keep it for preview, confirm it once, record deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.comms.models import ALL_PROGRAMS, Announcement, AnnouncementDelivery
from icam_bot.comms.outbox import enqueue_posts
from icam_bot.comms.subscriptions import audience_channels
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.errors import IcamError
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.textclean import clean_text
from icam_bot.webhooks.events import enqueue_event

#: A header block's plain text holds at most 150 characters.
HEADLINE_LIMIT = 150
#: A section's text (and a modal's plain_text_input) holds at most 3,000 characters.
BODY_LIMIT = 3000


class AnnouncementError(IcamError):
    """A draft that cannot be sent as it is; ``errors`` maps a field (audience, headline, body) to the problem."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class AnnouncementDraft:
    audience: str  # "all" or a program slug
    body: str
    headline: str | None = None


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    author_id: str
    audience: str
    headline: str | None
    body: str
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DeliveryView:
    channel_id: str
    status: str  # sent | failed
    message_ts: str | None
    error: str | None


def validate_draft(draft: AnnouncementDraft, programs: Collection[str]) -> AnnouncementDraft:
    """The draft with whitespace trimmed; AnnouncementError naming every field that is wrong."""
    errors: dict[str, str] = {}
    if draft.audience != ALL_PROGRAMS and draft.audience not in programs:
        errors["audience"] = "must be all subscribed channels or one program"
    headline = clean_text(draft.headline).strip() or None
    if headline is not None and len(headline) > HEADLINE_LIMIT:
        errors["headline"] = (
            f"is {len(headline):,} characters; Slack shows at most {HEADLINE_LIMIT} in a headline. Shorten it."
        )
    if headline is not None and "\n" in headline:
        errors["headline"] = "must be a single line"
    body = clean_text(draft.body).strip()
    if not body:
        errors["body"] = "is empty: write the announcement"
    elif len(body) > BODY_LIMIT:
        errors["body"] = (
            f"is {len(body):,} characters; Slack allows at most {BODY_LIMIT:,} in one message section. "
            f"Shorten it by {len(body) - BODY_LIMIT:,} or link to a longer document."
        )
    if errors:
        raise AnnouncementError(errors)
    return AnnouncementDraft(draft.audience, body, headline)


class AnnouncementService:
    """Drafts (kept for the preview), the draft -> sending -> sent transition and the delivery record."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        programs: ProgramsConfig | None = None,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.clock = clock
        #: The routing file, for the ``announcement.sent`` webhooks (None: no webhook is told).
        self.programs = programs

    def save_draft(self, author_id: str, draft: AnnouncementDraft) -> AnnouncementView:
        """Store a validated draft for its preview; nothing is sent yet."""
        with self.sessions.begin() as session:
            row = Announcement(
                author_id=author_id,
                audience=draft.audience,
                headline=draft.headline,
                body=draft.body,
                status="draft",
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return _view(row)

    def get(self, announcement_id: int) -> AnnouncementView | None:
        with self.sessions() as session:
            row = session.get(Announcement, announcement_id)
            return None if row is None else _view(row)

    def confirm(self, announcement_id: int, actor: str) -> AnnouncementView | None:
        """Move the author's draft to ``sending`` and owe one post to each channel of its audience (outbox rows
        in the same transaction); None if it is not their draft or it was confirmed already (a double click or
        a replayed submission sends nothing twice)."""
        with self.sessions.begin() as session:
            won = session.execute(
                update(Announcement)
                .where(
                    Announcement.id == announcement_id,
                    Announcement.author_id == actor,
                    Announcement.status == "draft",
                )
                .values(status="sending", confirmed_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:
                return None
            row = session.get(Announcement, announcement_id, populate_existing=True)
            assert row is not None
            view = _view(row)
            channels = audience_channels(session, view.audience)
            enqueue_posts(session, view, channels)
            if self.programs is not None:  # the webhooks' event, in the same transaction
                data = {
                    "announcement": {
                        "id": view.id,
                        "audience": view.audience,
                        "headline": view.headline,
                        "body": view.body,
                        "channels": len(channels),
                    },
                    "actor_id": actor,
                }
                enqueue_event(session, self.programs, "announcement.sent", view.audience, data)
            return view

    def record_delivery(
        self, announcement_id: int, channel_id: str, *, message_ts: str | None = None, error: str | None = None
    ) -> None:
        with self.sessions.begin() as session:
            session.add(
                AnnouncementDelivery(
                    announcement_id=announcement_id,
                    channel_id=channel_id,
                    status="failed" if error else "sent",
                    message_ts=message_ts,
                    error=error[:64] if error else None,
                    attempted_at=self.clock(),
                )
            )

    def finish(self, announcement_id: int) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Announcement)
                .where(Announcement.id == announcement_id)
                .values(status="sent", finished_at=self.clock())
                .execution_options(synchronize_session=False)
            )

    def deliveries(self, announcement_id: int) -> list[DeliveryView]:
        with self.sessions() as session:
            rows = session.scalars(
                select(AnnouncementDelivery)
                .where(AnnouncementDelivery.announcement_id == announcement_id)
                .order_by(AnnouncementDelivery.id)
            )
            return [DeliveryView(r.channel_id, r.status, r.message_ts, r.error) for r in rows]


def _view(row: Announcement) -> AnnouncementView:
    return AnnouncementView(row.id, row.author_id, row.audience, row.headline, row.body, row.status, row.created_at)
