"""The one seam between the core and the Slack side (the ``handlers`` package, which imports the core and never
the reverse): ``icam-bot serve`` and ``icam-bot config check`` reach it here, by name, only when they run, so
the core's other commands (and a core installed without the Slack side) never load it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from icam_bot.answers import Responder
    from icam_bot.config import Settings
    from icam_bot.programs.routing import ProgramsConfig
    from icam_bot.questions.store import Store

#: The Slack side's module for the core's commands.
SLACK_SIDE = "handlers.runtime.entry"


class SlackSettings(Protocol):
    """The Slack-only settings, as the core sees them (validated from the environment by the Slack side)."""

    @property
    def pmo_members(self) -> frozenset[str]: ...


class SlackSide(Protocol):
    def slack_settings(self, env: Mapping[str, str] | None = None) -> SlackSettings:
        """ICAM_PMO_MEMBERS, ICAM_LEASE_SECONDS...; raises ConfigError listing every problem."""
        ...

    def serve(
        self,
        args: argparse.Namespace,
        settings: Settings,
        slack_settings: SlackSettings,
        programs: ProgramsConfig,
        *,
        responder: Responder,
        store: Store,
    ) -> None:
        """Serve Slack (HTTP or Socket Mode) until SIGTERM/SIGINT."""
        ...


def slack_side() -> SlackSide:
    """The Slack side, imported now."""
    module: Any = importlib.import_module(SLACK_SIDE)
    return module
