"""The review queue: open review signals grouped so near-identical questions form one row (count, first and
last asked, the askers, the bot's best candidates, a proposed answer)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from icam_bot.knowledge.keys import phrasing_key
from icam_bot.questions.models import ReviewSignal
from icam_bot.text.normalize import normalize

#: token_sort_ratio of two questions' keys at or above which they are one row.
SAME_QUESTION_AT = 88.0
#: The newest open signals read to build the queue.
MAX_SIGNALS = 2000
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Proposal:
    """An answer proposed from a thread ("Mark as answer")."""

    text: str
    by: str


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue: near-identical questions, who asked them and what the bot offered."""

    key: str
    question: str
    questions: tuple[str, ...]
    count: int
    kinds: dict[str, int]
    first_asked_at: dt.datetime
    last_asked_at: dt.datetime
    askers: tuple[str, ...]
    candidates: tuple[str, ...]
    proposal: Proposal | None
    signal_ids: tuple[int, ...]
    #: Each asker's own (latest) wording, for the message they get when the row is closed.
    asked: tuple[tuple[str, str], ...] = ()


def question_key(text: str) -> str:
    """The grouping key: stemmed content words (order ignored), else the plain normalised words."""
    return phrasing_key(text) or normalize(text)


@dataclass
class _Group:
    key: str
    signals: list[ReviewSignal]


def _group(signals: Sequence[ReviewSignal]) -> list[_Group]:
    groups: list[_Group] = []
    by_key: dict[str, _Group] = {}
    for signal in signals:
        key = question_key(signal.text)
        group = by_key.get(key)
        if group is None:
            group = next(
                (g for g in groups if key and g.key and fuzz.token_sort_ratio(key, g.key) >= SAME_QUESTION_AT),
                None,
            )
        if group is None:
            group = _Group(key, [])
            groups.append(group)
        by_key[key] = group
        group.signals.append(signal)
    return groups


def _row(group: _Group) -> QueueRow:
    signals = sorted(group.signals, key=lambda s: s.id)
    latest = signals[-1]
    offered = Counter(e for s in signals for e in (s.entry_ids or []))
    proposal = next((Proposal(s.proposal, s.proposed_by or "") for s in reversed(signals) if s.proposal), None)
    return QueueRow(
        key=group.key,
        question=latest.text,
        questions=tuple(dict.fromkeys(s.text for s in signals)),
        count=len(signals),
        kinds=dict(Counter(s.kind for s in signals)),
        first_asked_at=signals[0].created_at,
        last_asked_at=latest.created_at,
        askers=tuple(dict.fromkeys(s.user_id for s in signals)),
        candidates=tuple(e for e, _ in offered.most_common(MAX_CANDIDATES)),
        proposal=proposal,
        signal_ids=tuple(s.id for s in signals),
        asked=tuple({s.user_id: s.text for s in signals}.items()),
    )


def open_rows(session: Session) -> list[QueueRow]:
    """Every open row, most asked (then most recent) first."""
    signals = session.scalars(
        select(ReviewSignal)
        .where(ReviewSignal.closure_id.is_(None), ReviewSignal.picked.is_(False))
        .order_by(ReviewSignal.id.desc())
        .limit(MAX_SIGNALS)
    ).all()
    rows = [_row(g) for g in _group(signals)]
    rows.sort(key=lambda r: (-r.count, -r.last_asked_at.timestamp()))
    return rows


def find_row(session: Session, key: str) -> QueueRow | None:
    """The open row holding questions with ``key`` (the key a button carried), or None when it was closed."""
    rows = open_rows(session)
    return next((r for r in rows if r.key == key), None) or next(
        (r for r in rows if any(question_key(q) == key for q in r.questions)), None
    )
