"""Klaszterbot: the Telegram bot that runs the governance of a business cluster."""

__version__ = "0.1.0"
