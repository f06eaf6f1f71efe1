"""Matching a question to knowledge entries and deciding to answer, suggest or abstain."""

from icam_bot.matching.engine import Matcher
from icam_bot.matching.results import Candidate, Decision, MatchResult

__all__ = ["Candidate", "Decision", "MatchResult", "Matcher"]
