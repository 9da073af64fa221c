"""SQLite statements make one trip to aiosqlite's thread (``storage.sqlite_driver``)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, ProgrammingError, StatementError

from storage.db import Database
from storage.models import ClusterSetting
from storage.repositories.base import execute_last


async def test_a_select_and_an_update_are_one_trip_each(db: Database, trips: list[str]) -> None:
    async with db.unit() as uow:
        await uow.cluster.put("probe", 1)
        await uow.flush()  # the connection, its pragmas and BEGIN IMMEDIATE are behind us
        trips.clear()
        assert await uow.session.scalar(select(func.count()).select_from(ClusterSetting)) == 1
        assert trips == ["_run"]
        await uow.session.execute(ClusterSetting.__table__.update().values(value=2))
        assert trips == ["_run", "_run"]


async def test_rows_rowcount_and_errors_come_back_as_before(db: Database, trips: list[str]) -> None:
    async with db.unit() as uow:
        for key in ("alfa", "béta"):
            uow.session.add(ClusterSetting(key=key, value=[key]))
        await uow.flush()
        rows = (await uow.session.execute(select(ClusterSetting.key, ClusterSetting.value))).all()
        assert sorted(tuple(r) for r in rows) == [("alfa", ["alfa"]), ("béta", ["béta"])]
        changed = await uow.session.execute(ClusterSetting.__table__.update().values(value=0))
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        async with db.unit() as uow:
            uow.session.add(ClusterSetting(key="alfa", value=1))
    async with db.read() as uow:  # the failed unit rolled back; the connection still works
        assert await uow.session.scalar(select(func.count()).select_from(ClusterSetting)) == 2


async def test_begin_goes_with_the_first_statement_and_still_locks(
    db: Database, trips: list[str]
) -> None:
    """A unit's BEGIN IMMEDIATE rides with its first statement, yet the write lock is taken
    before that statement runs; a commit or rollback with no transaction open is no trip."""
    async with db.unit() as uow:
        await uow.cluster.put("probe", 1)
    trips.clear()
    path = db.engine.url.database
    assert path is not None
    async with db.unit() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ClusterSetting)) == 1
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # the unit holds the write lock already
        finally:
            other.close()
        await uow.session.execute(ClusterSetting.__table__.update().values(value=2))
    assert trips == ["_run", "_run", "commit"]  # no BEGIN of its own, no pool rollback
    trips.clear()
    async with db.read() as uow:
        assert await uow.session.scalar(select(ClusterSetting.value)) == 2
    assert trips == ["_run", "rollback"]
    trips.clear()
    async with db.unit():
        pass
    assert trips == []


async def test_the_last_statement_of_a_unit_of_statements_takes_the_commit_along(
    db: Database, trips: list[str]
) -> None:
    """``execute_last``: BEGIN, the statement and COMMIT are one trip, and the block's own
    commit none. What the unit wrote before it commits with it; a statement after it is
    refused (it would run outside the transaction); a failing one commits nothing."""
    table = ClusterSetting.__table__
    async with db.statements() as statements:
        await statements.execute(table.insert().values(key="első", value=1))
        trips.clear()
        await execute_last(statements, table.insert(), [{"key": "második", "value": 2}])
        assert trips == ["_run"]
    assert trips == ["_run"]

    async def one_too_many() -> None:
        async with db.statements() as statements:
            await execute_last(statements, table.insert(), [{"key": "harmadik", "value": 3}])
            await statements.execute(table.insert().values(key="negyedik", value=4))

    async def failing() -> None:  # the first row goes in, the second fails: neither stays
        async with db.statements() as statements:
            await statements.execute(table.update().values(value=0))
            rows = [{"key": "ötödik", "value": 5}, {"key": "első", "value": 6}]
            await execute_last(statements, table.insert(), rows)

    async def refused_before_sent() -> None:  # the flag goes with the failed call
        async with db.statements() as statements:
            with pytest.raises(StatementError):
                await execute_last(statements, table.insert(), [{"key": "hatodik"}])
            await statements.execute(table.insert().values(key="hetedik", value=7))
            raise LookupError

    with pytest.raises(ProgrammingError, match="after the transaction's last"):
        await one_too_many()
    with pytest.raises(IntegrityError):
        await failing()
    with pytest.raises(LookupError):
        await refused_before_sent()
    async with db.read() as uow:
        rows = (await uow.session.execute(select(ClusterSetting.key, ClusterSetting.value))).all()
    assert sorted(tuple(r) for r in rows) == [("első", 1), ("harmadik", 3), ("második", 2)]
    async with db.statements() as statements:  # the connections are fit for the next unit
        await statements.execute(table.delete().where(table.c.key == "harmadik"))
    async with db.read() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ClusterSetting)) == 2

    trips.clear()
    async with db.statements() as statements:  # within a savepoint, or RETURNING several rows:
        async with statements.begin_nested():  # an ordinary statement
            await execute_last(statements, table.update().values(value=1))
        returned = table.insert().returning(table.c.key)
        await execute_last(
            statements, returned, [{"key": "x", "value": 0}, {"key": "y", "value": 0}]
        )
        await statements.execute(table.delete().where(table.c.key.in_(["x", "y"])))
    assert trips[-1] == "commit"


async def test_a_streamed_first_statement_is_inside_the_transaction(db: Database) -> None:
    """A server-side cursor (the stock one) first in a unit sends the BEGIN itself: what the
    unit writes after it commits, and a failure after it rolls everything back."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's driver")
    async with db.unit() as uow:
        assert [k async for k in await uow.session.stream_scalars(select(ClusterSetting.key))] == []
        await uow.cluster.put("kept", 1)

    async def failing() -> None:
        async with db.unit() as uow:
            _ = [k async for k in await uow.session.stream_scalars(select(ClusterSetting.key))]
            await uow.cluster.put("lost", 1)
            await uow.flush()
            uow.session.add(ClusterSetting(key="kept", value=2))

    with pytest.raises(IntegrityError):
        await failing()
    async with db.read() as uow:
        rows = (await uow.session.execute(select(ClusterSetting.key, ClusterSetting.value))).all()
    assert [tuple(r) for r in rows] == [("kept", 1)]


async def test_units_take_the_connection_returned_last(db: Database) -> None:
    """With two idle connections in the pool, one unit after another gets the one returned
    last (its page cache holds what the last unit wrote), not the two in turn."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's pool")
    async with db.engine.connect(), db.engine.connect():
        assert db.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
    used = []
    for value in range(4):
        async with db.unit() as uow:
            await uow.cluster.put("probe", value)
            connection = await uow.session.connection()
            used.append(id((await connection.get_raw_connection()).driver_connection))
    assert len(set(used)) == 1
