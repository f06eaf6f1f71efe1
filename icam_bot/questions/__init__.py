"""The question log: questions asked and what the bot decided, unanswered questions for the PMO, answer feedback;
the store the Slack side and the CLI use, and the answer service (ask + log + feedback)."""
