"""Form elements shared by the modals: inputs, selects and text fields (each answers under ActionId.FIELD)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.common.blocks import Block, plain
from handlers.common.ids import ActionId
from handlers.common.text import truncate

OPTION_TEXT_LIMIT = 75


def option(value: str, label: str) -> dict[str, Any]:
    """One option of a select menu (Slack caps option text at 75 characters)."""
    return {"text": plain(label, OPTION_TEXT_LIMIT), "value": value}


def static_select(options: Sequence[tuple[str, str]], initial: str | None, placeholder: str) -> dict[str, Any]:
    """A select over (value, label) pairs, with ``initial`` chosen when it is one of them."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.FIELD,
        "placeholder": plain(placeholder),
        "options": [option(value, label) for value, label in options],
    }
    chosen = [option(value, label) for value, label in options if value == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def text_input(initial: str | None, limit: int, *, multiline: bool = False) -> dict[str, Any]:
    """A plain-text field of at most ``limit`` characters, pre-filled with ``initial`` (cut to fit)."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": ActionId.FIELD, "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = truncate(initial, limit)
    return element


def input_block(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> Block:
    """An input block around ``element``."""
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def field_value(values: Mapping[str, Any], block_id: str) -> str | None:
    """The submitted value of one input block (text, selected option or selected user), None if empty."""
    element = (values.get(block_id) or {}).get(ActionId.FIELD) or {}
    if not isinstance(element, dict):
        return None
    option = element.get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else element.get("selected_user", element.get("value"))
    return raw.strip() or None if isinstance(raw, str) else None
