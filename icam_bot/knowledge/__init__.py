"""The curated knowledge base: schema, loading, site values and checks."""

from icam_bot.knowledge.loader import KnowledgeError, load_knowledge
from icam_bot.knowledge.model import Entry, GlossaryTerm, KnowledgeBase, Redirect, Reference

__all__ = [
    "Entry",
    "GlossaryTerm",
    "KnowledgeBase",
    "KnowledgeError",
    "Redirect",
    "Reference",
    "load_knowledge",
]
