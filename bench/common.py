"""What the benchmarks share: a bot on a fresh database against the fake, bulk members."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.app import BotApp, build_application, running
from bot.services.clock import SystemClock
from bot.settings import load_settings
from fakeapi import FakeTelegram
from storage.db import Database
from storage.migrate import drop_everything, upgrade
from storage.models import Member, MemberKind

TOKEN = "123456789:AAE-fake-token-for-the-benchmark-000"
FIRST_ID = 20_000_000
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/bench")


@dataclass
class Timing:
    """Latencies of one kind of update."""

    samples: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def per_second(self) -> float:
        return len(self.samples) / sum(self.samples)


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database URL: a temp SQLite file, or the benchmark PostgreSQL."""
    if kind == "postgresql":
        await drop_everything(PG_URL)
        await asyncio.to_thread(upgrade, PG_URL)
        yield PG_URL
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url


async def postgres_available() -> bool:
    """Whether the benchmark PostgreSQL answers (its database is created if missing)."""
    import asyncpg

    try:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'bench'")
        if not exists:
            await conn.execute("CREATE DATABASE bench")
    finally:
        await conn.close()
    return True


@asynccontextmanager
async def running_bot(
    url: str, tg: FakeTelegram, base_url: str | None = None
) -> AsyncIterator[BotApp]:
    """The real application on ``url`` talking to ``tg`` (over HTTP when ``base_url`` is given),
    without the rate limiter's pacing."""
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        group_update_seconds=0,
        **({"telegram_api_base_url": base_url} if base_url else {}),
    )
    if base_url:
        app = build_application(settings, rate_limiter=False)
    else:
        app = build_application(
            settings, request=tg.request(), updates_request=tg.request(), rate_limiter=False
        )
    async with running(app):
        yield app


def member_row(i: int, **kw: Any) -> dict[str, Any]:
    """A bulk-insert row for member number ``i``, bound to Telegram id FIRST_ID + i."""
    name = kw.pop("name", f"Tag {i:06d}")
    return {
        "name": name,
        "name_key": name.casefold(),
        "sort_key": f"{i:09d}",
        "organisation": f"Szervezet {i % 500} Kft.",
        "kind": MemberKind.INTERNAL,
        "is_founder": False,
        "is_ksz": False,
        "is_st_chair": False,
        "is_active": True,
        "joined_on": date(2026, 1, 1),
        "telegram_id": FIRST_ID + i,
        "created_at": SystemClock().now(),
    } | kw


async def fill_members(db: Database, count: int, first: int = 1) -> None:
    """``count`` internal members (with the vote), in batches."""
    for start in range(first, first + count, 5000):
        batch = [member_row(i) for i in range(start, min(first + count, start + 5000))]
        async with db.unit() as uow:
            await uow.session.execute(insert(Member), batch)


def positive(text: str) -> int:
    """An ``argparse`` type: a whole number of 1 or more (a count of rounds, units, ...)."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def rss_mib() -> float:
    """Resident memory of this process, from /proc."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def make_plan(app: Any, tasks: int = 20) -> None:
    """A draft work plan of ``tasks`` tasks, for the digest benchmarks."""
    data = app.bot_data
    now = data.clock.now()
    await plan_in(data.db, now, now.astimezone(data.settings.tz).date(), tasks)


async def plan_in(db: Database, now: datetime, today: date, tasks: int = 20) -> None:
    """``make_plan`` on a database with no bot around (the bot runs in another process)."""
    from datetime import timedelta

    from bot.services import workplan
    from bot.services.identity import CLI_ACTOR

    async with db.unit() as uow:
        plan = await workplan.create_plan(uow, "2027", "Munkaterv 2027", CLI_ACTOR, now)
        specs = [
            workplan.TaskSpec(f"Feladat {i}", None, today + timedelta(days=10 + i))
            for i in range(tasks)
        ]
        await workplan.add_tasks(uow, plan, specs, CLI_ACTOR, now)
