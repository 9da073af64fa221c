"""A ballot and its result survive a real SIGKILL of `klaszterbot run`: after the restart every
member it was meant for gets it, and only a message in flight at the kill can arrive twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translations
from bot.jobs.ballots import queue_ballot
from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.clock import SystemClock
from bot.services.roles import standing_of
from fakeapi import FakeTelegram
from fakeapi.http import serve
from storage.db import Database
from storage.migrate import upgrade
from tests.e2e.processes import seed_crowd, start_bot, until

TOKEN = "434343434:AAE-fake-token-for-the-kill-test-0001"
CROWD = 80


async def _seed(url: str, tg: FakeTelegram, *, overdue: bool) -> None:
    """A KSz author and CROWD voting members who started the bot; a ballot published to all
    (queued, nothing sent yet) or, with ``overdue``, one whose deadline passed while the bot
    was down (the bot closes it at start)."""
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    db.open()
    now = SystemClock().now()
    published_at = now - timedelta(days=4) if overdue else now
    try:
        async with db.unit() as uow:
            await seed_crowd(uow, tg, CROWD, published_at)
        async with db.unit() as uow:
            author = await uow.members.by_name("Tömeg Tag000")
            assert author is not None
            ballot = await ballots.publish(
                uow,
                BallotDraft(
                    question="Túléli a szavazás?", deadline=published_at + timedelta(days=3)
                ),
                standing_of(author),
                published_at,
                yes_no_labels=("Igen", "Nem", "Tartózkodom"),
                abstain_label="Tartózkodom",
            )
            if not overdue:
                data = SimpleNamespace(
                    clock=SystemClock(),
                    translations=Translations("hu", ZoneInfo("Europe/Budapest")),
                )
                assert await queue_ballot(uow, data, ballot) == CROWD + 1
    finally:
        await db.close()


@pytest.mark.parametrize("moment", ["after_publish", "after_close"])
async def test_sigkill_while_a_ballot_or_its_result_goes_out(tmp_path: Path, moment: str) -> None:
    tg = FakeTelegram(token=TOKEN, flood_limits=True, check_results=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    await _seed(url, tg, overdue=moment == "after_close")
    mark = "eredménye" if moment == "after_close" else "Túléli a szavazás?"

    def delivered() -> Counter[int]:
        return Counter(
            int(c.params["chat_id"])
            for c in tg.calls
            if c.ok and c.method == "sendMessage" and mark in str(c.params.get("text", ""))
        )

    expected = CROWD + 1  # the author votes too
    async with serve(tg) as base_url:

        async def start() -> asyncio.subprocess.Process:
            return await start_bot(tmp_path, TOKEN, base_url, url)

        first = await start()
        try:
            await until(lambda: sum(delivered().values()) >= 25)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = sum(delivered().values())
        assert at_kill < expected, "everything went out before the kill"
        second = await start()
        try:
            await until(lambda: len(delivered()) == expected)
            await asyncio.sleep(0.5)  # nothing more arrives
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
    assert "Traceback" not in stderr.decode(), stderr.decode()
    counts = delivered()
    assert len(counts) == expected
    doubles = [chat for chat, n in counts.items() if n > 1]
    assert all(n <= 2 for n in counts.values())
    assert len(doubles) <= 2, doubles
    print(f"\n{moment}: killed after {at_kill} deliveries; delivered twice: {len(doubles)}")
