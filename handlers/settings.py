"""Slack-only settings the core does not know about (validated at start-up like the core's)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from icam_bot.config import ConfigError

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SlackSettings:
    """``ICAM_PMO_MEMBERS``: comma-separated Slack user ids of ICAM PMO staff."""

    pmo_members: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings:
        env = os.environ if env is None else env
        raw = env.get("ICAM_PMO_MEMBERS") or ""
        members = [m.strip() for m in raw.split(",") if m.strip()]
        bad = [m for m in members if not _USER_ID.match(m)]
        if bad:
            raise ConfigError(
                [f"ICAM_PMO_MEMBERS must be comma-separated Slack user ids such as U012AB3CD (bad: {', '.join(bad)})"]
            )
        return cls(pmo_members=frozenset(members))

    def is_pmo(self, user_id: str | None) -> bool:
        return bool(user_id) and user_id in self.pmo_members
