"""The one error base of the core: every domain's refusals and failures (tracker, board, communications) derive
from it, so a caller that shows them to a person catches one class and no domain reaches into another's errors."""

from __future__ import annotations

from collections.abc import Mapping


class IcamError(Exception):
    """A refused or failed operation; its message is safe to show to the person as it is."""


class FieldsError(IcamError):
    """Submitted values are invalid; ``errors`` maps field name to message (for a form's ``response_action``)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))
