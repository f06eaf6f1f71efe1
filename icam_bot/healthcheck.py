"""The container health probe: ``python -m icam_bot.healthcheck`` (deploy/Dockerfile's HEALTHCHECK).

``icam-bot serve`` answers ``GET /healthz`` on a port that depends on the mode, decided from the same settings
(so a token given as ``SLACK_APP_TOKEN_FILE`` counts too):

* HTTP mode: on ``PORT`` (default 3000), beside ``POST /slack/events`` (also on ``ICAM_METRICS_PORT``);
* Socket Mode (``SLACK_APP_TOKEN``): only on ``ICAM_HEALTH_PORT`` (default 8080); nothing listens on ``PORT``.

Exit status 0 when /healthz answers 200 within the timeout, 1 otherwise, with one line on stderr saying why
(never a setting's value). ``serve --port N`` is not seen here: set ``PORT`` instead in a container.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from icam_bot.config import ConfigError, Settings

HEALTH_PATH = "/healthz"
DEFAULT_TIMEOUT_S = 4.0


def health_port(settings: Settings) -> int:
    """The port ``icam-bot serve`` answers /healthz on with these settings."""
    return settings.health_port if settings.socket_mode else settings.port


def health_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{health_port(settings)}{HEALTH_PATH}"


def probe(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 200, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a fixed http://127.0.0.1 URL)
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:  # refused, reset, timed out (URLError is an OSError)
        reason = getattr(exc, "reason", None) or exc
        return f"{url}: {reason.__class__.__name__}: {reason}"
    return None if status == 200 else f"{url}: HTTP {status}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m icam_bot.healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds (default 4)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    problem = probe(health_url(settings), args.timeout)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
