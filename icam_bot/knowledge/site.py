"""Rendering agency-specific values into answer text."""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders from values; ``{{``/``}}`` become literal braces.

    A placeholder without a value is left visible (``{name}``); ``icam-bot kb check`` and the loader
    refuse such a knowledge base, so this only shows in tests of broken data.
    """

    def fill(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        return values.get(match.group(1), piece)

    return _PLACEHOLDER.sub(fill, text)
