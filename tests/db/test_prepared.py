"""A prepared statement does what SQLAlchemy's execution does, on SQLite without it
(``storage.prepared``); wherever the shortcut could differ, it is SQLAlchemy's execution."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

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
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from storage.db import Database
from storage.models import ClusterSetting
from storage.models.base import _enum
from storage.models.routing import DeliveryStatus
from storage.prepared import Prepared, Returned
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
#: A table whose column SQLAlchemy sets at every UPDATE (``onupdate``): SQLAlchemy's execution.
TOUCHED = Table(
    "prepared_touched",
    _META,
    Column("id", Integer, primary_key=True),
    Column("label", String(50)),
    Column("changed", Integer, onupdate=7),
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


async def test_a_lost_connection_is_sqlalchemys_error_and_leaves_the_pool(probe: Database) -> None:
    """The driver's connection gone under a unit: SQLAlchemy's ``OperationalError``, the
    connection invalidated (not handed out again), and the next unit works."""
    if probe.dialect != "sqlite":
        pytest.skip("SQLite's driver")

    async def lose_the_connection() -> None:
        async with probe.statements() as connection:
            await Prepared(insert(PROBE)).run(connection, _row(1))
            await connection.sync_connection.connection.dbapi_connection._connection.close()
            await Prepared(insert(PROBE)).run(connection, _row(2))

    with pytest.raises(OperationalError, match="no active connection") as lost:
        await lose_the_connection()
    assert lost.value.connection_invalidated
    async with probe.unit() as uow:
        await Prepared(insert(PROBE)).run(uow.session, _row(3))
    assert [r[0] for r in await _stored(probe)] == [3]


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


# --- the same both ways ---------------------------------------------------------------------

Run = Callable[[Any, Any], Awaitable[Returned]]
LATER = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ON_ONE = update(PROBE).where(PROBE.c.id == bindparam("probe"))


async def _two_key_sets(run: Run) -> Any:
    """One statement with two sets of parameter names: a form each."""
    statement = insert(PROBE).returning(PROBE.c.id, PROBE.c.label, PROBE.c.n)
    first = (await run(statement, _row(3))).all()
    return first, (await run(statement, {k: v for k, v in _row(4).items() if k != "label"})).all()


async def _twice(run: Run, statement: Any) -> Any:
    return (await run(statement, {"probe": 1})).all(), (await run(statement, {"probe": 2})).all()


async def _onupdate(run: Run) -> Any:
    await run(insert(TOUCHED), {"id": 1, "label": "egy"})
    return (await run(update(TOUCHED).values(label="kettő"), {})).rowcount


#: name: (what it runs, whether the shortcut takes it).
CASES: dict[str, tuple[Callable[[Run], Awaitable[Any]], bool]] = {
    "a value under the compiled name of a bind": (
        lambda run: run(update(PROBE).where(PROBE.c.id == 1).values(label="név"), {"id_1": 2}),
        True,
    ),
    "a datetime of the statement's own": (
        lambda run: run(ON_ONE.values(at=LATER).returning(PROBE.c.at), {"probe": 1}),
        True,
    ),
    "a statement run twice": (
        lambda run: _twice(run, ON_ONE.values(n=PROBE.c.n + 1).returning(PROBE.c.n)),
        True,
    ),
    "a rowcount without RETURNING": (
        lambda run: run(update(PROBE).values(flag=False), {}),
        True,
    ),
    "two sets of parameter names": (_two_key_sets, True),
    "a value computed at execution (onupdate)": (_onupdate, False),
    "an expanding IN": (
        lambda run: run(
            update(PROBE).where(PROBE.c.id.in_(bindparam("ids", expanding=True))).values(n=9),
            {"ids": [1, 2]},
        ),
        False,
    ),
    "an escaped bind name": (
        lambda run: run(
            update(PROBE).where(PROBE.c.id == bindparam("probe.id")).values(n=8), {"probe.id": 2}
        ),
        False,
    ),
    "a bind rendered into the SQL": (
        lambda run: run(ON_ONE.values(n=bindparam("n", 4, literal_execute=True)), {"probe": 2}),
        False,
    ),
    "a bind with a callable value": (
        lambda run: run(
            ON_ONE.values(label=bindparam("made", callable_=lambda: "hívott")), {"probe": 1}
        ),
        False,
    ),
    "an execution option of the statement": (
        lambda run: run(
            update(PROBE).values(n=3).execution_options(schema_translate_map={None: None}), {}
        ),
        False,
    ),
}


def _seen(returned: Any) -> Any:
    """What a case returned, comparable both ways (rows as tuples, a result as its rowcount)."""
    if isinstance(returned, tuple):
        return tuple(_seen(each) for each in returned)
    if isinstance(returned, list):
        return [tuple(row) for row in returned]
    return getattr(returned, "rowcount", returned)


async def _outcome(db: Database, case: Callable[[Run], Awaitable[Any]], shortcut: bool) -> Any:
    async with db.unit() as uow:
        await uow.session.execute(delete(PROBE))
        await uow.session.execute(delete(TOUCHED))
        await uow.session.execute(insert(PROBE), [_row(1), _row(2)])

    prepared: dict[int, Prepared] = {}  # one for each statement, as a module keeps them
    async with db.unit() as uow:

        async def run(statement: Any, parameters: Any) -> Returned:
            if shortcut:
                once = prepared.setdefault(id(statement), Prepared(statement))
                return await once.run(uow.session, parameters)
            return cast(Returned, await uow.session.execute(statement, parameters))

        returned = _seen(await case(run))
    async with db.engine.connect() as connection:  # as stored, no type's processing
        raw = (await connection.exec_driver_sql("SELECT * FROM prepared_probe ORDER BY id")).all()
        touched = (await connection.exec_driver_sql("SELECT * FROM prepared_touched")).all()
    return returned, [tuple(r) for r in raw], [tuple(r) for r in touched]


@pytest.mark.parametrize("name", list(CASES))
async def test_the_same_both_ways(probe: Database, executions: list[str], name: str) -> None:
    """Each case gives the same result and leaves the same rows run as prepared and through
    SQLAlchemy; on SQLite the shortcut takes those marked so, SQLAlchemy the others."""
    case, short = CASES[name]
    theirs = await _outcome(probe, case, shortcut=False)
    executions.clear()
    mine = await _outcome(probe, case, shortcut=True)
    assert mine == theirs
    ran = [e for e in executions if e in ("INSERT", "UPDATE")][1:]  # after the seed rows
    if probe.dialect == "sqlite" and short:
        assert ran == [], ran
    else:
        assert ran, "SQLAlchemy's execution"


async def test_a_connection_with_execution_options_is_sqlalchemys(
    probe: Database, executions: list[str]
) -> None:
    async with probe.statements() as connection:
        mapped = await connection.execution_options(schema_translate_map={None: None})
        await Prepared(insert(PROBE)).run(mapped, _row(1))
    assert executions == ["INSERT"]
    assert [r[0] for r in await _stored(probe)] == [1]


@pytest.mark.parametrize(
    "name",
    [
        "before_execute",
        "after_execute",
        "before_cursor_execute",
        "after_cursor_execute",
        "do_execute",
        "handle_error",
        "do_orm_execute",
    ],
)
async def test_a_listener_hears_a_prepared_statement(probe: Database, name: str) -> None:
    """Whoever listens to SQLAlchemy's execution (a tracer, a test) hears a prepared statement
    as any other: it then runs as SQLAlchemy's."""
    db, heard = probe, []

    def listener(*args: Any, **_: Any) -> None:
        heard.append(name)

    engine = db.engine.sync_engine
    failing = name == "handle_error"
    async with db.unit() as uow:
        await uow.session.execute(insert(PROBE), _row(1))
    target: Any = engine
    try:
        async with db.unit() as uow:
            if name == "do_orm_execute":
                target = uow.session.sync_session
            event.listen(target, name, listener)
            with contextlib.suppress(IntegrityError):
                await Prepared(insert(PROBE)).run(uow.session, _row(1 if failing else 2))
    except IntegrityError:  # the unit's commit after the refused statement
        pass
    finally:
        event.remove(target, name, listener)
    assert heard, name


async def test_echo_and_an_orm_statement_are_sqlalchemys(
    probe: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """SQL echoed to the log shows a prepared statement too; an ORM statement first flushes
    what the session holds, as SQLAlchemy's execution does."""
    db, engine = probe, probe.engine.sync_engine
    engine.echo = True
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
            async with db.unit() as uow:
                await Prepared(insert(PROBE)).run(uow.session, _row(1))
    finally:
        engine.echo = False
    assert "INSERT INTO prepared_probe" in caplog.text
    renamed = update(ClusterSetting).where(ClusterSetting.key == "próba").values(value=2)
    async with db.unit() as uow:
        uow.session.add(ClusterSetting(key="próba", value=1))  # not flushed yet
        assert (await Prepared(renamed).run(uow.session)).rowcount == 1
