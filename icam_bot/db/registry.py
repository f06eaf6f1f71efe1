"""The model registry: every module defining tables, so ``Base.metadata`` holds the whole schema.

The modules are named, not imported, here: ``icam_bot.db`` is the kernel and imports no domain. A session
factory, the migrations and the schema tests load them all (``load_models``) before the metadata is used, so a
foreign key onto another domain's table (``access_events.item_id`` onto ``tracker_items``) always resolves.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from icam_bot.db.base import Base

#: Every module that defines tables, in dependency order (a table after those its foreign keys name).
MODEL_MODULES = (
    "icam_bot.db.models",
    "icam_bot.questions.models",
    "icam_bot.tracker.models",
    "icam_bot.board.models",
    "icam_bot.comms.models",
    "icam_bot.inbox.models",
    "icam_bot.outbox.models",
    "icam_bot.records.models",
    "icam_bot.channels.models",
    "icam_bot.webhooks.models",
    "icam_bot.teaching.models",
)

_loaded = False


def load_models() -> MetaData:
    """Import every model module (once) and return the metadata holding all icam-bot tables."""
    global _loaded  # noqa: PLW0603 - a one-time import of the model modules
    if not _loaded:
        for name in MODEL_MODULES:
            importlib.import_module(name)
        _loaded = True
    return Base.metadata
