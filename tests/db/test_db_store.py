"""The store service against SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from icam_bot.db import upgrade
from icam_bot.questions.store import Store, normalize_question


@pytest.fixture
def store(empty_engine):
    upgrade(empty_engine)
    return Store(empty_engine)


def test_claim_event_is_true_once(store):
    assert store.claim_event("Ev001") is True
    assert store.claim_event("Ev001") is False
    assert store.claim_event("Ev002") is True


def test_claim_event_races_have_exactly_one_winner(store, empty_url):
    other = Store.from_url(empty_url)  # a second replica with its own engine and pool
    results: list[bool] = []
    lock = threading.Lock()

    def claim(s: Store) -> None:
        won = s.claim_event("EvRACE")
        with lock:
            results.append(won)

    threads = [threading.Thread(target=claim, args=(s,)) for s in (store, other) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sorted(results) == [False] * 7 + [True]


def test_unanswered_questions_group_by_normalised_text(store):
    store.record_unanswered("How do I get a parking permit?", "U1")
    store.record_unanswered("how do i get a PARKING permit", "U2")
    store.record_unanswered("how do I get a parking permit", "U1", pmo_request=True, permalink="https://x/p1")
    store.record_unanswered("Who won the game?", "U3")
    top, second = store.top_unanswered()
    assert (top.count, top.pmo_requests, top.askers, top.last_permalink) == (2, 1, 2, "https://x/p1")
    assert top.normalized == "how do i get a parking permit"
    assert second.count == 1
    assert store.record_unanswered("?!", "U1") is None


def test_feedback_revote_updates(store):
    store.record_feedback("glossary-pacs", "U1", True, "1.1")
    store.record_feedback("glossary-pacs", "U1", False, "1.1")
    store.record_feedback("glossary-pacs", "U2", True, "1.1")
    assert store.feedback_counts("glossary-pacs") == (1, 1)


def test_question_log_and_recent_questions(store):
    first = store.log_question(user_id="U1", text="q1", decision="answer", surface="dm", entry_id="glossary-pacs")
    store.log_question(user_id="U1", text="q2", decision="abstain", surface="mention")
    store.log_question(user_id="U2", text="other", decision="abstain", surface="command")
    assert [q.text for q in store.recent_questions("U1")] == ["q2", "q1"]
    logged = store.logged_question(first)
    assert logged is not None
    assert logged.entry_id == "glossary-pacs"
    assert store.logged_question(999999) is None


def test_prune_events_keeps_recent_ones(store):
    store.claim_event("EvNEW")
    assert store.prune_events() == 0
    assert store.claim_event("EvNEW") is False


def test_normalize_question():
    assert normalize_question("  How do I RESET my PIN?? ") == "how do i reset my pin"
