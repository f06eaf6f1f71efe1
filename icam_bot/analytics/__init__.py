"""Answer analytics for the PMO: questions by week and category, feedback, items raised, unanswered topics."""
