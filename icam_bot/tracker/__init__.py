"""The ICAM PMO tracker: items, routing, SLAs, escalation, audit and exports (no Slack imports here).

Import from the submodules (``icam_bot.tracker.service`` and friends); this package stays light because
the model registry (``icam_bot.db.registry``) imports ``icam_bot.tracker.models`` to register the tables.
"""
