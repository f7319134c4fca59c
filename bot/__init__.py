"""Balcão: a conversational self-service assistant for customer support."""

__version__ = "0.1.0"
