"""The help-channel and ticket-reaction settings, and the text a reacted-to message becomes."""

from __future__ import annotations

import pytest

from handlers.runtime.worker import confident
from handlers.settings import SlackSettings
from icam_bot.channels.tickets import inert, reaction_key, ticket_from_message
from icam_bot.config import ConfigError, Settings


def test_listen_min_confidence_is_a_number_from_0_to_1(tmp_path):
    base = {"ICAM_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).listen_min_confidence == 0.0
    assert Settings.from_env({**base, "ICAM_LISTEN_MIN_CONFIDENCE": "0.9"}).listen_min_confidence == 0.9
    for bad in ("1.5", "-0.1", "high", "nan"):
        with pytest.raises(ConfigError, match="ICAM_LISTEN_MIN_CONFIDENCE must be a number from 0 to 1"):
            Settings.from_env({**base, "ICAM_LISTEN_MIN_CONFIDENCE": bad})


def test_the_ticket_reaction_is_an_emoji_name_or_off():
    assert SlackSettings.from_env({}).ticket_reaction == "ticket"
    assert (
        SlackSettings.from_env({"ICAM_TICKET_REACTION": ":Admission_Tickets:"}).ticket_reaction == "admission_tickets"
    )
    assert SlackSettings.from_env({"ICAM_TICKET_REACTION": "off"}).ticket_reaction is None
    with pytest.raises(ConfigError, match="ICAM_TICKET_REACTION"):
        SlackSettings.from_env({"ICAM_TICKET_REACTION": "two words"})


def test_only_confident_answers_are_heard_in_a_help_channel(responder):
    answer = responder.ask("what does PACS stand for?")
    assert answer.confidence is not None
    assert confident(answer, 0.0)
    assert confident(answer, answer.confidence)
    assert not confident(answer, min(answer.confidence + 0.01, 1.0))
    assert not confident(responder.ask("purple monkey dishwasher"), 0.0)


def test_a_messages_text_is_made_inert():
    assert inert("=SUM(A1)\n+1 call\n@here\nplain <@U123>") == "'=SUM(A1)\n'+1 call\n'@here\nplain ‹@U123›"
    new = ticket_from_message(
        "-rf badge\nsecond line", "U0REACTOR1", "C0HELP0001", "1.2", permalink=None, program="pacs"
    )
    assert (new.title, new.reporter_id, new.program, new.thread_ts) == ("'-rf badge", "U0REACTOR1", "pacs", "1.2")
    assert reaction_key("C0HELP0001", "1.2") == "reaction:C0HELP0001:1.2"
