"""Secrets from files: ``<NAME>_FILE`` for the Slack credentials and the database URL, DATABASE_PASSWORD_FILE.

Every case uses real files in tmp_path; each problem is reported by ``Settings.from_env`` with the variable and
the path, never the file's contents."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from icam_bot.cli.serve import secrets_of
from icam_bot.config import (
    FILE_SETTINGS,
    MAX_SECRET_FILE_BYTES,
    ConfigError,
    Settings,
    read_secret_file,
    slack_token_configured,
)

BOT_TOKEN = "xoxb-1111-2222-file-token"
APP_TOKEN = "xapp-1-A111-file-app-token"
SIGNING_SECRET = "0123456789abcdef-file-signing-secret"
PG_URL = "postgresql+psycopg://icam@db.internal:5432/icam"


@pytest.fixture
def base(tmp_path) -> dict[str, str]:
    return {"ICAM_DATA_DIR": str(tmp_path / "data")}


def secret(tmp_path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    return info.value.problems


def test_every_secret_setting_can_come_from_a_file(tmp_path, base):
    assert set(FILE_SETTINGS) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL"}
    url = "postgresql+psycopg://icam:pw@db.internal:5432/icam"
    env = base | {
        "SLACK_BOT_TOKEN_FILE": secret(tmp_path, "bot", BOT_TOKEN + "\n"),  # `echo` and editors add a newline
        "SLACK_SIGNING_SECRET_FILE": secret(tmp_path, "signing", SIGNING_SECRET),
        "SLACK_APP_TOKEN_FILE": secret(tmp_path, "app", APP_TOKEN + "\r\n"),
        "DATABASE_URL_FILE": secret(tmp_path, "url", url + "\n\n"),
    }
    settings = Settings.from_env(env)
    assert settings.slack_bot_token == BOT_TOKEN
    assert settings.slack_signing_secret == SIGNING_SECRET
    assert settings.slack_app_token == APP_TOKEN
    assert settings.socket_mode
    assert settings.database_url == url
    settings.require_slack()
    assert {BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, "pw"} <= set(secrets_of(settings))  # redacted from logs


def test_plain_variables_still_work_and_empty_ones_count_as_unset(tmp_path, base):
    settings = Settings.from_env(base | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET})
    assert (settings.slack_bot_token, settings.slack_signing_secret) == (BOT_TOKEN, SIGNING_SECRET)
    env = base | {"SLACK_APP_TOKEN": "", "SLACK_APP_TOKEN_FILE": secret(tmp_path, "app", APP_TOKEN)}
    assert Settings.from_env(env).slack_app_token == APP_TOKEN
    env = base | {"SLACK_APP_TOKEN": "", "SLACK_APP_TOKEN_FILE": ""}
    assert Settings.from_env(env).slack_app_token is None


@pytest.mark.parametrize("name", FILE_SETTINGS)
def test_a_variable_and_its_file_both_set_is_an_error(tmp_path, base, name):
    value = {"DATABASE_URL": PG_URL, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}.get(name, "x")
    env = base | {name: value, f"{name}_FILE": secret(tmp_path, "f", value)}
    problems = problems_of(env)
    assert problems == [f"{name} and {name}_FILE are both set: set only one (the value, or the file holding it)"]


def test_a_missing_file_is_an_error_naming_variable_and_path(tmp_path, base):
    missing = str(tmp_path / "no-such-file")
    (problem,) = problems_of(base | {"SLACK_BOT_TOKEN_FILE": missing})
    assert problem.startswith(f"SLACK_BOT_TOKEN_FILE {missing!r} does not exist")


def test_a_directory_is_an_error(tmp_path, base):
    (problem,) = problems_of(base | {"SLACK_SIGNING_SECRET_FILE": str(tmp_path)})
    assert problem == f"SLACK_SIGNING_SECRET_FILE {str(tmp_path)!r} is a directory, not a file"


@pytest.mark.parametrize("content", ["", "\n", "\r\n\n", "   \n"], ids=["empty", "newline", "newlines", "blank"])
def test_an_empty_file_is_an_error(tmp_path, base, content):
    path = secret(tmp_path, "app", content)
    (problem,) = problems_of(base | {"SLACK_APP_TOKEN_FILE": path})
    assert problem == f"SLACK_APP_TOKEN_FILE {path!r} is empty"


def test_a_file_that_is_not_text_or_too_large_is_an_error(tmp_path, base):
    binary = secret(tmp_path, "binary", b"\xff\xfe\x00secret")
    (problem,) = problems_of(base | {"DATABASE_URL_FILE": binary})
    assert problem == f"DATABASE_URL_FILE {binary!r} is not UTF-8 text"
    large = secret(tmp_path, "large", "x" * (MAX_SECRET_FILE_BYTES + 1))
    (problem,) = problems_of(base | {"DATABASE_URL_FILE": large})
    assert "is larger than 64 KiB" in problem


def test_an_unreadable_file_is_an_error(tmp_path):
    path = secret(tmp_path, "bot", BOT_TOKEN)
    os.chmod(path, 0o000)
    if os.geteuid() != 0:
        problems: list[str] = []
        assert read_secret_file("SLACK_BOT_TOKEN_FILE", path, problems) is None
    else:  # root reads anything: read it as nobody, in a child that drops its privileges after the imports
        os.chmod(tmp_path, 0o755)
        code = (
            "import json, os, sys\n"
            "from icam_bot.config import read_secret_file\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "problems = []\n"
            "value = read_secret_file('SLACK_BOT_TOKEN_FILE', sys.argv[1], problems)\n"
            "print(json.dumps([value, problems]))\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, path], check=True, capture_output=True, text=True, timeout=60
        )
        value, problems = json.loads(proc.stdout)
        assert value is None
    (problem,) = problems
    assert problem.startswith(f"SLACK_BOT_TOKEN_FILE {path!r} cannot be read by this process (permission denied")


def test_every_problem_is_reported_at_once_and_no_contents_are_shown(tmp_path, base):
    wrong_token = "xoxp-a-user-token-not-a-bot-token"
    env = base | {
        "SLACK_BOT_TOKEN_FILE": secret(tmp_path, "bot", wrong_token),
        "SLACK_APP_TOKEN_FILE": str(tmp_path / "missing"),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_SIGNING_SECRET_FILE": secret(tmp_path, "signing", SIGNING_SECRET),
        "DATABASE_URL_FILE": secret(tmp_path, "url", "mysql://icam:hunter2@db/icam"),
    }
    problems = problems_of(env)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    for shown in ("SLACK_BOT_TOKEN must be a bot token", "SLACK_APP_TOKEN_FILE", "SLACK_SIGNING_SECRET and", "mysql"):
        assert shown in text
    for hidden in (wrong_token, SIGNING_SECRET, "hunter2"):
        assert hidden not in text


def test_app_token_file_selects_socket_mode_for_the_metrics_port_check(tmp_path, base):
    with pytest.raises(ConfigError, match="ICAM_METRICS_PORT must differ from PORT"):
        Settings.from_env(base | {"PORT": "9090"})
    env = base | {"PORT": "9090", "SLACK_APP_TOKEN_FILE": secret(tmp_path, "app", APP_TOKEN)}
    assert Settings.from_env(env).socket_mode


def test_slack_token_configured_sees_the_file_variant():
    assert not slack_token_configured({})
    assert not slack_token_configured({"SLACK_BOT_TOKEN": "", "SLACK_BOT_TOKEN_FILE": ""})
    assert slack_token_configured({"SLACK_BOT_TOKEN": BOT_TOKEN})
    assert slack_token_configured({"SLACK_BOT_TOKEN_FILE": "/run/secrets/slack_bot_token"})


# ---- DATABASE_PASSWORD_FILE: a password file combined into the URL (Docker secrets, the postgres image) ---------


@pytest.mark.parametrize("url_from", ["DATABASE_URL", "DATABASE_URL_FILE"])
def test_password_file_is_put_into_the_url(tmp_path, base, url_from):
    password = "p@ss:w/rd%?#&= with spaces"  # characters a URL must escape
    url = PG_URL if url_from == "DATABASE_URL" else secret(tmp_path, "url", PG_URL + "\n")
    env = base | {url_from: url, "DATABASE_PASSWORD_FILE": secret(tmp_path, "pw", password + "\n")}
    settings = Settings.from_env(env)
    parsed = make_url(settings.database_url)
    assert parsed.password == password
    assert (parsed.username, parsed.host, parsed.port, parsed.database) == ("icam", "db.internal", 5432, "icam")
    assert parsed.drivername == "postgresql+psycopg"
    assert password in secrets_of(settings)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, "DATABASE_PASSWORD_FILE needs DATABASE_URL (or DATABASE_URL_FILE)"),
        ("postgresql+psycopg://icam:inline@db.internal/icam", "DATABASE_URL already holds a password"),
        ("postgresql+psycopg://db.internal:5432/icam", "DATABASE_PASSWORD_FILE needs a user name in DATABASE_URL"),
        ("sqlite:////tmp/icam.sqlite3", "DATABASE_PASSWORD_FILE is for PostgreSQL"),
    ],
    ids=["no-url", "password-in-url", "no-user", "sqlite"],
)
def test_password_file_problems(tmp_path, base, url, expected):
    env = base | {"DATABASE_PASSWORD_FILE": secret(tmp_path, "pw", "file-password")}
    if url is not None:
        env["DATABASE_URL"] = url
    (problem,) = problems_of(env)
    assert problem.startswith(expected)
    assert "file-password" not in problem
    assert "inline" not in problem


def test_password_file_missing_or_empty(tmp_path, base):
    env = base | {"DATABASE_URL": PG_URL, "DATABASE_PASSWORD_FILE": str(tmp_path / "missing")}
    (problem,) = problems_of(env)
    assert problem.startswith("DATABASE_PASSWORD_FILE ")
    assert "does not exist" in problem
    env["DATABASE_PASSWORD_FILE"] = secret(tmp_path, "empty", "")
    (problem,) = problems_of(env)
    assert problem.endswith("is empty")
