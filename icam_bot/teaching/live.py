"""Live knowledge on every replica: the version replicas watch, the live changes read from the database, and
the reload that swaps a merged knowledge base (and a matcher that encodes only the new phrasings) into a
Responder without a restart. Used by the serving process and by each answer worker process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.answers import Responder
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.matching.engine import Matcher
from icam_bot.teaching.merge import Change, Merged, merge
from icam_bot.teaching.models import ChangeStatus, LiveChange, LiveVersion, TeachingEvent

logger = logging.getLogger(__name__)

#: ICAM_KB_WATCH_SECONDS' default: how often a replica (and each answer worker) looks at the live version.
DEFAULT_WATCH_SECONDS = 15.0
VERSION_ROW = 1


def read_version(session: Session) -> int:
    return int(session.scalar(select(LiveVersion.version).where(LiveVersion.id == VERSION_ROW)) or 0)


def bump_version(session: Session) -> int:
    """Move the live version on, in the caller's transaction (with the change that goes live)."""
    session.execute(
        update(LiveVersion)
        .where(LiveVersion.id == VERSION_ROW)
        .values(version=LiveVersion.version + 1, updated_at=utcnow())
    )
    return read_version(session)


def detached(row: LiveChange) -> Change:
    return Change(row.id, row.kind, row.target_id, row.text, row.entry, row.status, row.proposed_by, row.approved_by)


def live_changes(session: Session) -> list[Change]:
    """Every live change, oldest first (the order they are merged in)."""
    rows = session.scalars(
        select(LiveChange).where(LiveChange.status == ChangeStatus.LIVE.value).order_by(LiveChange.id)
    )
    return [detached(r) for r in rows]


def rebuild_matcher(old: Matcher, kb: KnowledgeBase) -> Matcher:
    """A matcher for ``kb`` sharing ``old``'s encoder, calibration and phrasing vectors: only new texts are
    encoded."""
    return Matcher(
        kb,
        encoder=old.encoder,
        use_embeddings=old.encoder is not None,
        cache_dir=old.cache_dir,
        calibration=old.calibrations,
        decision=old.decision_models,
        vectors=old.vector_cache,
        previous=old,
        persist=False,
    )


class LiveKnowledge:
    """Keeps one Responder on the newest live version: ``refresh()`` (at most every ``interval_s``, or at once
    with ``force``) reads the version and, when it moved, merges the live changes into the YAML knowledge base
    and swaps the result in. A database that does not answer leaves the current knowledge in place."""

    def __init__(
        self,
        responder: Responder,
        engine: Engine,
        interval_s: float = DEFAULT_WATCH_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        retire: bool = False,
    ) -> None:
        self.responder = responder
        self.base = responder.kb
        self.sessions: sessionmaker[Session] = make_session_factory(engine)
        self.interval_s = interval_s
        self.clock = clock
        self.version = 0
        self.merged: Merged | None = None
        self._checked_at: float | None = None
        self._lock = threading.Lock()
        #: Retire the changes the YAML now holds (the serving process does; worker processes only read).
        self.retire = retire
        #: Seconds the last reload took (merge + matcher), for the logs and the benchmark.
        self.last_reload_s = 0.0

    def refresh(self, *, force: bool = False) -> bool:
        """Reload when the live version moved; True when it did. Never raises for the database."""
        now = self.clock()
        if not force and self._checked_at is not None and now - self._checked_at < self.interval_s:
            return False
        if not self._lock.acquire(blocking=force):
            return False  # another thread is reloading
        try:
            self._checked_at = now
            try:
                with self.sessions() as session:
                    version = read_version(session)
                    if version == self.version:
                        return False
                    changes = live_changes(session)
            except SQLAlchemyError:
                logger.warning(
                    "could not read the live knowledge version; answering from what is loaded", exc_info=True
                )
                return False
            self._reload(changes, version)
            return True
        finally:
            self._lock.release()

    def _retire(self, ids: list[int]) -> None:
        """The YAML holds these changes now (pulled and committed): retire the database copies (no visible change:
        the merged knowledge is the same), audited."""
        try:
            with self.sessions.begin() as session:
                for row in session.scalars(select(LiveChange).where(LiveChange.id.in_(ids))):
                    row.status = ChangeStatus.RETIRED.value
                    session.add(
                        TeachingEvent(
                            target=row.target_id,
                            change_id=row.id,
                            actor_id="icam-bot",
                            action="retired",
                            detail="the knowledge files hold it now",
                            created_at=utcnow(),
                        )
                    )
        except SQLAlchemyError:
            logger.warning("could not retire live changes the knowledge files hold", exc_info=True)
            return
        logger.info("retired %d live change(s) the knowledge files now hold", len(ids))

    def _reload(self, changes: list[Change], version: int) -> None:
        started = time.perf_counter()
        merged = merge(self.base, changes, version)
        matcher = rebuild_matcher(self.responder.matcher, merged.kb)
        self.responder.swap(merged.kb, matcher)
        if merged.held and self.retire:
            self._retire(merged.held)
        self.merged, self.version = merged, version
        self.last_reload_s = time.perf_counter() - started
        logger.info(
            "live knowledge version %d: %d live changes, %d entries, %d texts encoded, reloaded in %.2f s",
            version,
            len(changes),
            len(merged.kb.entries),
            matcher.vectors_encoded,
            self.last_reload_s,
        )
