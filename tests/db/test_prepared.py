"""A prepared statement does what SQLAlchemy's execution does, on SQLite without it
(``storage.prepared``); wherever the shortcut could differ, it is SQLAlchemy's execution."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, StatementError

from storage.db import Database
from storage.models.base import _enum
from storage.models.routing import DeliveryStatus
from storage.prepared import Prepared
from storage.repositories.base import execute_last
from storage.types import UTCDateTime

_META = MetaData()
PROBE = Table(
    "prepared_probe",
    _META,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
    Column("status", _enum(DeliveryStatus, "probe_status")),
    Column("flag", Boolean),
    Column("label", String(50)),
    Column("n", Integer, default=5),  # a Python-side default: SQLAlchemy's execution only
)
INSERT = insert(PROBE).returning(PROBE.c.id, PROBE.c.at, PROBE.c.status, PROBE.c.flag)
UPDATE = (
    update(PROBE)
    .where(PROBE.c.id == bindparam("probe"))
    .values(status=bindparam("status"), at=bindparam("at"), label=PROBE.c.label + "!")
    .returning(PROBE.c.label, PROBE.c.status, PROBE.c.at)
)
WHEN = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)


def _row(probe: int, **values: Any) -> dict[str, Any]:
    row = {"id": probe, "at": WHEN, "status": DeliveryStatus.PENDING, "flag": True, "n": 1}
    return row | {"label": f"próba {probe}"} | values


@pytest.fixture
async def probe(db: Database) -> AsyncIterator[Database]:
    async with db.engine.begin() as connection:
        await connection.run_sync(_META.create_all)
    try:
        yield db
    finally:
        async with db.engine.begin() as connection:
            await connection.run_sync(_META.drop_all)


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements SQLAlchemy's own execution ran (``Connection.execute``)."""
    seen: list[str] = []
    real = Connection.execute

    def counted(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(statement).split()[0])
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", counted)
    return seen


async def _stored(db: Database) -> list[tuple[Any, ...]]:
    async with db.read() as uow:
        columns = (PROBE.c.id, PROBE.c.at, PROBE.c.status, PROBE.c.flag, PROBE.c.label, PROBE.c.n)
        query = select(*columns).order_by(PROBE.c.id)
        return [tuple(r) for r in (await uow.session.execute(query)).all()]


async def test_it_writes_and_returns_what_sqlalchemy_does(
    probe: Database, executions: list[str]
) -> None:
    """The same rows, the same returned values (a datetime, an enum and a boolean processed
    both ways), the same rowcount; on SQLite not one statement through SQLAlchemy."""
    db, prepared_insert, prepared_update = probe, Prepared(INSERT), Prepared(UPDATE)
    later = {"status": DeliveryStatus.DELIVERED, "at": datetime(2026, 11, 28, 9, 0, tzinfo=UTC)}
    async with db.unit() as uow:
        mine = (await prepared_insert.run(uow.session, _row(1))).all()
        theirs = (await uow.session.execute(INSERT, _row(2))).all()
        assert [tuple(r)[1:] for r in mine] == [tuple(r)[1:] for r in theirs]
        assert tuple(mine[0]) == (1, WHEN, DeliveryStatus.PENDING, True)
        assert type(mine[0][2]) is DeliveryStatus and mine[0][3] is True  # not 'pending', 1
        changed = await prepared_update.run(uow.session, {"probe": 1, **later})
        assert changed.all() == [("próba 1!", DeliveryStatus.DELIVERED, later["at"])]
        assert changed.rowcount == 1
        await uow.session.execute(UPDATE, {"probe": 2, **later})
        nothing = await prepared_update.run(uow.session, {"probe": 99, **later})
        assert (nothing.all(), nothing.scalar()) == ([], None)
    stored = await _stored(db)
    assert [r[1:4] for r in stored] == [(later["at"], DeliveryStatus.DELIVERED, True)] * 2
    assert [r[4] for r in stored] == ["próba 1!", "próba 2!"]
    if db.dialect == "sqlite":
        assert executions == ["INSERT", "UPDATE", "SELECT"], executions
    else:  # PostgreSQL: SQLAlchemy's execution, as before
        assert executions == ["INSERT", "INSERT", "UPDATE", "UPDATE", "UPDATE", "SELECT"]


async def test_a_unit_of_statements_is_still_one_trip_with_its_begin_and_commit(
    probe: Database, trips: list[str]
) -> None:
    """``execute_last`` with a prepared statement: BEGIN, the statement and COMMIT go to
    aiosqlite's thread together, and what the unit wrote before commits with it."""
    db = probe
    async with db.unit() as uow:  # the connection and its pragmas are behind us
        await uow.session.execute(insert(PROBE), _row(1))
    trips.clear()
    async with db.statements() as connection:
        await execute_last(connection, Prepared(insert(PROBE)), [_row(2)])
    assert trips == ["_run"]
    trips.clear()
    async with db.statements() as connection:
        await Prepared(UPDATE).run(connection, {"probe": 1, "status": "failed", "at": WHEN})
        await execute_last(connection, Prepared(insert(PROBE)), _row(3))
    assert trips == ["_run", "_run"]
    assert [(r[0], r[2]) for r in await _stored(db)] == [
        (1, DeliveryStatus.FAILED), (2, DeliveryStatus.PENDING), (3, DeliveryStatus.PENDING),
    ]  # fmt: skip


async def test_where_only_sqlalchemy_does_it_right_it_is_sqlalchemy(probe: Database) -> None:
    """A Python-side default, several parameter sets, a listener of the cursor's statements,
    a value its type refuses and a missing value (both refused before anything is sent), a
    connection with no transaction begun: each as SQLAlchemy's own execution does it."""
    db, prepared_insert = probe, Prepared(insert(PROBE).returning(PROBE.c.id))
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split()[0])

    async with db.unit() as uow:
        without_n = {k: v for k, v in _row(1).items() if k != "n"}
        assert (await prepared_insert.run(uow.session, without_n)).scalar() == 1
        many = await prepared_insert.run(uow.session, [_row(2), _row(3)])
        assert [tuple(r) for r in many.all()] == [(2,), (3,)]
        event.listen(db.engine.sync_engine, "before_cursor_execute", note)
        try:
            await Prepared(UPDATE).run(uow.session, {"probe": 2, "status": "failed", "at": WHEN})
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", note)
        assert seen == ["UPDATE"]
        with pytest.raises(StatementError, match="not among the defined enum values"):
            await Prepared(UPDATE).run(uow.session, {"probe": 3, "status": "lost", "at": WHEN})
        with pytest.raises(StatementError, match="A value is required for bind parameter 'at'"):
            await Prepared(UPDATE).run(uow.session, {"probe": 3, "status": "failed"})
    async with db.engine.connect() as connection:  # no transaction yet: SQLAlchemy begins one
        await prepared_insert.run(connection, _row(4))
        assert connection.in_transaction()
    # never committed, so rolled back when the connection went back to the pool
    stored = [(r[0], r[2], r[5]) for r in await _stored(db)]
    assert stored == [
        (1, DeliveryStatus.PENDING, 5),  # the column's default was written
        (2, DeliveryStatus.FAILED, 1),
        (3, DeliveryStatus.PENDING, 1),  # the refused value was not
    ]


async def test_a_database_error_is_sqlalchemys_and_undoes_the_unit(probe: Database) -> None:
    db, prepared_insert = probe, Prepared(insert(PROBE).returning(PROBE.c.id))
    async with db.unit() as uow:
        await prepared_insert.run(uow.session, _row(1))

    async def update_then_insert_again() -> None:
        async with db.unit() as uow:
            await Prepared(UPDATE).run(uow.session, {"probe": 1, "status": "failed", "at": WHEN})
            await prepared_insert.run(uow.session, _row(1))  # the same primary key

    with pytest.raises(IntegrityError):
        await update_then_insert_again()
    assert [(r[0], r[2]) for r in await _stored(db)] == [(1, DeliveryStatus.PENDING)]
    async with db.unit() as uow:  # the connection still works
        assert (await prepared_insert.run(uow.session, _row(2))).scalar() == 2
