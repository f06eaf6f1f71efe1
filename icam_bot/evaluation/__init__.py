"""Measuring the matcher on labelled questions kept apart from the knowledge base."""
