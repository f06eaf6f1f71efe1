"""Loading validates every file and names file, entry and field; a broken KB never loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from icam_bot.knowledge import KnowledgeError, load_knowledge
from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.knowledge.site import render

GOOD_ENTRY = {
    "id": "piv-test-entry",
    "question": "How long is a PIV card valid?",
    "alternates": ["piv expiry", "when does my badge expire", "piv lifetime"],
    "answer": "At most six years. Ask {helpdesk_contact}.",
    "tags": ["piv"],
    "references": [{"title": "FIPS 201-3", "url": "https://doi.org/10.6028/NIST.FIPS.201-3"}],
    "owner": "credentialing",
    "last_reviewed": "2026-01-01",
}


def write_kb(tmp_path: Path, entries: list[dict], category: str = "credentialing") -> Path:
    directory = tmp_path / "kb"
    directory.mkdir(exist_ok=True)
    shutil.copy(bundled_knowledge_dir() / "site.yaml", directory / "site.yaml")
    text = yaml.safe_dump({"category": category, "title": "T", "entries": entries}, sort_keys=False)
    # dates as YAML dates, the way authors write them
    (directory / f"{category}.yaml").write_text(text.replace("'2026-01-01'", "2026-01-01"))
    return directory


def problems_for(tmp_path: Path, entries: list[dict]) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(write_kb(tmp_path, entries))
    return [str(p) for p in info.value.problems]


def test_bundled_kb_loads(kb):
    faq = [e for e in kb.entries if e.category != "glossary"]
    assert len(faq) >= 220
    assert len(kb.glossary) >= 120
    assert {c.slug for c in kb.categories} >= {
        "governance",
        "funding",
        "identity",
        "credentialing",
        "physical-access",
        "application-access",
        "personnel-security",
        "privileged-access",
        "helpdesk",
        "bot",
    }
    assert kb.redirects


def test_every_category_has_ten_entries(kb):
    counts: dict[str, int] = {}
    for entry in kb.entries:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    assert all(n >= 10 for n in counts.values()), counts


def test_good_minimal_kb_loads(tmp_path):
    kb = load_knowledge(write_kb(tmp_path, [GOOD_ENTRY]))
    assert [e.id for e in kb.entries] == ["piv-test-entry"]
    assert kb.entries[0].last_reviewed.year == 2026


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"question": None}, "entry 'piv-test-entry': field 'question'"),
        ({"alternates": ["only one"]}, "field 'alternates': needs at least 3"),
        ({"answer": "x" * 2501}, "field 'answer': must be 1-2500 characters"),
        ({"answer": "call {phone_number}"}, "unknown placeholder {phone_number}"),
        ({"references": []}, "field 'references': needs at least one public source"),
        ({"references": [{"title": "x", "url": "http://insecure"}]}, "url must start with https://"),
        ({"owner": "nobody"}, "field 'owner': must be one of"),
        ({"last_reviewed": "last year"}, "field 'last_reviewed'"),
        ({"id": "Bad Id"}, "field 'id': must be a lowercase slug"),
        ({"colour": "red"}, "field 'colour': is not a known field"),
        ({"review_days": 5000}, "field 'review_days'"),
    ],
)
def test_bad_entry_names_file_entry_and_field(tmp_path, change, expected):
    entry = {**GOOD_ENTRY, **change}
    problems = problems_for(tmp_path, [entry])
    assert any(p.startswith("credentialing.yaml") and expected in p for p in problems), problems


def test_duplicate_ids_across_files(tmp_path):
    directory = write_kb(tmp_path, [GOOD_ENTRY])
    other = yaml.safe_dump({"category": "helpdesk", "title": "H", "entries": [GOOD_ENTRY]})
    (directory / "helpdesk.yaml").write_text(other.replace("'2026-01-01'", "2026-01-01"))
    with pytest.raises(KnowledgeError, match="duplicates the id"):
        load_knowledge(directory)


def test_invalid_yaml_reports_line(tmp_path):
    directory = write_kb(tmp_path, [GOOD_ENTRY])
    (directory / "credentialing.yaml").write_text("category: credentialing\nentries:\n  - id: [unclosed\n")
    with pytest.raises(KnowledgeError, match=r"credentialing.yaml: is not valid YAML at line \d+"):
        load_knowledge(directory)


def test_category_must_match_file_name(tmp_path):
    directory = write_kb(tmp_path, [GOOD_ENTRY])
    path = directory / "credentialing.yaml"
    path.write_text(path.read_text().replace("category: credentialing", "category: pacs"))
    with pytest.raises(KnowledgeError, match="field 'category': must be 'credentialing'"):
        load_knowledge(directory)


def test_missing_site_value_is_an_error(tmp_path):
    directory = write_kb(tmp_path, [GOOD_ENTRY])
    site = yaml.safe_load((directory / "site.yaml").read_text())
    del site["values"]["helpdesk_contact"]
    (directory / "site.yaml").write_text(yaml.safe_dump(site))
    with pytest.raises(KnowledgeError, match=r"placeholder \{helpdesk_contact\} has no value"):
        load_knowledge(directory)


def test_no_silent_skipping_of_a_bad_entry(tmp_path):
    bad = {**GOOD_ENTRY, "id": "second", "owner": "nobody"}
    with pytest.raises(KnowledgeError):
        load_knowledge(write_kb(tmp_path, [GOOD_ENTRY, bad]))


def test_render_fills_placeholders_and_escapes():
    assert render("call {a_b} {{literal}}", {"a_b": "x"}) == "call x {literal}"


def test_answers_carry_no_raw_urls_and_are_in_limits(kb):
    for entry in kb.entries:
        assert len(entry.answer) <= 2500
        assert "http://" not in entry.answer, entry.id
        assert "https://" not in entry.answer, entry.id
        assert entry.references, entry.id
        if entry.category != "glossary":
            assert len(entry.alternates) >= 4, entry.id
