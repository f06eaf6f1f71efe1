"""The communications objects one app shares: subscriptions, announcements, the per-channel pace, the digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.comms.announcements import AnnouncementService
from icam_bot.comms.ratelimit import ChannelRateLimiter
from icam_bot.comms.schedule import DigestSchedule
from icam_bot.comms.subscriptions import SubscriptionService
from icam_bot.config import Settings
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.programs.routing import ProgramsConfig


@dataclass
class Communications:
    """``pmo_channel`` receives the digest and delivery-problem reports (ICAM_DIGEST_CHANNEL, else the routing
    file's ``pmo_channel``); ``digest_enabled`` is False with ICAM_DIGEST_CHANNEL=off or no channel at all."""

    subscriptions: SubscriptionService
    announcements: AnnouncementService
    limiter: ChannelRateLimiter
    schedule: DigestSchedule
    pmo_channel: str | None
    digest_enabled: bool
    sessions: sessionmaker[Session]
    #: The digest scheduler reads the time through this (tests replace it to move time).
    clock: Callable[[], dt.datetime] = utcnow

    @classmethod
    def create(
        cls,
        engine: Engine,
        settings: Settings,
        routing_pmo_channel: str | None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        limiter: ChannelRateLimiter | None = None,
        programs: ProgramsConfig | None = None,
    ) -> Communications:
        sessions = make_session_factory(engine)
        channel = settings.digest_channel or routing_pmo_channel
        return cls(
            subscriptions=SubscriptionService(sessions, clock),
            announcements=AnnouncementService(sessions, clock, programs=programs),
            limiter=limiter or ChannelRateLimiter(),
            schedule=DigestSchedule(settings.digest_day, settings.digest_time, settings.digest_tz),
            pmo_channel=channel,
            digest_enabled=bool(channel) and not settings.digest_disabled,
            sessions=sessions,
            clock=clock,
        )
