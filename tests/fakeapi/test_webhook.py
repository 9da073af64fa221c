"""The fake's webhook: setWebhook validated as Telegram does, updates pushed with the secret
header, spread over several targets, retried when a target fails, one chat at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import Bot
from telegram.error import BadRequest

from fakeapi import FakeTelegram
from fakeapi.webhook import SECRET_HEADER, chat_key, pushing
from tests.e2e.processes import until
from tests.fakeapi.conftest import said


async def test_set_webhook_is_validated_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=said("An HTTPS URL must be provided")):
        await bot.set_webhook("http://127.0.0.1:8080/hook")
    with pytest.raises(BadRequest, match=said("only on ports 80, 88, 443 or 8443")):
        await bot.set_webhook("https://bot.example.hu:9000/hook")
    with pytest.raises(BadRequest, match=said("secret token contains unallowed characters")):
        await bot.set_webhook("https://bot.example.hu/hook", secret_token="no spaces")
    with pytest.raises(BadRequest, match=said("secret token contains unallowed characters")):
        await bot.set_webhook("https://bot.example.hu/hook", secret_token="x" * 257)
    tg.webhook_allow_http = True
    with pytest.raises(BadRequest, match=said("An HTTPS URL must be provided")):
        await bot.set_webhook("http://bot.example.hu/hook")  # only loopback may be plain http
    assert await bot.set_webhook(
        "http://127.0.0.1:8080/hook", secret_token="A-z_09", allowed_updates=["message"]
    )
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:8080/hook" and info.allowed_updates == ("message",)
    assert tg.webhook_targets == {"http://127.0.0.1:8080/hook": "A-z_09"}
    await bot.delete_webhook()
    assert tg.webhook_targets == {} and (await bot.get_webhook_info()).url == ""


@asynccontextmanager
async def receiver(status: int = 200) -> AsyncIterator[tuple[str, list[tuple[dict, dict]]]]:
    """A loopback HTTP endpoint recording (headers, update) of every POST."""
    got: list[tuple[dict, dict]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            if not line.strip():
                break
            headers = {}
            while (raw := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = raw.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            got.append((headers, json.loads(body)))
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", got
    finally:
        server.close()


async def test_updates_are_pushed_with_the_secret_and_spread(tg: FakeTelegram, bot: Bot) -> None:
    tg.webhook_allow_http = tg.webhook_spread = True
    users = [tg.add_user(first_name=f"U{i}") for i in range(6)]
    async with receiver() as (one, got_one), receiver() as (two, got_two), pushing(tg) as pusher:
        await bot.set_webhook(one, secret_token="s3cret")
        await bot.set_webhook(two, secret_token="s3cret")
        for user in users:
            tg.message(user, "szia")
        await until(lambda: sum(pusher.delivered.values()) == 6, 10)
    assert len(got_one) == len(got_two) == 3
    assert all(h[SECRET_HEADER.lower()] == "s3cret" for h, _ in got_one + got_two)
    assert sorted(u["message"]["from"]["id"] for _, u in got_one + got_two) == [u.id for u in users]
    assert pusher.delivered == {one: 3, two: 3} and not tg.pending_updates


async def test_a_failing_target_is_retried_on_another(tg: FakeTelegram, bot: Bot) -> None:
    tg.webhook_allow_http = tg.webhook_spread = True
    anna = tg.add_user(first_name="Anna")
    async with receiver(500) as (bad, _), receiver() as (good, got), pushing(tg) as pusher:
        await bot.set_webhook(bad)
        await bot.set_webhook(good)
        for n in range(4):
            tg.message(anna, f"üzenet {n}")
        await until(lambda: sum(pusher.delivered.values()) == 4, 10)
        info = await bot.get_webhook_info()
    # One chat: one at a time and in order, whatever failed in between.
    assert [u["message"]["text"] for _, u in got] == [f"üzenet {n}" for n in range(4)]
    assert pusher.failures >= 1 and "500" in str(info.last_error_message)


def test_chat_key() -> None:
    assert chat_key({"update_id": 1, "message": {"chat": {"id": 5}, "from": {"id": 7}}}) == 5
    assert (
        chat_key(
            {"update_id": 1, "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": 9}}}}
        )
        == 9
    )
    assert chat_key({"update_id": 1, "my_chat_member": {"chat": {"id": -3}}}) == -3
