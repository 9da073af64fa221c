"""SQLite through aiosqlite's thread, one trip per statement.

SQLAlchemy's aiosqlite adapter makes four trips to the driver's thread for one ``SELECT``:
create a cursor, execute, fetch the rows, close the cursor. Each trip wakes the thread and then
the event loop (a write to its self-pipe), which under a burst of updates costs more CPU than
the statement itself (``bench/RESULTS.md``, issue 16). This cursor does the four in one
function run in the same thread, on the same ``sqlite3`` connection, under the same per-connection
lock, so nothing else changes: transactions, ``BEGIN IMMEDIATE``, pragmas, errors and the pool
are SQLAlchemy's and aiosqlite's own. The ``BEGIN`` SQLAlchemy emits (``storage.db``) waits for
the transaction's first statement and goes in the same trip; the ``COMMIT`` can go with the
last one, when the caller knows it is the last (``storage.repositories.base.execute_last``).
Server-side cursors (streamed results) keep the stock one. ``storage.db.make_engine`` hands it
to the engine as its DBAPI module (``module=``).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


def _send_begin(connection: sqlite3.Connection, begin: str) -> None:
    connection.execute(begin).close()


def _run(
    connection: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    ends: tuple[str | None, bool],
) -> tuple[Any, int, int | None, list[Any]]:
    """In the driver's thread: the transaction's ``BEGIN`` if it is still to be sent, the
    statement, its rows, the cursor's facts, and the ``COMMIT`` if the statement is the
    transaction's last (``ends``: the begin to send first, whether to commit after)."""
    begin, commit = ends
    if begin is not None:
        _send_begin(connection, begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        found = cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()
    if commit:
        connection.commit()
    return found


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement, rows and close are one trip to the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount", "arraysize")

    def __init__(self, adapt_connection: Any) -> None:  # no trip: nothing opened yet
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        """Nothing to close: the rows are already here."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._trip(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapted = cast(OneTripConnection, self._adapt_connection)
        found = await adapted.run(operation, parameters, many=many)
        self._description, self._rowcount, self._lastrowid, rows = found
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The connection of ``OneTripCursor``: a transaction's ``BEGIN`` goes with its first
    statement (``defer_begin``), its ``COMMIT`` with its last when told (``commit_with_next``);
    a commit or rollback with no transaction open costs no trip."""

    __slots__ = ("_begin", "_commit", "_committed")

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        #: The next statement is the transaction's last: it takes the ``COMMIT`` along.
        self._commit = False
        #: It has: the transaction is over, and another statement would run outside it.
        self._committed = False

    async def run(
        self, operation: str, parameters: Any, *, many: bool = False
    ) -> tuple[Any, int, int | None, list[Any]]:
        """One statement in one trip to the driver's thread, the transaction's ``BEGIN`` before
        it if still to be sent and its ``COMMIT`` after it if told (``commit_with_next``): the
        cursor's description, rowcount and lastrowid, and the rows. ``OneTripCursor`` runs its
        statements here, and so does ``storage.prepared`` without a cursor."""
        driver = self._connection
        async with self._execute_mutex:
            if self._committed:
                raise sqlite3.ProgrammingError("a statement after the transaction's last one")
            ends = self._begin, self._commit
            self._begin, self._commit = None, False
            found: tuple[Any, int, int | None, list[Any]] = await driver._execute(
                _run, driver._conn, operation, parameters, many, ends
            )
            self._committed = ends[1]
        return found

    def defer_begin(self, begin: str) -> None:
        """Send ``begin`` (``BEGIN``, ``BEGIN IMMEDIATE``) with the next statement."""
        self._begin = begin
        self._committed = False

    def commit_with_next(self, commit: bool = True) -> None:
        """Send the transaction's ``COMMIT`` with the next statement, which must be its last:
        one trip less (``False``: no longer). The commit SQLAlchemy then makes finds no
        transaction open and costs nothing; a statement after it is refused. If the statement
        fails, nothing commits."""
        self._commit = commit

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self._begin is not None:  # the stock cursor: BEGIN on its own
            begin, self._begin = self._begin, None
            try:
                await_(self._connection._execute(_send_begin, self._connection._conn, begin))
            except Exception as error:
                self._handle_exception(error)
        return super().cursor(server_side)

    def commit(self) -> None:
        self._commit = self._committed = False
        if self._idle():
            return
        super().commit()

    def rollback(self) -> None:
        self._commit = self._committed = False
        if self._idle():
            return
        super().rollback()

    def _idle(self) -> bool:
        """No transaction to end: its BEGIN was never sent (dropped now), or none is open. The
        ``sqlite3`` module does nothing then either, but only after a trip to the thread (the
        pool's rollback of every returned connection is one)."""
        if self._begin is not None:
            self._begin = None
            return True
        connection = self._connection._connection
        return connection is None or not connection.in_transaction


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with ``OneTripCursor``."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
