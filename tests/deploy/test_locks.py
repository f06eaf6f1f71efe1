"""The supply chain: requirements/*.lock pin every dependency with hashes, and the Makefile installs from them."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from icam_bot.matching.model_files import MODEL_REQUIREMENT

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def read_lock(name: str) -> dict[str, list[tuple[str, int]]]:
    """Canonical package name -> [(pinned version, number of hashes)], one per requirement line (a universal
    lock may pin a package twice under exclusive markers, e.g. per Python version)."""
    text = (REQUIREMENTS / name).read_text(encoding="utf-8")
    pins: dict[str, list[tuple[str, int]]] = {}
    # A requirement is its first line and the continuation lines (hashes) up to the next requirement.
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match is None:
            assert not re.match(r"^[A-Za-z0-9]", block), f"{name}: not pinned with ==: {block.splitlines()[0]}"
            continue
        pins.setdefault(canonicalize_name(match[1]), []).append((match[2], len(HASH.findall(block))))
    return pins


def pyproject_dependencies(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    raw = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(r) for r in raw]


def test_every_lock_pins_every_package_with_hashes():
    for lock in ("build.lock", "run.lock", "dev.lock", "model.lock"):
        pins = read_lock(lock)
        assert pins, lock
        for name, entries in pins.items():
            for version, hashes in entries:
                assert hashes >= 1, f"{lock}: {name}=={version} has no --hash"


@pytest.mark.parametrize(("lock", "extra"), [("run.lock", None), ("dev.lock", None), ("dev.lock", "dev")])
def test_lock_covers_the_pyproject_dependencies(lock, extra):
    pins = read_lock(lock)
    for requirement in pyproject_dependencies(extra):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} (pyproject.toml) is missing from requirements/{lock}: run `make lock`"
        for version, _hashes in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {name}=={version}, outside pyproject.toml's {requirement}: run `make lock`"
            )
        for extra_name in requirement.extras:  # psycopg[binary] -> psycopg-binary
            assert canonicalize_name(f"{requirement.name}-{extra_name}") in pins, f"{requirement}: extra {extra_name}"


def test_run_and_build_locks_pin_the_dev_locks_versions():
    dev = read_lock("dev.lock")
    for lock in ("run.lock", "build.lock"):
        for name, entries in read_lock(lock).items():
            assert name in dev, f"{lock}: {name} is not in dev.lock"
            assert {v for v, _ in entries} <= {v for v, _ in dev[name]}, f"{lock}: {name} differs from dev.lock"


def test_build_lock_holds_the_installers_and_the_build_backend():
    pins = read_lock("build.lock")
    for name in ("pip", "setuptools", "wheel"):
        assert name in pins, name
    build_system = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    for raw in build_system["requires"]:
        requirement = Requirement(raw)
        versions = [v for v, _ in pins[canonicalize_name(requirement.name)]]
        assert all(requirement.specifier.contains(v) for v in versions), f"{raw} (build-system) vs {versions}"


def test_model_lock_is_the_model_the_matcher_verifies():
    pins = read_lock("model.lock")
    requirement = Requirement(MODEL_REQUIREMENT)
    assert set(pins) == {canonicalize_name(requirement.name)}, "model.lock holds the model package only"
    [(version, _hashes)] = pins[canonicalize_name(requirement.name)]
    assert requirement.specifier.contains(version)
    # Installed without dependencies: it declares sentence-transformers (and torch), which is never locked.
    assert "sentence-transformers" not in read_lock("run.lock")
    assert "torch" not in read_lock("dev.lock")


def dry_run(*targets: str, venv: Path) -> list[str]:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # A venv that does not exist yet: every install step is printed, none is run (-n).
    proc = subprocess.run(
        [make, "-n", "-C", str(REPO), f"VENV={venv}", *targets],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [line for line in proc.stdout.splitlines() if "pip install" in line]


@pytest.mark.parametrize("target", ["install", "install-run", "run"])
def test_make_installs_with_require_hashes(target, tmp_path):
    installs = dry_run(target, venv=tmp_path / "venv")
    assert installs
    locked = [line for line in installs if "--require-hashes" in line]
    others = [line for line in installs if "--require-hashes" not in line]
    # Only the project itself is installed without hashes, and without dependencies or a build environment.
    assert others == [f"{tmp_path / 'venv'}/bin/python -m pip install --quiet --no-deps --no-build-isolation -e ."]
    used = {m for line in locked for m in re.findall(r"-r (requirements/\S+\.lock)", line)}
    expected = {"requirements/build.lock", "requirements/run.lock", "requirements/model.lock"}
    if target == "install":
        expected.add("requirements/dev.lock")
    assert used == expected
    assert any("--no-deps -r requirements/model.lock" in line for line in locked)
    # The editable install comes after the locks: nothing is resolved from pyproject.toml's ranges.
    assert installs.index(others[0]) > max(installs.index(line) for line in locked if "dev.lock" not in line)


def test_make_run_installs_only_what_running_needs(tmp_path):
    assert not any("dev.lock" in line or ".[dev]" in line for line in dry_run("run", venv=tmp_path / "venv"))


def test_make_sbom_writes_a_cyclonedx_json_from_the_run_locks(tmp_path):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(
        [make, "-n", "-C", str(REPO), f"VENV={tmp_path / 'venv'}", "sbom"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    commands = re.sub(r"\\\n\s*", " ", proc.stdout)
    sbom = r"cyclonedx-py environment .*--of JSON .*-o build/sbom\.cdx\.json build/sbom-venv/bin/python"
    assert re.search(sbom, commands)
    # The SBOM describes what the image ships: the run locks and the project, none of the development tools.
    installs = [line for line in commands.splitlines() if "build/sbom-venv/bin/python -m pip install" in line]
    assert {m for line in installs for m in re.findall(r"-r (requirements/\S+\.lock)", line)} == {
        "requirements/build.lock",
        "requirements/run.lock",
        "requirements/model.lock",
    }
    assert all("--require-hashes" in line for line in installs if "-r requirements/" in line)
