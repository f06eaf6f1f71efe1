"""Writes that wait for the database: what a replica acknowledged while the database was down (questions,
events handled, answered marks), kept in order and written when the database answers again.

Durable: every record is appended as one JSON line to this process's file in ICAM_SPOOL_DIR and fsync'd before
the call returns, so a question is on disk before its ack. The file is replayed into the database when it
returns, and at the next start of any process sharing the directory if this one was killed (the file of a
process whose lock is free is taken over). A question acked during the outage is not answered from memory: the
replay stores it in ``pending_questions`` (by its request key, with its event id: exactly once, whichever
replica replays it and however often) held by the replaying replica, which answers it from the store like any
other (fenced, taken over if that replica dies). So a retry of the event that another replica stored after the
database came back is the same question, answered once.

Bounded: past ``max_bytes`` new questions and events are refused (SpoolFullError: the event gets 503 so Slack
retries it later; a command is told to ask again); marks for work already done are always written.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from icam_bot.inbox.service import FIRST_EPOCH, Question, QuestionInbox, Stored
from icam_bot.questions.answering import QuestionRecord, write_record
from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)

#: The spool file's bound (one question is well under 10 kB: thousands of questions).
SPOOL_MAX_BYTES = 64 * 1024 * 1024
#: Records that take on new work, refused when the spool is full; the others record work already done.
INTAKE = frozenset({"asked", "event", "question"})
SUFFIX = ".jsonl"


class SpoolFullError(Exception):
    """The spool holds ``max_bytes``: nothing new is taken until the database is back."""


class Spool:
    """Records to write later, in order: ``("event", {"event_id"})``, ``("asked", {"key", "event_id",
    "question"})``, ``("question", QuestionRecord.as_dict())`` and ``("answered", {"question_id", "owner",
    "epoch"})``. ``owner``: the replica that answers the questions it replays. ``directory`` None keeps them in
    memory only."""

    def __init__(
        self,
        store: Store,
        directory: Path | None = None,
        owner: str = "replica",
        max_bytes: int = SPOOL_MAX_BYTES,
        *,
        inbox: QuestionInbox | None = None,
    ) -> None:
        self.store = store
        #: The replica's inbox (its leases): replayed questions are stored through it.
        self.inbox = inbox or QuestionInbox(store.engine)
        self.max_bytes = max_bytes
        self._records: collections.OrderedDict[int, tuple[str, dict[str, Any]]] = collections.OrderedDict()
        self._next = 0
        self._size = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        #: Questions the last flushes stored for this replica to answer (taken by ``take_restored``).
        self._restored: list[Stored] = []
        #: Whether the last flush stopped at a database error.
        self.database_down = False
        self.owner = owner
        self.path: Path | None = None
        self._file: IO[str] | None = None
        self._lock_file: IO[str] | None = None
        if directory is not None:
            self._open(Path(directory), owner)

    def __len__(self) -> int:
        return len(self._records)

    # -- the file -----------------------------------------------------------------------------------

    def _open(self, directory: Path, owner: str) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = "spool-" + re.sub(r"[^A-Za-z0-9_.-]", "_", owner)[:80]
        self._lock_file = open(directory / f"{name}.lock", "w")  # noqa: SIM115 (held for the process's life)
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = directory / f"{name}{SUFFIX}"
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        adopted = self._adopt(directory, name)
        if adopted:
            logger.warning("spool: %d record(s) left by a stopped process will be written to the database", adopted)

    def _adopt(self, directory: Path, own: str) -> int:
        """Take the records of every other spool file in ``directory`` whose process is gone (its lock free)."""
        adopted = 0
        for lock_path in sorted(directory.glob("spool-*.lock")):
            if lock_path.stem == own:
                continue
            with open(lock_path, "w") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # its process is alive
                data = lock_path.with_suffix(SUFFIX)
                if data.exists():
                    for kind, record in _read(data):
                        self._append(kind, record, check_size=False)
                        adopted += 1
                    data.unlink()
                lock_path.unlink()
        return adopted

    def _append(self, kind: str, record: dict[str, Any], *, check_size: bool = True) -> None:
        """Append a record: on disk (fsync'd) before it is kept in memory."""
        line = json.dumps({"kind": kind, "record": record}, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if check_size and kind in INTAKE and self._size + len(line) > self.max_bytes:
                raise SpoolFullError(f"the spool holds {self._size} bytes (at most {self.max_bytes})")
            if self._file is not None:
                self._file.write(line)
                self._file.flush()
                os.fsync(self._file.fileno())
            self._size += len(line)
            self._records[self._next] = (kind, record)
            self._next += 1

    def _compact(self, waiting: collections.OrderedDict[int, tuple[str, dict[str, Any]]]) -> None:
        """Rewrite the file with the records still ``waiting``, then keep only those (under the lock)."""
        lines = [
            json.dumps({"kind": k, "record": r}, separators=(",", ":"), ensure_ascii=False) + "\n"
            for k, r in waiting.values()
        ]
        if self._file is not None and self.path is not None:
            self._rewrite(lines)
        self._records = waiting
        self._size = sum(len(line) for line in lines)

    def _rewrite(self, lines: list[str]) -> None:
        assert self._file is not None
        assert self.path is not None
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        self._file.close()
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        with contextlib.suppress(OSError):
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def close(self) -> None:
        for handle in (self._file, self._lock_file):
            if handle is not None:
                handle.close()
        self._file = self._lock_file = None

    # -- adding ---------------------------------------------------------------------------------------

    def add(self, kind: str, record: dict[str, Any]) -> None:
        """Keep a record (on disk before this returns); SpoolFullError for new work when the spool is full."""
        self._append(kind, record)

    def asked(self, question: Question, event_id: str | None) -> None:
        """A question acked while the database is down (answered from the store once the spool is written)."""
        fields = {
            "request_key": question.request_key,
            "user_id": question.user_id,
            "channel_id": question.channel_id,
            "surface": question.surface,
            "text": question.text,
            "response_url": question.response_url,
            "thread_ts": question.thread_ts,
        }
        self._append("asked", {"key": question.request_key, "event_id": event_id, "question": fields})

    def take_restored(self) -> list[Stored]:
        """The questions the flushes stored held by this replica since the last call (to answer them now)."""
        with self._lock:
            restored, self._restored = self._restored, []
        return restored

    # -- writing --------------------------------------------------------------------------------------

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
            snapshot = list(self._records.items())
        events = [r["event_id"] for _n, (k, r) in snapshot if k in ("event", "asked") and r.get("event_id")]
        done: set[int] = set()
        try:
            if events:
                self.store.record_events(events)
            done.update(n for n, (k, _r) in snapshot if k == "event")
            for n, (kind, record) in snapshot:
                if n in done:
                    continue
                if kind == "asked":
                    self._restore(record)
                else:
                    self._write(kind, record)
                done.add(n)
            self.database_down = False
        except SQLAlchemyError:
            self.database_down = True
            logger.warning("spool: the database is still unavailable; %d record(s) wait", len(snapshot) - len(done))
        if done:
            with self._lock:  # the file first: once a record is gone from memory it is gone from disk
                self._compact(collections.OrderedDict((n, r) for n, r in self._records.items() if n not in done))
            logger.info("spool: wrote %d record(s) kept while the database was down", len(done))
        return len(done)

    def _restore(self, asked: dict[str, Any]) -> None:
        stored = self.inbox.restore(Question(**asked["question"]), event_id=asked.get("event_id"), owner=self.owner)
        if stored is not None:
            with self._lock:
                self._restored.append(stored)

    def _write(self, kind: str, record: dict[str, Any]) -> None:
        if kind == "answered":
            epoch = int(record.get("epoch", FIRST_EPOCH))
            self.inbox.answered(record["question_id"], record["owner"], epoch=epoch)
        elif kind == "question":
            write_record(self.store, QuestionRecord.from_dict(record))
        else:
            logger.error("spool: unknown record kind %r dropped", kind)


def _read(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The records of a spool file; a torn last line (killed mid-write, never acked) is skipped."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                data = json.loads(line)
                records.append((str(data["kind"]), dict(data["record"])))
            except (ValueError, KeyError, TypeError):
                logger.warning("spool: an unreadable line in %s skipped", path.name)
    return records


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
