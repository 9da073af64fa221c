"""/atlathatosag (/transparency) and the menu button: the transparency Mini App from the chat."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.services.clock import FakeClock
from fakeapi import ApiCall, FakeTelegram
from storage.db import Database
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast

URL = "https://klaszter.example/webapp/"


@pytest.fixture
async def with_app(db: Database, tg: FakeTelegram, clock: FakeClock) -> AsyncIterator[BotHarness]:
    async with bot_on(db, tg, clock, webapp_url=URL) as harness:
        yield harness


def keyboard(calls: list[ApiCall]) -> list[dict[str, Any]]:
    """The buttons of the one message sent."""
    [call] = [c for c in calls if c.method == "sendMessage"]
    markup = call.params["reply_markup"]
    rows = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
    return [button for row in rows for button in row]


async def test_private_chat_gets_the_web_app_button(with_app: BotHarness, cast: Cast) -> None:
    calls = await with_app.send(cast.external, "/atlathatosag")
    [text] = texts(calls)
    assert text.startswith("<b>Átláthatóság</b>\nA határozatok nyilvántartása, a szavazások")
    [button] = keyboard(calls)
    assert button == {"text": "Átláthatóság", "web_app": {"url": URL}}
    assert keyboard(await with_app.send(cast.internal, "/transparency")) == [button]


async def test_group_is_pointed_to_the_private_chat(
    with_app: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group(title="Klaszter", members=[cast.internal], bot_is_admin=True)
    calls = await with_app.send(cast.internal, "/atlathatosag", chat=group)
    [text] = texts(calls)
    assert "privát" in text and "/atlathatosag" in text
    [button] = keyboard(calls)
    assert button == {"text": "A privát beszélgetésbe", "url": "https://t.me/klaszter_test_bot"}


async def test_menu_button_opens_the_page(with_app: BotHarness, tg: FakeTelegram) -> None:
    assert tg.menu_buttons[0] == {
        "type": "web_app", "text": "Átláthatóság", "web_app": {"url": URL},
    }  # fmt: skip


async def test_without_webapp_url(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> None:
    [text] = texts(await harness.send(cast.internal, "/atlathatosag"))
    assert "WEBAPP_URL" in text
    assert tg.menu_buttons == {}  # the commands menu stays
