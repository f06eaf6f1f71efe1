"""Who may do what: staff act on their own items, owners on their program's, the PMO on all."""

from __future__ import annotations

import enum
import logging

from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker.errors import PermissionDeniedError
from icam_bot.tracker.models import TrackerItem

logger = logging.getLogger(__name__)


class Action(enum.StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    ASSIGN = "assign"
    SET_STATUS = "set_status"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"


#: What the reporter of an item may do to it (their own items only).
REPORTER_ACTIONS = frozenset({Action.VIEW, Action.COMMENT, Action.ESCALATE, Action.REOPEN, Action.CLOSE})
#: What the assignee may do (everything but reassigning).
ASSIGNEE_ACTIONS = frozenset(Action) - {Action.ASSIGN}


def roles(config: ProgramsConfig, actor: str, item: TrackerItem) -> set[str]:
    """The actor's relationships to the item: pmo, owner, assignee, reporter, esc."""
    found = set()
    if config.is_pmo(actor):
        found.add("pmo")
    if actor in config.program(item.program).staff:
        found.add("owner")
    if item.assignee_id == actor:
        found.add("assignee")
    if item.reporter_id == actor:
        found.add("reporter")
    if actor in config.esc_members:
        found.add("esc")
    return found


def can(config: ProgramsConfig, actor: str, action: Action, item: TrackerItem) -> bool:
    held = roles(config, actor, item)
    if held & {"pmo", "owner"}:
        return True
    if "assignee" in held and action in ASSIGNEE_ACTIONS:
        return True
    if "reporter" in held and action in REPORTER_ACTIONS:
        return True
    return "esc" in held and action is Action.VIEW


def require(config: ProgramsConfig, actor: str, action: Action, item: TrackerItem) -> None:
    """Raise PermissionDeniedError, saying why, unless ``actor`` may do ``action`` to ``item``."""
    if can(config, actor, action, item):
        return
    logger.info("refused %s on %s for %s", action.value, item.ref, actor)
    if item.reporter_id == actor:
        raise PermissionDeniedError(
            f"you raised {item.ref}, so you can view, comment on, escalate, reopen or close it; "
            f"to {action.value.replace('_', ' ')} it ask the {item.program} program owners or the ICAM PMO"
        )
    raise PermissionDeniedError(
        f"{item.ref} belongs to someone else: only its reporter, its assignee, the {item.program} "
        "program owners and the ICAM PMO can see or act on it"
    )


def require_queue_access(config: ProgramsConfig, actor: str, program: str | None) -> None:
    """The PMO may read every queue; program owners may read their own program's queue."""
    if config.is_pmo(actor):
        return
    if program is not None and actor in config.program(program).staff:
        return
    raise PermissionDeniedError(
        "only ICAM PMO members can see the whole queue; program owners can see their own program's queue"
    )


def require_stats_access(config: ProgramsConfig, actor: str) -> None:
    if config.is_pmo(actor) or actor in config.esc_members:
        return
    raise PermissionDeniedError("tracker statistics are for ICAM PMO and ESC members")
