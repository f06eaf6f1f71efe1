"""Answer analytics in Slack: ``/icam stats answers``, the weekly chart of ``/icam stats``, the PMO's Home section.

No listeners of its own: the ``/icam`` registry (handlers.slash.subcommands) and the Home tab call into it."""
