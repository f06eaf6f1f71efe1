"""Teaching the bot from Slack (issue 14): the review queue of questions it could not answer, closing a row
with an existing entry, a new answer (two-person rule) or as out of scope, live knowledge additions merged with
the YAML knowledge base on every replica, and ``icam-bot kb pull`` to bring them back into git."""
