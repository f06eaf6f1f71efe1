"""Logging set-up: JSON lines (or human text) on stderr, per-request context fields, and secret redaction.

``icam-bot serve`` writes one JSON object per line; every line written while a request (or Socket Mode
envelope, or sweep) is handled carries that request's fields, bound with :func:`bind` in a context variable
(asyncio copies it into tasks created while handling, and ``asyncio.to_thread`` into worker threads).
Anything that looks like a Slack token, and the configured secrets, are masked before a line is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any, TextIO

FORMATS = ("json", "text")
#: The context fields, in the order they appear in a JSON line.
CONTEXT_FIELDS = ("request_id", "event_id", "envelope_id", "command", "user", "item_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "[REDACTED]"
#: Slack tokens: bot/user/app-level/legacy/refresh/config tokens (xoxb-, xoxp-, xapp-, xoxa-, xoxe.xoxp-...).
TOKEN_PATTERN = re.compile(r"\b(xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")
#: Shorter configured secrets are not masked literally (masking "s" would garble every line).
MIN_SECRET_CHARS = 8

_EMPTY: Mapping[str, object] = MappingProxyType({})
_context: ContextVar[Mapping[str, object]] = ContextVar("icam_log_context", default=_EMPTY)
#: Attributes every LogRecord has; anything else on a record came from ``extra=`` and is written too.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "icam_context",
}


# -- context ---------------------------------------------------------------------------------------------


def bind(**fields: object) -> Token[Mapping[str, object]]:
    """Add fields (None values are skipped) to the current logging context; ``unbind(token)`` restores it."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None and v != ""}}
    return _context.set(MappingProxyType(merged))


def unbind(token: Token[Mapping[str, object]]) -> None:
    _context.reset(token)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind fields for the duration of a block."""
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def context_fields() -> dict[str, object]:
    """The fields bound in the current context."""
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copies the current context's fields onto each record (as ``record.icam_context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "icam_context"):
            record.icam_context = dict(_context.get())
        return True


# -- redaction -------------------------------------------------------------------------------------------


class Redactor:
    """Masks Slack-token-shaped strings and the given secret values."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        literal = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        self._secrets = re.compile("|".join(re.escape(s) for s in literal)) if literal else None

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        return TOKEN_PATTERN.sub(lambda m: f"{m.group(1)}-{MASK}", text)


class RedactFilter(logging.Filter):
    """Redacts a record's message (after merging its args) and its exception text, for every handler after it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what there is, still redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# -- formatting ------------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ts, level, logger, msg, context fields, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line["ts"] = line["ts"].replace("+00:00", "Z")
        context = getattr(record, "icam_context", None) or {}
        line.update({name: _json_safe(context[name]) for name in CONTEXT_FIELDS if name in context})
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in line and not key.startswith("_"):
                line[key] = _json_safe(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The human format, with the context fields appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = getattr(record, "icam_context", None) or {}
        pairs = " ".join(f"{name}={context[name]}" for name in CONTEXT_FIELDS if name in context)
        if not pairs:
            return text
        first, sep, rest = text.partition("\n")
        return f"{first} [{pairs}]{sep}{rest}"


def configure_logging(
    level: str = "INFO", fmt: str = "text", secrets: Iterable[str | None] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Make one stderr handler (context, redaction, the chosen format) the root logger's only handler."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter(Redactor(secrets)))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


@contextlib.contextmanager
def logging_configured(
    level: str = "INFO", fmt: str = "text", secrets: Iterable[str | None] = (), stream: TextIO | None = None
) -> Iterator[logging.Handler]:
    """Route the root logger to one stderr handler (context, redaction, the chosen format) for a block; the
    previous handlers and level come back afterwards."""
    root = logging.getLogger()
    previous, previous_level = list(root.handlers), root.level
    handler = configure_logging(level, fmt, secrets, stream)
    try:
        yield handler
    finally:
        handler.flush()
        root.removeHandler(handler)
        for old in previous:
            root.addHandler(old)
        root.setLevel(previous_level)
