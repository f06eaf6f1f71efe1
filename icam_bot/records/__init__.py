"""Records management: the access log (who read what) and the retention settings. The retention job itself is
``icam_bot.retention``."""
