"""Relative links in README.md and docs/*.md point to files that exist, and their #anchors to headings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
#: [text](target) outside code; images too. Targets with a scheme (https:, mailto:) are not checked.
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")


def prose(text: str) -> str:
    """``text`` without fenced code blocks, indented code blocks and inline code spans."""
    kept: list[str] = []
    fenced = False
    code = False  # an indented code block: starts after a blank line, ends at a line indented less
    previous = ""
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if line.strip():
            indented = line.startswith("    ")
            code = indented and (code or not previous.strip())
        previous = line
        if fenced or code:
            continue
        kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file (repeated headings get -1, -2... as on GitHub)."""
    found: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        match = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match[1])
            name, n = base, 0
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return found


def links(path: Path) -> list[str]:
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


def test_the_documents_are_there():
    names = {p.relative_to(REPO).as_posix() for p in DOCUMENTS}
    expected = {"operating.md", "pmo-guide.md", "knowledge-authoring.md", "slack.md", "development.md"}
    assert {"README.md", *(f"docs/{n}" for n in expected)} <= names


def test_slugs_follow_github():
    assert slug("Health, metrics and dashboards") == "health-metrics-and-dashboards"
    assert slug("1. Create the Slack app") == "1-create-the-slack-app"
    assert slug("Checking: kb check") == "checking-kb-check"
    assert slug("Placeholders (agency-specific values)") == "placeholders-agency-specific-values"
    assert slug("Dependencies, lock files and the SBOM") == "dependencies-lock-files-and-the-sbom"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(document):
    problems = []
    checked = 0
    for target in links(document):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto: ...
            continue
        checked += 1
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            problems.append(f"{target}: {path_part} does not exist")
            continue
        if REPO not in resolved.parents and resolved != REPO:
            problems.append(f"{target}: outside the repository")
            continue
        if anchor:
            if resolved.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(resolved):
                problems.append(f"{target}: no heading with anchor #{anchor} in {resolved.relative_to(REPO)}")
    assert not problems, f"{document.relative_to(REPO)}:\n" + "\n".join(problems)
    if document.name != "slack.md":  # slack.md links mostly to the web
        assert checked, f"{document.relative_to(REPO)} has no relative links: is the link pattern right?"


def test_readme_keeps_the_run_and_test_commands():
    """The README's two commands, as indented code lines (CI runs the test one through .ci/run)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^    make run$", text, re.MULTILINE)
    assert re.search(r"^    make test$", text, re.MULTILINE)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_stays_short():
    assert len((REPO / "README.md").read_bytes()) < 8 * 1024, "details belong in docs/"


def test_every_environment_variable_the_code_reads_is_in_the_configuration_table():
    operating = (REPO / "docs" / "operating.md").read_text(encoding="utf-8")
    table = operating.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for source in [*(REPO / "icam_bot").rglob("*.py"), *(REPO / "handlers").rglob("*.py")]:
        text = source.read_text(encoding="utf-8")
        names.update(re.findall(r"[\"'`]((?:ICAM|SLACK|DATABASE)_[A-Z_]+|PORT|LOG_LEVEL)[\"'`]", text))
    names = {n for n in names if not n.startswith("ICAM_TEST_")}
    assert {"ICAM_DATA_DIR", "DATABASE_URL", "ICAM_PROGRAMS_FILE", "ICAM_LEASE_SECONDS"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert not missing, f"docs/operating.md, Configuration does not list {missing}"
