"""Program names as people type them: exact slug or name resolves, anything else gets a suggestion or the list."""

from __future__ import annotations

import pytest

from icam_bot.board.errors import UnknownProgramError
from icam_bot.board.names import resolve_program, suggest_program


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("pacs", "pacs"),
        ("  PACS ", "pacs"),
        ("Identity management", "identity-management"),
        ("identity_management", "identity-management"),
    ],
)
def test_exact_slug_or_name_in_any_case_resolves(programs, text, slug):
    assert resolve_program(programs, text) == slug


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("credentaling", "credentialing"),
        ("pcas", "pacs"),
        ("personel security", "personnel-security"),
        ("sso", "application-access"),
    ],
)
def test_near_misses_are_suggested_not_accepted(programs, text, suggestion):
    assert suggest_program(programs, text) == suggestion
    with pytest.raises(UnknownProgramError) as raised:
        resolve_program(programs, text)
    assert raised.value.suggestion == suggestion


def test_nothing_close_lists_every_program(programs):
    with pytest.raises(UnknownProgramError) as raised:
        resolve_program(programs, "cafeteria")
    assert raised.value.suggestion is None
    assert all(slug in str(raised.value) for slug in programs.programs)
