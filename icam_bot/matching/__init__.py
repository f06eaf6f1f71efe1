"""Matching a question to knowledge entries and deciding to answer, suggest or abstain."""

from icam_bot.matching.engine import Candidate, Decision, Matcher, MatchResult

__all__ = ["Candidate", "Decision", "MatchResult", "Matcher"]
