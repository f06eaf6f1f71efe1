"""Announcements through the outbox: one row per channel written when the author confirms, each delivery
recorded (with its ts, or Slack's error) in the transaction that settles its row, and the author's report
(plus the PMO channel's list of failed channels) written once, when the last channel is settled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from icam_bot.comms.delivery import CHANNEL_GONE_ERRORS, DeliveryReport
from icam_bot.comms.models import Announcement, AnnouncementDelivery, ChannelSubscription
from icam_bot.db.base import utcnow
from icam_bot.outbox.models import OutboxMessage, OutboxStatus
from icam_bot.outbox.service import Outcome, SettleHook, enqueue

if TYPE_CHECKING:
    from icam_bot.comms.announcements import AnnouncementView

POST_TOPIC = "announcement"
REPORT_TOPIC = "announcement_report"


def view_payload(view: AnnouncementView) -> dict[str, Any]:
    data = asdict(view)
    data["created_at"] = view.created_at.isoformat()
    return data


def enqueue_posts(session: Session, view: AnnouncementView, channels: Iterable[str]) -> int:
    """One row per channel (each at most once), in the transaction that confirms the announcement."""
    count = 0
    for channel in channels:
        count += enqueue(
            session,
            POST_TOPIC,
            channel,
            {"announcement": view_payload(view)},
            dedupe_key=f"announcement:{view.id}:{channel}",
            announcement_id=view.id,
        )
    return count


def report_payload(report: DeliveryReport) -> dict[str, Any]:
    return asdict(report)


def report_from_payload(payload: dict[str, Any]) -> DeliveryReport:
    return DeliveryReport(
        int(payload["announcement_id"]),
        list(payload.get("sent") or []),
        dict(payload.get("failed") or {}),
        list(payload.get("unsubscribed") or []),
    )


def settle_hook(pmo_channel: str | None) -> SettleHook:
    """Record each channel's outcome; when none is left pending, finish the announcement and owe the reports."""

    def settle(session: Session, row: OutboxMessage, outcome: Outcome) -> None:
        announcement_id = row.announcement_id
        if announcement_id is None:
            return
        # one settler at a time per announcement: whoever settles the last channel sees all the others
        announcement = session.scalars(
            select(Announcement).where(Announcement.id == announcement_id).with_for_update()
        ).one_or_none()
        if announcement is None:
            return
        now = utcnow()
        _record(session, announcement_id, row.recipient, outcome, now)
        if outcome.error in CHANNEL_GONE_ERRORS:
            session.execute(
                update(ChannelSubscription)
                .where(ChannelSubscription.channel_id == row.recipient, ChannelSubscription.disabled_reason.is_(None))
                .values(disabled_reason=str(outcome.error)[:64], disabled_at=now)
                .execution_options(synchronize_session=False)
            )
        left = session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.announcement_id == announcement_id,
                OutboxMessage.topic == POST_TOPIC,
                OutboxMessage.status == OutboxStatus.PENDING.value,
                OutboxMessage.id != row.id,
            )
        )
        if left is not None:
            return
        announcement.status, announcement.finished_at = "sent", now
        report = _report(session, announcement_id)
        enqueue(
            session,
            REPORT_TOPIC,
            announcement.author_id,
            report_payload(report),
            dedupe_key=f"announcement-report:{announcement_id}",
            announcement_id=announcement_id,
        )
        if report.failed and pmo_channel:
            enqueue(
                session,
                REPORT_TOPIC,
                pmo_channel,
                {**report_payload(report), "problems": True},
                dedupe_key=f"announcement-problems:{announcement_id}",
                announcement_id=announcement_id,
            )

    return settle


def _record(session: Session, announcement_id: int, channel: str, outcome: Outcome, now: Any) -> None:
    exists = session.scalar(
        select(AnnouncementDelivery.id).where(
            AnnouncementDelivery.announcement_id == announcement_id, AnnouncementDelivery.channel_id == channel
        )
    )
    if exists is not None:
        return
    session.add(
        AnnouncementDelivery(
            announcement_id=announcement_id,
            channel_id=channel,
            status="failed" if outcome.error else "sent",
            message_ts=outcome.ts,
            error=outcome.error[:64] if outcome.error else None,
            attempted_at=now,
        )
    )
    session.flush()


def _report(session: Session, announcement_id: int) -> DeliveryReport:
    report = DeliveryReport(announcement_id)
    rows = session.scalars(
        select(AnnouncementDelivery)
        .where(AnnouncementDelivery.announcement_id == announcement_id)
        .order_by(AnnouncementDelivery.id)
    )
    for row in rows:
        if row.status == "sent":
            report.sent.append(row.channel_id)
        else:
            report.failed[row.channel_id] = row.error or "request_failed"
            if row.error in CHANNEL_GONE_ERRORS:
                report.unsubscribed.append(row.channel_id)
    return report
