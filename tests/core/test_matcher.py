"""The matcher on the real knowledge base: answers what it knows, abstains on what it does not."""

from __future__ import annotations

import pytest

from icam_bot.matching.engine import Decision
from icam_bot.matching.glossary import GlossaryExpander


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("I forgot my PIV PIN", "help-forgot-piv-pin"),
        ("how long is a piv card good for", "piv-card-lifetime"),
        ("<@U0123ABC> what does PACS stand for?", "glossary-pacs"),
        ("my badge wont open the door anymore :cry:", "help-badge-stopped-opening-door"),
        ("certficate expird on my piv", "help-piv-certificates-expiring"),
        ("whats a FASC-N", "glossary-fasc-n"),
    ],
)
def test_answers_known_questions(matcher, question, entry_id):
    """The right entry is ranked first and reaches the person: as the answer, or offered first (as "did you
    mean", or beside a decline as the first related entry)."""
    result = matcher.match(question)
    assert result.candidates[0].entry_id == entry_id
    offered = result.best if result.decision is Decision.ANSWER else next(iter(result.suggestions), None)
    assert offered is not None
    assert offered.entry_id == entry_id


@pytest.mark.parametrize(
    "question",
    [
        "my printer jams every morning",
        "how many days of annual leave do I have left",
        "what's on the PIV lunch menu today",
        "tell me a joke",
        "what is the meaning of life",
        "who won the football game last night",
    ],
)
def test_does_not_answer_outside_icam(matcher, question):
    result = matcher.match(question)
    assert result.decision is Decision.ABSTAIN


def test_out_of_scope_gets_a_redirect(responder):
    reply = responder.ask("my printer keeps jamming on the third floor")
    assert reply.decision is Decision.ABSTAIN
    assert reply.redirect_id == "it-service-desk"
    assert "service desk" in reply.text.lower()
    assert not reply.can_log


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("🙂🔥🙂", "no_words"),
        (":thumbsup: :tada:", "empty"),
        ("\x00\x01\x02", "empty"),
        ("???!!!", "no_words"),
    ],
)
def test_bad_input_gets_a_clear_reply(responder, text, reason):
    reply = responder.ask(text)
    assert reply.decision is Decision.ABSTAIN
    assert reply.reason == reason
    assert reply.text


def test_huge_input_is_read_in_part_and_said_so(responder):
    reply = responder.ask("my piv card is locked " * 5000)
    assert reply.notes
    assert "first 1,000 characters" in reply.notes[0]


@pytest.mark.parametrize(
    "text", ["¿Cómo restablezco mi PIN de la tarjeta?", "Comment réinitialiser mon badge ?", "私のカード"]
)
def test_other_languages_do_not_crash(responder, text):
    reply = responder.ask(text)
    assert reply.decision in (Decision.ABSTAIN, Decision.SUGGEST, Decision.ANSWER)
    assert reply.text


def test_suggestions_are_distinct_entries(matcher):
    result = matcher.match("piv certificate")
    ids = [c.entry_id for c in result.candidates]
    assert len(ids) == len(set(ids))
    assert len(result.suggestions) <= 3


def test_answer_fills_site_values_and_lists_sources(responder):
    reply = responder.ask("I forgot my PIV PIN")
    assert reply.answered
    assert "{" not in reply.text
    assert reply.sources
    assert all(s.url.startswith("https://") for s in reply.sources)


def test_reply_for_unknown_entry_is_none(responder):
    assert responder.reply_for_entry("no-such-entry") is None


def test_pruned_best_phrasing_ranks_exactly_like_the_full_scan(matcher, monkeypatch):
    """Large KBs score best phrasings only for entries that can still rank; the outcome must not change."""
    from icam_bot.evaluation.dataset import load_dataset
    from icam_bot.matching import vector_index

    if matcher.encoder is None:
        pytest.skip("the embedding model is not installed")
    questions = [item.question for item in load_dataset()][:120]
    full = [matcher.match(q) for q in questions]
    monkeypatch.setattr(vector_index, "PRUNE_PHRASINGS", 0)
    monkeypatch.setattr(vector_index, "PRUNE_POOL", 16)
    pruned = [matcher.match(q) for q in questions]
    # the same entries in the same order; scores agree up to float32 rounding (a subset matmul sums differently)
    assert [[c.entry_id for c in r.candidates] for r in pruned] == [[c.entry_id for c in r.candidates] for r in full]
    for p, f in zip(pruned, full, strict=True):
        assert [c.score for c in p.candidates] == pytest.approx([c.score for c in f.candidates], abs=2e-4)
    assert [r.decision for r in pruned] == [r.decision for r in full]
    assert matcher.signals(questions[0], weights=matcher.calibration).query_vector is not None


@pytest.mark.parametrize("alias", ["LincPass", "USAccess credential", "HHS ID badge", "HSPD-12 badge"])
def test_agency_card_names_read_as_piv_card(matcher, alias):
    plain = matcher.match("I lost my PIV card, what do I do")
    aliased = matcher.match(f"I lost my {alias}, what do I do")
    assert aliased.candidates[0].entry_id == plain.candidates[0].entry_id


def test_knowledge_phrasings_naming_an_agency_card_are_indexed_as_the_question_is_read(kb):
    expander = GlossaryExpander(kb.glossary)
    assert expander.canonical_phrasing("My LincPass is broken, who prints a new one?") == (
        "my piv card is broken who prints a new one"
    )
    assert expander.canonical_phrasing("My PIV card is broken, who prints a new one?") == (
        "My PIV card is broken, who prints a new one?"
    )


def test_the_encoder_reads_a_question_as_it_reads_the_phrasings(matcher):
    """A phrasing asked word for word meets its own vector, spelling and all ("ID.me", "PIV-I"): the
    normalised words ("what is idme") would reach the encoder in another spelling than the phrasing did."""
    if matcher.encoder is None:
        pytest.skip("needs the embedding model")
    docs = {matcher.doc_key(i): i for i in range(len(matcher._docs))}
    for key, spelling in (("glossary-id-me", "ID.me"), ("glossary-piv-i", "PIV-I")):
        doc = docs[key]
        phrasing = next(p for p in matcher._docs[doc].phrasings if spelling in p)
        sig = matcher.signals(phrasing, expand_for_embedding=False)
        assert sig.emb_max[doc] == pytest.approx(1.0, abs=1e-3), phrasing
    # with a greeting before it and thanks after it, the same vector
    chatty = matcher.signals("hi all - what does ID.me mean, thanks!", expand_for_embedding=False)
    assert chatty.emb_max[docs["glossary-id-me"]] == pytest.approx(1.0, abs=1e-3)


def test_greeting_and_thanks_do_not_change_the_match(matcher):
    plain = matcher.match("how long is a piv card good for")
    chatty = matcher.match("hi all - quick question: how long is a piv card good for? thanks in advance!")
    assert chatty.candidates[0].entry_id == plain.candidates[0].entry_id
    assert chatty.candidates[0].score == pytest.approx(plain.candidates[0].score, abs=0.05)


def test_glossary_terms_answer_what_is_questions_but_do_not_take_other_questions(matcher):
    from dataclasses import replace

    held_back = replace(matcher.calibration, glossary_penalty=0.2)
    free = replace(held_back, glossary_penalty=0.0)
    # "what is X" may go to the glossary: the penalty does not apply to it
    for question, term in (
        ("what is a trust store", "glossary-trust-store"),
        ("what is DN in a certificate", "glossary-dn"),
    ):
        assert matcher.match(question, held_back).candidates[0].entry_id == term
    # a question that only mentions a term is not asking for its definition: the FAQ entry takes it
    for question, term in (
        ("which xAL should our new app pick", "glossary-xal"),
        ("is an HSM required for our CA", "glossary-hsm"),
    ):
        assert matcher.match(question, free).candidates[0].entry_id == term
        held = {c.entry_id: c.score for c in matcher.match(question, held_back).candidates}
        assert next(iter(held)) != term
        assert held.get(term, 0.0) <= matcher.match(question, free).candidates[0].score - 0.2 + 1e-4


def test_the_faq_entry_that_owns_an_acronym_answers_what_it_stands_for(matcher):
    # gov-what-is-icam holds "what does ICAM stand for", so glossary-icam goes without it; the definition boost
    # must not hand the question to a longer acronym that starts the same (ICAMSC)
    result = matcher.match("what does ICAM stand for")
    assert result.answered
    assert result.best.entry_id == "gov-what-is-icam"
    assert matcher.match("what does ICAMSC stand for").best.entry_id == "glossary-icamsc"
