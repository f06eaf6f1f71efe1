"""Settings from the environment, validated once at start-up with one message per problem."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icam_bot.env_values import EMBEDDING_PRECISIONS, choice_setting, seconds_setting
from icam_bot.records.policy import RetentionPolicy, parse_days

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")
MAX_SHUTDOWN_TIMEOUT_S = 300
#: ICAM_KB_WATCH_SECONDS: how often a replica (and each answer worker) looks for live knowledge changes.
DEFAULT_KB_WATCH_SECONDS = 15.0
MAX_KB_WATCH_SECONDS = 60.0
#: ICAM_SWEEP_SECONDS: how often the SLA sweeper runs under ``serve`` (1 s to a day).
DEFAULT_SWEEP_SECONDS = 60.0
MAX_SWEEP_SECONDS = 24 * 3600.0
DEFAULT_METRICS_PORT = 9090
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")
#: Settings that may instead be read from a file named by ``<NAME>_FILE`` (Docker secrets, Kubernetes Secret
#: volumes). DATABASE_PASSWORD_FILE (a password combined into the database URL) has no plain variant.
FILE_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL")
DATABASE_PASSWORD_FILE = "DATABASE_PASSWORD_FILE"  # noqa: S105 (a variable name, not a password)
#: A secret file larger than this is refused: it is not a token, a password or a URL (e.g. a wrong path).
MAX_SECRET_FILE_BYTES = 64 * 1024


def _seconds(raw: str) -> float | None:
    """A finite number of seconds, or None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_secret_file(variable: str, raw_path: str, problems: list[str]) -> str | None:
    """The text of the file named by ``variable`` (e.g. SLACK_BOT_TOKEN_FILE) without its trailing newlines, or
    None with the problem appended: missing, a directory, unreadable, too large, not UTF-8, empty. A problem names
    the variable and the path, never the file's contents."""
    where = f"{variable} {raw_path!r}"
    try:
        with Path(raw_path).open("rb") as handle:
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except FileNotFoundError:
        problems.append(f"{where} does not exist (mount the secret file there, or fix the path)")
        return None
    except IsADirectoryError:
        problems.append(f"{where} is a directory, not a file")
        return None
    except PermissionError:
        problems.append(f"{where} cannot be read by this process (permission denied for uid {os.getuid()})")
        return None
    except OSError as exc:
        problems.append(f"{where} cannot be read ({exc.__class__.__name__}: {exc.strerror or 'error'})")
        return None
    if len(data) > MAX_SECRET_FILE_BYTES:
        problems.append(f"{where} is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB: not a secret file")
        return None
    try:
        value = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        problems.append(f"{where} is not UTF-8 text")
        return None
    if not value.strip():
        problems.append(f"{where} is empty")
        return None
    return value


def secret_setting(env: Mapping[str, str], name: str, problems: list[str]) -> str | None:
    """``name`` from the environment, or from the file named by ``<name>_FILE``; setting both is a problem. An
    empty value counts as unset (so ``SLACK_APP_TOKEN=`` beside ``SLACK_APP_TOKEN_FILE`` is fine)."""
    value = env.get(name) or None
    file_variable = f"{name}_FILE"
    path = env.get(file_variable) or None
    if path is None:
        return value
    if value is not None:
        problems.append(f"{name} and {file_variable} are both set: set only one (the value, or the file holding it)")
        return None
    return read_secret_file(file_variable, path, problems)


def slack_token_configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether a Slack bot token is configured (SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE), before reading it."""
    env = os.environ if env is None else env
    return bool(env.get("SLACK_BOT_TOKEN") or env.get("SLACK_BOT_TOKEN_FILE"))


def _with_password_file(database_url: str | None, env: Mapping[str, str], problems: list[str]) -> str | None:
    """``database_url`` with the password from DATABASE_PASSWORD_FILE (if set) put in; the URL must name a
    PostgreSQL server and user and hold no password of its own."""
    path = env.get(DATABASE_PASSWORD_FILE) or None
    if path is None:
        return database_url
    password = read_secret_file(DATABASE_PASSWORD_FILE, path, problems)
    if database_url is None:
        if not (env.get("DATABASE_URL") or env.get("DATABASE_URL_FILE")):  # else their problem is reported
            problems.append(
                f"{DATABASE_PASSWORD_FILE} needs DATABASE_URL (or DATABASE_URL_FILE) naming the PostgreSQL server "
                "and user, e.g. postgresql+psycopg://icam@db.internal:5432/icam"
            )
        return None
    if database_url.startswith("sqlite"):
        problems.append(f"{DATABASE_PASSWORD_FILE} is for PostgreSQL: a sqlite:/// URL has no password")
        return database_url
    if password is None or not database_url.startswith("postgresql"):
        return database_url  # the file's problem, or the scheme's (reported by the caller), is enough
    from sqlalchemy.engine import make_url  # lazy: only deployments using a password file pay for it
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        problems.append("DATABASE_URL is not a valid database URL")  # the URL may hold secrets: not shown
        return database_url
    if url.password is not None:
        problems.append(
            f"DATABASE_URL already holds a password: remove it from the URL or unset {DATABASE_PASSWORD_FILE}"
        )
        return database_url
    if not url.username:
        problems.append(
            f"{DATABASE_PASSWORD_FILE} needs a user name in DATABASE_URL (postgresql+psycopg://USER@host:5432/db)"
        )
        return database_url
    return url.set(password=password).render_as_string(hide_password=False)


class ConfigError(Exception):
    """One or more settings are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


#: ICAM_DIGEST_DAY accepts these names (or 0-6, Monday = 0), like datetime.weekday().
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DIGEST_TIME = dt.time(9, 0)
DEFAULT_DIGEST_TZ = "America/New_York"
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


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
    #: HTTP mode only: the internal port serving /metrics and the readiness details (not Slack's port).
    metrics_port: int = DEFAULT_METRICS_PORT
    log_level: str = "INFO"
    #: json | text; None = the command's default (JSON lines for ``serve``, text for the rest).
    log_format: str | None = None
    #: Seconds ``serve`` waits, on SIGTERM/SIGINT, for in-flight requests and the answer work they started.
    shutdown_timeout: float = 20.0
    answer_workers: int = 1
    #: Seconds between two runs of the SLA sweeper (``serve``).
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS
    #: Seconds between two looks at the live knowledge version (knowledge taught from Slack).
    kb_watch_seconds: float = DEFAULT_KB_WATCH_SECONDS
    #: The weekly digest: weekday (Monday = 0), local time and IANA time zone of the run.
    digest_day: int = 0
    digest_time: dt.time = DEFAULT_DIGEST_TIME
    digest_tz: str = DEFAULT_DIGEST_TZ
    #: Where the digest goes; None = the routing file's ``pmo_channel``.
    digest_channel: str | None = None
    #: ICAM_DIGEST_CHANNEL=off: no digest is scheduled (``icam-bot digest --dry-run`` still works).
    digest_disabled: bool = False
    #: ICAM_DEMO=1: a demonstration; ``serve`` accepts the bundled routing file's example Slack ids.
    demo: bool = False
    #: ICAM_RETENTION_QUESTIONS_DAYS / ICAM_RETENTION_CLOSED_ITEMS_DAYS (unset or off: kept).
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    #: ICAM_LISTEN_MIN_CONFIDENCE: in help channels an answer is posted only when confident (an ``answer`` decision)
    #: and, above 0, when the matcher's confidence (0-1) is at least this (0 = the matcher's own bar for an answer).
    listen_min_confidence: float = 0.0
    #: ICAM_SPOOL_DIR: where ``serve`` keeps the questions it acked while the database was down (a local file
    #: per process, replayed into the database when it returns or at the next start); None = memory only.
    spool_dir: Path | None = None

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
        configured_url = secret_setting(env, "DATABASE_URL", problems)
        if configured_url is not None and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", configured_url):
            problems.append(
                "DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL "
                f"(got scheme {configured_url.split(':', 1)[0][:20]!r})"
            )
        configured_url = _with_password_file(configured_url, env, problems)
        database_url = configured_url or f"sqlite:///{data_dir / 'icam-bot.sqlite3'}"
        bot_token = secret_setting(env, "SLACK_BOT_TOKEN", problems)
        signing_secret = secret_setting(env, "SLACK_SIGNING_SECRET", problems)
        app_token = secret_setting(env, "SLACK_APP_TOKEN", problems)
        knowledge_dir = Path(env["ICAM_KNOWLEDGE_DIR"]) if env.get("ICAM_KNOWLEDGE_DIR") else None
        if knowledge_dir is not None and not knowledge_dir.is_dir():
            problems.append(f"ICAM_KNOWLEDGE_DIR {str(knowledge_dir)!r} is not a directory")
        site_file = Path(env["ICAM_SITE_FILE"]) if env.get("ICAM_SITE_FILE") else None
        if site_file is not None and not site_file.is_file():
            problems.append(f"ICAM_SITE_FILE {str(site_file)!r} is not a file")
        cache_raw = env.get("ICAM_CACHE_DIR")
        cache_dir = None if cache_raw == "none" else Path(cache_raw) if cache_raw else data_dir / "cache"
        embeddings = choice_setting(env, "ICAM_EMBEDDINGS", ("auto", "on", "off"), problems=problems)
        choice_setting(env, "ICAM_EMBEDDING_PRECISION", EMBEDDING_PRECISIONS, problems=problems)
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
        metrics_raw = env.get("ICAM_METRICS_PORT") or str(DEFAULT_METRICS_PORT)
        metrics_port = DEFAULT_METRICS_PORT
        if not metrics_raw.isdigit() or not 0 < int(metrics_raw) < 65536:
            problems.append(f"ICAM_METRICS_PORT must be a TCP port number 1-65535 (got {metrics_raw!r})")
        else:
            metrics_port = int(metrics_raw)
            if metrics_port == port and not app_token:
                problems.append(f"ICAM_METRICS_PORT must differ from PORT ({port}): /metrics is kept off Slack's port")
        level_name = "ICAM_LOG_LEVEL" if env.get("ICAM_LOG_LEVEL") else "LOG_LEVEL"  # LOG_LEVEL: older name
        level = (env.get(level_name) or "INFO").strip().upper()
        if level not in LOG_LEVELS:
            problems.append(f"{level_name} must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
        log_format = (env.get("ICAM_LOG_FORMAT") or "").strip().lower() or None
        if log_format is not None and log_format not in LOG_FORMATS:
            problems.append(f"ICAM_LOG_FORMAT must be json or text (got {log_format!r})")
        shutdown_raw = env.get("ICAM_SHUTDOWN_TIMEOUT") or "20"
        shutdown_timeout = _seconds(shutdown_raw)
        if shutdown_timeout is None or not 0 < shutdown_timeout <= MAX_SHUTDOWN_TIMEOUT_S:
            problems.append(
                f"ICAM_SHUTDOWN_TIMEOUT must be a number of seconds above 0 and at most {MAX_SHUTDOWN_TIMEOUT_S} "
                f"(got {shutdown_raw!r})"
            )
        workers_raw = env.get("ICAM_ANSWER_WORKERS") or "1"
        answer_workers = 0
        if not workers_raw.isdigit() or int(workers_raw) > 16:
            problems.append(
                f"ICAM_ANSWER_WORKERS must be 0 (answer in a thread) to 16 worker processes (got {workers_raw!r})"
            )
        else:
            answer_workers = int(workers_raw)
        sweep_seconds = _sweep_seconds(env, problems)
        kb_watch_seconds = _kb_watch_seconds(env, problems)
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if app_token and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        api_url = env.get("SLACK_API_URL") or None
        if api_url and not re.match(r"^https?://[^\s/]+(/\S*)?$", api_url):
            problems.append(
                f"SLACK_API_URL must be an http(s) URL such as https://slack-gov.com/api/ (got {api_url!r})"
            )
        if api_url and not api_url.endswith("/"):
            api_url += "/"
        digest = _digest_settings(env, problems)
        demo_raw = (env.get("ICAM_DEMO") or "").strip().lower()
        if demo_raw not in TRUE_WORDS + FALSE_WORDS:
            problems.append(f"ICAM_DEMO must be 1 (a demonstration) or 0 (got {demo_raw[:20]!r})")
        retention = RetentionPolicy(
            questions_days=parse_days(
                "ICAM_RETENTION_QUESTIONS_DAYS", env.get("ICAM_RETENTION_QUESTIONS_DAYS"), problems
            ),
            closed_items_days=parse_days(
                "ICAM_RETENTION_CLOSED_ITEMS_DAYS", env.get("ICAM_RETENTION_CLOSED_ITEMS_DAYS"), problems
            ),
        )
        listen_raw = (env.get("ICAM_LISTEN_MIN_CONFIDENCE") or "").strip()
        listen_min_confidence = _seconds(listen_raw) if listen_raw else 0.0
        if listen_min_confidence is None or not 0 <= listen_min_confidence <= 1:
            problems.append(f"ICAM_LISTEN_MIN_CONFIDENCE must be a number from 0 to 1 (got {listen_raw[:20]!r})")
            listen_min_confidence = 0.0
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
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            slack_api_url=api_url,
            port=port,
            health_port=health_port,
            metrics_port=metrics_port,
            log_level=level,
            log_format=log_format,
            shutdown_timeout=shutdown_timeout or 20.0,
            answer_workers=answer_workers,
            sweep_seconds=sweep_seconds,
            kb_watch_seconds=kb_watch_seconds,
            demo=demo_raw in TRUE_WORDS,
            retention=retention,
            listen_min_confidence=listen_min_confidence,
            spool_dir=Path(env["ICAM_SPOOL_DIR"]) if env.get("ICAM_SPOOL_DIR") else data_dir / "spool",
            **digest,
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


def _sweep_seconds(env: Mapping[str, str], problems: list[str]) -> float:
    """ICAM_SWEEP_SECONDS (default 60), from 1 to MAX_SWEEP_SECONDS; a bad value is appended to ``problems``."""
    return seconds_setting(env, "ICAM_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS, 1, MAX_SWEEP_SECONDS, problems=problems)


def _kb_watch_seconds(env: Mapping[str, str], problems: list[str]) -> float:
    """ICAM_KB_WATCH_SECONDS (default 15), from 1 to 60: live knowledge reaches every replica within it."""
    return seconds_setting(
        env, "ICAM_KB_WATCH_SECONDS", DEFAULT_KB_WATCH_SECONDS, 1, MAX_KB_WATCH_SECONDS, problems=problems
    )


def _digest_settings(env: Mapping[str, str], problems: list[str]) -> dict[str, object]:
    """ICAM_DIGEST_DAY / _TIME / _TZ / _CHANNEL, validated; each problem is appended to ``problems``."""
    day_raw = (env.get("ICAM_DIGEST_DAY") or "mon").strip().lower()
    day = _weekday(day_raw)
    if day is None:
        day = 0
        problems.append(
            f"ICAM_DIGEST_DAY must be a weekday such as mon or monday, or 0-6 with 0 = Monday (got {day_raw[:20]!r})"
        )
    time_raw = (env.get("ICAM_DIGEST_TIME") or "09:00").strip()
    at = DEFAULT_DIGEST_TIME
    if re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", time_raw):
        hour, minute = time_raw.split(":")
        at = dt.time(int(hour), int(minute))
    else:
        problems.append(f"ICAM_DIGEST_TIME must be a 24-hour time HH:MM such as 09:00 (got {time_raw[:20]!r})")
    tz = (env.get("ICAM_DIGEST_TZ") or DEFAULT_DIGEST_TZ).strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"ICAM_DIGEST_TZ must be an IANA time zone such as America/New_York (got {tz[:60]!r})")
    channel_raw = (env.get("ICAM_DIGEST_CHANNEL") or "").strip()
    disabled = channel_raw.lower() == "off"
    channel = None if disabled or not channel_raw else channel_raw
    if channel is not None and not _CHANNEL_ID.match(channel):
        problems.append(
            "ICAM_DIGEST_CHANNEL must be a Slack channel id such as C0123456789, or off "
            f"(got {channel[:40]!r}; empty = the routing file's pmo_channel)"
        )
    return {
        "digest_day": day,
        "digest_time": at,
        "digest_tz": tz,
        "digest_channel": channel,
        "digest_disabled": disabled,
    }


def _weekday(raw: str) -> int | None:
    """0-6 (Monday = 0) from "0".."6", "mon" or "monday"; None if it is none of these."""
    if raw.isdigit():
        return int(raw) if int(raw) < 7 else None
    for index, name in enumerate(WEEKDAYS):
        full = dt.date(2024, 1, 1 + index).strftime("%A").lower()  # 2024-01-01 was a Monday
        if raw in (name, full):
            return index
    return None
