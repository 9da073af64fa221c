"""Fixtures for the fakeapi tests: a fresh fake Telegram and a real PTB Bot wired to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from fakeapi import FakeTelegram, FakeUser


@pytest.fixture
def tg() -> FakeTelegram:
    """A fresh fake Telegram with the default test token."""
    return FakeTelegram(bot_username="klaszter_test_bot", bot_first_name="Klaszterbot")


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """An initialized telegram.Bot talking to ``tg`` in-process."""
    async with Bot(tg.token, request=tg.request(), get_updates_request=tg.request()) as ptb_bot:
        yield ptb_bot


@pytest.fixture
def anna(tg: FakeTelegram) -> FakeUser:
    """A user who has started the bot."""
    user = tg.add_user(first_name="Anna", last_name="Kovács", username="anna")
    tg.message(user, "/start")
    return user


async def call_raw(tg: FakeTelegram, method: str, **params: object) -> object:
    """POST a method with hand-picked parameters through PTB's request layer (no Bot checks)."""
    data = RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])
    url = f"https://api.telegram.org/bot{tg.token}/{method}"
    return await tg.request().post(url, data)


def said(text: str) -> str:
    """A pytest match pattern for an error text, as PTB capitalizes it after "Bad Request: "."""
    return "(?i)" + re.escape(text)
