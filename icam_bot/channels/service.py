"""Switching help-channel mode on and off (audited) and asking whether a channel is listened to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.channels.models import ChannelEvent, ListenedChannel
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory


class ListenService:
    """The ``listened_channels`` table; ``actor`` is the PMO member switching (the caller checks who may)."""

    def __init__(self, sessions: sessionmaker[Session] | Engine, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.clock = clock

    def set(self, channel_id: str, on: bool, actor: str) -> bool:
        """Listen in ``channel_id`` (``on``) or stop; returns whether anything changed (the change is audited)."""
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                row = session.get(ListenedChannel, channel_id, with_for_update=True)
                if on == (row is not None):
                    return False
                if on:
                    session.add(ListenedChannel(channel_id=channel_id, enabled_by=actor, enabled_at=now))
                else:
                    session.execute(delete(ListenedChannel).where(ListenedChannel.channel_id == channel_id))
                session.add(
                    ChannelEvent(
                        channel_id=channel_id,
                        actor_id=actor,
                        action="listen_on" if on else "listen_off",
                        field="listening",
                        before="off" if on else "on",
                        after="on" if on else "off",
                        created_at=now,
                    )
                )
                return True
        except IntegrityError:  # switched on at the same moment by someone else
            return False

    def is_listened(self, channel_id: str) -> bool:
        with self.sessions() as session:
            return session.get(ListenedChannel, channel_id) is not None

    def channels(self) -> list[str]:
        with self.sessions() as session:
            return list(session.scalars(select(ListenedChannel.channel_id).order_by(ListenedChannel.channel_id)))

    def events(self, channel_id: str) -> list[ChannelEvent]:
        """The channel's audit trail, oldest first (detached rows)."""
        with self.sessions() as session:
            rows = list(
                session.scalars(
                    select(ChannelEvent).where(ChannelEvent.channel_id == channel_id).order_by(ChannelEvent.id)
                )
            )
            session.expunge_all()
            return rows
