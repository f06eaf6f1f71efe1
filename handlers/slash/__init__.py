"""The ``/icam`` slash command: its subcommands and the help they make."""
