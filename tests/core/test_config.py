import pytest

from icam_bot.config import ConfigError, Settings


def test_defaults_are_embedded(tmp_path):
    settings = Settings.from_env({"ICAM_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'icam-bot.sqlite3'}"
    assert settings.port == 3000
    assert settings.use_embeddings is None
    assert not settings.socket_mode


def test_every_problem_is_named_once(tmp_path):
    env = {
        "ICAM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "mysql://x",
        "PORT": "http",
        "SLACK_BOT_TOKEN": "xoxp-user-token",
        "SLACK_APP_TOKEN": "bad",
        "SLACK_API_URL": "not a url",
        "ICAM_EMBEDDINGS": "maybe",
        "ICAM_EMBEDDING_PRECISION": "int4",
        "ICAM_KNOWLEDGE_DIR": str(tmp_path / "missing"),
    }
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    text = str(info.value)
    for name in (
        "DATABASE_URL",
        "PORT",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "ICAM_EMBEDDINGS",
        "ICAM_EMBEDDING_PRECISION",
        "ICAM_KNOWLEDGE_DIR",
    ):
        assert name in text
    assert len(info.value.problems) == 8


def test_govslack_api_url_gets_trailing_slash(tmp_path):
    settings = Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), "SLACK_API_URL": "https://slack-gov.com/api"})
    assert settings.slack_api_url == "https://slack-gov.com/api/"


def test_slack_requirements(tmp_path):
    settings = Settings.from_env({"ICAM_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        settings.require_slack()


def test_metrics_port_defaults_to_9090_and_must_differ_from_slacks_port(tmp_path):
    assert Settings.from_env({"ICAM_DATA_DIR": str(tmp_path)}).metrics_port == 9090
    assert Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), "ICAM_METRICS_PORT": "9300"}).metrics_port == 9300
    for bad in ("metrics", "0", "70000"):
        with pytest.raises(ConfigError, match="ICAM_METRICS_PORT must be a TCP port"):
            Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), "ICAM_METRICS_PORT": bad})
    with pytest.raises(ConfigError, match="ICAM_METRICS_PORT must differ from PORT"):
        Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), "PORT": "9090"})


def test_every_seconds_setting_is_read_the_same_way():
    """One reader for bounded seconds (the sweep, the knowledge watch, leases, webhook backoff and timeout)."""
    from icam_bot.env_values import seconds_setting

    problems: list[str] = []
    assert seconds_setting({}, "ICAM_X_SECONDS", 5.0, 1, 60, problems=problems) == 5.0
    assert seconds_setting({"ICAM_X_SECONDS": " 0.5 "}, "ICAM_X_SECONDS", 5.0, 0.1, 60, problems=problems) == 0.5
    assert problems == []
    for bad in ("nan", "abc", "61", "0"):
        assert seconds_setting({"ICAM_X_SECONDS": bad}, "ICAM_X_SECONDS", 5.0, 1, 60, problems=problems) == 5.0
    assert len(problems) == 4
    assert problems[0] == "ICAM_X_SECONDS must be a number of seconds from 1 to 60 (got 'nan')"


def test_every_choice_setting_is_read_the_same_way():
    """One reader for settings that take one of a fixed set (ICAM_EMBEDDINGS, ICAM_EMBEDDING_PRECISION)."""
    from icam_bot.env_values import choice_setting

    problems: list[str] = []
    assert choice_setting({}, "ICAM_X", ("a", "b", "c"), problems=problems) == "a"
    assert choice_setting({"ICAM_X": " B "}, "ICAM_X", ("a", "b", "c"), problems=problems) == "b"
    assert problems == []
    assert choice_setting({"ICAM_X": "zz"}, "ICAM_X", ("a", "b", "c"), problems=problems) == "a"
    assert problems == ["ICAM_X must be a, b or c (got 'zz')"]
