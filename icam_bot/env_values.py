"""Reading bounded numbers from the environment, the one way every setting does it."""

from __future__ import annotations

import math
from collections.abc import Mapping


def seconds_setting(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, *, problems: list[str]
) -> float:
    """``env[name]`` as seconds from ``low`` to ``high``; ``default`` when unset. A bad value (not a number,
    nan, out of range) is described in ``problems`` and the default is used, so start-up can report them all."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # also rejects nan
        problems.append(f"{name} must be a number of seconds from {low:g} to {high:g} (got {raw[:20]!r})")
        return default
    return value
