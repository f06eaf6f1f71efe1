"""A validated plan: what ``icam-bot programs import`` writes and ``export`` reads back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from icam_bot.board.models import Rag
from icam_bot.board.validation import MilestoneFields, WorkstreamFields

T = TypeVar("T", MilestoneFields, WorkstreamFields)


@dataclass(frozen=True)
class Planned(Generic[T]):
    """One validated entry and how problems name it (``program/name``)."""

    entry: str
    fields: T


@dataclass(frozen=True)
class ProgramPlan:
    """One program's part of a plan; ``rag`` / ``note`` apply only when given (``has_rag`` / ``has_note``)."""

    slug: str
    workstreams: tuple[Planned[WorkstreamFields], ...] = ()
    milestones: tuple[Planned[MilestoneFields], ...] = ()
    has_rag: bool = False
    rag: Rag | None = None
    has_note: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    source: str
    programs: tuple[ProgramPlan, ...]
