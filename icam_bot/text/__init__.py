"""Text normalisation shared by the knowledge base and the matcher: Slack markup, case, punctuation, stems."""
