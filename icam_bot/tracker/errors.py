"""Errors the tracker raises; each message is safe to show to the Slack user as it is."""

from __future__ import annotations

from icam_bot.errors import FieldsError, IcamError


class TrackerError(IcamError):
    """Base class: a refused or failed tracker operation. Nothing was written."""


class InvalidItemIdError(TrackerError):
    """The text is not an item id of the form ICAM-<number>."""


class ItemNotFoundError(TrackerError):
    """No item has that id."""


class PermissionDeniedError(TrackerError):
    """The actor may not do this; the message says why."""


class InvalidTransitionError(TrackerError):
    """The item's status does not allow the action (e.g. resolving a closed item)."""


class ItemValidationError(TrackerError, FieldsError):
    """Submitted values are invalid; ``errors`` maps field name to message (for modal ``response_action``)."""


class TrackerNotSavedError(TrackerError):
    """The database did not take the change: nothing was saved. ``text`` is the user's text, to hand back."""

    def __init__(self, operation: str, text: str | None = None, message: str | None = None) -> None:
        self.operation = operation
        self.text = text
        super().__init__(message or f"the {operation} could not be saved")


class TrackerUnavailableError(TrackerNotSavedError):
    """The database could not be reached."""

    def __init__(self, operation: str, text: str | None = None) -> None:
        super().__init__(operation, text, f"the tracker database is unavailable, so the {operation} was not saved")


class TrackerStorageError(TrackerNotSavedError):
    """The database refused the write (a constraint, a value it cannot store, a schema problem)."""

    def __init__(self, operation: str, text: str | None = None) -> None:
        super().__init__(operation, text, f"the tracker database could not store the {operation}, so it was not saved")
