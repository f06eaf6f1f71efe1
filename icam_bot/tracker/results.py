"""Plain, detached values the service hands back: item views, notifications to send, action results."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from icam_bot.db.audit import AuditEventView
from icam_bot.tracker.models import ItemKind, Severity, Status, TrackerComment, TrackerItem


class NotificationKind(enum.StrEnum):
    REPORTER_CONFIRMATION = "reporter_confirmation"  # "we logged ICAM-12"
    NEW_ITEM_OWNER = "new_item_owner"  # DM to the program owner
    NEW_ITEM_CHANNEL = "new_item_channel"  # message in the program's triage channel
    STATUS_CHANGED = "status_changed"  # to the reporter, on every status change
    ASSIGNED = "assigned"  # to the new assignee
    COMMENT_ADDED = "comment_added"
    ESCALATED = "escalated"  # to the next level of the chain
    SLA_BREACHED = "sla_breached"  # to the assignee when the sweeper escalates past them
    ESCALATED_PAST = "escalated_past"  # to the assignee when a person escalates past them
    SLA_REMINDER = "sla_reminder"  # to the assignee before the first-response SLA runs out
    REOPENED = "reopened"  # to the assignee / triage channel


@dataclass(frozen=True)
class ItemView:
    """An item detached from its session, safe to hand to async code."""

    id: int
    kind: ItemKind
    title: str
    description: str
    program: str
    bureau: str | None
    severity: Severity
    status: Status
    reporter_id: str
    assignee_id: str | None
    channel_id: str | None
    thread_ts: str | None
    permalink: str | None
    likelihood: int | None
    impact: int | None
    mitigation_owner_id: str | None
    resolution: str | None
    first_response_due_at: dt.datetime
    resolution_due_at: dt.datetime
    escalation_level: int
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime

    @property
    def ref(self) -> str:
        return f"ICAM-{self.id}"

    @property
    def risk_score(self) -> int | None:
        return None if self.likelihood is None or self.impact is None else self.likelihood * self.impact

    def is_overdue(self, now: dt.datetime) -> bool:
        if self.status in (Status.RESOLVED, Status.CLOSED):
            return False
        return (self.first_response_at is None and now > self.first_response_due_at) or now > self.resolution_due_at

    @classmethod
    def of(cls, item: TrackerItem) -> ItemView:
        return cls(**{name: getattr(item, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Notification:
    """A message the caller should deliver: to a user (DM) or a channel id."""

    recipient: str
    kind: NotificationKind
    item: ItemView
    #: What happened, in the tracker's own words (never people's text).
    detail: str = ""
    #: Who did it (a Slack user id the message may mention).
    actor: str | None = None
    #: What they wrote (comment, reason, resolution): shown as text, it can mention nobody.
    text: str = ""


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the item afterwards, the fields changed and the notifications to send."""

    item: ItemView
    notifications: tuple[Notification, ...] = ()
    changed: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    #: The submission was stored before (same form, or same person, text and minute): nothing new was written.
    duplicate: bool = False


@dataclass(frozen=True)
class CreateResult(ActionResult):
    """A new item; ``notices`` says when the description was cut."""

    truncated: bool = False


@dataclass(frozen=True)
class EventView(AuditEventView):
    """One audit event."""

    id: int
    item_id: int
    actor_id: str
    action: str
    field: str | None
    before: str | None
    after: str | None
    detail: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class CommentView:
    id: int
    item_id: int
    author_id: str
    body: str
    created_at: dt.datetime

    @classmethod
    def of(cls, comment: TrackerComment) -> CommentView:
        return cls(**{name: getattr(comment, name) for name in cls.__dataclass_fields__})


@dataclass
class Outbox:
    """Notifications collected during one action, deduplicated by (recipient, kind)."""

    items: list[tuple[str, NotificationKind, str, str | None, str]] = field(default_factory=list)

    def add(
        self,
        recipient: str | None,
        kind: NotificationKind,
        detail: str = "",
        *,
        actor: str | None = None,
        text: str = "",
    ) -> None:
        """Queue a notification; ``detail`` is the tracker's words, ``actor`` who acted, ``text`` what they wrote."""
        if recipient and all((r, k) != (recipient, kind) for r, k, *_ in self.items):
            self.items.append((recipient, kind, detail, actor, text))

    def build(self, view: ItemView) -> tuple[Notification, ...]:
        return tuple(Notification(r, k, view, d, a, t) for r, k, d, a, t in self.items)
