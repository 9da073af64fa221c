"""`klaszterbot run` in webhook mode as a real process: it sets its webhook with the secret token
and the same allowed_updates as polling, answers the updates the fake pushes, refuses a post
without the secret, and stops cleanly on SIGTERM without removing the webhook (another replica
may still serve it)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from bot.cli import ALLOWED_UPDATES
from fakeapi import FakeTelegram
from fakeapi.http import serve
from fakeapi.webhook import SECRET_HEADER, pushing
from tests.e2e.processes import free_port, start_bot, until, webhook_env

TOKEN = "424242424:AAE-fake-token-for-the-webhook-test-00"
SECRET = "hook-Secret_42"


async def test_run_in_webhook_mode(tmp_path: Path) -> None:
    tg = FakeTelegram(token=TOKEN, bot_username="klaszter_hook_bot")
    tg.webhook_allow_http = True
    anna = tg.add_user(first_name="Anna", last_name="Kovács", language_code="hu")
    port = free_port()
    env = webhook_env(port, SECRET)
    async with serve(tg) as base_url, pushing(tg) as pusher:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}"
        process = await start_bot(tmp_path, TOKEN, base_url, database_url, **env)
        try:
            await until(lambda: bool(tg.calls_to("setWebhook")))
            tg.message(anna, "/start")
            tg.message(anna, "/help")
            await until(lambda: len(tg.outbox(anna)) == 2)
            async with httpx.AsyncClient() as client:
                forged = await client.post(
                    env["WEBHOOK_URL"], json={"update_id": 1, "message": {}}, timeout=10
                )
                wrong = await client.post(
                    env["WEBHOOK_URL"],
                    json={"update_id": 2},
                    headers={SECRET_HEADER: "not-the-secret"},
                    timeout=10,
                )
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert forged.status_code == wrong.status_code == 403
    texts = [m.text for m in tg.outbox(anna)]
    assert "Üdvözöljük a Klaszterbotban" in texts[0] and "Elérhető parancsok" in texts[1]
    (set_call,) = tg.calls_to("setWebhook")
    assert set_call.ok, set_call.error
    assert set_call.params["url"] == env["WEBHOOK_URL"]
    assert set_call.params["secret_token"] == SECRET
    assert sorted(set_call.params["allowed_updates"]) == sorted(ALLOWED_UPDATES)
    assert not tg.calls_to("getUpdates") and not tg.calls_to("deleteWebhook")
    assert pusher.delivered == {env["WEBHOOK_URL"]: 2} and not tg.pending_updates
    assert SECRET not in log and TOKEN not in log


def test_webhook_mode_needs_a_secret(tmp_path: Path) -> None:
    """WEBHOOK_URL without WEBHOOK_SECRET: one line naming the setting, no start."""
    from bot.settings import SettingsError, load_settings

    settings = load_settings(webhook_url="https://bot.example.hu/telegram")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET is not set"):
        settings.webhook()
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET is invalid"):
        load_settings(webhook_secret="with space")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_LISTEN is invalid"):
        load_settings(webhook_listen="8080")
    hook = load_settings(
        webhook_url="https://bot.example.hu/telegram",
        webhook_listen="127.0.0.1:9000",
        webhook_secret="abc",
    ).webhook()
    assert hook is not None and (hook.host, hook.port, hook.path) == (
        "127.0.0.1",
        9000,
        "/telegram",
    )
