"""Writes that waited for the database: what a replica did while the database was down (questions answered,
events handled), kept in memory in order and written when the database answers again.

Bounded: past SPOOL_LIMIT records the oldest are dropped (and counted in the log), so an outage of any length
cannot exhaust memory. A replica that dies during the outage loses its spool (logged questions only: every
answer was already sent).
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from icam_bot.inbox.service import FIRST_EPOCH, QuestionInbox
from icam_bot.questions.answering import QuestionRecord, write_record
from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)

SPOOL_LIMIT = 20_000


class Spool:
    """Records to write later: ``("event", {"event_id"})``, ``("question", QuestionRecord.as_dict())`` or
    ``("answered", {"question_id", "owner"})``."""

    def __init__(self, store: Store, limit: int = SPOOL_LIMIT) -> None:
        self.store = store
        self._records: collections.deque[tuple[str, dict[str, Any]]] = collections.deque(maxlen=limit)
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._records)

    def add(self, kind: str, record: dict[str, Any]) -> None:
        with self._lock:
            if len(self._records) == self._records.maxlen:
                self.dropped += 1
                if self.dropped in (1, 100) or self.dropped % 1000 == 0:
                    logger.error("spool full: %d record(s) dropped so far", self.dropped)
            self._records.append((kind, record))

    def flush(self) -> int:
        """Write the records in order (blocking: run it in a thread); stop at the first database error.

        The event ids go first, all in one statement: until they are recorded another replica would take a
        retry of those events for new ones. One flush at a time (a second caller returns at once)."""
        if not self._flushing.acquire(blocking=False):
            return 0
        try:
            return self._flush()
        finally:
            self._flushing.release()

    def _flush(self) -> int:
        with self._lock:
            events = [record["event_id"] for kind, record in self._records if kind == "event"]
        if events:
            try:
                self.store.record_events(events)
            except SQLAlchemyError:
                logger.warning("spool: the database is still unavailable; %d record(s) wait", len(self._records))
                return 0
            flushed = set(events)
            with self._lock:
                self._records = collections.deque(
                    (r for r in self._records if r[0] != "event" or r[1]["event_id"] not in flushed),
                    maxlen=self._records.maxlen,
                )
        written = len(events)
        while True:
            with self._lock:
                if not self._records:
                    break
                kind, record = self._records[0]
            try:
                self._write(kind, record)
            except SQLAlchemyError:
                logger.warning("spool: the database is still unavailable; %d record(s) wait", len(self._records))
                break
            with self._lock:
                self._records.popleft()
            written += 1
        if written:
            logger.info("spool: wrote %d record(s) kept while the database was down", written)
        return written

    def _write(self, kind: str, record: dict[str, Any]) -> None:
        if kind == "event":
            self.store.claim_event(record["event_id"])
        elif kind == "answered":
            inbox = QuestionInbox(self.store.engine)
            inbox.answered(record["question_id"], record["owner"], epoch=int(record.get("epoch", FIRST_EPOCH)))
        elif kind == "question":
            write_record(self.store, QuestionRecord.from_dict(record))
        else:
            logger.error("spool: unknown record kind %r dropped", kind)


class RecentEvents:
    """Event ids this replica handled while the database could not record them (bounded, oldest forgotten)."""

    def __init__(self, limit: int = 50_000) -> None:
        self._ids: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._limit = limit

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
