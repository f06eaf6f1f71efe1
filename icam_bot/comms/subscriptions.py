"""Which channels receive announcements: subscribe, unsubscribe, list, and mark channels the bot lost."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.comms.models import ALL_PROGRAMS, ChannelSubscription
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory


class Subscribed(enum.StrEnum):
    """What ``subscribe`` did."""

    NEW = "new"
    ALREADY = "already"
    REACTIVATED = "reactivated"  # the channel had been marked unreachable; subscribing again clears it


@dataclass(frozen=True)
class SubscriptionView:
    channel_id: str
    program: str
    subscribed_by: str
    subscribed_at: dt.datetime
    disabled_reason: str | None

    @property
    def active(self) -> bool:
        return self.disabled_reason is None


class SubscriptionService:
    """Subscriptions of channels to all announcements (``"all"``) or to one program's."""

    def __init__(self, sessions: sessionmaker[Session] | Engine, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.clock = clock

    def subscribe(self, channel_id: str, program: str, user_id: str) -> Subscribed:
        """Subscribe ``channel_id`` to ``program`` (or ``"all"``); idempotent, and concurrent-safe."""
        for _attempt in range(3):
            try:
                with self.sessions.begin() as session:
                    row = session.scalars(
                        select(ChannelSubscription).where(
                            ChannelSubscription.channel_id == channel_id, ChannelSubscription.program == program
                        )
                    ).one_or_none()
                    if row is None:
                        session.add(
                            ChannelSubscription(
                                channel_id=channel_id,
                                program=program,
                                subscribed_by=user_id,
                                subscribed_at=self.clock(),
                            )
                        )
                        session.flush()
                        return Subscribed.NEW
                    if row.disabled_reason is None:
                        return Subscribed.ALREADY
                    row.disabled_reason, row.disabled_at = None, None
                    row.subscribed_by, row.subscribed_at = user_id, self.clock()
                    return Subscribed.REACTIVATED
            except IntegrityError:
                continue  # someone subscribed the same channel at the same moment: read their row
        return Subscribed.ALREADY

    def unsubscribe(self, channel_id: str, program: str | None = None) -> list[str]:
        """Remove the channel's subscription to ``program``, or all of them; returns the programs removed."""
        with self.sessions.begin() as session:
            query = delete(ChannelSubscription).where(ChannelSubscription.channel_id == channel_id)
            if program is not None:
                query = query.where(ChannelSubscription.program == program)
            removed = session.scalars(query.returning(ChannelSubscription.program)).all()
        return sorted(removed)

    def of_channel(self, channel_id: str) -> list[SubscriptionView]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ChannelSubscription)
                .where(ChannelSubscription.channel_id == channel_id)
                .order_by(ChannelSubscription.program)
            )
            return [_view(r) for r in rows]

    def audience(self, audience: str) -> list[str]:
        """Active channels for an announcement to ``audience``: every subscribed channel for ``"all"``;
        for a program, its subscribers and the channels subscribed to everything. Each channel once."""
        with self.sessions() as session:
            return audience_channels(session, audience)

    def reach(self, programs: Iterable[str]) -> dict[str, int]:
        """How many channels an announcement to each audience (``"all"`` and each program) would reach now."""
        with self.sessions() as session:
            rows = session.execute(
                select(ChannelSubscription.channel_id, ChannelSubscription.program).where(
                    ChannelSubscription.disabled_reason.is_(None)
                )
            ).all()
        everything = {channel for channel, program in rows if program == ALL_PROGRAMS}
        reach = {ALL_PROGRAMS: len({channel for channel, _ in rows})}
        for slug in programs:
            reach[slug] = len(everything | {channel for channel, program in rows if program == slug})
        return reach

    def disable(self, channels: Iterable[str], reason: str) -> int:
        """Mark every subscription of these channels as unreachable (``reason`` is Slack's error code)."""
        channels = list(channels)
        if not channels:
            return 0
        with self.sessions.begin() as session:
            result = session.execute(
                update(ChannelSubscription)
                .where(ChannelSubscription.channel_id.in_(channels), ChannelSubscription.disabled_reason.is_(None))
                .values(disabled_reason=reason[:64], disabled_at=self.clock())
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount or 0)


def audience_channels(session: Session, audience: str) -> list[str]:
    """``SubscriptionService.audience`` in the caller's session (e.g. the transaction confirming an announcement)."""
    query = select(ChannelSubscription.channel_id).where(ChannelSubscription.disabled_reason.is_(None))
    if audience != ALL_PROGRAMS:
        query = query.where(ChannelSubscription.program.in_((audience, ALL_PROGRAMS)))
    return list(session.scalars(query.distinct().order_by(ChannelSubscription.channel_id)))


def _view(row: ChannelSubscription) -> SubscriptionView:
    return SubscriptionView(row.channel_id, row.program, row.subscribed_by, row.subscribed_at, row.disabled_reason)
