"""A question the bundled knowledge base does not answer, for tests of what happens to unanswered questions
(teaching, the gap queue, worker reloads). When a knowledge round starts answering it, change it here only."""

UNANSWERED_QUESTION = "does the badge office laminate paper visitor passes"
