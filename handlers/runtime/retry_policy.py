"""The Slack retry policy, written once for the async sender and the answer worker's synchronous clients.

Honour 429 Retry-After (up to RATE_LIMIT_RETRIES times); retry dropped connections and 500/503 with a short
exponential backoff. Each client passes slack_sdk's handler classes of its own flavour (async or sync).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 2
BACKOFF_FACTOR = 0.2

Handler = TypeVar("Handler")


def policy_handlers(
    rate_limit: Callable[..., Handler], connection_error: Callable[..., Handler], server_error: Callable[..., Handler]
) -> list[Handler]:
    """The policy's three handlers, built from the given rate-limit, connection-error and server-error classes."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=BACKOFF_FACTOR)
    return [
        rate_limit(max_retry_count=RATE_LIMIT_RETRIES),
        connection_error(max_retry_count=CONNECTION_RETRIES, interval_calculator=backoff),
        server_error(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=backoff),
    ]
