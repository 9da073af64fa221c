"""Drive the real Application with simulated updates through the fake Bot API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update

from bot.app import BotApp
from fakeapi import ApiCall, FakeChat, FakeMessage, FakeTelegram, FakeUser

TOKEN = "123456789:AAE-fake-token-for-the-test-suite-00"


class BotHarness:
    """One running bot and the fake Telegram it talks to."""

    def __init__(self, app: BotApp, tg: FakeTelegram) -> None:
        self.app = app
        self.tg = tg

    async def _process(self, update: dict[str, Any]) -> list[ApiCall]:
        start = len(self.tg.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        calls = self.tg.calls[start:]
        failed = [c for c in calls if not c.ok]
        assert not failed, f"Telegram refused: {[(c.method, c.error) for c in failed]}"
        return calls

    async def send(
        self,
        user: FakeUser,
        text: str | None = None,
        *,
        chat: FakeChat | None = None,
        reply_to: FakeMessage | None = None,
        **media: Any,
    ) -> list[ApiCall]:
        """The user writes ``text`` (private chat unless ``chat``); returns the bot's calls."""
        return await self._process(
            self.tg.message(user, text, chat=chat, reply_to=reply_to, **media)
        )

    async def press(
        self, user: FakeUser, message: FakeMessage, data: str, **kw: Any
    ) -> list[ApiCall]:
        """The user presses the button with ``data`` under ``message``."""
        return await self._process(self.tg.press(user, message, data, **kw))

    async def press_label(self, user: FakeUser, message: FakeMessage, label: str) -> list[ApiCall]:
        """The user presses the button whose text contains ``label``."""
        for row in message.buttons:
            for text, data in row:
                if label in text and data is not None:
                    return await self.press(user, message, data)
        raise AssertionError(f"no button {label!r} in {message.buttons}")

    async def join_request(self, user: FakeUser, chat: FakeChat) -> list[ApiCall]:
        return await self._process(self.tg.join_request(user, chat))

    def last(self, chat: FakeUser | FakeChat) -> FakeMessage:
        """The newest message the bot has in this chat."""
        messages = self.tg.outbox(chat)
        assert messages, "the bot sent nothing to this chat"
        return messages[-1]


def texts(calls: Sequence[ApiCall], method: str = "sendMessage") -> list[str]:
    """The text of every call of ``method``."""
    return [str(c.params.get("text", "")) for c in calls if c.method == method]


def answers(calls: Sequence[ApiCall]) -> list[str]:
    """The texts of the answerCallbackQuery calls."""
    return [str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"]
