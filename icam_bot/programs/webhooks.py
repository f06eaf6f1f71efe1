"""Outbound webhooks in the routing file: each program's ``webhooks`` list (name, url, where the secret is, which
events), validated with the rest of the file. The secret itself is never in the file: ``secret_env`` names an
environment variable, ``secret_file`` a file (a mounted secret); both are read at start-up (``check_secrets``)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The events a webhook may ask for (the ``type`` of the JSON body, docs/operating.md#outbound-webhooks).
EVENT_TYPES = ("item.created", "item.assigned", "item.escalated", "item.resolved", "announcement.sent")
#: The event ``icam-bot webhooks test`` sends (every webhook receives it, whatever its events).
TEST_EVENT = "webhook.test"
WEBHOOK_KEYS = {"name", "url", "secret_env", "secret_file", "events"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
MAX_URL = 2000
#: ICAM_WEBHOOKS_ALLOW_HTTP: development only; plain http is then allowed to loopback addresses (never elsewhere).
ALLOW_HTTP_ENV = "ICAM_WEBHOOKS_ALLOW_HTTP"
LOOPBACK_NAMES = ("localhost",)
MIN_SECRET_CHARS = 16
MAX_SECRET_BYTES = 4096


@dataclass(frozen=True)
class WebhookTarget:
    """One receiver of a program's events."""

    program: str
    name: str
    url: str
    events: frozenset[str]
    secret_env: str | None = None
    secret_file: str | None = None

    @property
    def key(self) -> str:
        """``program/name``: how delivery rows and the command line name this webhook."""
        return f"{self.program}/{self.name}"

    @property
    def plain_http(self) -> bool:
        return urlsplit(self.url).scheme == "http"

    def wants(self, event_type: str) -> bool:
        return event_type in self.events or event_type == TEST_EVENT


class WebhookSecretError(Exception):
    """A webhook's secret cannot be read (missing variable or file, too short)."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_webhooks(raw: Any, program: str, fail: Callable[[str, str], None]) -> tuple[WebhookTarget, ...]:
    """A program's ``webhooks`` list; each problem is reported with ``fail(field, message)``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        fail("webhooks", "must be a list of webhooks (name, url, secret_env or secret_file, events)")
        return ()
    targets: list[WebhookTarget] = []
    names: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"webhooks[{index}]"
        if not isinstance(entry, dict):
            fail(where, "must be a mapping with name, url, secret_env or secret_file, and events")
            continue
        target = _parse_one(entry, program, where, fail)
        if target is None:
            continue
        if target.name in names:
            fail(f"{where}.name", f"repeats the webhook name {target.name!r}")
            continue
        names.add(target.name)
        targets.append(target)
    return tuple(targets)


def _parse_one(
    entry: dict[str, Any], program: str, where: str, fail: Callable[[str, str], None]
) -> WebhookTarget | None:
    problems = 0

    def bad(field: str, message: str) -> None:
        nonlocal problems
        problems += 1
        fail(f"{where}.{field}" if field else where, message)

    if "secret" in entry:
        bad(
            "secret",
            "must not be written in the routing file: name an environment variable (secret_env) or a file "
            "(secret_file) holding it",
        )
    for key in sorted(set(map(str, entry)) - WEBHOOK_KEYS - {"secret"}):
        bad(key, "is not a known field")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        bad("name", f"must be a short lower-case name such as servicenow (letters, digits, -), got {name!r}")
    url = entry.get("url")
    url_problem = _url_problem(url)
    if url_problem:
        bad("url", url_problem)
    secret_env, secret_file = entry.get("secret_env"), entry.get("secret_file")
    if (secret_env is None) == (secret_file is None):
        bad("", "needs exactly one of secret_env (an environment variable) or secret_file (a file path)")
    elif secret_env is not None and not (isinstance(secret_env, str) and ENV_NAME_RE.match(secret_env)):
        bad("secret_env", f"must be an environment variable name such as ICAM_WEBHOOK_SECRET, got {secret_env!r}")
    elif secret_file is not None and not (isinstance(secret_file, str) and secret_file.startswith("/")):
        bad("secret_file", f"must be an absolute file path, got {secret_file!r}")
    events = entry.get("events")
    if not isinstance(events, list) or not events or not all(e in EVENT_TYPES for e in events):
        bad("events", f"must be a non-empty list of {', '.join(EVENT_TYPES)}")
    if problems:
        return None
    return WebhookTarget(program, str(name), str(url), frozenset(events or ()), secret_env, secret_file)


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        return f"must be an https:// URL of at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.username or parts.password:
        return "must not hold credentials (the request is signed with the secret instead)"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return None  # development only: refused at start-up unless ICAM_WEBHOOKS_ALLOW_HTTP=1
    return (
        "must be an https:// URL (http is allowed only to localhost, in development, with ICAM_WEBHOOKS_ALLOW_HTTP=1)"
    )


def allow_http(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (env.get(ALLOW_HTTP_ENV) or "").strip().lower() in ("1", "true", "yes", "on")


def read_secret(target: WebhookTarget, env: Mapping[str, str] | None = None) -> bytes:
    """The webhook's signing secret, read now from its variable or file; raises WebhookSecretError."""
    env = os.environ if env is None else env
    if target.secret_env is not None:
        value = (env.get(target.secret_env) or "").encode()
        where = f"environment variable {target.secret_env}"
    else:
        assert target.secret_file is not None
        where = f"file {target.secret_file}"
        try:
            with Path(target.secret_file).open("rb") as handle:
                value = handle.read(MAX_SECRET_BYTES + 1).rstrip(b"\r\n")
        except OSError as exc:
            raise WebhookSecretError(
                f"webhook {target.key}: its secret {where} cannot be read ({exc.strerror})"
            ) from exc
        if len(value) > MAX_SECRET_BYTES:
            raise WebhookSecretError(
                f"webhook {target.key}: its secret {where} is larger than {MAX_SECRET_BYTES} bytes"
            )
    if len(value.strip()) < MIN_SECRET_CHARS:
        raise WebhookSecretError(
            f"webhook {target.key}: its secret ({where}) is unset or shorter than {MIN_SECRET_CHARS} characters"
        )
    return value


def check_targets(targets: list[WebhookTarget], env: Mapping[str, str] | None = None) -> list[str]:
    """Start-up problems of the configured webhooks: unreadable secrets, http without the development setting."""
    problems: list[str] = []
    http_ok = allow_http(env)
    for target in targets:
        if target.plain_http and not http_ok:
            problems.append(
                f"webhook {target.key}: http:// is allowed only to localhost with {ALLOW_HTTP_ENV}=1 (development)"
            )
        try:
            read_secret(target, env)
        except WebhookSecretError as exc:
            problems.append(str(exc))
    return problems
