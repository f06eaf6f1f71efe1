from icam_bot.matching.normalize import answer_lead, clean_text, content_terms, normalize, tokens


def test_slack_markup_is_removed_but_labels_kept():
    text = "Hey <@U123ABC> <!here> my card is :sob: see <https://x.gov/a|this page> in <#C1AB|icam-help> &amp; more"
    assert normalize(text) == "hey my card is see this page in icam help more"


def test_bare_links_and_specials_vanish():
    assert normalize("<https://example.gov> <!channel> <!subteam^S123|@pmo> piv") == "piv"


def test_piv_i_is_one_term():
    assert tokens("What is PIV-I? piv i cards") == ["what", "is", "pivi", "pivi", "cards"]


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
