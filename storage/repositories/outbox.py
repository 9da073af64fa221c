"""Queries of the outbox (set-based: a batch of 10,000 never becomes 10,000 objects at once).
Like every repository, it never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    Table,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    update,
)

from storage.models.outbox import OutboxFile, OutboxMessage, OutboxState
from storage.repositories.base import Repository

M = OutboxMessage
#: PostgreSQL's catalog views the orphan check reads.
_PG_LOCKS = table(
    "pg_locks",
    column("locktype", String),
    column("database", BigInteger),
    column("classid", BigInteger),
    column("objid", BigInteger),
    column("objsubid", Integer),
    column("granted", Boolean),
)
_PG_DATABASE = table("pg_database", column("oid", BigInteger), column("datname", String))


class OutboxRepository(Repository):
    """Queue, claim and record outbox rows."""

    async def add(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert rows (dicts of column values); a row whose ``(batch, chat_id)`` exists is
        skipped, so queuing the same delivery twice sends it once. Returns how many were new.
        ``rows`` is read 200 at a time: a generator of 10,000 rows never has them all in memory."""
        # executemany of one compiled statement (SQLAlchemy batches it as "insertmanyvalues"):
        # a VALUES list of 500 dicts took half a second to compile, holding the event loop.
        # Core, not the ORM's bulk path; 200 rows a statement keeps each synchronous step short.
        table = cast(Table, M.__table__)
        statement = (
            self.insert(table)
            .on_conflict_do_nothing(index_elements=["batch", "chat_id"])
            .returning(table.c.id)
        )
        added = 0
        source = iter(rows)
        while part := list(islice(source, 200)):
            result = await self.session.execute(statement, part)
            added += len(result.all())
        return added

    async def claim(self, limit: int, now: datetime, owner: int = 0) -> list[OutboxMessage]:
        """Mark up to ``limit`` due queued rows ``sending`` (oldest first) and return them.
        On PostgreSQL rows another replica is claiming right now are skipped (``FOR UPDATE
        SKIP LOCKED``), so replicas draining the outbox together neither wait for each other
        nor take the same row (SQLite ignores the clause: one process, one writer)."""
        due = (
            select(M.id)
            .where(M.state == OutboxState.QUEUED, M.not_before <= now)
            .order_by(M.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        # A CTE, not "id IN (subquery)": PostgreSQL may run a locking subquery under IN more
        # than once and then update more than ``limit`` rows.
        ids = list(
            (
                await self.session.execute(
                    update(M)
                    .add_cte(due)
                    .where(M.id == due.c.id, M.state == OutboxState.QUEUED)
                    .values(
                        state=OutboxState.SENDING,
                        attempts=M.attempts + 1,
                        updated_at=now,
                        claimed_by=owner or None,
                    )
                    .returning(M.id)
                    .execution_options(synchronize_session=False)
                )
            ).scalars()
        )
        if not ids:
            return []
        rows = await self.session.scalars(select(M).where(M.id.in_(ids)).order_by(M.id))
        return list(rows)

    async def record(
        self,
        row_id: int,
        state: OutboxState,
        now: datetime,
        *,
        error: str | None = None,
        message_id: int | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Store the outcome of one send (``QUEUED`` with ``not_before``: try again then)."""
        values: dict[str, Any] = {
            "state": state,
            "error": error[:200] if error else None,
            "message_id": message_id,
            "updated_at": now,
        }
        if not_before is not None:
            values["not_before"] = not_before
        await self.session.execute(
            update(M)
            .where(M.id == row_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def requeue_orphans(self) -> int:
        """PostgreSQL: rows ``sending`` whose replica is gone (nobody holds the advisory lock
        of their ``claimed_by``, ``storage.replica``) go back to the queue; another replica's
        rows in flight stay."""
        this_database = (
            select(_PG_DATABASE.c.oid)
            .where(_PG_DATABASE.c.datname == func.current_database())
            .scalar_subquery()
        )
        high = _PG_LOCKS.c.classid.cast(BigInteger).op("<<")(literal_column("32"))
        key = high.op("|")(_PG_LOCKS.c.objid.cast(BigInteger))
        alive = (
            select(literal(1))
            .select_from(_PG_LOCKS)
            .where(
                _PG_LOCKS.c.locktype == "advisory",
                _PG_LOCKS.c.objsubid == 1,
                _PG_LOCKS.c.granted.is_(True),
                _PG_LOCKS.c.database == this_database,
                key == M.claimed_by,
            )
            .exists()
        )
        result = await self.session.execute(
            update(M)
            .where(M.state == OutboxState.SENDING, or_(M.claimed_by.is_(None), ~alive))
            .values(state=OutboxState.QUEUED)
            .execution_options(synchronize_session=False)
        )
        return max(getattr(result, "rowcount", 0) or 0, 0)

    async def requeue_sending(self, ids: Sequence[int] | None = None) -> int:
        """Rows left ``sending`` (a hard kill, or a stop before the send) go back to the queue."""
        statement = update(M).where(M.state == OutboxState.SENDING)
        if ids is not None:
            if not ids:
                return 0
            statement = statement.where(M.id.in_(list(ids)))
        result = await self.session.execute(
            statement.values(state=OutboxState.QUEUED).execution_options(synchronize_session=False)
        )
        return max(getattr(result, "rowcount", 0) or 0, 0)

    async def next_due(self) -> datetime | None:
        """When the earliest queued row may go."""
        return await self.session.scalar(
            select(func.min(M.not_before)).where(M.state == OutboxState.QUEUED)
        )

    async def depth(self) -> int:
        """Rows queued or being sent (the metrics' outbox depth)."""
        waiting = [OutboxState.QUEUED, OutboxState.SENDING]
        return int(
            await self.session.scalar(
                select(func.count()).select_from(M).where(M.state.in_(waiting))
            )
            or 0
        )

    async def counts(self, batch: str) -> dict[OutboxState, int]:
        """How many rows of a batch are in each state."""
        rows = await self.session.execute(
            select(M.state, func.count()).where(M.batch == batch).group_by(M.state)
        )
        return {OutboxState(state): int(n) for state, n in rows.all()}

    async def exists(self, batch: str) -> bool:
        """Whether anything was queued for ``batch``."""
        return (
            await self.session.scalar(select(M.id).where(M.batch == batch).limit(1))
        ) is not None

    async def add_file(
        self, key: str, content: bytes, now: datetime, *, filename: str | None = None
    ) -> None:
        """Keep a picture (or, with a ``filename``, a document) for queued messages (the first
        one stored under a key stays)."""
        if await self.session.get(OutboxFile, key) is None:
            self.session.add(
                OutboxFile(key=key, content=content, filename=filename, created_at=now)
            )
            await self.session.flush()

    async def file(self, key: str) -> OutboxFile | None:
        return await self.session.get(OutboxFile, key)

    async def set_file_id(self, key: str, file_id: str) -> None:
        await self.session.execute(
            update(OutboxFile)
            .where(OutboxFile.key == key, OutboxFile.file_id.is_(None))
            .values(file_id=file_id)
        )
