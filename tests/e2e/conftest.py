"""An Application wired to the fake Bot API, the test database and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram.request import BaseRequest

from bot.app import build_application, running
from bot.services.clock import FakeClock
from bot.settings import load_settings
from fakeapi import FakeTelegram
from storage.db import Database
from tests.e2e.harness import TOKEN, BotHarness
from tests.e2e.people import Cast, make_cast


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram(token=TOKEN, bot_username="klaszter_test_bot", bot_first_name="Klaszterbot")


@asynccontextmanager
async def bot_on(
    db: Database,
    tg: FakeTelegram,
    clock: FakeClock,
    request: BaseRequest | None = None,
    **settings_: object,
) -> AsyncIterator[BotHarness]:
    """The real application on the test database, the fake Bot API and ``clock``, running (a
    second one on the same database and fake is a restart); ``request`` replaces the fake's
    transport for the bot's calls (but not for getUpdates); ``settings_`` add settings."""
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=db.url,
        telegram_api_base_url="https://api.telegram.example/bot",
        group_update_seconds=0,
        **settings_,
    )
    app = build_application(
        settings, request=request or tg.request(), updates_request=tg.request(), clock=clock
    )
    async with running(app):
        yield BotHarness(app, tg)


@pytest.fixture
async def harness(db: Database, tg: FakeTelegram, clock: FakeClock) -> AsyncIterator[BotHarness]:
    async with bot_on(db, tg, clock) as running_harness:
        yield running_harness


@pytest.fixture
async def cast(db: Database, clock: FakeClock, tg: FakeTelegram) -> Cast:
    """One bound member of every kind, plus a stranger."""
    return await make_cast(db, clock, tg)
