"""Pure Block Kit builders: data in, message/view dicts out; unit-tested without Slack."""

from handlers.blocks.answers import (
    BUSY_TEXT,
    ERROR_TEXT,
    LOGGED_TEXT,
    NOTHING_TO_LOG_TEXT,
    answer_message,
    feedback_message,
    logged_message,
    suggestions_message,
    text_message,
)
from handlers.blocks.common import decode_value, encode_value
from handlers.blocks.help import help_message
from handlers.blocks.home import home_view

__all__ = [
    "BUSY_TEXT",
    "ERROR_TEXT",
    "LOGGED_TEXT",
    "NOTHING_TO_LOG_TEXT",
    "answer_message",
    "decode_value",
    "encode_value",
    "feedback_message",
    "help_message",
    "home_view",
    "logged_message",
    "suggestions_message",
    "text_message",
]
