"""Questions the bundled knowledge base does not answer, for tests of what happens to unanswered questions
(teaching, the gap queue, worker reloads, the offer to log). When a knowledge round starts answering one, change it
here only."""

UNANSWERED_QUESTION = "who orders the plastic badge holders for our office"

#: Questions declined without pointing elsewhere, tried in order. Nonsense can land near a redirect as the knowledge
#: base grows, so the curated unanswered question comes first.
ABSTAIN_PROBES = (
    UNANSWERED_QUESTION,
    "who won the football game?",
    "purple monkey dishwasher",
    "what's the weather in Paris tomorrow",
)
