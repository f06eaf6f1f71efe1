"""Pure Block Kit builders: limits, escaping, ids; no Slack and no server involved."""

from __future__ import annotations

import datetime as dt
import json

from handlers.answers.blocks import answer_message, suggestions_message
from handlers.common.blocks import decode_value, message
from handlers.common.ids import ActionId
from handlers.common.text import SECTION_TEXT_LIMIT, escape, plain_text, split_text
from handlers.home.blocks import home_view
from handlers.slash.help import help_message
from handlers.slash.subcommands import HELP_LINES
from icam_bot.answers import Reply, Suggestion
from icam_bot.knowledge.model import Entry, Reference
from icam_bot.matching.engine import Decision
from icam_bot.questions.store import GapRow, LoggedQuestion

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _entry(answer: str = "Use the self-service kiosk.") -> Entry:
    return Entry(
        id="piv-pin",
        question="How do I reset my PIV PIN?",
        alternates=(),
        answer=answer,
        category="credentialing",
        tags=(),
        references=(Reference("FIPS 201-3 & more", "https://x.gov/a"),),
        owner="pmo",
        last_reviewed=dt.date(2026, 1, 1),
    )


def _answer(text: str = "Use the self-service kiosk.") -> Reply:
    entry = _entry(text)
    return Reply(
        "reset pin",
        Decision.ANSWER,
        text,
        entry,
        0.9,
        entry.references,
        (Suggestion("a", "Question A?", 0.5), Suggestion("b", "Question B?", 0.4)),
    )


def _all_text(payload: object) -> str:
    return json.dumps(payload)


def test_answer_has_feedback_other_matches_and_log_buttons():
    msg = answer_message(_answer(), log_id=7)
    (actions,) = [b for b in msg["blocks"] if b["type"] == "actions"]
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == [ActionId.HELPFUL, ActionId.NOT_HELPFUL, ActionId.SHOW_OTHER, ActionId.LOG_ISSUE]
    assert decode_value(actions["elements"][2]["value"]) == {"ids": "a,b", "q": 7}
    assert "FIPS 201-3 &amp; more" in _all_text(msg)


def test_long_answers_are_split_into_sections_within_limits():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(40))
    msg = answer_message(_answer(text), log_id=1)
    sections = [b for b in msg["blocks"] if b["type"] == "section"]
    assert len(sections) > 1
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_LIMIT for b in sections)
    assert len(msg["blocks"]) <= 50
    assert len(msg["text"]) <= 4000


def test_split_text_never_exceeds_the_limit_even_without_spaces():
    chunks = split_text("x" * 7000)
    assert [len(c) for c in chunks] == [3000, 3000, 1000]


def test_message_is_capped_at_50_blocks():
    blocks = [{"type": "divider"}] * 80
    assert len(message("t", blocks)["blocks"]) == 50


def test_abstain_echo_is_escaped_and_offers_logging():
    reply = Reply("<!channel> & <@U1> help", Decision.ABSTAIN, "I don't know.", reason="no_match")
    msg = answer_message(reply, log_id=3)
    sent = _all_text(msg)
    assert "<!channel>" not in sent
    assert "<@U1>" not in sent
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt; help" in sent
    assert ActionId.LOG_FOR_PMO in sent


def test_abstain_still_lists_related_entries_and_offers_logging():
    related = (Suggestion("piv-card-lifetime", "How long is a PIV card valid?", 0.5),)
    reply = Reply("something vague", Decision.ABSTAIN, "I don't know.", suggestions=related, reason="no_match")
    msg = answer_message(reply, log_id=4)
    sent = _all_text(msg)
    assert "might be related" in sent
    assert "How long is a PIV card valid?" in msg["text"]
    picks = [
        e
        for b in msg["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(ActionId.PICK_ENTRY)
    ]
    assert [decode_value(p["value"])["e"] for p in picks] == ["piv-card-lifetime"]
    assert ActionId.LOG_FOR_PMO in sent


def test_redirect_has_no_log_button():
    reply = Reply(
        "laptop broken", Decision.ABSTAIN, "Ask the IT service desk.", redirect_id="it", reason="out_of_scope"
    )
    assert "actions" not in _all_text([b["type"] for b in answer_message(reply)["blocks"]])


def test_empty_question_gets_guidance_only():
    reply = Reply("", Decision.ABSTAIN, "I didn't find a question.", reason="empty")
    msg = answer_message(reply)
    assert [b["type"] for b in msg["blocks"]] == ["section"]


def test_suggestion_buttons_have_unique_ids_and_short_labels():
    suggestions = [Suggestion(f"e{i}", "A very long question " * 10, 0.5) for i in range(3)]
    msg = suggestions_message(suggestions, "Did you mean?", log_id=2, question="x")
    picks = [
        e
        for b in msg["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(ActionId.PICK_ENTRY)
    ]
    assert len({p["action_id"] for p in picks}) == 3
    assert all(len(p["text"]["text"]) <= 75 for p in picks)


def test_help_lists_every_subcommand_with_an_example_and_escapes_unknown():
    msg = help_message(HELP_LINES, unknown="<!here>")
    for usage, _what, example in HELP_LINES:
        assert f"/icam {escape(usage)}" in msg["text"]  # usages such as ICAM-<n> are escaped for mrkdwn
        assert f"/icam {example}" in msg["text"]
    assert "<!here>" not in _all_text(msg)


def test_home_view_is_within_100_blocks_and_escapes_questions():
    recent = [LoggedQuestion(i, "U1", "<!everyone> q" * 50, "abstain", None, NOW) for i in range(5)]
    gaps = [GapRow("<@U9> gap " * 40, "gap", 3, 1, 2, NOW, NOW, None) for _ in range(200)]
    view = home_view(recent, is_pmo=True, gaps=gaps)
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    sent = _all_text(view)
    assert "<!everyone>" not in sent
    assert "<@U9>" not in sent
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_LIMIT for b in view["blocks"] if b["type"] == "section")


def test_plain_text_and_escape():
    assert plain_text("&lt;b&gt; <@UBOT> hi <!here> <#C1|general> <https://x.gov|site> R&amp;D", "UBOT") == (
        "<b> hi @here #general site R&D"
    )
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
