"""Architecture rules, checked on the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
