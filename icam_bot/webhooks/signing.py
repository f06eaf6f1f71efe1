"""The signature receivers check: ``X-ICAM-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``, with the
timestamp (Unix seconds) in ``X-ICAM-Timestamp``; receivers should refuse a timestamp more than 5 minutes old."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-ICAM-Signature"
TIMESTAMP_HEADER = "X-ICAM-Timestamp"
EVENT_HEADER = "X-ICAM-Event"
DELIVERY_HEADER = "X-ICAM-Delivery"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: bytes, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (used by the tests' receiver): constant-time comparison."""
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
