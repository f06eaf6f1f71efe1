import pytest

from icam_bot.text.normalize import answer_lead, clean_text, content_terms, normalize, tokens


def test_slack_markup_is_removed_but_labels_kept():
    text = "Hey <@U123ABC> <!here> my card is :sob: see <https://x.gov/a|this page> in <#C1AB|icam-help> &amp; more"
    assert normalize(text) == "hey my card is see this page in icam help more"


def test_bare_links_and_specials_vanish():
    assert normalize("<https://example.gov> <!channel> <!subteam^S123|@pmo> piv") == "piv"


def test_piv_i_is_one_term():
    assert tokens("What is PIV-I? piv i cards") == ["what", "is", "pivi", "pivi", "cards"]


def test_id_me_and_smartcard_are_read_as_the_knowledge_base_spells_them():
    # "ID.me" would split into two stop words and vanish
    assert tokens("Verify with ID.me, id. me or IDme") == ["verify", "with", "idme", "idme", "or", "idme"]
    assert tokens("my id. Meanwhile") == ["my", "id", "meanwhile"]
    assert tokens("Smartcard readers and smartcards") == ["smart", "card", "readers", "and", "smart", "cards"]


def test_one_letter_hyphen_parts_join():
    assert tokens("E-PACS and FASC-N, x-ray, 800-63") == ["epacs", "and", "fascn", "xray", "800", "63"]


def test_control_characters_and_whitespace():
    assert clean_text("a\x00b\x1b[31m  c\n\td") == "a b [31m c d"


def test_content_terms_stem_and_drop_stop_words():
    assert content_terms(tokens("How do I reset my certificates?")) == ["reset", "certif"]


def test_long_input_is_capped():
    assert len(clean_text("x" * 200_000)) == 1000


def test_answer_lead_strips_markup_and_placeholders():
    lead = answer_lead("*Bold* start, call {helpdesk_contact}.\n• item")
    assert lead == "Bold start, call . item"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi all - my PIV card is locked, thanks!", "my PIV card is locked"),
        ("Hello, quick question: how do I reset my PIN? Thanks in advance", "how do I reset my PIN?"),
        (
            "Good morning team, where do I renew my badge? any help would be greatly appreciated.",
            "where do I renew my badge?",
        ),
        ("hey there", "hey there"),  # nothing but a greeting stays as it is
        ("thanks", "thanks"),
        ("high assurance piv question", "high assurance piv question"),  # "hi" only as a word of its own
    ],
)
def test_greetings_and_thanks_around_a_question_are_dropped(text, expected):
    from icam_bot.text.normalize import strip_chatter

    assert strip_chatter(text) == expected


def test_chatter_stripping_is_fast_on_hostile_input():
    import time

    from icam_bot.text.normalize import strip_chatter

    for text in ("hi " + "," * 5000 + "x", "thanks " * 3000, "- " * 5000 + "thanks"):
        # the fastest of three runs: a busy shared machine only makes a run slower (backtracking takes seconds)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            strip_chatter(text)
            times.append(time.perf_counter() - start)
        assert min(times) < 0.05
