"""The manifests declare exactly what the code uses: command, shortcut, events, scopes, interactivity."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handlers.common.ids import SLASH_COMMAND, CallbackId
from handlers.slash.subcommands import USAGE_HINT

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ["app_home_opened", "app_mention", "message.channels", "message.im", "reaction_added"]
#: The history scopes and im:write: a message whose send was interrupted is looked for before it is sent again
#: (handlers/runtime/outbox_lookup.py).
SCOPES = [
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "im:history",
    "im:write",
    "reactions:read",
]


@pytest.mark.parametrize(
    ("name", "socket"), [("slack-app-manifest.yaml", False), ("slack-app-manifest.socket.yaml", True)]
)
def test_manifest_matches_the_code(name, socket):
    manifest = yaml.safe_load((ROOT / "deploy" / name).read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == [SLASH_COMMAND]
    assert features["slash_commands"][0]["usage_hint"] == USAGE_HINT  # the subcommand registry's hints
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [
        ("message", CallbackId.SEND_TO_PMO),
        ("message", CallbackId.MARK_AS_ANSWER),
    ]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == EVENTS
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is socket
    urls = [
        settings["event_subscriptions"].get("request_url"),
        settings["interactivity"].get("request_url"),
        features["slash_commands"][0].get("url"),
    ]
    if socket:
        assert urls == [None, None, None]
    else:
        assert all(u.endswith("/slack/events") for u in urls)
