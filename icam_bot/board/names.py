"""Program names as people type them: slug or display name, with a fuzzy suggestion when neither matches."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process, utils

from icam_bot.board.errors import UnknownProgramError
from icam_bot.programs.routing import ProgramsConfig

#: A suggestion must score at least this (0-100, rapidfuzz WRatio) to be offered.
SUGGEST_CUTOFF = 65


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def resolve_program(config: ProgramsConfig, text: str) -> str:
    """The slug ``text`` names exactly (slug or display name, any case); else UnknownProgramError with a hint."""
    wanted = _key(text)
    for slug, routing in config.programs.items():
        if wanted in (slug, _key(routing.name)):
            return slug
    raise UnknownProgramError(text.strip(), suggest_program(config, text), tuple(config.programs))


def suggest_program(config: ProgramsConfig, text: str) -> str | None:
    """The slug whose slug or name is closest to ``text`` (rapidfuzz), or None when nothing is close."""
    choices = {slug: slug for slug in config.programs}
    choices.update({routing.name.lower(): slug for slug, routing in config.programs.items()})
    best = process.extractOne(
        text.strip().lower(),
        list(choices),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=SUGGEST_CUTOFF,
    )
    return choices[best[0]] if best else None
