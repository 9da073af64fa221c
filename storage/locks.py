"""Work that one process at a time may do, across the replicas sharing a PostgreSQL database.

``exclusive(db, name)`` takes PostgreSQL's session advisory lock on a 64-bit key made from
``name`` (``pg_try_advisory_lock``, on a connection of its own held for the block) and yields
whether this process got it; the lock goes with the block, or with the connection when the
process dies, so a killed replica never leaves work locked. Whoever does not get it skips the
work: another replica is doing it. On SQLite there is one bot process (``storage.single``) and
the block always runs.

A lock keeps two replicas from doing the same thing at the same time; the work itself still
re-checks the database (a closed ballot, a recorded reminder, a claimed slot), so a replica
whose timer fires after another one finished finds nothing left to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (the same in every process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def exclusive(db: Any, name: str) -> AsyncIterator[bool]:
    """Yield True when this process may do the work called ``name`` now (see the module)."""
    if db.dialect != "postgresql":
        yield True
        return
    key = lock_key(name)
    async with db.engine.connect() as conn:
        got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        await conn.commit()  # the lock is the session's, not the transaction's
        try:
            yield got
        finally:
            if got:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()
