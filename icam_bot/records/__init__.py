"""Records management: the access log (who read what), and the retention job (question logs, closed items)."""
