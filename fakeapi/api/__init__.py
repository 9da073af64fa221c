"""The Bot API methods the fake models, registered by name in HANDLERS."""

from fakeapi.api import botsettings, chats, editing, sending
from fakeapi.api.registry import HANDLERS

__all__ = ["HANDLERS", "botsettings", "chats", "editing", "sending"]
