"""`klaszterbot run` as a real process, long-polling a Bot API over loopback (the fake's HTTP
server): Hungarian /start and /help, English for an English client, every call to the configured
base URL, none refused, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from fakeapi import FakeTelegram
from fakeapi.http import serve
from tests.e2e.processes import start_bot

TOKEN = "424242424:AAE-fake-token-for-the-process-test-0"


async def _wait_for(predicate, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_run_serves_by_long_polling_and_stops_on_sigterm(tmp_path: Path) -> None:
    tg = FakeTelegram(token=TOKEN, bot_username="klaszter_proc_bot")
    hungarian = tg.add_user(first_name="Anna", last_name="Kovács", language_code="hu")
    english = tg.add_user(first_name="John", last_name="Smith", language_code="en")
    async with serve(tg) as base_url:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
        process = await start_bot(tmp_path, TOKEN, base_url, database_url, log_level="WARNING")
        try:
            await _wait_for(lambda: any(c.method == "getUpdates" for c in tg.calls))
            tg.message(hungarian, "/start")
            tg.message(hungarian, "/help")
            tg.message(english, "/start")

            def sent_to(user):  # type: ignore[no-untyped-def]
                return [m.text for m in tg.outbox(user)]

            await _wait_for(lambda: len(sent_to(hungarian)) == 2 and len(sent_to(english)) == 1)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert "Üdvözöljük a Klaszterbotban" in sent_to(hungarian)[0]
    assert "Elérhető parancsok" in sent_to(hungarian)[1]
    assert "Welcome to Klaszterbot" in sent_to(english)[0]
    # On stop PTB abandons its waiting long poll and asks once more; Telegram then answers the
    # abandoned request 409, which nobody reads. Every other call must have been accepted.
    refused = [(c.method, c.error) for c in tg.calls if not c.ok]
    assert all(m == "getUpdates" and "Conflict" in str(e) for m, e in refused), refused
    assert set(tg.base_urls) == {base_url}
    assert {c.method for c in tg.calls} >= {"getMe", "setMyCommands", "getUpdates", "sendMessage"}


async def test_debug_log_of_the_real_process_holds_no_token(tmp_path: Path) -> None:
    """LOG_LEVEL=DEBUG over real HTTP (httpx, httpcore): neither the bot token nor a /start
    payload reaches the log."""
    tg = FakeTelegram(token=TOKEN, bot_username="klaszter_proc_bot")
    user = tg.add_user(first_name="Anna", last_name="Kovács", language_code="hu")
    payload = "Zx9invitationTokenThatMustNotLeak_42"
    async with serve(tg) as base_url:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
        process = await start_bot(tmp_path, TOKEN, base_url, database_url, log_level="DEBUG")
        try:
            await _wait_for(lambda: any(c.method == "getUpdates" for c in tg.calls))
            tg.message(user, f"/start {payload}")
            await _wait_for(lambda: len(tg.outbox(user)) == 1)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "DEBUG" in log and "bot @klaszter_proc_bot ready" in log
    assert TOKEN not in log and TOKEN.split(":", 1)[1] not in log
    assert payload not in log
