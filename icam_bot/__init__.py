"""icam-bot: a federal agency's ICAM point of contact, answering from a curated knowledge base."""

__version__ = "0.1.0"
