"""SQLite: one `klaszterbot run` per database file; PostgreSQL: no lock."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from fakeapi import FakeTelegram
from fakeapi.http import serve
from storage.single import hold_sqlite, release, sqlite_path
from tests.e2e.processes import start_bot, until

TOKEN = "454545454:AAE-fake-token-for-the-single-test-000"


def test_a_second_holder_is_refused_with_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
    lock = hold_sqlite(url)
    assert lock == tmp_path / "one.db.lock"
    try:
        # flock is per open file: a second open in this process stands for another process
        import fcntl
        import os

        fd = os.open(lock, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
    finally:
        release(lock)
    assert hold_sqlite("postgresql+asyncpg://x@127.0.0.1/db") is None
    assert sqlite_path("sqlite+aiosqlite:///:memory:") is None


async def test_second_bot_process_on_one_sqlite_file_exits(tmp_path: Path) -> None:
    tg = FakeTelegram(token=TOKEN, bot_username="klaszter_single_bot")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    async with serve(tg) as base_url:
        first = await start_bot(tmp_path, TOKEN, base_url, database_url)
        try:
            await until(lambda: bool(tg.calls_to("getUpdates")))
            second = await start_bot(tmp_path, TOKEN, base_url, database_url)
            _, refused = await asyncio.wait_for(second.communicate(), timeout=30)
        finally:
            first.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.communicate(), timeout=30)
    message = refused.decode().strip()
    assert second.returncode == 2
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"klaszterbot: another klaszterbot process (pid {first.pid})")
    assert "PostgreSQL" in message
