"""How severe an item is: the routing file's SLA hours are given per severity."""

from __future__ import annotations

import enum


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
