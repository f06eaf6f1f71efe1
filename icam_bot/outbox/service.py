"""Writing messages owed into the outbox (in the caller's transaction) and handing them to a sender.

A row is written in the same transaction as the change it reports, so the change and the message owed
commit together or not at all. Any replica claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a
conditional update setting its lease), sends each as one Slack message and records the message ts; a failure
that may pass is retried with backoff, a refusal for good is recorded as failed. A replica that dies holding a
lease delays its rows until the lease runs out; another replica then sends them.

Fencing: every claim bumps the row's ``lease_epoch``, and a replica starts a send only after a conditional
update (``start_send``: same holder, same epoch, still pending) succeeded; the holder renews its leases while
the rows are in hand (``renew``), so a row is taken over only from a replica that stopped renewing (dead, or cut
off from the database), and a replica that lost a row never sends it. ``start_send`` also records when the
attempt started (``attempt_started_at``, cleared when it settles): a row claimed with an attempt that may have
reached Slack (the replica died between Slack accepting the message and the ts being recorded) is first looked
for in its conversation by the message metadata it was posted with (handlers/runtime/outbox_lookup.py).

Edits of an earlier message (topic ``update``: a chat.update of ``target_ts`` in ``recipient``) go the same way.
Re-sending an edit is harmless (the message shows the same thing); the rows editing one message are claimed in
the order they were written (a row waits while an older one for the same message is pending), and a row that a
later one for the same message supersedes is skipped: an earlier edit retried never overwrites a later one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.db.types import UtcDateTime
from icam_bot.outbox.models import DEDUPE_KEY_LEN, ERROR_LEN, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

#: How long a replica holds the rows it claimed (longer than a send with all its retries takes).
LEASE_S = 120.0
#: After this many attempts a row that keeps failing is given up (failed, logged).
MAX_ATTEMPTS = 10
BACKOFF_FIRST_S = 5.0
BACKOFF_MAX_S = 900.0
CLAIM_BATCH = 50
#: The topic of an edit: chat.update of the message ``target_ts`` in ``recipient`` with ``payload["message"]``.
UPDATE_TOPIC = "update"
#: The topic of a file shared in ``recipient`` (files.getUploadURLExternal, the bytes, files.completeUploadExternal);
#: its payload is written by the module that owes it (e.g. icam_bot.analytics.figures.figure_payload).
UPLOAD_TOPIC = "upload"


@dataclass(frozen=True)
class Claimed:
    """A row a replica holds the lease on: what to send, to whom."""

    id: int
    topic: str
    recipient: str
    payload: dict[str, Any]
    attempts: int
    item_id: int | None = None
    announcement_id: int | None = None
    target_ts: str | None = None
    #: The row's epoch when this replica claimed it (its sends and records are fenced on it).
    epoch: int = 0
    #: When an earlier attempt started that may have reached Slack without its ts being recorded.
    unsettled_attempt_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one send: the message ts, or an error and whether trying again may help."""

    ts: str | None = None
    error: str | None = None
    retry: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Backlog:
    """Messages owed and not yet sent (nor given up), and the age in seconds of the oldest one (0 when none)."""

    pending: int
    oldest_age_s: float


#: Runs in the transaction that settles a row (e.g. recording an announcement's delivery): (session, row, outcome).
SettleHook = Callable[[Session, OutboxMessage, Outcome], None]


def enqueue(
    session: Session,
    topic: str,
    recipient: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    item_id: int | None = None,
    announcement_id: int | None = None,
    target_ts: str | None = None,
) -> bool:
    """Add a message owed to the caller's transaction; False when ``dedupe_key`` is already in the outbox."""
    if dedupe_key is not None:
        dedupe_key = dedupe_key[:DEDUPE_KEY_LEN]
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
            return False
    now = utcnow()  # the real time, whatever clock the caller's service runs on: the row is due now
    session.add(
        OutboxMessage(
            topic=topic,
            recipient=recipient,
            payload=payload,
            dedupe_key=dedupe_key,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            item_id=item_id,
            announcement_id=announcement_id,
            target_ts=target_ts,
            created_at=now,
        )
    )
    return True


def enqueue_update(
    session: Session, channel: str, ts: str, message: dict[str, Any], *, item_id: int | None = None
) -> bool:
    """An edit of the message ``ts`` in ``channel`` (chat.update with ``message``), in the caller's transaction."""
    return enqueue(session, UPDATE_TOPIC, channel, {"message": message}, item_id=item_id, target_ts=ts)


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s ... up to 15 minutes between attempts."""
    return dt.timedelta(seconds=min(BACKOFF_FIRST_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


class OutboxService:
    """Claims due rows for ``owner`` (one replica) and settles them; ``hooks`` run per topic when a row settles."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        owner: str,
        *,
        hooks: Mapping[str, SettleHook] | None = None,
        lease_s: float = LEASE_S,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.owner = owner
        self.hooks = dict(hooks or {})
        self.lease = dt.timedelta(seconds=lease_s)
        self.clock = clock

    def _due(self, now: dt.datetime, take_over: bool) -> Any:
        free = OutboxMessage.lease_until.is_(None)
        older = aliased(OutboxMessage)
        earlier_edit = (
            select(older.id)
            .where(
                older.recipient == OutboxMessage.recipient,
                older.target_ts == OutboxMessage.target_ts,
                older.status == OutboxStatus.PENDING.value,
                older.id < OutboxMessage.id,
            )
            .exists()
        )
        return (
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.next_attempt_at <= now,
            or_(free, OutboxMessage.lease_until < now) if take_over else free,
            or_(OutboxMessage.target_ts.is_(None), ~earlier_edit),  # edits of one message in order
        )

    def claim(self, limit: int = CLAIM_BATCH, *, take_over: bool = True) -> list[Claimed]:
        """Take the lease on up to ``limit`` due rows, oldest first; rows another replica holds are skipped.

        ``take_over=False`` leaves rows whose holder's lease ran out alone (only rows nobody held are taken):
        a replica that just got its database back lets the holders record what they sent first.
        """
        now = self.clock()
        until = now + self.lease
        with self.sessions.begin() as session:
            due = self._due(now, take_over)
            query = select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), *due)
                .values(
                    lease_until=until,
                    claimed_by=self.owner,
                    attempts=OutboxMessage.attempts + 1,
                    lease_epoch=OutboxMessage.lease_epoch + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.owner)
                .where(OutboxMessage.lease_until == until)
                .order_by(OutboxMessage.id)
            )
            return [
                Claimed(
                    r.id,
                    r.topic,
                    r.recipient,
                    dict(r.payload),
                    r.attempts,
                    r.item_id,
                    r.announcement_id,
                    r.target_ts,
                    r.lease_epoch,
                    r.attempt_started_at,
                )
                for r in rows
            ]

    def _held(self, claimed: Claimed) -> tuple[Any, ...]:
        return (
            OutboxMessage.id == claimed.id,
            OutboxMessage.claimed_by == self.owner,
            OutboxMessage.lease_epoch == claimed.epoch,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )

    def start_send(self, claimed: Claimed) -> bool:
        """Claim the send of a row this replica holds, just before calling Slack: True when this replica still
        holds the row at the epoch it claimed (the lease is renewed and the attempt's start recorded); False when
        another replica took it over meanwhile (then it must not be sent)."""
        now = self.clock()
        with self.sessions.begin() as session:
            started = session.execute(
                update(OutboxMessage)
                .where(*self._held(claimed))
                .values(
                    lease_until=now + self.lease,
                    attempt_started_at=func.coalesce(OutboxMessage.attempt_started_at, literal(now, UtcDateTime())),
                )
                .execution_options(synchronize_session=False)
            )
        if started.rowcount != 1:
            logger.warning("outbox row %d was taken over before its send; not sent by this replica", claimed.id)
            return False
        return True

    def renew(self, ids: Collection[int]) -> int:
        """The heartbeat: extend the lease on the rows ``ids`` this replica still holds; returns how many."""
        if not ids:
            return 0
        now = self.clock()
        with self.sessions.begin() as session:
            renewed = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(list(ids)),
                    OutboxMessage.claimed_by == self.owner,
                    OutboxMessage.status == OutboxStatus.PENDING.value,
                )
                .values(lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return int(renewed.rowcount or 0)

    def settle(self, claimed: Claimed, outcome: Outcome) -> bool:
        """Record what became of a send (sent with its ts, retried later, or failed) while still holding the
        lease; the topic's hook runs in the same transaction. False when the lease was lost meanwhile."""
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.scalars(select(OutboxMessage).where(*self._held(claimed)).with_for_update()).one_or_none()
            if row is None:
                logger.warning("outbox row %d was taken over before it was settled", claimed.id)
                return False
            row.lease_until = None
            if not outcome.retry:  # settled: Slack has the message, or refused it for good
                row.attempt_started_at = None
            if outcome.ok:
                row.status, row.message_ts, row.sent_at, row.error = OutboxStatus.SENT.value, outcome.ts, now, None
            elif outcome.retry and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now + backoff(row.attempts)
                row.error = (outcome.error or "")[:ERROR_LEN]
                logger.warning("outbox row %d: %s; retrying in %s", row.id, outcome.error, backoff(row.attempts))
                return True
            else:
                row.status, row.error = OutboxStatus.FAILED.value, (outcome.error or "failed")[:ERROR_LEN]
                logger.error(
                    "outbox row %d (%s to %s) failed for good: %s", row.id, row.topic, row.recipient, row.error
                )
            hook = self.hooks.get(row.topic)
            if hook is not None:
                hook(session, row, outcome)
            return True

    def superseded(self, claimed: Claimed) -> bool:
        """Whether a later edit of the same message was written: this one need not (and must not) be sent."""
        if claimed.target_ts is None:
            return False
        with self.sessions() as session:
            later = session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.recipient == claimed.recipient,
                    OutboxMessage.target_ts == claimed.target_ts,
                    OutboxMessage.id > claimed.id,
                )
                .limit(1)
            )
        return later is not None

    def backlog(self) -> Backlog:
        """Rows not yet sent nor given up, and how long the oldest of them has waited (for metrics)."""
        with self.sessions() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status == OutboxStatus.PENDING.value
                )
            ).one()
        if not count or oldest is None:
            return Backlog(0, 0.0)
        if oldest.tzinfo is None:  # SQLite keeps naive UTC
            oldest = oldest.replace(tzinfo=dt.UTC)
        return Backlog(int(count), max((self.clock() - oldest).total_seconds(), 0.0))

    def pending(self) -> int:
        """Rows not yet sent nor given up (for metrics and tests)."""
        with self.sessions() as session:
            query = select(func.count()).select_from(OutboxMessage)
            return int(session.scalar(query.where(OutboxMessage.status == OutboxStatus.PENDING.value)) or 0)


def prune(engine: Engine, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget messages sent (or given up) more than ``older_than`` ago; returns how many rows were removed."""
    cutoff = utcnow() - older_than
    with make_session_factory(engine).begin() as session:
        result = session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status != OutboxStatus.PENDING.value, OutboxMessage.created_at < cutoff
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
