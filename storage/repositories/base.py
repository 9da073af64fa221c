"""What every repository shares: the session it works in and small query helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Executable
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.prepared import Prepared, Returned
from storage.sqlite_driver import OneTripConnection


def name_key(name: str) -> str:
    """The lookup key of a name: whitespace folded, casefolded."""
    return " ".join(name.split()).casefold()


async def execute_last(
    connection: AsyncConnection, statement: Executable | Prepared, parameters: Any = None
) -> Returned:
    """Run the last statement of a unit of statements (``Database.statements``). On SQLite its
    ``COMMIT`` goes with it, in the same trip to the driver's thread (the block's own commit
    then finds nothing to do), and a statement after it in the block is refused; a failure
    commits nothing. Within a savepoint, for an ``INSERT ... RETURNING`` of several rows, and on
    PostgreSQL it is a statement like any other. A ``Prepared`` statement runs as prepared."""
    raw = connection.sync_connection
    driver = raw.connection.dbapi_connection if raw is not None else None
    # Not within a savepoint (it would commit the whole transaction), nor for an INSERT ...
    # RETURNING of several rows, which SQLAlchemy may split into several statements.
    nested = connection.in_nested_transaction()
    batched = isinstance(parameters, list) and len(parameters) > 1
    built = statement.statement if isinstance(statement, Prepared) else statement
    if not isinstance(driver, OneTripConnection) or nested or (batched and _returns(built)):
        return await _execute(connection, statement, parameters)
    driver.commit_with_next()
    try:
        return await _execute(connection, statement, parameters)
    finally:
        driver.commit_with_next(False)  # spent, or the statement failed before it was sent


async def _execute(
    connection: AsyncConnection, statement: Executable | Prepared, parameters: Any
) -> Returned:
    if isinstance(statement, Prepared):
        return await statement.run(connection, parameters)
    return cast(Returned, await connection.execute(statement, parameters))


def _returns(statement: Executable) -> bool:
    return bool(getattr(statement, "_returning", ()))


class Repository:
    """Base of every repository: it holds the unit of work's session and never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def insert(self, table: Any) -> Any:
        """``INSERT`` in the database's own dialect, for ``ON CONFLICT`` (both databases)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Imported here: a process on SQLite never loads the PostgreSQL dialect.
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        return sqlite_insert(table)

    def on_conflict(self, built: dict[str, Any], table: Any, build: Callable[[Any], Any]) -> Any:
        """An ``ON CONFLICT`` statement on ``table`` built once per dialect and kept in
        ``built``: ``build`` completes the dialect's ``INSERT`` (see ``insert``)."""
        dialect = self.session.get_bind().dialect.name
        statement = built.get(dialect)
        if statement is None:
            statement = built[dialect] = build(self.insert(table))
        return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
