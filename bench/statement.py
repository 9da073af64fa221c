"""What one SQL statement costs, layer by layer, on SQLite (issue 16).

    python -m bench.statement [--statements 8] [--units 100] [--rounds 9] [--smoke]

A routed message makes seven statements in two units of work. This benchmark runs units of
``--statements`` identical, trivial statements (an ``UPDATE ... RETURNING`` of one row) in one
process, through each layer the bot could use, and prints the CPU time of the process (every
thread: the event loop's and the driver's) per statement. The layers alternate in every round,
so that the machine's drift falls on all of them alike; the figures are the rounds' medians.

- ORM session: ``Database.unit`` and ``session.execute``, as the repositories run most statements;
- Core connection: ``Database.statements`` and ``connection.execute``;
- prepared: the same statement as ``storage.prepared.Prepared``, as the routing writes run;
- driver SQL: the same connection's ``exec_driver_sql`` with a ready SQL string (no
  compilation, no parameter processing, but SQLAlchemy's execution and result);
- one trip per statement: aiosqlite's thread called directly, no SQLAlchemy;
- one trip per unit: every statement of the unit, its ``BEGIN`` and ``COMMIT``, in one call to
  aiosqlite's thread;
- no statement: ``BEGIN`` and ``COMMIT`` in one trip, divided by the unit's statements.

The differences tell what each layer adds to a statement; ``bench/RESULTS.md`` has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, update

from bench.common import positive
from storage.db import Database
from storage.prepared import Prepared

_META = MetaData()
_COUNTER = Table("counter", _META, Column("id", Integer, primary_key=True), Column("n", Integer))
_STATEMENT = update(_COUNTER).where(_COUNTER.c.id == 1).values(n=_COUNTER.c.n + 1)
_STATEMENT = _STATEMENT.returning(_COUNTER.c.n)
_PREPARED = Prepared(_STATEMENT)
_SQL = "UPDATE counter SET n = n + 1 WHERE id = ? RETURNING n"

Unit = Callable[[], Awaitable[None]]


def _in_thread(connection: sqlite3.Connection, statements: int, begin: bool, end: bool) -> None:
    """In aiosqlite's thread: ``statements`` statements, after ``BEGIN IMMEDIATE`` and before
    ``COMMIT`` when asked, as the bot's units send them (``storage.sqlite_driver``)."""
    if begin:
        connection.execute("BEGIN IMMEDIATE").close()
    for _ in range(statements):
        cursor = connection.execute(_SQL, (1,))
        cursor.fetchall()
        cursor.close()
    if end:
        connection.commit()


def layers(db: Database, statements: int) -> dict[str, Unit]:
    """One unit of ``statements`` statements through each layer. The units of SQLAlchemy send
    ``BEGIN`` with the first statement and ``COMMIT`` in a trip of its own; the first unit
    without SQLAlchemy does the same, the second sends everything in one trip."""

    async def orm_session() -> None:
        async with db.unit() as uow:
            for _ in range(statements):
                (await uow.session.execute(_STATEMENT)).scalar_one()

    async def core_connection() -> None:
        async with db.statements() as connection:
            for _ in range(statements):
                (await connection.execute(_STATEMENT)).scalar_one()

    async def prepared() -> None:
        async with db.statements() as connection:
            for _ in range(statements):
                (await _PREPARED.run(connection)).scalar()

    async def driver_sql() -> None:
        async with db.statements() as connection:
            for _ in range(statements):
                (await connection.exec_driver_sql(_SQL, (1,))).scalar_one()

    async def trip_per_statement() -> None:
        async with db.statements() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            for i in range(statements):
                await driver._execute(_in_thread, driver._conn, 1, i == 0, False)
            await driver._execute(_in_thread, driver._conn, 0, False, True)

    async def trip_per_unit() -> None:
        async with db.statements() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await driver._execute(_in_thread, driver._conn, statements, True, True)

    async def empty_unit() -> None:
        async with db.statements() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await driver._execute(_in_thread, driver._conn, 0, True, True)

    return {
        "ORM session (session.execute)": orm_session,
        "Core connection (connection.execute)": core_connection,
        "prepared (storage.prepared)": prepared,
        "driver SQL (exec_driver_sql)": driver_sql,
        "one trip per statement (aiosqlite, no SQLAlchemy)": trip_per_statement,
        "one trip per unit (aiosqlite, no SQLAlchemy)": trip_per_unit,
        "no statement: BEGIN and COMMIT in one trip": empty_unit,
    }


async def measure(statements: int, units: int, rounds: int) -> dict[str, float]:
    """Microseconds of CPU per statement for each layer: the median of ``rounds``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'statement.db'}")
        db.open()
        try:
            async with db.engine.begin() as connection:
                await connection.run_sync(_META.create_all)
                await connection.execute(_COUNTER.insert().values(id=1, n=0))
            runs = layers(db, statements)
            for unit in runs.values():  # warm up: connections, compiled statements
                await unit()
            figures: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(rounds):
                for name, unit in runs.items():
                    start = time.process_time()
                    for _ in range(units):
                        await unit()
                    spent = time.process_time() - start
                    figures[name].append(spent / units / statements * 1e6)
        finally:
            await db.close()
    return {name: statistics.median(values) for name, values in figures.items()}


def table(figures: dict[str, float], statements: int) -> list[str]:
    """The figures as a Markdown table."""
    lines = [
        f"| layer (units of {statements} statements) | CPU per statement |",
        "|---|---|",
    ]
    lines += [f"| {name} | {micro:.0f} µs |" for name, micro in figures.items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statement", description=__doc__)
    parser.add_argument("--statements", type=positive, default=8, help="per unit of work")
    parser.add_argument("--units", type=positive, default=100, help="per layer and round")
    parser.add_argument("--rounds", type=positive, default=9)
    parser.add_argument("--smoke", action="store_true", help="a second-long run")
    args = parser.parse_args(argv)
    if args.smoke:
        args.units, args.rounds = 5, 1
    figures = asyncio.run(measure(args.statements, args.units, args.rounds))
    print("\n".join(table(figures, args.statements)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
