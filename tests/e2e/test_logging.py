"""Logs at DEBUG hold no bot token, no invitation token and no secret voter's choice.

The real Application runs through fakeapi with logging set up as ``klaszterbot run`` sets it
(LOG_LEVEL=DEBUG); the updates go through the update queue, as polled updates do.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from telegram import Update

from bot.cli import _setup_logging
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from bot.settings import load_settings
from fakeapi import FakeMessage, FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind
from tests.e2e.harness import TOKEN, BotHarness
from tests.e2e.people import Cast

LIBRARIES = (
    "httpx", "httpcore", "telegram", "telegram.Bot", "telegram.ext.ExtBot",
    "telegram.ext.Application", "telegram.ext.Updater", "aiosqlite", "apscheduler",
)  # fmt: skip
LINK = re.compile(r"\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """LOG_LEVEL=DEBUG as ``klaszterbot run`` configures it; restored afterwards."""
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    caplog.set_level(logging.DEBUG)
    settings = load_settings(
        _env_file=None, telegram_bot_token=TOKEN, database_url="sqlite://", log_level="DEBUG"
    )
    _setup_logging(settings)
    yield caplog
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def _polled(harness: BotHarness, update: dict[str, Any], done: Callable[[], bool]) -> None:
    """Hand ``update`` to the Application as the Updater does, and wait until ``done()``."""
    await harness.app.update_queue.put(Update.de_json(update, harness.app.bot))
    for _ in range(400):
        if done():
            await harness.settle()
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the update was not handled")


async def _press(harness: BotHarness, user: FakeUser, message: FakeMessage, label: str) -> str:
    data = next(d for row in message.buttons for text, d in row if label in text and d)
    before = len(harness.tg.calls)
    await _polled(
        harness,
        harness.tg.press(user, message, data),
        lambda: any(c.method == "answerCallbackQuery" for c in harness.tg.calls[before:]),
    )
    return data


async def test_debug_log_holds_no_token_invitation_or_secret_choice(
    debug_logging: pytest.LogCaptureFixture,
    harness: BotHarness,
    tg: FakeTelegram,
    cast: Cast,
    db: Database,
    clock: FakeClock,
) -> None:
    caplog = debug_logging
    async with db.unit() as uow:
        await upsert_member(uow, MemberSpec("Új Ubul", MemberKind.INTERNAL), CLI_ACTOR, clock.now())
    # an invitation link, and the newcomer opening it
    await harness.send(cast.ksz, "/meghivo Új Ubul")
    match = LINK.search(harness.last(cast.ksz).text)
    assert match
    invitation = match.group(1)
    newcomer = tg.add_user(first_name="Ubul", last_name="Új")
    await _polled(harness, tg.message(newcomer, f"/start {invitation}"), lambda: bool(
        tg.outbox(newcomer)
    ))  # fmt: skip
    assert "Fiókja összekapcsolva" in harness.last(newcomer).text
    # a secret ballot: the voter chooses "Nem", sees it, confirms
    await harness.send(
        cast.ksz, "/szavazas_uj\nKérdés: Megválasztja Kovács Annát?\nHatáridő: 3\nTitkos: igen"
    )
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    pressed = [await _press(harness, cast.internal, harness.last(cast.internal), "Nem")]
    assert "Választása: Nem." in harness.last(cast.internal).text
    pressed.append(await _press(harness, cast.internal, harness.last(cast.internal), "Megerősítés"))
    assert "Titkos szavazata rögzítve" in harness.last(cast.internal).text

    records = [*caplog.get_records("setup"), *caplog.records]  # setup: the start of the bot
    assert any(r.levelno == logging.DEBUG for r in records), "nothing was logged at DEBUG"
    assert any("ready" in r.getMessage() for r in records)
    log = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    secret_part = TOKEN.split(":", 1)[1]
    assert TOKEN not in log and secret_part not in log
    assert invitation not in log
    assert "Választása" not in log and "Your choice" not in log
    for data in pressed:
        assert data not in log, data
    # nothing that shows the voter's roll row next to the tally they incremented (SQL dumps)
    assert "ballot_secret_tallies" not in log and "ballot_roll" not in log
