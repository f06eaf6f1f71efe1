"""Settings from the environment, validated once at start-up with one message per problem."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """One or more settings are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def default_data_dir(env: Mapping[str, str]) -> Path:
    """Where the SQLite database and caches live unless told otherwise."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "icam-bot"


@dataclass(frozen=True)
class Settings:
    """Everything icam-bot reads from its environment."""

    data_dir: Path
    database_url: str
    knowledge_dir: Path | None
    site_file: Path | None
    cache_dir: Path | None
    embeddings: str  # auto | on | off
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    port: int = 3000
    #: Socket Mode only: the port of the small server answering /healthz, /readyz and /metrics.
    health_port: int = 8080
    log_level: str = "INFO"
    answer_workers: int = 1

    @property
    def use_embeddings(self) -> bool | None:
        """True = required, False = off, None = use when installed."""
        return {"on": True, "off": False}.get(self.embeddings)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; raise ConfigError naming every bad one."""
        env = os.environ if env is None else env
        problems: list[str] = []
        data_dir = Path(env.get("ICAM_DATA_DIR") or default_data_dir(env))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'icam-bot.sqlite3'}"
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            problems.append(
                "DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL "
                f"(got scheme {database_url.split(':', 1)[0]!r})"
            )
        knowledge_dir = Path(env["ICAM_KNOWLEDGE_DIR"]) if env.get("ICAM_KNOWLEDGE_DIR") else None
        if knowledge_dir is not None and not knowledge_dir.is_dir():
            problems.append(f"ICAM_KNOWLEDGE_DIR {str(knowledge_dir)!r} is not a directory")
        site_file = Path(env["ICAM_SITE_FILE"]) if env.get("ICAM_SITE_FILE") else None
        if site_file is not None and not site_file.is_file():
            problems.append(f"ICAM_SITE_FILE {str(site_file)!r} is not a file")
        cache_raw = env.get("ICAM_CACHE_DIR")
        cache_dir = None if cache_raw == "none" else Path(cache_raw) if cache_raw else data_dir / "cache"
        embeddings = (env.get("ICAM_EMBEDDINGS") or "auto").lower()
        if embeddings not in ("auto", "on", "off"):
            problems.append(f"ICAM_EMBEDDINGS must be auto, on or off (got {embeddings!r})")
        port_raw = env.get("PORT") or "3000"
        port = 3000
        if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
            problems.append(f"PORT must be a TCP port number 1-65535 (got {port_raw!r})")
        else:
            port = int(port_raw)
        health_raw = env.get("ICAM_HEALTH_PORT") or "8080"
        health_port = 8080
        if not health_raw.isdigit() or not 0 < int(health_raw) < 65536:
            problems.append(f"ICAM_HEALTH_PORT must be a TCP port number 1-65535 (got {health_raw!r})")
        else:
            health_port = int(health_raw)
        level = (env.get("LOG_LEVEL") or "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
        workers_raw = env.get("ICAM_ANSWER_WORKERS") or "1"
        answer_workers = 0
        if not workers_raw.isdigit() or int(workers_raw) > 16:
            problems.append(
                f"ICAM_ANSWER_WORKERS must be 0 (answer in a thread) to 16 worker processes (got {workers_raw!r})"
            )
        else:
            answer_workers = int(workers_raw)
        bot_token = env.get("SLACK_BOT_TOKEN") or None
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        app_token = env.get("SLACK_APP_TOKEN") or None
        if app_token and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        api_url = env.get("SLACK_API_URL") or None
        if api_url and not re.match(r"^https?://[^\s/]+(/\S*)?$", api_url):
            problems.append(
                f"SLACK_API_URL must be an http(s) URL such as https://slack-gov.com/api/ (got {api_url!r})"
            )
        if api_url and not api_url.endswith("/"):
            api_url += "/"
        if problems:
            raise ConfigError(problems)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            knowledge_dir=knowledge_dir,
            site_file=site_file,
            cache_dir=cache_dir,
            embeddings=embeddings,
            slack_bot_token=bot_token,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=app_token,
            slack_api_url=api_url,
            port=port,
            health_port=health_port,
            log_level=level,
            answer_workers=answer_workers,
        )

    def require_slack(self) -> None:
        """Raise ConfigError unless the settings needed to talk to Slack are present."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required to serve Slack (a bot token, xoxb-...)")
        if not self.socket_mode and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (from the app's Basic Information page)")
        if problems:
            raise ConfigError(problems)
