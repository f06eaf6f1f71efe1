"""How webhook deliveries are attempted: ICAM_WEBHOOK_MAX_ATTEMPTS, ICAM_WEBHOOK_BACKOFF_SECONDS and
ICAM_WEBHOOK_TIMEOUT_SECONDS."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from icam_bot.env_values import seconds_setting

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_S = 30.0
DEFAULT_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 3600.0
MAX_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class WebhookSettings:
    """Attempts before a delivery is dead-lettered, the first backoff (doubling, at most an hour), and the whole
    request's timeout (connect included; redirects are never followed)."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_s: float = DEFAULT_BACKOFF_S
    timeout_s: float = DEFAULT_TIMEOUT_S

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt: backoff, 2x, 4x ... at most MAX_BACKOFF_S."""
        return dt.timedelta(seconds=min(self.backoff_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, problems: list[str] | None = None) -> WebhookSettings:
        """Read the settings; each bad value is appended to ``problems`` (or raises ValueError without it)."""
        env = os.environ if env is None else env
        found: list[str] = []
        attempts_raw = (env.get("ICAM_WEBHOOK_MAX_ATTEMPTS") or "").strip()
        attempts = DEFAULT_MAX_ATTEMPTS
        if attempts_raw:
            if attempts_raw.isdigit() and 1 <= int(attempts_raw) <= 50:
                attempts = int(attempts_raw)
            else:
                found.append(
                    f"ICAM_WEBHOOK_MAX_ATTEMPTS must be a whole number from 1 to 50 (got {attempts_raw[:20]!r})"
                )
        backoff = seconds_setting(
            env, "ICAM_WEBHOOK_BACKOFF_SECONDS", DEFAULT_BACKOFF_S, 0.01, MAX_BACKOFF_S, problems=found
        )
        timeout = seconds_setting(
            env, "ICAM_WEBHOOK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_S, 0.1, MAX_TIMEOUT_S, problems=found
        )
        if found and problems is None:
            raise ValueError("; ".join(found))
        if problems is not None:
            problems.extend(found)
        return cls(attempts, backoff, timeout)
