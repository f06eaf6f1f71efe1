"""Reading settings from the environment, the one way every setting does it: bounded numbers, fixed choices."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: ICAM_EMBEDDING_PRECISION: the encoder graph onnxruntime runs, the default first.
EMBEDDING_PRECISIONS = ("int8", "fp32")


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


def choice_setting(env: Mapping[str, str], name: str, choices: Sequence[str], *, problems: list[str]) -> str:
    """``env[name]`` (trimmed, lower case) when it is one of ``choices``; the first choice when unset. Any other
    value is described in ``problems`` and the first choice is used, so start-up can report every problem."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return choices[0]
    if raw not in choices:
        listed = f"{', '.join(choices[:-1])} or {choices[-1]}"
        problems.append(f"{name} must be {listed} (got {raw[:20]!r})")
        return choices[0]
    return raw
