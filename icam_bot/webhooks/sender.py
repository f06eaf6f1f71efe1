"""One signed POST to a webhook: bounded timeout, redirects never followed, the answer's body never read beyond
a little (receivers' error pages are not kept)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from icam_bot import __version__
from icam_bot.programs.webhooks import WebhookTarget, allow_http, read_secret
from icam_bot.webhooks.events import body_bytes
from icam_bot.webhooks.service import Attempt
from icam_bot.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

logger = logging.getLogger(__name__)


def signed_headers(secret: bytes, body: bytes, payload: dict[str, Any], timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": f"icam-bot/{__version__}",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body),
        EVENT_HEADER: str(payload.get("type", "")),
        DELIVERY_HEADER: str(payload.get("id", "")),
    }


async def post_event(
    session: aiohttp.ClientSession, target: WebhookTarget, payload: dict[str, Any], timeout_s: float
) -> Attempt:
    """POST ``payload`` to ``target``, signed with its secret (read now, so a rotated secret is used at once)."""
    if target.plain_http and not allow_http():
        return Attempt(None, "http:// refused (ICAM_WEBHOOKS_ALLOW_HTTP is off)")
    try:
        secret = read_secret(target)
    except Exception as exc:  # WebhookSecretError, or an unexpected read failure: the row waits and retries
        return Attempt(None, str(exc))
    body = body_bytes(payload)
    try:
        async with session.post(
            target.url,
            data=body,
            headers=signed_headers(secret, body, payload),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            status = response.status
    except TimeoutError:
        return Attempt(None, f"no answer within {timeout_s:g} s")
    except (aiohttp.ClientError, OSError) as exc:
        return Attempt(None, f"{exc.__class__.__name__}: request failed")
    except asyncio.CancelledError:
        raise
    if 200 <= status < 300:
        return Attempt(status)
    if 300 <= status < 400:
        return Attempt(status, f"HTTP {status}: redirects are not followed")
    return Attempt(status, f"HTTP {status}")
