"""Short transactions for the tracker and board services: a database that is down becomes a clear error."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.records.access import AccessNote, Outcome
from icam_bot.tracker.errors import (
    ItemNotFoundError,
    PermissionDeniedError,
    TrackerStorageError,
    TrackerUnavailableError,
)

logger = logging.getLogger(__name__)


@contextmanager
def database_guard(operation: str, text: str | None = None) -> Iterator[None]:
    """Turn every database failure into a TrackerNotSavedError keeping the user's text: "the database is down"
    (TrackerUnavailableError) or "the database refused it" (TrackerStorageError, e.g. a constraint)."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        logger.exception("tracker database unavailable during %s", operation)
        raise TrackerUnavailableError(operation, text) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            logger.exception("tracker database connection lost during %s", operation)
            raise TrackerUnavailableError(operation, text) from exc
        logger.exception("tracker database refused the %s", operation)
        raise TrackerStorageError(operation, text) from exc
    except SQLAlchemyError as exc:
        logger.exception("tracker database error during %s", operation)
        raise TrackerStorageError(operation, text) from exc


class TransactionalService:
    """A service on the database and the routing config; each method runs in one ``_transaction``."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        programs: ProgramsConfig,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.programs = programs
        self.clock = clock

    @contextmanager
    def _transaction(self, operation: str, text: str | None = None) -> Iterator[Session]:
        """One short transaction; a database that is down becomes TrackerUnavailableError (with the text)."""
        with database_guard(operation, text), self.sessions.begin() as session:
            yield session

    @contextmanager
    def _audited(self, note: AccessNote, operation: str) -> Iterator[Session]:
        """A read's transaction, recorded in the access log: allowed when the body completes (same transaction);
        refused or not found, in a transaction of its own, when it raises PermissionDeniedError or
        ItemNotFoundError (which propagate)."""
        try:
            with self._transaction(operation) as session:
                yield session
                session.add(note.event(Outcome.ALLOWED, self.clock()))
        except (PermissionDeniedError, ItemNotFoundError) as exc:
            outcome = Outcome.REFUSED if isinstance(exc, PermissionDeniedError) else Outcome.NOT_FOUND
            with self._transaction("access record") as session:
                session.add(note.event(outcome, self.clock(), str(exc)))
            raise
