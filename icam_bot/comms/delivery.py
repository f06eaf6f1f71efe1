"""What posting an announcement to a channel can return, and the report of all its channels (the posts go
through the outbox: icam_bot/comms/outbox.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: chat.postMessage errors meaning the bot can no longer post in the channel: its subscriptions are marked.
CHANNEL_GONE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


@dataclass(frozen=True)
class PostOutcome:
    """What one post returned: the message ts, or Slack's error code (``"request_failed"`` without one)."""

    ts: str | None = None
    error: str | None = None
    channel: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DeliveryReport:
    announcement_id: int
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> error code
    unsubscribed: list[str] = field(default_factory=list)  # channels marked unreachable

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.failed)
