"""Operations settings: ICAM_LOG_LEVEL, ICAM_LOG_FORMAT and ICAM_SHUTDOWN_TIMEOUT, each validated by name."""

from __future__ import annotations

import pytest

from icam_bot.config import ConfigError, Settings


def settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), **env})


def problems(tmp_path, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **env)
    return caught.value.problems


def test_defaults(tmp_path):
    s = settings(tmp_path)
    assert (s.log_level, s.log_format, s.shutdown_timeout) == ("INFO", None, 20.0)


def test_values_are_read_case_insensitively(tmp_path):
    s = settings(tmp_path, ICAM_LOG_LEVEL="debug", ICAM_LOG_FORMAT="TEXT", ICAM_SHUTDOWN_TIMEOUT="7.5")
    assert (s.log_level, s.log_format, s.shutdown_timeout) == ("DEBUG", "text", 7.5)


def test_icam_log_level_wins_over_the_older_log_level(tmp_path):
    assert settings(tmp_path, LOG_LEVEL="ERROR").log_level == "ERROR"
    assert settings(tmp_path, LOG_LEVEL="ERROR", ICAM_LOG_LEVEL="warning").log_level == "WARNING"


@pytest.mark.parametrize("value", ["verbose", "TRACE", "5"])
def test_a_bad_level_is_named_with_the_choices(tmp_path, value):
    (problem,) = problems(tmp_path, ICAM_LOG_LEVEL=value)
    assert problem.startswith("ICAM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    assert value.upper() in problem


def test_a_bad_level_under_the_older_name_names_that_variable(tmp_path):
    (problem,) = problems(tmp_path, LOG_LEVEL="loud")
    assert problem.startswith("LOG_LEVEL must be")


def test_a_bad_format_is_named(tmp_path):
    (problem,) = problems(tmp_path, ICAM_LOG_FORMAT="xml")
    assert problem == "ICAM_LOG_FORMAT must be json or text (got 'xml')"


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf", "301"])
def test_a_bad_shutdown_timeout_is_named(tmp_path, value):
    (problem,) = problems(tmp_path, ICAM_SHUTDOWN_TIMEOUT=value)
    assert problem.startswith("ICAM_SHUTDOWN_TIMEOUT must be a number of seconds")
    assert repr(value) in problem


def test_every_operations_problem_is_reported_at_once(tmp_path):
    found = problems(tmp_path, ICAM_LOG_LEVEL="x", ICAM_LOG_FORMAT="y", ICAM_SHUTDOWN_TIMEOUT="z")
    assert [p.split()[0] for p in found] == ["ICAM_LOG_LEVEL", "ICAM_LOG_FORMAT", "ICAM_SHUTDOWN_TIMEOUT"]
