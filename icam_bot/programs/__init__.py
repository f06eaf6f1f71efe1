"""The component programs' routing file (knowledge/programs.yaml: owners, triage channels, escalation chains,
SLA hours) and the business calendar SLAs are counted in. Shared by the tracker, the board and communications.

Import from the submodules: ``routing`` (the file), ``calendar`` (business hours), ``severity``.
"""
