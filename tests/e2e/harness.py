"""Drive the real Application with simulated updates through the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.app import BotApp
from bot.demo import Driver
from fakeapi import ApiCall, FakeChat, FakeMessage, FakeUser
from storage.db import Database
from storage.models.ballots import Ballot

TOKEN = "123456789:AAE-fake-token-for-the-test-suite-00"


class BotHarness(Driver):
    """The demo's driver, strict: any call Telegram would refuse fails the test."""

    app: BotApp

    async def process(self, update: dict[str, Any]) -> list[ApiCall]:
        calls = await super().process(update)
        failed = [c for c in calls if not c.ok and not c.injected]
        assert not failed, f"Telegram refused: {[(c.method, c.error) for c in failed]}"
        return calls

    async def publish_form(self, author: FakeUser, form: str) -> Ballot:
        """Publish a ballot from the one-message form (``Kérdés: …`` lines) and deliver it."""
        await self.send(author, "/szavazas_uj\n" + form)
        await self.press_label(author, self.last(author), "Közzététel")
        await self.settle()
        async with self.app.bot_data.db.unit() as uow:
            [ballot] = await uow.ballots.recent(1)
            return ballot

    async def press_label(self, user: FakeUser, message: FakeMessage, label: str) -> list[ApiCall]:
        """The user presses the button whose text contains ``label``."""
        for row in message.buttons:
            for text, data in row:
                if label in text and data is not None:
                    return await self.press(user, message, data)
        raise AssertionError(f"no button {label!r} in {message.buttons}")

    async def join_request(self, user: FakeUser, chat: FakeChat) -> list[ApiCall]:
        return await self.process(self.tg.join_request(user, chat))

    async def settle(self) -> list[ApiCall]:
        """Wait for background deliveries; returns the calls they made."""
        start = len(self.tg.calls)
        await self.app.bot_data.settle()
        return self.tg.calls[start:]

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


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)
