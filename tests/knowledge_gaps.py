"""Questions the bundled knowledge base does not answer, for tests of what happens to unanswered questions
(teaching, the gap queue, worker reloads, the offer to log). When a knowledge round starts answering one, change it
here only."""

UNANSWERED_QUESTION = "who orders the plastic badge holders for our office"
#: The same question in other words, which the gap queue groups with it.
UNANSWERED_VARIANT = "who orders the plastic badge holders for the office?"

#: Questions declined without pointing elsewhere, tried in order. Nonsense can land near a redirect or an entry as the
#: knowledge base grows, so the curated unanswered question comes first.
ABSTAIN_PROBES = (
    UNANSWERED_QUESTION,
    "who won the football game?",
    "purple monkey dishwasher",
    "what's the weather in Paris tomorrow",
)
