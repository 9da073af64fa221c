"""The loopback HTTP server: a real PTB Application long-polls it, uploads and downloads."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from telegram import Bot, InputFile, Update
from telegram.error import EndPointNotFound, InvalidToken
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from fakeapi import FakeTelegram, serve


async def _until(condition: object, seconds: float = 5.0) -> None:
    """Wait until condition() is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_application_long_polls_over_http(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"<b>Üdv</b>, {context.args}")

    user = tg.add_user("Anna")
    async with serve(tg) as url:
        app = (
            ApplicationBuilder()
            .token(tg.token)
            .base_url(url)
            .base_file_url(url.replace("/bot", "/file/bot"))
            .build()
        )
        app.add_handler(CommandHandler("start", start))
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=2)
            await app.start()
            tg.message(user, "/start hello")
            await _until(lambda: tg.outbox(user))
            await app.updater.stop()
            await app.stop()
    [answer] = tg.outbox(user)
    assert answer.text == "Üdv, ['hello']" and answer.html == "<b>Üdv</b>, ['hello']"
    assert tg.base_urls[0] == url
    assert all(c.ok for c in tg.calls if c.method != "getUpdates")


async def test_uploads_downloads_and_errors_over_http(tg: FakeTelegram) -> None:
    user = tg.add_user("Béla")
    tg.message(user, "/start")
    csv = "név;szervezet\nBéla;Béta Zrt.\n".encode()
    async with serve(tg) as url:
        files = url.replace("/bot", "/file/bot")
        async with Bot(tg.token, base_url=url, base_file_url=files) as bot:
            sent = await bot.send_document(
                user.id, InputFile(io.BytesIO(csv), filename="tagok.csv")
            )
            assert tg.last_sent(user).document_bytes == csv
            assert sent.document is not None
            file = await bot.get_file(sent.document.file_id)
            assert bytes(await file.download_as_bytearray()) == csv
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")
        with pytest.raises(InvalidToken):
            await Bot("42:WRONG-token-for-the-fake-api-000000000", base_url=url).initialize()
        async with httpx.AsyncClient() as client:
            reply = await client.post(
                f"{url}{tg.token}/sendMessage",
                json={"chat_id": user.id, "text": "JSON törzs", "disable_notification": True},
            )
            assert reply.json()["result"]["text"] == "JSON törzs"
            reply = await client.get(f"{url}{tg.token}/getMe")
            assert reply.json()["result"]["username"] == "klaszter_test_bot"
