"""What every domain shares: Slack ids, safe text, Block Kit pieces, form elements, the listener guard."""
