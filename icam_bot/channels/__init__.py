"""Help channels: the channels the PMO asked the bot to listen in (``/icam listen on|off``), and the audit of
those switches. Every replica reads the setting from the database."""
