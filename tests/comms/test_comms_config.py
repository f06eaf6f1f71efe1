"""ICAM_DIGEST_* settings: defaults, accepted spellings, and one clear message per bad value."""

from __future__ import annotations

import datetime as dt

import pytest

from icam_bot.comms.service import Communications
from icam_bot.config import ConfigError, Settings


def settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), **env})


def test_defaults_are_monday_9am_new_york_to_the_routing_files_pmo_channel(tmp_path, engine):
    s = settings(tmp_path)
    assert (s.digest_day, s.digest_time, s.digest_tz, s.digest_channel) == (0, dt.time(9), "America/New_York", None)
    comms = Communications.create(engine, s, "C0ROUTING1")
    assert (comms.pmo_channel, comms.digest_enabled) == ("C0ROUTING1", True)
    assert comms.schedule.describe() == "Mondays at 09:00 America/New_York"


@pytest.mark.parametrize(("raw", "day"), [("mon", 0), ("Tuesday", 1), ("6", 6), (" fri ", 4), ("SUN", 6)])
def test_weekday_spellings(tmp_path, raw, day):
    assert settings(tmp_path, ICAM_DIGEST_DAY=raw).digest_day == day


def test_channel_time_and_zone(tmp_path, engine):
    s = settings(tmp_path, ICAM_DIGEST_TIME="7:05", ICAM_DIGEST_TZ="Pacific/Honolulu", ICAM_DIGEST_CHANNEL="C0PMO0001")
    assert (s.digest_time, s.digest_tz, s.digest_channel) == (dt.time(7, 5), "Pacific/Honolulu", "C0PMO0001")
    assert Communications.create(engine, s, "C0ROUTING1").pmo_channel == "C0PMO0001"


def test_off_disables_the_digest_and_no_channel_at_all_too(tmp_path, engine):
    off = Communications.create(engine, settings(tmp_path, ICAM_DIGEST_CHANNEL="off"), "C0ROUTING1")
    assert off.digest_enabled is False
    assert off.pmo_channel == "C0ROUTING1"  # delivery problems still reach the PMO
    assert Communications.create(engine, settings(tmp_path), None).digest_enabled is False


def test_each_bad_value_is_named_once(tmp_path):
    with pytest.raises(ConfigError) as info:
        settings(
            tmp_path,
            ICAM_DIGEST_DAY="7",
            ICAM_DIGEST_TIME="24:00",
            ICAM_DIGEST_TZ="../../etc/passwd",
            ICAM_DIGEST_CHANNEL="icam-pmo",
        )
    problems = info.value.problems
    assert len(problems) == 4
    for name, problem in zip(
        ("ICAM_DIGEST_DAY", "ICAM_DIGEST_TIME", "ICAM_DIGEST_TZ", "ICAM_DIGEST_CHANNEL"), problems, strict=True
    ):
        assert problem.startswith(name)
