"""Slack-only settings the core does not know about (validated at start-up like the core's)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from icam_bot.config import ConfigError
from icam_bot.env_values import seconds_setting

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
#: Slack emoji names: lower-case letters, digits, - _ + ' (no colons).
_EMOJI = re.compile(r"^[a-z0-9_+'-]{1,100}$")
DEFAULT_TICKET_REACTION = "ticket"


DEFAULT_LEASE_SECONDS = 30.0
MAX_LEASE_SECONDS = 3600.0


@dataclass(frozen=True)
class SlackSettings:
    """``ICAM_PMO_MEMBERS``: comma-separated Slack user ids of ICAM PMO staff (added to the routing file's).

    ``ICAM_LEASE_SECONDS``: how long a replica holds the questions it acked before another may answer them
    (default 30; answering holds a question twice as long, sending an outbox message four times as long).

    ``ICAM_TICKET_REACTION``: the reaction (emoji name, no colons; default ``ticket``) that offers to create a
    tracker item from a message; ``off`` turns the feature off.
    """

    pmo_members: frozenset[str] = frozenset()
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    ticket_reaction: str | None = DEFAULT_TICKET_REACTION

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings:
        env = os.environ if env is None else env
        raw = env.get("ICAM_PMO_MEMBERS") or ""
        members = [m.strip() for m in raw.split(",") if m.strip()]
        problems: list[str] = []
        bad = [m for m in members if not _USER_ID.match(m)]
        if bad:
            problems.append(
                f"ICAM_PMO_MEMBERS must be comma-separated Slack user ids such as U012AB3CD (bad: {', '.join(bad)})"
            )
        lease = seconds_setting(
            env, "ICAM_LEASE_SECONDS", DEFAULT_LEASE_SECONDS, 2, MAX_LEASE_SECONDS, problems=problems
        )
        reaction = (env.get("ICAM_TICKET_REACTION") or DEFAULT_TICKET_REACTION).strip().strip(":").lower()
        if reaction != "off" and not _EMOJI.match(reaction):
            problems.append(
                f"ICAM_TICKET_REACTION must be an emoji name such as ticket, or off (got {reaction[:40]!r})"
            )
        if problems:
            raise ConfigError(problems)
        return cls(
            pmo_members=frozenset(members),
            lease_seconds=lease,
            ticket_reaction=None if reaction == "off" else reaction,
        )
