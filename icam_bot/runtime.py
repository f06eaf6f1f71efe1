"""Build the shared core objects (knowledge base, matcher, responder) from settings."""

from __future__ import annotations

import logging

from icam_bot.answers import Responder
from icam_bot.config import Settings
from icam_bot.knowledge import load_knowledge
from icam_bot.matching import Matcher

logger = logging.getLogger(__name__)


def build_responder(settings: Settings) -> Responder:
    """Load and validate the knowledge base, then index it; raises KnowledgeError on a broken KB."""
    kb = load_knowledge(settings.knowledge_dir, settings.site_file, settings.cache_dir)
    matcher = Matcher(kb, use_embeddings=settings.use_embeddings, cache_dir=settings.cache_dir)
    logger.info("knowledge base ready: %d entries, %s matching", len(kb.entries), matcher.mode)
    return Responder(kb, matcher)
