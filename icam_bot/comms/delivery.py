"""Posting an announcement to every channel of its audience: paced per channel, recorded, errors contained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from icam_bot.comms.announcements import AnnouncementService, AnnouncementView
from icam_bot.comms.ratelimit import ChannelRateLimiter
from icam_bot.comms.subscriptions import SubscriptionService

logger = logging.getLogger(__name__)

#: chat.postMessage errors meaning the bot can no longer post in the channel: its subscriptions are marked.
CHANNEL_GONE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


@dataclass(frozen=True)
class PostOutcome:
    """What one post returned: the message ts, or Slack's error code (``"request_failed"`` without one)."""

    ts: str | None = None
    error: str | None = None
    channel: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


Poster = Callable[[str], Awaitable[PostOutcome]]


@dataclass
class DeliveryReport:
    announcement_id: int
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> error code
    unsubscribed: list[str] = field(default_factory=list)  # channels marked unreachable

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.failed)


async def deliver_announcement(
    announcement: AnnouncementView,
    channels: list[str],
    post: Poster,
    *,
    announcements: AnnouncementService,
    subscriptions: SubscriptionService,
    limiter: ChannelRateLimiter,
) -> DeliveryReport:
    """Post to each channel in turn (waiting for the channel's turn), record each outcome, mark channels the bot
    was removed from, and carry on with the rest whatever happens to one channel."""
    report = DeliveryReport(announcement.id)
    for channel in channels:
        await limiter.wait(channel)
        try:
            outcome = await post(channel)
        except Exception:
            logger.exception("posting announcement %d to %s failed", announcement.id, channel)
            outcome = PostOutcome(error="request_failed")
        if outcome.ok:
            report.sent.append(channel)
        else:
            report.failed[channel] = str(outcome.error)
        try:
            await asyncio.to_thread(
                announcements.record_delivery, announcement.id, channel, message_ts=outcome.ts, error=outcome.error
            )
            if outcome.error in CHANNEL_GONE_ERRORS and await asyncio.to_thread(
                subscriptions.disable, [channel], str(outcome.error)
            ):
                report.unsubscribed.append(channel)
        except Exception:  # the record is lost, the delivery is not: keep going with the other channels
            logger.exception("could not record announcement %d delivery to %s", announcement.id, channel)
    try:
        await asyncio.to_thread(announcements.finish, announcement.id)
    except Exception:
        logger.exception("could not mark announcement %d sent", announcement.id)
    logger.info(
        "announcement %d: sent to %d channel(s), %d failed", announcement.id, len(report.sent), len(report.failed)
    )
    return report
