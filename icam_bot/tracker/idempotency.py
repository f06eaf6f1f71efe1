"""Submission keys: a form submitted twice (same view id), or the same text from the same person within the
same minute, finds what the first submission stored instead of storing it again."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from icam_bot.tracker.errors import TrackerStorageError
from icam_bot.tracker.models import SUBMISSION_KEY_LEN, TrackerSubmissionKey

T = TypeVar("T")


def content_key(scope: str, moment: dt.datetime, *parts: str) -> str:
    """``scope:<hash>`` of who/what (``parts``) and the minute of ``moment``."""
    minute = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    digest = hashlib.sha256("\x1f".join((minute, *parts)).encode("utf-8", "replace")).hexdigest()
    return f"{scope}:{digest[:48]}"


def view_key(scope: str, view_id: object) -> str | None:
    """``scope:view:<id>`` for a modal's view id (stable across re-submissions of the same form)."""
    if not isinstance(view_id, str) or not view_id:
        return None
    return f"{scope}:view:{view_id}"[:SUBMISSION_KEY_LEN]


def stored_item(session: Session, keys: Sequence[str]) -> int | None:
    """The item a previous submission with any of ``keys`` stored, or None."""
    if not keys:
        return None
    return session.scalars(
        select(TrackerSubmissionKey.item_id).where(TrackerSubmissionKey.key.in_(list(keys))).limit(1)
    ).first()


def remember(session: Session, keys: Sequence[str], item_id: int, now: dt.datetime) -> None:
    """Record ``keys`` for ``item_id`` in the caller's transaction (a concurrent twin then fails to commit)."""
    for key in dict.fromkeys(keys):
        session.add(TrackerSubmissionKey(key=key[:SUBMISSION_KEY_LEN], item_id=item_id, created_at=now))


def once(attempt: Callable[[], T], keys: Sequence[str]) -> T:
    """Run ``attempt``; when a concurrent twin stored the same key first, run it again (it then finds the twin)."""
    try:
        return attempt()
    except TrackerStorageError as exc:
        if not keys or not isinstance(exc.__cause__, IntegrityError):
            raise
        return attempt()
