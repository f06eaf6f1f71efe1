"""Import rules (issue 16), read from the source with ``ast``: between core packages, module-level imports only,
those under ``if TYPE_CHECKING:`` excluded (functions' lazy imports are not arrows between packages); and the
core never imports the Slack side at all."""

from __future__ import annotations

import ast
import importlib
import itertools
from collections import defaultdict
from pathlib import Path

from icam_bot.db.base import Base
from icam_bot.db.registry import MODEL_MODULES

ROOT = Path(__file__).resolve().parent.parent
#: The kernel: every package may import it. Its leaves import nothing of icam_bot but its version; db, the leaves.
LEAVES = {
    "icam_bot",
    "icam_bot.errors",
    "icam_bot.textclean",
    "icam_bot.cache_files",
    "icam_bot.text",
    "icam_bot.env_values",
}
KERNEL = {*LEAVES, "icam_bot.db"}
#: What each package of the core may import, besides itself and the kernel: the layering, lowest first.
ALLOWED: dict[str, set[str]] = {
    "icam_bot.knowledge": set(),
    "icam_bot.matching": {"icam_bot.knowledge"},
    "icam_bot.answers": {"icam_bot.knowledge", "icam_bot.matching"},
    "icam_bot.programs": {"icam_bot.knowledge"},
    "icam_bot.records": set(),
    "icam_bot.logs": set(),
    "icam_bot.config": {"icam_bot.records"},
    "icam_bot.questions": {"icam_bot.answers"},
    "icam_bot.inbox": set(),
    "icam_bot.outbox": set(),
    "icam_bot.webhooks": {"icam_bot.knowledge", "icam_bot.programs"},
    "icam_bot.channels": {"icam_bot.tracker"},
    "icam_bot.tracker": {
        "icam_bot.knowledge",
        "icam_bot.programs",
        "icam_bot.records",
        "icam_bot.outbox",
        "icam_bot.webhooks",
    },
    "icam_bot.board": {"icam_bot.knowledge", "icam_bot.programs", "icam_bot.records", "icam_bot.tracker"},
    "icam_bot.comms": {
        "icam_bot.config",
        "icam_bot.knowledge",
        "icam_bot.programs",
        "icam_bot.questions",
        "icam_bot.outbox",
        "icam_bot.tracker",
        "icam_bot.analytics",
        "icam_bot.charts",
        "icam_bot.webhooks",
    },
    "icam_bot.retention": {
        "icam_bot.records",
        "icam_bot.questions",
        "icam_bot.inbox",
        "icam_bot.outbox",
        "icam_bot.tracker",
        "icam_bot.webhooks",
        "icam_bot.teaching",
    },
    "icam_bot.analytics": {"icam_bot.questions", "icam_bot.tracker", "icam_bot.records", "icam_bot.charts"},
    "icam_bot.charts": set(),
    "icam_bot.evaluation": {"icam_bot.knowledge", "icam_bot.matching"},
    "icam_bot.runtime": {"icam_bot.answers", "icam_bot.config", "icam_bot.knowledge", "icam_bot.matching"},
    "icam_bot.answer_pool": {
        "icam_bot.answers",
        "icam_bot.config",
        "icam_bot.matching",
        "icam_bot.runtime",
        "icam_bot.teaching",
    },
    "icam_bot.teaching": {
        "icam_bot.knowledge",
        "icam_bot.matching",
        "icam_bot.answers",
        "icam_bot.questions",
        "icam_bot.outbox",
        "icam_bot.evaluation",
    },
    "icam_bot.healthcheck": {"icam_bot.config"},
}
#: The composition root: the command line wires every package together.
TOP = {"icam_bot.cli"}
#: Domains: ``icam_bot.db`` (the kernel) imports none of them.
DOMAINS = {
    "icam_bot.questions",
    "icam_bot.inbox",
    "icam_bot.outbox",
    "icam_bot.tracker",
    "icam_bot.board",
    "icam_bot.comms",
    "icam_bot.records",
    "icam_bot.retention",
    "icam_bot.programs",
    "icam_bot.analytics",
    "icam_bot.channels",
    "icam_bot.webhooks",
    "icam_bot.teaching",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "icam_bot").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, path: Path) -> set[str]:
    """The icam_bot modules ``module`` imports at module level (``from a import b`` is ``a.b`` when b is one)."""
    names: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                    visit(block)
            elif isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, *([node.module] if node.module else [])])
                names.extend(f"{base}.{alias.name}" for alias in node.names)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    resolved = set()
    for name in names:
        known = name
        while known and known not in MODULES:
            known = known.rpartition(".")[0]
        if known:
            resolved.add(known)
    return resolved


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _graph() -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the module-level imports that make the arrow (``a.b > c.d``)."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for module, path in MODULES.items():
        for target in _imported(module, path):
            source, imported = _package(module), _package(target)
            if source != imported:
                graph[source][imported].add(f"{module} > {target}")
    return graph


def test_no_import_cycles_between_packages():
    graph = _graph()
    cycles: list[str] = []
    state: dict[str, str] = {}

    def walk(package: str, trail: list[str]) -> None:
        state[package] = "open"
        for imported in sorted(graph.get(package, {})):
            if state.get(imported) == "open":
                cycle = [*trail[trail.index(imported) :], imported]
                arrows = [sorted(graph[a][b])[0] for a, b in itertools.pairwise(cycle)]
                cycles.append(" -> ".join(cycle) + f" ({'; '.join(arrows)})")
            elif imported not in state:
                walk(imported, [*trail, imported])
        state[package] = "done"

    for package in sorted(graph):
        if package not in state:
            walk(package, [package])
    assert cycles == []


def test_db_imports_no_domain():
    arrows = [arrow for package, arrows in _graph()["icam_bot.db"].items() if package != "icam_bot" for arrow in arrows]
    assert not [arrow for arrow in arrows if _package(arrow.split(" > ")[1]) in DOMAINS]
    assert not arrows, "the kernel's db package imports only the kernel's leaves"


def test_packages_import_only_what_the_layering_allows():
    packages = {_package(module) for module in MODULES}
    assert packages <= KERNEL | set(ALLOWED) | TOP, "a new package needs its place in ALLOWED"
    wrong = []
    for package, imports in _graph().items():
        if package in TOP:
            continue
        if package in LEAVES:
            allowed = {"icam_bot"}
        elif package == "icam_bot.db":
            allowed = LEAVES
        else:
            allowed = KERNEL | ALLOWED[package]
        wrong += [arrow for imported, arrows in imports.items() if imported not in allowed for arrow in arrows]
    assert wrong == []


def test_the_model_registry_lists_every_module_defining_tables():
    for name in MODEL_MODULES:
        importlib.import_module(name)
    defining = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert defining == set(MODEL_MODULES)


def test_core_does_not_import_handlers():
    """The core (icam_bot/) never imports the Slack side (handlers/), not even lazily or for type checking; it
    reaches it only by name, in the one seam icam_bot/cli/slack_side.py."""
    seam = ROOT / "icam_bot" / "cli" / "slack_side.py"
    problems = []
    for path in sorted((ROOT / "icam_bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and path != seam:
                names = [node.value]  # a module named for importlib
            else:
                continue
            for name in names:
                if name == "handlers" or name.startswith("handlers."):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert problems == []


#: The Slack side's domain packages (handlers/<domain>/); slash (the subcommand router), runtime and common are not.
HANDLER_DOMAINS = ("answers", "tracker", "board", "comms", "home", "analytics", "channels", "teaching")
#: A domain's builder modules: plain dicts in, Block Kit out, no listener, no Slack call.
HANDLER_BUILDERS = {"blocks", "digest_blocks", "modal", "modals", "parsing"}


def test_handler_domains_do_not_import_each_others_listeners():
    """handlers/<domain>/ never imports another domain's listener modules, not even lazily: what one domain's
    listeners ask of another's goes through services.hooks (handlers/common/hooks.py), and what is shared by
    every domain lives in handlers/common. Only builders may be imported across domains."""
    problems = []
    for domain in HANDLER_DOMAINS:
        for path in sorted((ROOT / "handlers" / domain).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    parts = name.split(".")
                    if len(parts) < 3 or parts[0] != "handlers" or parts[1] not in HANDLER_DOMAINS:
                        continue
                    if parts[1] != domain and parts[2] not in HANDLER_BUILDERS:
                        problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert problems == []
