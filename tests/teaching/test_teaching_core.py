"""The teaching core on a real database (SQLite, and PostgreSQL when set) and the real knowledge base: the queue
and its grouping, closing rows, the two-person rule, permissions, the audit, live reload (only new phrasings
encoded), the guard rail, and kb pull then retirement without a visible change."""

from __future__ import annotations

import dataclasses
import shutil
import uuid

import pytest
import yaml
from knowledge_gaps import UNANSWERED_QUESTION as GAP
from knowledge_gaps import UNANSWERED_VARIANT
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from icam_bot.answers import Responder
from icam_bot.errors import FieldsError
from icam_bot.evaluation.dataset import load_dataset
from icam_bot.knowledge import load_knowledge
from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.outbox.models import OutboxMessage
from icam_bot.questions.answering import AnswerService, Asker, Feedback
from icam_bot.questions.store import Store
from icam_bot.teaching.drafts import AnswerForm, parse_sources
from icam_bot.teaching.flags import EvaluationGuard
from icam_bot.teaching.live import LiveKnowledge, live_changes, rebuild_matcher
from icam_bot.teaching.models import ChangeStatus, LiveChange, TeachingEvent
from icam_bot.teaching.pull import pull
from icam_bot.teaching.service import TeachingError, TeachingService

PMO_A, PMO_B, OWNER, STAFF = "U0PMO0000A", "U0PMO0000B", "U0OWNER001", "U0STAFF001"


@pytest.fixture
def fresh(kb, matcher) -> Responder:
    """A Responder of its own (live reloads swap its knowledge), sharing the session matcher's encoder and vectors."""
    return Responder(kb, rebuild_matcher(matcher, kb))


@pytest.fixture
def roles(programs):
    credentialing = dataclasses.replace(programs.programs["credentialing"], owners=(OWNER,))
    return dataclasses.replace(
        programs,
        pmo_members=frozenset({PMO_A, PMO_B}),
        programs={**programs.programs, "credentialing": credentialing},
    )


@pytest.fixture
def teaching(engine, fresh, roles) -> TeachingService:
    return TeachingService(engine, fresh, roles, guard=EvaluationGuard.load())


def ask(engine, responder, question: str, user: str) -> int | None:
    return AnswerService(responder, Store(engine)).answer(question, Asker(user, "dm", "D0")).log_id


def test_near_identical_questions_form_one_row_with_askers_and_candidates(engine, fresh, teaching):
    ask(engine, fresh, GAP, "U1")
    ask(engine, fresh, GAP.upper() + "??", "U2")
    ask(engine, fresh, UNANSWERED_VARIANT, "U3")
    rows = teaching.queue(PMO_A)
    assert len(rows) == 1
    row = rows[0]
    assert row.count == 3
    assert row.askers == ("U1", "U2", "U3")
    assert row.candidates
    assert all(fresh.entry(c) for c in row.candidates)
    with pytest.raises(TeachingError):
        teaching.queue(STAFF)


def first_reply(responder: Responder, kind: str) -> str:
    """A question the knowledge base answers with ``kind`` now (the matcher evolves: found by asking)."""
    probes = ["how long is a piv card good for", "locked card", "pin", "card", "access", "reset"]
    candidates = (
        probes + [i.question for i in load_dataset() if i.in_scope] + [e.question for e in responder.kb.entries]
    )
    found = next(
        (
            q
            for q in candidates
            if (responder.ask(q).decision.value == kind and responder.ask(q).can_log)
            or (kind == "answer" and responder.ask(q).entry)
        ),
        None,
    )
    assert found is not None, f"no question leads to a {kind!r} reply"
    return found


def test_picked_suggestion_and_not_helpful_vote(engine, fresh, teaching):
    suggest, answer = first_reply(fresh, "suggest"), first_reply(fresh, "answer")
    log_id = ask(engine, fresh, suggest, "U1")
    assert [r.kinds for r in teaching.queue(PMO_A)] == [{"suggested": 1}]
    Store(engine).picked_suggestion(log_id)
    assert teaching.queue(PMO_A) == []
    answered = ask(engine, fresh, answer, "U2")
    entry = fresh.ask(answer).entry
    service = AnswerService(fresh, Store(engine))
    service.feedback(Feedback(entry.id, "U2", False, "1.0", answered))
    assert [r.kinds for r in teaching.queue(PMO_A)] == [{"not_helpful": 1}]
    service.feedback(Feedback(entry.id, "U2", True, "1.0", answered))
    assert teaching.queue(PMO_A) == []


def test_close_with_entry_goes_live_on_reload_and_tells_each_asker_once(engine, fresh, teaching):
    question = f"{GAP} {uuid.uuid4().hex[:8]}"  # never encoded before: the reload must encode it, and only it
    teaching.guard = None  # (the guard's trial matcher would encode it first: shared vectors, encoded once)
    ask(engine, fresh, question, "U1")
    ask(engine, fresh, question + "?", "U2")
    live = LiveKnowledge(fresh, engine, 0.0)
    live.refresh(force=True)
    row = teaching.queue(PMO_A)[0]
    with pytest.raises(TeachingError, match="Only PMO members"):
        teaching.close_with_entry(STAFF, row.key, "app-why-sso")
    outcome = teaching.close_with_entry(PMO_A, row.key, "app-why-sso")
    assert outcome.notified == 2
    assert outcome.live
    with pytest.raises(TeachingError, match="already closed"):
        teaching.close_with_entry(PMO_B, row.key, "app-why-sso")
    assert live.refresh()
    assert fresh.matcher.vectors_encoded == 1  # the new phrasing only (the "?" wording is the same to the matcher)
    assert fresh.ask(question).entry.id == "app-why-sso"
    with teaching.sessions() as session:
        dms = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "kb_answer")).all()
        events = session.scalars(select(TeachingEvent)).all()
    assert sorted(m.recipient for m in dms) == ["U1", "U2"]
    assert {e.actor_id for e in events} == {PMO_A}
    assert events[0].target == "app-why-sso"


FORM = AnswerForm(
    question="Can I use my PIV card on a teleworking tablet?",
    answer="Only with an approved card reader for the tablet. Ask {helpdesk_contact} which readers work.",
    category="helpdesk",
    owner="credentialing",
    sources="https://www.idmanagement.gov/ IDManagement.gov",
    review_days=180,
    alternates="piv on a tablet while teleworking\ntablet smart card reader for piv\ncan my ipad read my badge",
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sources": "no url here"}, "sources"),
        ({"sources": ""}, "sources"),
        ({"answer": "Call {nobody_knows}."}, "answer"),
        ({"question": "PIV?"}, "question"),
        ({"alternates": "only one"}, "alternates"),
        ({"review_days": 5}, "review_days"),
    ],
)
def test_a_new_answer_follows_the_kb_check_rules(teaching, change, field):
    with pytest.raises(FieldsError) as refused:
        teaching.propose(PMO_A, dataclasses.replace(FORM, **change))
    assert field in refused.value.errors


def test_two_person_rule_and_program_owners(engine, fresh, teaching):
    ask(engine, fresh, GAP, "U1")
    key = teaching.queue(PMO_A)[0].key
    with pytest.raises(TeachingError):
        teaching.propose(STAFF, FORM, key)
    draft = teaching.propose(OWNER, FORM, key)  # a credentialing owner writes a credentialing answer
    assert teaching.queue(PMO_A) == []  # the row left the queue with the draft
    change_id = draft.change_ids[0]
    with pytest.raises(TeachingError, match="two-person rule"):
        teaching.approve(OWNER, change_id)
    with pytest.raises(TeachingError):
        teaching.approve(STAFF, change_id)
    outcome = teaching.approve(PMO_B, change_id)
    assert outcome.notified == 1
    live = LiveKnowledge(fresh, engine, 0.0)
    live.refresh(force=True)
    entry = fresh.entry("use-piv-card-teleworking-tablet") or next(
        e for e in fresh.kb.entries if e.question == FORM.question
    )
    assert entry.source_file == "helpdesk.yaml"
    with teaching.sessions() as session:
        approved = session.scalars(select(TeachingEvent).where(TeachingEvent.action == "approved")).one()
    assert OWNER in approved.detail
    assert PMO_B in approved.detail

    # an edit keeps the history: a new revision supersedes the live one
    edit = dataclasses.replace(FORM, entry_id=entry.id, answer=FORM.answer + " Readers are loaned for a year.")
    second = teaching.propose(PMO_A, edit).change_ids[0]
    teaching.approve(PMO_B, second)
    with teaching.sessions() as session:
        statuses = [r.status for r in session.scalars(select(LiveChange).order_by(LiveChange.id))]
    assert statuses == [ChangeStatus.SUPERSEDED, ChangeStatus.LIVE]
    live.refresh(force=True)
    assert "loaned for a year" in fresh.entry(entry.id).answer


def test_not_icam_with_a_redirect_and_ignore(engine, fresh, teaching):
    ask(engine, fresh, GAP, "U1")
    key = teaching.queue(PMO_A)[0].key
    redirect = fresh.kb.redirects[0]
    outcome = teaching.close_out_of_scope(PMO_A, key, redirect.id)
    assert outcome.notified == 1
    live = LiveKnowledge(fresh, engine, 0.0)
    live.refresh(force=True)
    assert GAP in next(r for r in fresh.kb.redirects if r.id == redirect.id).examples
    ask(engine, fresh, "purple monkey dishwasher badge question", "U2")  # unanswered, and no redirect fits
    key = teaching.queue(PMO_A)[0].key
    with pytest.raises(TeachingError):
        teaching.ignore(OWNER, key)  # dismissing is the PMO's
    teaching.ignore(PMO_A, key)
    assert teaching.queue(PMO_A) == []


def test_a_phrasing_that_takes_another_entrys_evaluation_questions_is_flagged(engine, fresh, teaching):
    def answered_right(item) -> bool:
        entry = fresh.ask(item.question).entry
        return entry is not None and entry.id in item.accepted and "app-why-sso" not in item.accepted

    item = next(i for i in load_dataset() if i.in_scope and not i.gap and answered_right(i))
    teaching.propose_from_thread(PMO_A, item.question, "U1", "Ask the badge office.", PMO_B)
    key = teaching.queue(PMO_A)[0].key
    outcome = teaching.close_with_entry(PMO_A, key, "app-why-sso")
    assert outcome.flags
    assert outcome.flags[0].expected == item.expected
    assert not outcome.live
    with teaching.sessions() as session:
        assert [c.status for c in session.scalars(select(LiveChange))] == [ChangeStatus.DRAFT]


def test_pull_writes_the_knowledge_format_and_the_yaml_retires_the_database_copies(engine, fresh, teaching, tmp_path):
    directory = tmp_path / "knowledge"
    shutil.copytree(bundled_knowledge_dir(), directory)
    base = load_knowledge(directory)
    ask(engine, fresh, GAP, "U1")
    teaching.close_with_entry(PMO_A, teaching.queue(PMO_A)[0].key, "app-why-sso")
    ask(engine, fresh, "purple monkey dishwasher badge question", "U2")  # unanswered, and no redirect fits
    draft = teaching.propose(PMO_A, FORM, teaching.queue(PMO_A)[0].key)
    teaching.approve(PMO_B, draft.change_ids[0])
    live = LiveKnowledge(Responder(base, rebuild_matcher(fresh.matcher, base)), engine, 0.0, retire=True)
    live.refresh(force=True)
    before = {e.id: e.phrasings for e in live.responder.kb.entries}
    with teaching.sessions() as session:
        written = pull(base, live_changes(session), directory)
    assert {p.name for p in written} == {"helpdesk.yaml", "application-access.yaml"} or written
    assert yaml.safe_load((directory / "helpdesk.yaml").read_text())["category"] == "helpdesk"
    pulled = load_knowledge(directory)  # the loader accepts what pull wrote (kb check's rules)
    assert GAP in pulled.by_id()["app-why-sso"].alternates
    later = LiveKnowledge(Responder(pulled, rebuild_matcher(fresh.matcher, pulled)), engine, 0.0, retire=True)
    later.refresh(force=True)
    assert {e.id: e.phrasings for e in later.responder.kb.entries} == before  # no visible change
    with teaching.sessions() as session:
        assert {c.status for c in session.scalars(select(LiveChange))} == {ChangeStatus.RETIRED}


def test_teaching_audit_is_append_only(engine, fresh, teaching):
    ask(engine, fresh, GAP, "U1")
    teaching.ignore(PMO_A, teaching.queue(PMO_A)[0].key)
    for statement in ("UPDATE kb_teaching_events SET actor_id = 'x'", "DELETE FROM kb_teaching_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_sources_are_read_one_per_line():
    assert parse_sources("NIST | https://doi.org/10.6028/NIST.FIPS.201-3\nhttps://www.idmanagement.gov/") == [
        {"title": "NIST", "url": "https://doi.org/10.6028/NIST.FIPS.201-3"},
        {"title": "www.idmanagement.gov", "url": "https://www.idmanagement.gov/"},
    ]


def test_a_rebuilt_matcher_matches_exactly_like_one_built_from_scratch(kb, matcher):
    """What a reload reuses (documents' analyses, related pairs, cleaned phrasings, vectors) changes nothing."""
    from icam_bot.matching import Matcher
    from icam_bot.teaching.merge import Change, merge

    changes = [Change(1, "phrasing", "app-why-sso", GAP, None, "live", PMO_A, PMO_A)]
    changed = merge(kb, changes, 1).kb
    first = rebuild_matcher(matcher, kb)
    reloaded = rebuild_matcher(first, changed)
    scratch = Matcher(changed, encoder=matcher.encoder, cache_dir=None, cache_lexical=False)
    assert reloaded._lexical.normalized == scratch._lexical.normalized
    assert reloaded._lexical.vocab == scratch._lexical.vocab
    assert reloaded._related == scratch._related
    for question in (GAP, "my piv card is locked", "what does PACS stand for", "purple monkey dishwasher"):
        a, b = reloaded.match(question), scratch.match(question)
        assert (a.decision, a.best and a.best.entry_id) == (b.decision, b.best and b.best.entry_id)
        assert [c.entry_id for c in a.candidates] == [c.entry_id for c in b.candidates]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)


def test_the_watch_interval_is_validated_at_start():
    from icam_bot.config import ConfigError, Settings

    assert Settings.from_env({"ICAM_KB_WATCH_SECONDS": "5"}).kb_watch_seconds == 5.0
    assert Settings.from_env({}).kb_watch_seconds == 15.0
    for bad in ("0", "61", "soon", "nan"):
        with pytest.raises(ConfigError, match="ICAM_KB_WATCH_SECONDS"):
            Settings.from_env({"ICAM_KB_WATCH_SECONDS": bad})
