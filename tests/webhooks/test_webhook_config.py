"""Webhooks in the routing file: validated with the file (never an inline secret, https only), and at start-up
(the secret readable, http only to localhost with the development setting)."""

from __future__ import annotations

import pytest
from webhook_support import SECRET, SECRET_ENV, routing, routing_data

from icam_bot.programs.routing import ProgramsError, parse_programs
from icam_bot.webhooks.settings import WebhookSettings


def problems_of(**webhook: object) -> list[str]:
    with pytest.raises(ProgramsError) as caught:
        parse_programs(routing_data("https://tickets.example.gov/icam", **webhook))
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_a_valid_webhook_is_read_per_program():
    config = routing("https://tickets.example.gov/icam")
    (target,) = config.program("credentialing").webhooks
    assert (target.key, target.url, target.secret_env) == (
        "credentialing/ticketing",
        "https://tickets.example.gov/icam",
        SECRET_ENV,
    )
    assert [t.key for t in config.webhooks_for("item.created", "credentialing")] == ["credentialing/ticketing"]
    assert config.webhooks_for("item.created", "pacs") == []
    assert {t.key for t in config.webhooks_for("announcement.sent", "all")} == {
        "credentialing/ticketing",
        "personnel-security/psec",
    }


def test_the_secret_is_never_inline_and_urls_are_https():
    assert any(p.startswith("webhooks[0].secret: must not be written") for p in problems_of(secret="hunter2"))
    assert any("https://" in p for p in problems_of(url="http://tickets.example.gov/icam"))
    assert any("https://" in p for p in problems_of(url="ftp://tickets.example.gov/icam"))
    assert any("credentials" in p for p in problems_of(url="https://user:pw@tickets.example.gov/icam"))
    assert any("exactly one of secret_env" in p for p in problems_of(secret_file="/run/secrets/hook"))
    assert any("exactly one of secret_env" in p for p in problems_of(secret_env=None))
    assert any("events" in p for p in problems_of(events=["item.deleted"]))
    assert any("events" in p for p in problems_of(events=[]))
    assert any("not a known field" in p for p in problems_of(headers={"X": "y"}))
    parse_programs(routing_data("http://127.0.0.1:9/hook"))  # loopback http parses; start-up decides


def test_start_up_checks_the_secret_and_http(tmp_path):
    config = routing("https://tickets.example.gov/icam")
    assert config.webhook_problems({}) == [
        f"webhook credentialing/ticketing: its secret (environment variable {SECRET_ENV}) is unset or shorter "
        "than 16 characters",
        f"webhook personnel-security/psec: its secret (environment variable {SECRET_ENV}) is unset or shorter "
        "than 16 characters",
    ]
    assert config.webhook_problems({SECRET_ENV: SECRET}) == []
    secret_file = tmp_path / "hook-secret"
    secret_file.write_text(SECRET + "\n")
    from_file = routing("https://tickets.example.gov/icam", secret_env=None, secret_file=str(secret_file))
    assert from_file.webhook_problems({}) == []
    missing = routing("https://tickets.example.gov/icam", secret_env=None, secret_file=str(tmp_path / "nope"))
    assert "cannot be read" in missing.webhook_problems({})[0]
    local = routing("http://localhost:8080/hook")
    assert "ICAM_WEBHOOKS_ALLOW_HTTP=1" in local.webhook_problems({SECRET_ENV: SECRET})[0]
    assert local.webhook_problems({SECRET_ENV: SECRET, "ICAM_WEBHOOKS_ALLOW_HTTP": "1"}) == []


def test_delivery_settings_are_validated():
    assert WebhookSettings.from_env({}) == WebhookSettings(8, 30.0, 10.0)
    problems: list[str] = []
    WebhookSettings.from_env(
        {"ICAM_WEBHOOK_MAX_ATTEMPTS": "0", "ICAM_WEBHOOK_BACKOFF_SECONDS": "x", "ICAM_WEBHOOK_TIMEOUT_SECONDS": "60"},
        problems,
    )
    assert [p.split(" must")[0] for p in problems] == [
        "ICAM_WEBHOOK_MAX_ATTEMPTS",
        "ICAM_WEBHOOK_BACKOFF_SECONDS",
        "ICAM_WEBHOOK_TIMEOUT_SECONDS",
    ]
    settings = WebhookSettings(backoff_s=2)
    assert [settings.backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [2, 4, 8, 3600]
