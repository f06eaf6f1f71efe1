"""What one domain's listeners ask of another's (re-publish the Home tab, open the issue form), wired once by
``create_app`` (handlers.app) and reached through ``services.hooks``: domain packages never import each other's
listener modules (tests/test_architecture.py)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from handlers.services import Services


class PublishHome(Protocol):
    """Build and views.publish the Home tab for ``user_id`` (home.tab.publish_home)."""

    def __call__(self, services: Services, client: AsyncWebClient, user_id: str) -> Awaitable[None]: ...


class OpenIssueForm(Protocol):
    """views.open the issue form pre-filled with ``text``, remembering where it came from; False when it could not
    be opened (tracker.flows.open_issue_form)."""

    def __call__(
        self,
        services: Services,
        client: AsyncWebClient,
        trigger_id: str | None,
        text: str,
        *,
        channel_id: str | None,
        thread_ts: str | None,
        permalink: str | None,
        question_log_id: int | None = None,
    ) -> Awaitable[bool]: ...


@dataclass(frozen=True)
class Hooks:
    publish_home: PublishHome
    open_issue_form: OpenIssueForm
