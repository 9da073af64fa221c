"""The registry mapping Bot API method names to the fake's handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakeapi.models import UploadedFile

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

Params = dict[str, Any]
Files = dict[str, UploadedFile]
Handler = Callable[["FakeTelegram", Params, Files], Any]

HANDLERS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of one or more Bot API methods."""

    def register(func: Handler) -> Handler:
        """Store the handler under each name."""
        for name in names:
            HANDLERS[name] = func
        return func

    return register
