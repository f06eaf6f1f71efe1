"""knowledge/programs.yaml: the bundled file loads; a broken one names file, program and field."""

from __future__ import annotations

import copy

import pytest
import yaml

from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.programs.routing import ProgramsError, load_programs, parse_programs

BUNDLED = bundled_knowledge_dir() / "programs.yaml"


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))


def problems(data: dict) -> list[str]:
    with pytest.raises(ProgramsError) as caught:
        parse_programs(data, "programs.yaml")
    return [str(p) for p in caught.value.problems]


def test_bundled_file_routes_every_program_with_example_ids(programs):
    assert set(programs.programs) == set(PROGRAMS)
    for routing in programs.programs.values():
        assert all("EXAMPLE" in who for who in (*routing.owners, routing.triage_channel, *routing.escalation))
        assert routing.max_level == 3
    assert programs.programs["pacs"].calendar.start.hour == 7  # per-program override
    assert programs.is_pmo("U0EXAMPLEPM1")


def test_env_var_overrides_the_path(tmp_path, monkeypatch, raw):
    raw["programs"]["pacs"]["owners"] = ["U0EXAMPLE99"]
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setenv("ICAM_PROGRAMS_FILE", str(path))
    assert load_programs().program("pacs").owners == ("U0EXAMPLE99",)


def test_each_problem_names_file_program_and_field(raw):
    broken = copy.deepcopy(raw)
    del broken["programs"]["other"]
    pacs = broken["programs"]["pacs"]
    pacs["owners"] = ["bob"]
    pacs["triage_channel"] = "#pacs"
    pacs["escalation"]["esc"] = 42
    pacs["colour"] = "blue"
    pacs["timezone"] = "Mars/Olympus"
    pacs["business_hours"] = {"start": 800, "end": "07:00", "days": ["mon", "someday"]}
    pacs["sla_hours"] = {"first_response": {"low": 10, "medium": 8, "high": 4, "critical": 0}, "resolution": {}}
    found = problems(broken)
    expected = [
        "programs.yaml: program 'other': is missing",
        "programs.yaml: program 'pacs': field 'owners': must be a Slack user id",
        "programs.yaml: program 'pacs': field 'triage_channel': must be a Slack channel id",
        "programs.yaml: program 'pacs': field 'escalation.esc':",
        "programs.yaml: program 'pacs': field 'colour': is not a known field",
        "programs.yaml: program 'pacs': field 'timezone': must be an IANA time zone",
        "programs.yaml: program 'pacs': field 'business_hours.start': must be a quoted 24-hour time",
        "programs.yaml: program 'pacs': field 'business_hours.days':",
        "programs.yaml: program 'pacs': field 'sla_hours.first_response.critical':",
        "programs.yaml: program 'pacs': field 'sla_hours.resolution.low': must be hours",
    ]
    for prefix in expected:
        assert any(p.startswith(prefix) for p in found), (prefix, found)


def test_top_level_problems(raw):
    raw["pmo_members"] = []
    raw["programs"]["martian-ops"] = raw["programs"]["pacs"]
    raw["programs"]["credentialing"]["sla_hours"] = {
        "first_response": {"low": 16, "medium": 8, "high": 4, "critical": 2},
        "resolution": {"low": 160, "medium": 72, "high": 24, "critical": 1},
    }
    found = problems(raw)
    assert "programs.yaml: field 'pmo_members': must be a non-empty list of Slack user ids" in found
    assert any(p.startswith("programs.yaml: program 'martian-ops': is not a component program") for p in found)
    assert any("'sla_hours.resolution.critical': must not be shorter than first_response" in p for p in found)


def test_unreadable_and_invalid_yaml_refuse_to_load(tmp_path):
    bad = tmp_path / "programs.yaml"
    bad.write_text("programs: [unclosed", encoding="utf-8")
    with pytest.raises(ProgramsError, match=r"programs\.yaml: is not valid YAML at line"):
        load_programs(bad)
    with pytest.raises(ProgramsError, match="cannot be read"):
        load_programs(tmp_path / "missing.yaml")
    with pytest.raises(ProgramsError, match="must be a mapping"):
        parse_programs(["a list"])
