"""Routing configuration (knowledge/programs.yaml): owners, triage channels, escalation, SLAs, hours.

The file is validated field by field; a broken file stops the load with every problem named by file,
program and field, the same standard as the knowledge base. ``ICAM_PROGRAMS_FILE`` overrides the path.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from icam_bot.knowledge.model import PROGRAMS
from icam_bot.knowledge.schema import Problem
from icam_bot.programs.calendar import BusinessCalendar
from icam_bot.programs.severity import Severity
from icam_bot.programs.webhooks import WebhookTarget, check_targets, parse_webhooks

logger = logging.getLogger(__name__)

PROGRAMS_FILE_ENV = "ICAM_PROGRAMS_FILE"
USER_RE = re.compile(r"^[UW][A-Z0-9]{2,30}$")
CHANNEL_RE = re.compile(r"^[CG][A-Z0-9]{2,30}$")
#: The bundled routing file's made-up ids.
EXAMPLE_ID_RE = re.compile(r"^[UWCG]0EXAMPLE")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Escalation levels above the owner (level 0), in order.
ESCALATION_LEVELS = ("program_lead", "pmo_lead", "esc")
LEVEL_NAMES = ("owner", "program lead", "PMO lead", "ESC")
MAX_SLA_HOURS = 24 * 365
TOP_KEYS = {"version", "defaults", "pmo_members", "esc_members", "pmo_channel", "programs"}
OVERRIDABLE = {"timezone", "business_hours", "holidays", "sla_hours"}
PROGRAM_KEYS = {"name", "owners", "backup_owner", "triage_channel", "escalation", "sensitive", "webhooks"} | OVERRIDABLE


def _problem(file: str, program: str, field: str, message: str) -> Problem:
    """One problem in the routing file (the knowledge base's Problem, located by program)."""
    return Problem(file, program, field, message, item_kind="program")


class ProgramsError(Exception):
    """The routing file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"routing configuration has {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class SlaHours:
    """Working hours allowed per severity for the first response and for resolution."""

    first_response: Mapping[Severity, float]
    resolution: Mapping[Severity, float]


@dataclass(frozen=True)
class ProgramRouting:
    """Who handles one component program's items, and how fast."""

    slug: str
    name: str
    owners: tuple[str, ...]
    backup_owner: str | None
    triage_channel: str
    escalation: tuple[str, ...]  # targets of levels 1..n (program lead, PMO lead, ESC)
    sla: SlaHours
    calendar: BusinessCalendar
    #: Items hold personnel-security or similar details: channel posts name only the item (``ICAM-n
    #: (restricted)``) and the details are shown privately to those allowed to view the item.
    sensitive: bool = False
    #: Outbound webhooks receiving this program's events (icam_bot.programs.webhooks).
    webhooks: tuple[WebhookTarget, ...] = ()

    @property
    def primary_owner(self) -> str:
        return self.owners[0]

    @property
    def max_level(self) -> int:
        return len(self.escalation)

    @property
    def staff(self) -> frozenset[str]:
        """Users who act on this program's items: owners, backup owner and program lead."""
        people = {*self.owners, *([self.backup_owner] if self.backup_owner else [])}
        people.update(t for t in self.escalation[:1] if USER_RE.match(t))
        return frozenset(people)

    def escalation_target(self, level: int) -> str:
        """The user or channel responsible at ``level`` (0 = primary owner)."""
        return self.primary_owner if level == 0 else self.escalation[level - 1]


@dataclass(frozen=True)
class ProgramsConfig:
    """The validated routing file."""

    programs: Mapping[str, ProgramRouting]
    pmo_members: frozenset[str]
    esc_members: frozenset[str]
    pmo_channel: str | None
    source: str

    def program(self, slug: str) -> ProgramRouting:
        return self.programs[slug]

    def is_pmo(self, user_id: str) -> bool:
        return user_id in self.pmo_members

    def is_sensitive(self, slug: str) -> bool:
        """Whether the program's items are restricted in channels and the digest (``sensitive: true``)."""
        routing = self.programs.get(slug)
        return routing is not None and routing.sensitive

    def sensitive_programs(self) -> frozenset[str]:
        return frozenset(slug for slug, routing in self.programs.items() if routing.sensitive)

    def webhooks(self, program: str | None = None) -> list[WebhookTarget]:
        """Every configured webhook, or one program's (``program``)."""
        return [t for slug, r in self.programs.items() if program in (None, slug) for t in r.webhooks]

    def webhooks_for(self, event_type: str, program: str) -> list[WebhookTarget]:
        """The webhooks that receive ``event_type`` about ``program`` (``"all"``: every program's)."""
        return [t for t in self.webhooks(None if program == "all" else program) if t.wants(event_type)]

    def webhook_problems(self, env: Mapping[str, str] | None = None) -> list[str]:
        """What stops the webhooks from working (checked at start-up): secrets not readable, http not allowed."""
        return check_targets(self.webhooks(), env)

    def programs_staffed_by(self, user_id: str) -> tuple[str, ...]:
        return tuple(slug for slug, p in self.programs.items() if user_id in p.staff)

    def example_ids(self) -> tuple[str, ...]:
        """The made-up Slack ids (``U0EXAMPLE..``, ``C0EXAMPLE..``) of the bundled example routing, in file order.

        Items routed to them would reach nobody: ``serve`` refuses them unless it is a demo.
        """
        ids = [*self.pmo_members, *self.esc_members, *([self.pmo_channel] if self.pmo_channel else [])]
        for routing in self.programs.values():
            ids += [*routing.owners, *([routing.backup_owner] if routing.backup_owner else [])]
            ids += [routing.triage_channel, *routing.escalation]
        return tuple(dict.fromkeys(i for i in ids if EXAMPLE_ID_RE.match(i)))


def default_programs_file(env: Mapping[str, str] | None = None) -> Path:
    """``ICAM_PROGRAMS_FILE`` or the bundled ``knowledge/programs.yaml``."""
    env = os.environ if env is None else env
    if env.get(PROGRAMS_FILE_ENV):
        return Path(env[PROGRAMS_FILE_ENV])
    from icam_bot.knowledge.loader import bundled_knowledge_dir

    return bundled_knowledge_dir() / "programs.yaml"


def example_ids_problem(config: ProgramsConfig, shown: int = 3) -> str | None:
    """Why ``serve`` refuses ``config`` outside a demo (its example Slack ids), or None when it has none."""
    ids = config.example_ids()
    if not ids:
        return None
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return (
        f"the routing file {config.source} uses example Slack ids ({', '.join(ids[:shown])}{more}): items would "
        "reach nobody. Set ICAM_PROGRAMS_FILE to your workspace's routing file, or for a demonstration run "
        "`icam-bot serve --demo` or set ICAM_DEMO=1"
    )


def load_programs(path: Path | None = None, env: Mapping[str, str] | None = None) -> ProgramsConfig:
    """Read and validate the routing file; raise ProgramsError naming every problem."""
    path = path or default_programs_file(env)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProgramsError([_problem(path.name, "", "", f"is not valid YAML{where}")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgramsError([_problem(path.name, "", "", f"cannot be read: {exc}")]) from exc
    config = parse_programs(data, path.name)
    logger.info("loaded routing for %d programs from %s", len(config.programs), path)
    return config


def parse_programs(data: Any, file: str = "programs.yaml") -> ProgramsConfig:
    """Validate the parsed YAML document."""
    check = _Checker(file)
    if not isinstance(data, dict):
        check.fail("", "", "must be a mapping with defaults, pmo_members, esc_members and programs")
        raise ProgramsError(check.problems)
    for key in sorted(set(map(str, data)) - TOP_KEYS):
        check.fail("", key, "is not a known field")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        check.fail("", "defaults", "must be a mapping")
        defaults = {}
    for key in sorted(set(map(str, defaults)) - OVERRIDABLE):
        check.fail("", f"defaults.{key}", "is not a known field")
    pmo = check.users(data.get("pmo_members"), "", "pmo_members", required=True)
    esc = check.users(data.get("esc_members"), "", "esc_members", required=True)
    pmo_channel = data.get("pmo_channel")
    if pmo_channel is not None and not check.channel(pmo_channel, "", "pmo_channel"):
        pmo_channel = None
    raw_programs = data.get("programs")
    programs: dict[str, ProgramRouting] = {}
    if not isinstance(raw_programs, dict):
        check.fail("", "programs", f"must be a mapping with one entry for each of {', '.join(PROGRAMS)}")
    else:
        for slug in PROGRAMS:
            if slug not in raw_programs:
                check.fail(slug, "", "is missing: every component program needs routing")
        for slug, raw in raw_programs.items():
            if slug not in PROGRAMS:
                check.fail(str(slug), "", f"is not a component program (one of {', '.join(PROGRAMS)})")
                continue
            routing = _parse_program(check, slug, raw, defaults)
            if routing is not None:
                programs[slug] = routing
    if check.problems:
        raise ProgramsError(check.problems)
    return ProgramsConfig(
        programs={slug: programs[slug] for slug in PROGRAMS},
        pmo_members=frozenset(pmo),
        esc_members=frozenset(esc),
        pmo_channel=pmo_channel,
        source=file,
    )


def _parse_program(check: _Checker, slug: str, raw: Any, defaults: dict[str, Any]) -> ProgramRouting | None:
    if not isinstance(raw, dict):
        check.fail(slug, "", "must be a mapping")
        return None
    before = len(check.problems)
    for key in sorted(set(map(str, raw)) - PROGRAM_KEYS):
        check.fail(slug, key, "is not a known field")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        check.fail(slug, "name", "is required and must be non-empty text")
        name = slug
    owners = check.users(raw.get("owners"), slug, "owners", required=True)
    backup = raw.get("backup_owner")
    if backup is not None and not check.user(backup, slug, "backup_owner"):
        backup = None
    channel = raw.get("triage_channel")
    if not check.channel(channel, slug, "triage_channel"):
        channel = ""
    escalation = raw.get("escalation")
    chain: list[str] = []
    if not isinstance(escalation, dict):
        check.fail(slug, "escalation", f"must be a mapping with {', '.join(ESCALATION_LEVELS)}")
    else:
        for key in sorted(set(map(str, escalation)) - set(ESCALATION_LEVELS)):
            check.fail(slug, f"escalation.{key}", "is not a known level")
        for level in ESCALATION_LEVELS:
            target = escalation.get(level)
            if not isinstance(target, str) or not (USER_RE.match(target) or CHANNEL_RE.match(target)):
                message = f"must be a Slack user id (U...) or channel id (C...), got {target!r}"
                check.fail(slug, f"escalation.{level}", message)
            else:
                chain.append(target)
    sensitive = raw.get("sensitive", False)
    if not isinstance(sensitive, bool):
        check.fail(slug, "sensitive", f"must be true or false, got {sensitive!r}")
    webhooks = parse_webhooks(raw.get("webhooks"), slug, lambda field, message: check.fail(slug, field, message))
    merged = {**defaults, **{k: v for k, v in raw.items() if k in OVERRIDABLE}}
    calendar = check.calendar(merged, slug)
    sla = check.sla(merged.get("sla_hours"), slug)
    if len(check.problems) > before or calendar is None or sla is None:
        return None
    return ProgramRouting(
        slug=slug,
        name=name.strip(),
        owners=tuple(owners),
        backup_owner=backup,
        triage_channel=channel,
        escalation=tuple(chain),
        sla=sla,
        calendar=calendar,
        sensitive=sensitive is True,
        webhooks=webhooks,
    )


class _Checker:
    """Collects problems while reading the file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, program: str, field: str, message: str) -> None:
        self.problems.append(_problem(self.file, program, field, message))

    def user(self, value: Any, program: str, field: str) -> bool:
        if isinstance(value, str) and USER_RE.match(value):
            return True
        self.fail(program, field, f"must be a Slack user id such as U0EXAMPLE01, got {value!r}")
        return False

    def channel(self, value: Any, program: str, field: str) -> bool:
        if isinstance(value, str) and CHANNEL_RE.match(value):
            return True
        self.fail(program, field, f"must be a Slack channel id such as C0EXAMPLE01, got {value!r}")
        return False

    def users(self, value: Any, program: str, field: str, *, required: bool) -> list[str]:
        if not isinstance(value, list) or (required and not value):
            self.fail(program, field, "must be a non-empty list of Slack user ids")
            return []
        good = [v for v in value if self.user(v, program, field)]
        if len(set(good)) < len(good):
            self.fail(program, field, "has repeated user ids")
        return list(dict.fromkeys(good))

    def calendar(self, merged: dict[str, Any], program: str) -> BusinessCalendar | None:
        ok = True
        zone_name = merged.get("timezone")
        zone = None
        try:
            zone = ZoneInfo(zone_name) if isinstance(zone_name, str) else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            self.fail(program, "timezone", f"must be an IANA time zone such as America/New_York, got {zone_name!r}")
            ok = False
        hours = merged.get("business_hours")
        start = end = None
        weekdays: set[int] = set()
        if not isinstance(hours, dict):
            self.fail(program, "business_hours", "must be a mapping with start, end and days")
            ok = False
        else:
            start = self._time(hours.get("start"), program, "business_hours.start")
            end = self._time(hours.get("end"), program, "business_hours.end")
            if start and end and end <= start:
                self.fail(program, "business_hours.end", "must be later than business_hours.start")
                ok = False
            days = hours.get("days")
            if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
                self.fail(program, "business_hours.days", f"must be a non-empty list of {', '.join(DAYS)}")
                ok = False
            else:
                weekdays = {DAYS.index(d) for d in days}
        holidays = merged.get("holidays") or []
        if not isinstance(holidays, list) or not all(
            isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in holidays
        ):
            self.fail(program, "holidays", "must be a list of dates (YYYY-MM-DD)")
            ok = False
            holidays = []
        if not ok or zone is None or start is None or end is None:
            return None
        return BusinessCalendar(zone, start, end, frozenset(weekdays), frozenset(holidays))

    def _time(self, value: Any, program: str, field: str) -> dt.time | None:
        match = TIME_RE.match(value) if isinstance(value, str) else None
        if not match:
            self.fail(program, field, f'must be a quoted 24-hour time such as "08:00", got {value!r}')
            return None
        return dt.time(int(match[1]), int(match[2]))

    def sla(self, value: Any, program: str) -> SlaHours | None:
        if not isinstance(value, dict):
            self.fail(program, "sla_hours", "must be a mapping with first_response and resolution")
            return None
        parsed: dict[str, dict[Severity, float]] = {}
        for phase in ("first_response", "resolution"):
            table = value.get(phase)
            if not isinstance(table, dict):
                self.fail(program, f"sla_hours.{phase}", f"must map each severity ({', '.join(Severity)}) to hours")
                continue
            hours: dict[Severity, float] = {}
            for severity in Severity:
                raw = table.get(severity.value)
                if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= MAX_SLA_HOURS:
                    self.fail(
                        program, f"sla_hours.{phase}.{severity.value}", f"must be hours > 0 and <= {MAX_SLA_HOURS}"
                    )
                else:
                    hours[severity] = float(raw)
            for key in sorted(set(map(str, table)) - {s.value for s in Severity}):
                self.fail(program, f"sla_hours.{phase}.{key}", "is not a severity")
            parsed[phase] = hours
        if len(parsed) < 2 or any(len(h) < len(Severity) for h in parsed.values()):
            return None
        for severity in Severity:
            if parsed["resolution"][severity] < parsed["first_response"][severity]:
                self.fail(program, f"sla_hours.resolution.{severity.value}", "must not be shorter than first_response")
                return None
        return SlaHours(first_response=parsed["first_response"], resolution=parsed["resolution"])
