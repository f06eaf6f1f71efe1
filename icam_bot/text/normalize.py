"""Text normalisation shared by the index and the query: Slack markup, case, punctuation, stemming."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import Stemmer

from icam_bot.text.markup import USER_ID, Markup, MarkupKind, slack_markup

#: The channels whose labels the matcher keeps (public channel ids).
_CHANNEL = re.compile(r"C[A-Z0-9]+")
_SLACK_LINK = re.compile(r"(?:https?|mailto):")
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_NON_WORD = re.compile(r"[^\w]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: "PIV-I" / "PIV I" is one term; without this, "i" would be dropped as a stop word.
_PIV_I = re.compile(r"\bpiv[\s-]+i\b")
#: ID.me is one name: split at the dot, both halves are stop words and the question loses its subject.
_ID_ME = re.compile(r"\bid\s?\.\s?me\b")
#: "smartcard" is "smart card", as the knowledge base writes it.
_SMARTCARD = re.compile(r"\bsmartcard(s?)\b")
#: Spellings read as the knowledge base's one term, in order.
_TERM_SPELLINGS = ((_PIV_I, "pivi"), (_ID_ME, "idme"), (_SMARTCARD, r"smart card\1"))
#: A one-letter part of a hyphenated term belongs to it: "E-PACS" -> "epacs", "FASC-N" -> "fascn".
_LETTER_HYPHEN = re.compile(r"\b([a-z])-(?=\w{2})|(?<=\w{2})-([a-z])\b")

#: Longest question we read; longer input is cut (a reply says so).
MAX_QUESTION_CHARS = 1000

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "for",
        "from",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "i'd",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it's",
        "just",
        "me",
        "my",
        "myself",
        "of",
        "on",
        "or",
        "our",
        "ours",
        "please",
        "pls",
        "plz",
        "so",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "team",
        "folks",
        "anyone",
        "someone",
        "somebody",
        "quick",
        "question",
        "q",
        "help",
        "need",
        "needs",
        "know",
        "tell",
        "explain",
        "about",
        "any",
        "again",
        "also",
        "am",
        "im",
        "ive",
        "id",
        "ok",
        "okay",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "let",
        "lets",
        "want",
        "wanted",
        "wondering",
        "trying",
        "try",
        "here",
        "very",
        "really",
        "still",
        "yet",
        "one",
    ]
)

_stemmer = Stemmer.Stemmer("english")


#: Special mentions the matcher drops (with <!date^...>): broadcasts and user groups.
_BROADCASTS = frozenset({"here", "channel", "everyone"})
_GROUP_ID = re.compile(r"[A-Z0-9]+")


def _markup_words(markup: Markup) -> str | None:
    """The words one piece of Slack markup contributes (a label, or none), or None if it is not markup."""
    kind, target, args = markup.kind, markup.target, markup.args
    if kind is MarkupKind.USER and USER_ID.fullmatch(target):
        return " "
    if kind is MarkupKind.SPECIAL and (
        (target in _BROADCASTS and args is None)
        or (target == "subteam" and args is not None and _GROUP_ID.fullmatch(args))
        or (target == "date" and args is not None)
    ):
        return " "
    if (kind is MarkupKind.CHANNEL and _CHANNEL.fullmatch(target)) or (
        kind is MarkupKind.LINK and _SLACK_LINK.match(target)
    ):
        return f" {markup.label} "
    return None


def strip_slack_markup(text: str) -> str:
    """Remove Slack mentions, specials and emoji; keep link and channel labels (linear time, see markup.py)."""
    parts: list[str] = []
    for literal, markup in slack_markup(text):
        parts.append(literal)
        if markup is not None:
            words = _markup_words(markup)
            parts.append(f"<{markup.body}>" if words is None else words)
    return html.unescape(_EMOJI.sub(" ", "".join(parts)))


def clean_text(text: str) -> str:
    """Readable cleaned text: Slack markup removed, control characters dropped, whitespace folded."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 4])
    text = _CONTROL.sub(" ", strip_slack_markup(text))
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening)|dear\s+\w+)"
    r"(?:\s+(?:all|team|everyone|folks|there|guys|y'?all|ya'?ll|icam|pmo|bot|friends))?"
    r"|(?:a\s+)?(?:quick|dumb|silly|stupid|random|simple)\s+question(?:\s+for\s+(?:you|the\s+team|everyone))?"
    r"|sorry\s+(?:to\s+bother(?:\s+you)?|if\s+this\s+is\s+(?:a\s+)?(?:dumb|silly|obvious)(?:\s+question)?))"
    r"\s*[,!.:;\-\u2013\u2014]+\s*",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"[\s,.;:!\-\u2013\u2014]*(?:thanks(?:\s+(?:so\s+much|a\s+lot|in\s+advance|all))?|thank\s+you(?:\s+in\s+advance)?"
    r"|thx|tia|cheers|(?:any\s+)?help\s+(?:would\s+be|is)\s+(?:greatly\s+|much\s+|really\s+)?appreciated"
    r"|appreciate\s+(?:it|any\s+help|the\s+help))[\s!.:)]*$",
    re.IGNORECASE,
)


def strip_chatter(text: str) -> str:
    """The question without greetings before it or thanks after it ("hi all - ... thanks!").

    Only what surrounds the question goes; a message that is nothing but a greeting is left as it is.
    """
    stripped = text
    for _ in range(3):
        before = stripped
        stripped = _THANKS.sub("", _GREETING.sub("", stripped, count=1)).strip()
        if stripped == before:
            break
    return stripped if len(stripped.split()) >= 2 else text


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces, punctuation removed."""
    text = clean_text(text).casefold()
    text = _APOSTROPHE.sub("", text)
    for pattern, replacement in _TERM_SPELLINGS:
        text = pattern.sub(replacement, text)
    text = _LETTER_HYPHEN.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def tokens(text: str) -> list[str]:
    """Normalised words of text."""
    return normalize(text).split()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball English stem of a lowercase word."""
    return _stemmer.stemWord(word)


def content_terms(words: list[str]) -> list[str]:
    """Stemmed words without stop words: the terms BM25 indexes."""
    return [stem(w) for w in words if w not in STOP_WORDS]


_MARKUP = re.compile(r"[*_`~•]|\{[a-z_]+\}")
ANSWER_LEAD_CHARS = 400


def plain_answer(answer: str) -> str:
    """Answer text without mrkdwn markers or placeholders."""
    return " ".join(_MARKUP.sub(" ", answer).split())


def answer_lead(answer: str) -> str:
    """The opening of an answer without mrkdwn or placeholders: what the answer is about, for matching."""
    text = plain_answer(answer)
    if len(text) <= ANSWER_LEAD_CHARS:
        return text
    cut = text.rfind(" ", 0, ANSWER_LEAD_CHARS)
    return text[: cut if cut > 0 else ANSWER_LEAD_CHARS]
