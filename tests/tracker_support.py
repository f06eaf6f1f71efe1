"""Constants and helpers shared by the tracker and communications tests (importable as ``tracker_support``)."""

from __future__ import annotations

from icam_bot.tracker.service import NewItem

REPORTER = "U0STAFF001"
OTHER_STAFF = "U0STAFF002"
PMO = "U0EXAMPLEPM1"
CRED_OWNER = "U0EXAMPLE11"
CRED_LEAD = "U0EXAMPLE14"
PACS_OWNER = "U0EXAMPLE21"


def new_item(**overrides: object) -> NewItem:
    values: dict[str, object] = {
        "kind": "issue",
        "title": "PIV card not recognised by laptop reader",
        "description": "Since Monday my PIV card is not read by the laptop's built-in reader.",
        "program": "credentialing",
        "severity": "high",
        "reporter_id": REPORTER,
        "bureau": "Office of the CIO",
        "channel_id": "C0EXAMPLEHELP",
        "thread_ts": "1767000000.000100",
        "permalink": "https://example.slack.com/archives/C0EXAMPLEHELP/p1767000000000100",
    }
    values.update(overrides)
    return NewItem(**values)  # type: ignore[arg-type]
