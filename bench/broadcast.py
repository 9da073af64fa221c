"""Benchmark: one announcement broadcast through the real Application and the outbox worker,
against a fake Bot API that enforces Telegram's flood limits.

    python -m bench.broadcast                      # 1,000 recipients, flood limits on
    python -m bench.broadcast --recipients 3000
    python -m bench.broadcast --memory             # peak memory, 100 vs 10,000 recipients
    python -m bench.broadcast --smoke              # a few seconds: proves the bench works

The floor is what Telegram's limits allow: N messages at 30 a second. The worker's pace comes
from PTB's AIORateLimiter (as in production); the fake answers 429 to anything faster. Memory
is measured with tracemalloc without flood limits or pacing (pacing changes the time, not the
memory), while the fake forgets every message it was sent, so only the bot's memory counts;
``--memory`` measures with CPython's default garbage collection and again with a full
collection every half second, which separates what the bot holds from garbage not yet
collected.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from telegram.request import RequestData

from bot.app import BotApp, build_application
from bot.outbox import Delivery, make_pacer
from bot.services import announcements
from bot.services.announcements import Audience, AudienceGroup, Content
from bot.services.clock import SystemClock
from bot.services.roles import standing_of
from bot.settings import load_settings
from bot.views import announcements as views
from bot.views.split import visible_length
from fakeapi import FakeRequest, FakeTelegram
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Member, MemberKind
from storage.models.announcements import AnnouncementKind, DeliveryState

TOKEN = "123456789:AAE-fake-token-for-the-benchmark-000"
RATE = 30.0  # messages per second, Telegram's overall ceiling for a bot
FIRST_ID = 10_000_000
TEXT = (
    "Tisztelt Tagok! A következő közgyűlés 2026. december 5-én 10:00-kor lesz a klaszter "
    "irodájában. Kérjük, jelezzék részvételüket a /szavazasok alatt."
)


@dataclass
class Result:
    """What one run measured."""

    recipients: int
    seconds: float
    states: dict[str, int]
    flood_hits: int
    peak_bytes: int | None = None

    @property
    def floor(self) -> float:
        return self.recipients / RATE

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else 0.0


class Forgetful(FakeRequest):
    """The fake, forgetting each message once answered: its memory stays out of the bot's."""

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kw: Any
    ) -> tuple[int, bytes]:
        answer = await super().do_request(url, method, request_data, **kw)
        tg = self._tg
        tg.calls.clear()
        tg.messages.clear()
        tg.chat_messages.clear()
        return answer


async def _fill(db: Database, recipients: int) -> int:
    """The author (KSz) and ``recipients`` members with started accounts; returns the author."""
    now = SystemClock().now()
    today = date.today()

    def row(i: int, name: str, **kw: Any) -> dict[str, Any]:
        return {
            "name": name,
            "name_key": name.casefold(),
            "sort_key": f"{i:09d}",
            "organisation": None,
            "kind": MemberKind.INTERNAL,
            "is_founder": False,
            "is_ksz": False,
            "is_st_chair": False,
            "is_active": True,
            "joined_on": today,
            "telegram_id": FIRST_ID + i,
            "created_at": now,
        } | kw

    async with db.unit() as uow:
        await uow.session.execute(
            insert(Member), [row(0, "Menedzser Márta", is_ksz=True, kind=MemberKind.EXTERNAL)]
        )
    for start in range(1, recipients, 2000):
        batch = [row(i, f"Tag {i:06d}") for i in range(start, min(recipients, start + 2000))]
        async with db.unit() as uow:
            await uow.session.execute(insert(Member), batch)
    async with db.unit() as uow:
        author = await uow.members.by_telegram_id(FIRST_ID)
        assert author is not None
        return author.id


async def run(
    recipients: int, *, flood: bool = True, pace: bool = True, memory: bool = False
) -> Result:
    """One broadcast to ``recipients`` members (the author among them), timed."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        tg = FakeTelegram(token=TOKEN, flood_limits=flood, check_results=False)
        for i in range(recipients):
            user = tg.add_user(first_name=f"Tag{i}", id=FIRST_ID + i)
            user.started = True
            tg.private_chat(user)
        settings = load_settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            database_url=url,
            telegram_api_base_url="https://api.telegram.example/bot",
            log_level="WARNING",
        )
        request = Forgetful(tg) if memory else tg.request()
        app: BotApp = build_application(settings, request=request, rate_limiter=pace)
        await app.initialize()
        data = app.bot_data
        data.db.open()
        try:
            author_id = await _fill(data.db, recipients)
            if memory:
                tracemalloc.start()
            started = time.perf_counter()
            async with data.db.unit() as uow:
                author = await uow.members.get(author_id)
                standing = standing_of(author)
                t = data.translations.get(None)
                html = views.message(t, AnnouncementKind.OPERATIONAL, standing.name, TEXT)
                created = await announcements.create(
                    uow,
                    standing,
                    AnnouncementKind.OPERATIONAL,
                    Content(TEXT, html, visible_length(html)),
                    Audience(frozenset({AudienceGroup.ALL})),
                    data.clock.now(),
                )
            await Delivery(
                bot=app.bot,
                db=data.db,
                clock=data.clock,
                translations=data.translations,
                announcement_id=created.id,
                pacer=make_pacer() if pace else make_pacer(rate=1e9, burst=1),
            ).run()
            seconds = time.perf_counter() - started
            peak = None
            if memory:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            async with data.db.unit() as uow:
                counts = (await announcements.report(uow, created.id)).counts
        finally:
            await app.shutdown()
            await data.db.close()
        return Result(
            recipients=recipients,
            seconds=seconds,
            states={
                state.value: counts.get(state, 0) for state in DeliveryState if counts.get(state)
            },
            flood_hits=tg.flood_hits,
            peak_bytes=peak,
        )


def print_speed(result: Result) -> None:
    states = ", ".join(f"{k}={v}" for k, v in result.states.items())
    print(f"recipients:           {result.recipients}")
    print(f"seconds:              {result.seconds:.2f}")
    print(f"floor seconds (N/30): {result.floor:.2f}")
    print(f"ratio to floor:       {result.ratio:.3f}")
    print(f"count by state:       {states}")
    print(f"429 answers:          {result.flood_hits}")


def print_memory(results: Sequence[Result], title: str) -> None:
    print(title)
    for result in results:
        assert result.peak_bytes is not None
        print(
            f"peak memory, {result.recipients:>6} recipients: "
            f"{result.peak_bytes / 1024:,.0f} KiB ({result.seconds:.1f} s unpaced)"
        )
    small, large = results[0], results[-1]
    assert small.peak_bytes and large.peak_bytes
    print(f"memory ratio {large.recipients}/{small.recipients}: "
          f"{large.peak_bytes / small.peak_bytes:.2f}")  # fmt: skip


async def _collect_often() -> None:
    while True:
        await asyncio.sleep(0.5)
        gc.collect()


async def memory(sizes: Sequence[int], *, collect: bool = False) -> list[Result]:
    """Peak memory per audience size, after a warm-up run (translations, SQLAlchemy's statement
    cache and the like are loaded once per process and are not the audience's doing).

    With ``collect``, a full garbage collection runs every half second: what is left then is
    what the bot really holds, apart from cyclic garbage waiting for CPython's (lazy) full
    collection."""
    await run(10, flood=False, pace=False)
    collector = asyncio.create_task(_collect_often()) if collect else None
    try:
        return [await run(n, flood=False, pace=False, memory=True) for n in sizes]
    finally:
        if collector is not None:
            collector.cancel()


async def smoke() -> tuple[Result, list[Result]]:
    """A few seconds: a paced broadcast to 40 under flood limits, memory for 20 vs 60."""
    return await run(40), await memory((20, 60))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=1000, help="audience size (1000)")
    parser.add_argument(
        "--memory", action="store_true", help="peak memory for 100, 1,000 and 10,000"
    )
    parser.add_argument("--smoke", action="store_true", help="a quick run that proves it works")
    args = parser.parse_args(argv)
    if args.smoke:
        speed, sizes = asyncio.run(smoke())
        print_speed(speed)
        print_memory(sizes, "memory (tracemalloc peak):")
        return 0
    if args.memory:
        sizes = (100, 1_000, 10_000)
        print_memory(asyncio.run(memory(sizes)), "memory (tracemalloc peak), default GC:")
        print_memory(
            asyncio.run(memory(sizes, collect=True)),
            "memory (tracemalloc peak), full collection every 0.5 s:",
        )
        return 0
    print_speed(asyncio.run(run(args.recipients)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
