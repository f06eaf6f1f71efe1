"""The answer service: ask + log + feedback in the core, against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from knowledge_gaps import ABSTAIN_PROBES
from sqlalchemy.exc import OperationalError

from icam_bot.db import upgrade
from icam_bot.questions.answering import AnswerService, Asker, Feedback, QuestionRecord
from icam_bot.questions.store import Store

ASKER = Asker("U0EXAMPLE01", "command", "C0EXAMPLE01")


@pytest.fixture
def service(empty_engine, responder):
    upgrade(empty_engine)
    return AnswerService(responder, Store(empty_engine))


def test_an_answer_is_logged_and_its_log_id_returned(service):
    answered = service.answer("my PIV card is locked", ASKER)
    assert answered.unrecorded is None
    logged = service.store.logged_question(answered.log_id)
    assert logged is not None
    assert (logged.user_id, logged.text, logged.decision) == ("U0EXAMPLE01", "my PIV card is locked", "answer")
    assert logged.entry_id == answered.reply.entry.id


def test_an_unanswerable_question_is_counted_for_the_pmo(service):
    question = next(q for q in ABSTAIN_PROBES if service.responder.ask(q).can_log)
    answered = service.answer(question, ASKER)
    assert answered.log_id is not None
    assert [row.text for row in service.store.top_unanswered()] == [question]


def test_nothing_typed_is_not_logged(service):
    answered = service.answer("   ", ASKER)
    assert answered.log_id is None
    assert answered.unrecorded is None
    assert service.store.recent_questions("U0EXAMPLE01") == []


def test_a_database_failure_hands_the_record_back(service, monkeypatch):
    def down(**_fields):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(service.store, "log_question", down)
    answered = service.answer("my PIV card is locked", ASKER)
    assert answered.reply.answered
    assert answered.log_id is None
    assert answered.unrecorded == QuestionRecord.of(answered.reply, ASKER, answered.reply.entry.category)
    assert QuestionRecord.from_dict(answered.unrecorded.as_dict()) == answered.unrecorded
    monkeypatch.undo()
    assert service.record(answered.unrecorded) > 0


def test_feedback_is_recorded_for_known_entries_only(service):
    entry = service.answer("my PIV card is locked", ASKER).reply.entry
    assert service.feedback(Feedback(entry.id, "U0EXAMPLE02", helpful=True, message_ts="1.2"))
    assert service.feedback(Feedback(entry.id, "U0EXAMPLE02", helpful=False, message_ts="1.2"))  # a re-vote
    assert service.store.feedback_counts(entry.id) == (0, 1)
    assert not service.feedback(Feedback("no-such-entry", "U0EXAMPLE02", helpful=True))


#: Off-topic questions the knowledge base points elsewhere (IT, facilities...).
REDIRECT_PROBES = ("I need help with my laptop", "how do I book a conference room", "what is the cafeteria menu")


def _category_of(service, log_id):
    from icam_bot.questions.models import QuestionLog

    with service.store.sessions() as session:
        return session.get(QuestionLog, log_id).category


def test_the_log_keeps_the_category_and_redirects(service):
    answered = service.answer("my PIV card is locked", ASKER)
    assert _category_of(service, answered.log_id) == answered.reply.entry.category

    question = next(q for q in REDIRECT_PROBES if service.responder.ask(q).redirect_id is not None)
    redirected = service.answer(question, ASKER)
    logged = service.store.logged_question(redirected.log_id)
    assert logged.decision == "redirect"
    assert service.store.top_unanswered() == []  # a redirect is not a gap for the PMO

    suggest = next(
        q
        for q in ("piv", "badge", "card stuff")
        if service.responder.ask(q).suggestions and not service.responder.ask(q).answered
    )
    suggested = service.answer(suggest, ASKER)
    first = service.responder.entry(suggested.reply.suggestions[0].id)
    assert _category_of(service, suggested.log_id) == first.category


def test_feedback_keeps_the_entry_category(service):
    from sqlalchemy import select

    from icam_bot.questions.models import AnswerFeedback

    entry = service.answer("my PIV card is locked", ASKER).reply.entry
    assert service.feedback(Feedback(entry.id, "U0EXAMPLE02", helpful=True, message_ts="1.1"))
    with service.store.sessions() as session:
        assert [row.category for row in session.scalars(select(AnswerFeedback))] == [entry.category]
