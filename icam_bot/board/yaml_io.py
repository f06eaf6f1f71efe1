"""The plan file (YAML) for bulk planning: ``icam-bot programs import`` reads it, ``export`` writes it.

A broken file stops the import with every problem named by file, entry (``program/name``) and field; the
same field rules as the Slack modal apply (icam_bot/board/validation.py). The format::

    version: 1
    programs:
      credentialing:                 # a program slug from knowledge/programs.yaml
        rag: amber                   # optional: omit to derive the RAG from the milestones
        note: Card stock delayed     # optional, one line
        workstreams:
          - {name: PIV refresh, owner: U0EXAMPLE11, due: 2027-06-30, status: in_progress, rag: green}
        milestones:
          - {name: Wave 1 issued, workstream: PIV refresh, owner: U0EXAMPLE11, due: 2027-02-15,
             status: planned, rag: green, note: 400 cards}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from icam_bot.board.errors import PlanError
from icam_bot.board.names import suggest_program
from icam_bot.board.plan import Plan, Planned, ProgramPlan
from icam_bot.board.validation import (
    MilestoneFields,
    MilestoneInput,
    WorkstreamFields,
    WorkstreamInput,
    check_milestone,
    check_note,
    check_program_rag,
    check_workstream,
)
from icam_bot.knowledge.schema import Problem
from icam_bot.programs.routing import ProgramsConfig

PLAN_VERSION = 1
TOP_KEYS = {"version", "programs"}
PROGRAM_KEYS = {"rag", "note", "workstreams", "milestones"}
WORKSTREAM_KEYS = {"name", "owner", "due", "status", "rag", "note"}
MILESTONE_KEYS = {"name", "workstream", "owner", "due", "status", "rag", "note", "completed_on"}
#: Validation field names -> the keys people write in the file.
YAML_FIELD = {"due_date": "due", "owner_id": "owner"}


class _PlanLoader(yaml.SafeLoader):
    """Safe YAML with dates left as text: ``2027-02-30`` must become a named problem, not a parser crash."""


_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, entry: str, field: str, message: str, kind: str = "milestone") -> None:
        self.problems.append(Problem(self.file, entry, YAML_FIELD.get(field, field), message, item_kind=kind))

    def at(self, entry: str, kind: str) -> Callable[[str, str], None]:
        return lambda field, message: self.add(entry, field, message, kind)


def load_plan(path: Path, config: ProgramsConfig, today: dt.date) -> Plan:
    """Read and validate a plan file; PlanError names every problem (file, entry, field)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_PlanLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanError([Problem(path.name, "", "", f"is not valid YAML{where}")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError([Problem(path.name, "", "", f"cannot be read: {exc}")]) from exc
    return parse_plan(data, path.name, config, today)


def parse_plan(data: Any, file: str, config: ProgramsConfig, today: dt.date) -> Plan:
    """Validate a parsed plan document (every problem, not just the first)."""
    found = _Problems(file)
    if not isinstance(data, dict):
        found.add("", "", "must be a mapping with version and programs", "plan")
        raise PlanError(found.problems)
    for key in sorted(set(map(str, data)) - TOP_KEYS):
        found.add("", key, "is not a known field", "plan")
    if data.get("version") != PLAN_VERSION:
        found.add("", "version", f"must be {PLAN_VERSION}", "plan")
    raw_programs = data.get("programs")
    plans: list[ProgramPlan] = []
    if not isinstance(raw_programs, dict) or not raw_programs:
        found.add("", "programs", "must map program slugs to their rag, note, workstreams and milestones", "plan")
    else:
        for slug, raw in raw_programs.items():
            if str(slug) not in config.programs:
                hint = suggest_program(config, str(slug))
                choices = f"did you mean {hint!r}?" if hint else f"one of {', '.join(config.programs)}"
                found.add(str(slug), "", f"is not a component program: {choices}", "program")
                continue
            plan = _program(found, str(slug), raw, today)
            if plan is not None:
                plans.append(plan)
    if found.problems:
        raise PlanError(found.problems)
    return Plan(file, tuple(plans))


def _program(found: _Problems, slug: str, raw: Any, today: dt.date) -> ProgramPlan | None:
    if not isinstance(raw, dict):
        found.add(slug, "", "must be a mapping with rag, note, workstreams and milestones", "program")
        return None
    at = found.at(slug, "program")
    for key in sorted(set(map(str, raw)) - PROGRAM_KEYS):
        at(key, "is not a known field")
    rag = check_program_rag(raw.get("rag"), at)
    note = check_note(raw.get("note"), at)
    workstreams = _entries(
        found, slug, raw.get("workstreams"), kind="workstream", keys=WORKSTREAM_KEYS, check=_workstream, today=today
    )
    milestones = _entries(
        found, slug, raw.get("milestones"), kind="milestone", keys=MILESTONE_KEYS, check=_milestone, today=today
    )
    declared = {w.fields.name for w in workstreams}
    for planned in milestones:
        if planned.fields.workstream and planned.fields.workstream not in declared:
            found.add(planned.entry, "workstream", f"{planned.fields.workstream!r} is not in {slug}'s workstreams")
    return ProgramPlan(
        slug,
        tuple(workstreams),
        tuple(milestones),
        has_rag="rag" in raw,
        rag=rag,
        has_note="note" in raw,
        note=note,
    )


def _workstream(raw: dict[str, Any], fail: Callable[[str, str], None], _today: dt.date) -> WorkstreamFields:
    return check_workstream(
        WorkstreamInput(
            name=raw.get("name"),
            owner_id=raw.get("owner"),
            due_date=raw.get("due"),
            status=raw.get("status", "in_progress"),
            rag=raw.get("rag", "green"),
            note=raw.get("note"),
        ),
        fail,
    )


def _milestone(raw: dict[str, Any], fail: Callable[[str, str], None], today: dt.date) -> MilestoneFields:
    return check_milestone(
        MilestoneInput(
            name=raw.get("name"),
            due_date=raw.get("due"),
            owner_id=raw.get("owner"),
            status=raw.get("status", "planned"),
            rag=raw.get("rag", "green"),
            note=raw.get("note"),
            workstream=raw.get("workstream"),
            completed_on=raw.get("completed_on"),
        ),
        fail,
        today,
    )


def _entries(
    found: _Problems,
    slug: str,
    raw: Any,
    *,
    kind: str,
    keys: set[str],
    check: Callable[[dict[str, Any], Callable[[str, str], None], dt.date], Any],
    today: dt.date,
) -> list[Planned[Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        found.add(slug, f"{kind}s", f"must be a list of {kind}s", "program")
        return []
    entries: list[Planned[Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        entry = f"{slug}/{name.strip()}" if isinstance(name, str) and name.strip() else f"{slug}/{kind}s[{index}]"
        if not isinstance(item, dict):
            found.add(entry, "", "must be a mapping of fields", kind)
            continue
        before = len(found.problems)
        fail = found.at(entry, kind)
        for key in sorted(set(map(str, item)) - keys):
            fail(key, "is not a known field")
        fields = check(item, fail, today)
        if fields.name in seen:
            fail("name", f"is repeated: {slug} already lists a {kind} called {fields.name!r}")
        seen.add(fields.name)
        if len(found.problems) == before:
            entries.append(Planned(entry, fields))
    return entries


def dump_plan(plan: Plan) -> str:
    """The plan as YAML that ``load_plan`` reads back to the same values."""
    programs: dict[str, Any] = {}
    for program in plan.programs:
        out: dict[str, Any] = {}
        if program.rag is not None:
            out["rag"] = program.rag.value
        if program.note is not None:
            out["note"] = program.note
        if program.workstreams:
            out["workstreams"] = [_workstream_out(w.fields) for w in program.workstreams]
        if program.milestones:
            out["milestones"] = [_milestone_out(m.fields) for m in program.milestones]
        programs[program.slug] = out
    header = "# ICAM program board plan: `icam-bot programs import FILE` loads it (see README).\n"
    body = yaml.safe_dump({"version": PLAN_VERSION, "programs": programs}, sort_keys=False, allow_unicode=True)
    return header + body


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _workstream_out(w: WorkstreamFields) -> dict[str, Any]:
    return _drop_none(
        {"name": w.name, "owner": w.owner_id, "due": w.due_date, "status": w.status.value, "rag": w.rag.value}
        | {"note": w.note}
    )


def _milestone_out(m: MilestoneFields) -> dict[str, Any]:
    return _drop_none(
        {
            "name": m.name,
            "workstream": m.workstream,
            "owner": m.owner_id,
            "due": m.due_date,
            "status": m.status.value,
            "rag": m.rag.value,
            "note": m.note,
            "completed_on": m.completed_on,
        }
    )
