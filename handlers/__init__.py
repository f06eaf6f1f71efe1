"""The Slack surface of icam-bot, by domain: ``answers``, ``tracker``, ``board``, ``comms`` and ``home`` (each
with its listeners, ``register(app)``, and its Block Kit builders), ``slash`` (the ``/icam`` subcommand
registry), ``common`` (ids, text, shared builders) and ``runtime`` (server, sender, queue, worker, metrics,
health). ``handlers.app`` is the composition root."""
