"""Sending to Slack with retries (429 Retry-After, connection errors, 5xx) and loud logging on failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from handlers.runtime.metrics import Metrics
from handlers.runtime.retry_policy import policy_handlers
from icam_bot.analytics.figures import Figure
from icam_bot.comms.delivery import PostOutcome

logger = logging.getLogger(__name__)

SEND_ERRORS = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)


class CountingRetryHandler(AsyncRetryHandler):
    """Wraps a retry handler and calls ``on_retry`` before each retry it makes."""

    def __init__(self, inner: AsyncRetryHandler, on_retry: Callable[[], None]) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner
        self.on_retry = on_retry

    async def can_retry_async(self, **attempt: Any) -> bool:
        return await self.inner.can_retry_async(**attempt)

    async def prepare_for_next_attempt_async(self, **attempt: Any) -> None:
        self.on_retry()
        await self.inner.prepare_for_next_attempt_async(**attempt)


def retry_handlers(on_retry: Callable[[], None] | None = None) -> list[AsyncRetryHandler]:
    """The Slack retry policy (handlers/runtime/retry_policy.py) for the async clients; ``on_retry`` counts retries."""
    handlers: list[AsyncRetryHandler] = policy_handlers(
        AsyncRateLimitErrorRetryHandler, AsyncConnectionErrorRetryHandler, AsyncServerErrorRetryHandler
    )
    if on_retry is None:
        return handlers
    return [CountingRetryHandler(handler, on_retry) for handler in handlers]


def make_web_client(
    token: str | None, base_url: str | None = None, on_retry: Callable[[], None] | None = None
) -> AsyncWebClient:
    """The Web API client; ``base_url`` points at GovSlack (https://slack-gov.com/api/) or a test fake."""
    kwargs: dict[str, Any] = {"token": token, "retry_handlers": retry_handlers(on_retry)}
    if base_url:
        kwargs["base_url"] = base_url
    return AsyncWebClient(**kwargs)


class Sender:
    """Posts messages and response_url replies; a post that still fails after retries is logged, not lost."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.metrics = metrics or Metrics()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _shared_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def post_message(self, client: AsyncWebClient, channel: str, **payload: Any) -> dict[str, Any] | None:
        """chat.postMessage; returns Slack's response body or None after logging the failure."""
        try:
            response = await client.chat_postMessage(channel=channel, **payload)
        except SEND_ERRORS:
            self.metrics.slack_error("chat.postMessage")
            logger.exception("chat.postMessage failed after retries (channel=%s)", channel)
            return None
        return response.data if isinstance(response.data, dict) else {}

    async def post_outcome(self, client: AsyncWebClient, channel: str, **payload: Any) -> PostOutcome:
        """chat.postMessage keeping Slack's error code (e.g. ``not_in_channel``) for the caller to act on."""
        try:
            response = await client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            self.metrics.slack_error("chat.postMessage")
            logger.warning("chat.postMessage to %s refused: %s", channel, error)
            return PostOutcome(error=str(error or "request_failed"), channel=channel)
        except SEND_ERRORS:
            self.metrics.slack_error("chat.postMessage")
            logger.exception("chat.postMessage failed after retries (channel=%s)", channel)
            return PostOutcome(error="request_failed", channel=channel)
        ts = response.get("ts")
        return PostOutcome(ts=ts if isinstance(ts, str) else None, channel=channel)

    async def update_outcome(self, client: AsyncWebClient, channel: str, ts: str, **payload: Any) -> PostOutcome:
        """chat.update of the message ``ts`` keeping Slack's error code (as ``post_outcome``)."""
        try:
            await client.chat_update(channel=channel, ts=ts, **payload)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            self.metrics.slack_error("chat.update")
            logger.warning("chat.update in %s refused: %s", channel, error)
            return PostOutcome(error=str(error or "request_failed"), channel=channel)
        except SEND_ERRORS:
            self.metrics.slack_error("chat.update")
            logger.exception("chat.update failed after retries (channel=%s)", channel)
            return PostOutcome(error="request_failed", channel=channel)
        return PostOutcome(ts=ts, channel=channel)

    async def upload_outcome(
        self, client: AsyncWebClient, channel: str, figure: Figure, comment: str | None = None
    ) -> PostOutcome:
        """Share an image in ``channel`` the external way: files.getUploadURLExternal (with the alt text), the bytes
        POSTed to the URL it returns, files.completeUploadExternal (with ``comment``, the text fallback)."""
        method = "files.getUploadURLExternal"
        try:
            ticket = await client.files_getUploadURLExternal(
                filename=figure.filename, length=len(figure.png), alt_txt=figure.alt_text
            )
            url, file_id = ticket.get("upload_url"), ticket.get("file_id")
            if not isinstance(url, str) or not isinstance(file_id, str):
                return PostOutcome(error="invalid_upload_ticket", channel=channel)
            method = "upload"
            async with self._shared_session().post(url, data=figure.png) as response:
                if response.status != 200:
                    logger.warning("file upload to Slack answered HTTP %s", response.status)
                    self.metrics.slack_error(method)
                    return PostOutcome(error="request_failed", channel=channel)
            method = "files.completeUploadExternal"
            files = [{"id": file_id, "title": figure.title}]
            await client.files_completeUploadExternal(files=files, channel_id=channel, initial_comment=comment)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            self.metrics.slack_error(method)
            logger.warning("%s for %s refused: %s", method, channel, error)
            return PostOutcome(error=str(error or "request_failed"), channel=channel)
        except SEND_ERRORS:
            self.metrics.slack_error(method)
            logger.exception("%s failed after retries (channel=%s)", method, channel)
            return PostOutcome(error="request_failed", channel=channel)
        return PostOutcome(channel=channel)

    async def open_dm(self, client: AsyncWebClient, user: str) -> str | None:
        """The id of the bot's direct-message conversation with ``user`` (conversations.open), None on failure."""
        try:
            response = await client.conversations_open(users=user)
        except SEND_ERRORS:
            self.metrics.slack_error("conversations.open")
            logger.warning("conversations.open failed (user=%s)", user, exc_info=True)
            return None
        channel = (response.get("channel") or {}).get("id")
        return channel if isinstance(channel, str) else None

    async def respond(self, response_url: str | None, **payload: Any) -> bool:
        """POST to an interaction's response_url (ephemeral unless told otherwise)."""
        if not response_url:
            logger.error("cannot reply: the request carried no response_url")
            return False
        payload.setdefault("response_type", "ephemeral")
        webhook = AsyncWebhookClient(
            response_url, session=self._shared_session(), retry_handlers=retry_handlers(self.metrics.slack_retry)
        )
        try:
            response = await webhook.send_dict(payload)
        except (TimeoutError, aiohttp.ClientError):
            self.metrics.slack_error("response_url")
            logger.exception("response_url post failed after retries")
            return False
        if response.status_code != 200:
            self.metrics.slack_error("response_url")
            logger.error("response_url post failed with HTTP %s after retries", response.status_code)
            return False
        return True

    async def permalink(self, client: AsyncWebClient, channel: str, message_ts: str) -> str | None:
        try:
            response = await client.chat_getPermalink(channel=channel, message_ts=message_ts)
        except SEND_ERRORS:
            self.metrics.slack_error("chat.getPermalink")
            logger.warning("chat.getPermalink failed (channel=%s)", channel, exc_info=True)
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) else None
