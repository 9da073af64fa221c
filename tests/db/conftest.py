"""Fixtures of the database tests."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest

from storage.db import Database


@pytest.fixture
def trips(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite's thread, by name (SQLite only)."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's driver")
    seen: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen
