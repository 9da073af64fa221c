"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL) per session,
emptied after every test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.services.clock import FakeClock
from storage.db import Database
from storage.migrate import drop_everything, upgrade
from storage.models import Base

START = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # 14:30 in Budapest


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for the whole run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        asyncio.run(drop_everything(url))
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test database, open; every table is emptied afterwards."""
    database = Database(database_url)
    database.open()
    try:
        yield database
    finally:
        async with database.engine.begin() as conn:
            existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    await conn.execute(table.delete())
                await conn.execute(
                    text("DELETE FROM sqlite_sequence")
                ) if "sqlite_sequence" in existing else None
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock stopped at 2026-11-27 14:30 Budapest time."""
    return FakeClock(START)
