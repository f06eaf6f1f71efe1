"""The ICAM PMO tracker: items, routing, SLAs, escalation, audit and exports (no Slack imports here).

Import from the submodules (``icam_bot.tracker.service`` and friends); this package stays light because
``icam_bot.db.models`` imports ``icam_bot.tracker.models`` to register the tables.
"""
