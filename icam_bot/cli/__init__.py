"""The ``icam-bot`` command line."""
