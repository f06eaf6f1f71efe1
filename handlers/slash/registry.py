"""The ``/icam`` subcommand registry's parts: a subcommand is a name, a handler, its help lines, its part of the
manifest's usage hint and who may run it. ``handlers.slash.subcommands`` lists them all, in help order."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.blocks import ERROR_TEXT, text_message
from handlers.common.ids import SLASH_COMMAND
from handlers.services import Services, services_of

logger = logging.getLogger(__name__)

Message = dict[str, Any]


class HelpLine(NamedTuple):
    """One line of ``/icam help``: the usage (after ``/icam``), what it does, an example."""

    usage: str
    what: str
    example: str


#: Who may run a subcommand: None when ``user`` may, else the reply that refuses them. Checked after the ack,
#: before the handler runs; the core's own permissions (per item, per program) still apply inside.
Who = Callable[[Services, str], Message | None]


def anyone(_services: Services, _user: str) -> Message | None:
    return None


@dataclass(frozen=True)
class Call:
    """One ``/icam`` invocation: its subcommand, the text after it, and what Bolt gave the listener."""

    subcommand: Subcommand
    rest: str
    command: dict[str, Any]
    context: Any
    client: AsyncWebClient
    ack: AsyncAck

    @property
    def services(self) -> Services:
        return services_of(self.context)

    @property
    def user(self) -> str:
        return str(self.command.get("user_id") or "")

    @property
    def channel(self) -> str:
        return str(self.command.get("channel_id") or "")

    def usage(self, note: str = "") -> Message:
        """``Usage: `/icam <usage>``` of this subcommand (its first help line), with an optional note."""
        return text_message(f"Usage: `{SLASH_COMMAND} {self.subcommand.usage}`{note}")


Handler = Callable[[Call], Awaitable[None]]
#: The ephemeral reply to a call (None: nothing to say, e.g. a modal was opened instead).
Reply = Callable[[Call], Awaitable[Message | None]]


@dataclass(frozen=True)
class Subcommand:
    """``/icam <name>``: ``run`` acks the call and answers it; ``help`` lines for ``/icam help``; ``hint`` is its part
    of the slash command's usage hint in the app manifests (None: not shown there); ``who`` may run it."""

    name: str
    run: Handler
    help: tuple[HelpLine, ...]
    hint: str | None = None
    who: Who = anyone

    @property
    def usage(self) -> str:
        return self.help[0].usage


def apology(_call: Call) -> Message:
    return text_message(ERROR_TEXT)


def replying(reply: Reply, on_error: Callable[[Call], Message] = apology) -> Handler:
    """A handler that acks at once, checks who may run the subcommand, then sends ``reply``'s answer to the
    response_url; a failure is logged and answered with ``on_error`` (by default an apology)."""

    @functools.wraps(reply)
    async def run(call: Call) -> None:
        await call.ack()
        services = call.services
        try:
            answer = call.subcommand.who(services, call.user) or await reply(call)
        except Exception:
            logger.exception("/icam %s failed (user=%s)", call.subcommand.name, call.user)
            answer = on_error(call)
        if answer is not None:
            await services.sender.respond(call.command.get("response_url"), **answer)

    return run
