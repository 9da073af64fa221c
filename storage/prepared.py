"""Statements a hot path runs many times a second: compiled once, sent straight to SQLite's driver.

SQLAlchemy's execution of a statement it compiled long ago costs 50 to 75 µs of CPU on the
benchmark's machine, more than SQLite's own work on it and about as much as the trip to
SQLite's thread (``python -m bench.statement``, ``bench/RESULTS.md``): it finds the compiled
form by the statement's cache key, processes the parameters, makes an execution context and a
cursor result, and dispatches the events. A routed message makes six such writes (issue 16).

``Prepared`` keeps, for each set of parameter names it is called with, the statement's SQL, its
parameters in order with their types' processors, and the processors of the columns it
returns; a call processes the values and runs the SQL in one call to
``OneTripConnection.run``: the same SQL, in the same transaction, in the same one trip.

Wherever that could differ from SQLAlchemy's own execution, a call is ``execute`` on the session
or connection it was given, as before:

- the database is not SQLite through ``storage.sqlite_driver`` (PostgreSQL);
- several parameter sets (``executemany``, SQLAlchemy's batched ``INSERT ... RETURNING``);
- an execution event is listened to (``before_execute``, ``after_execute``, the cursor's,
  ``do_execute``, the session's ``do_orm_execute``), or SQL is echoed (a test that records the
  statements, a tracer);
- an execution option on the statement or the connection (``schema_translate_map`` …);
- the connection has no transaction begun;
- an ORM statement (the session flushes before it), or one that needs work at execution: a
  Python-side default or ``onupdate``, a parameter rendered at execution (an expanding ``IN``),
  a parameter with a callable value, an escaped parameter name;
- a value its type's processor refuses (SQLAlchemy then raises its own error for it).

A driver's error gets SQLAlchemy's own handling: wrapped (``sqlalchemy.exc.IntegrityError`` …),
a lost connection invalidated, ``handle_error`` dispatched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.sqlite_driver import OneTripConnection

Processor = Callable[[Any], Any] | None


class Returned(Protocol):
    """What a call returns: SQLAlchemy's ``CursorResult``, or ``Rows`` from the shortcut."""

    @property
    def rowcount(self) -> int: ...

    def scalar(self) -> Any: ...

    def all(self) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows a statement returned (processed as SQLAlchemy would) and its rowcount."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def scalar(self) -> Any:
        """The first column of the first row, or None without a row."""
        return self.rows[0][0] if self.rows else None

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows


@dataclass(frozen=True, slots=True)
class _Form:
    """The statement compiled for one set of parameter names."""

    sql: str
    #: Each positional parameter: the name of its value among the call's parameters (None: a
    #: value of the statement's own, ``own``), and its type's processor.
    binds: tuple[tuple[str | None, Any, Processor], ...]
    #: The processors of the returned columns (None: none has one).
    results: tuple[Processor, ...] | None

    def arguments(self, parameters: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, own, process in self.binds:
            value = own if name is None else parameters[name]
            values.append(value if process is None else process(value))
        return tuple(values)

    def processed(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        if self.results is None:
            return rows
        each = self.results
        return [
            tuple(v if p is None else p(v) for p, v in zip(each, row, strict=True)) for row in rows
        ]


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Form | None:
    """The statement's ``_Form`` for these parameter names, or None where only SQLAlchemy's
    execution does it right."""
    compiled: Any = cast(Any, statement).compile(dialect=dialect, column_keys=list(keys))
    if (
        not compiled.positional
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
    ):
        return None
    processors = compiled._bind_processors
    binds = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        # As ``construct_params``: the value given under the parameter's key, else under its
        # compiled name, else its own; a required one given under neither is SQLAlchemy's error.
        source = bind.key if bind.key in keys else name if name in keys else None
        if bind.callable is not None or (source is None and bind.required):
            return None
        binds.append((source, bind.value, processors.get(name)))
    results = tuple(
        entry[3]._cached_result_processor(dialect, None) for entry in compiled._result_columns
    )
    return _Form(compiled.string, tuple(binds), results if any(results) else None)


def _driver(connection: Connection) -> OneTripConnection | None:
    """The connection's one-trip SQLite driver, where the shortcut may be taken on it: a
    transaction begun, no execution option (``schema_translate_map`` …), no SQL echoed, and no
    listener of the events the shortcut would not dispatch."""
    driver = connection.connection.dbapi_connection
    if not isinstance(driver, OneTripConnection) or not connection.in_transaction():
        return None
    # ``handle_error`` is dispatched by the shortcut too (``_handle``).
    events, dialect_events = connection.dispatch, connection.dialect.dispatch
    if (
        connection._echo
        or connection._execution_options
        or events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
        or dialect_events.do_execute
    ):
        return None
    return driver


class Prepared:
    """A Core statement built once (at import) that a hot path runs through ``run``."""

    __slots__ = ("_forms", "_sqlalchemy_only", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        #: SQLAlchemy's execution only: an ORM statement (the session flushes before it), or one
        #: with execution options of its own.
        orm = statement._propagate_attrs.get("compile_state_plugin") == "orm"
        self._sqlalchemy_only = orm or bool(statement._execution_options)
        self._forms: dict[tuple[str, ...], _Form | None] = {}

    async def run(
        self,
        executor: AsyncSession | AsyncConnection,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Returned:
        """Run the statement with ``parameters`` (a dict, or a list of one) in the unit of
        ``executor``, as ``executor.execute`` would."""
        if isinstance(parameters, list):
            single = parameters[0] if len(parameters) == 1 else None
        else:
            single = parameters or {}
        if single is None or self._sqlalchemy_only:
            return await self._executed(executor, parameters)
        if isinstance(executor, AsyncSession):
            if executor.sync_session.dispatch.do_orm_execute:
                return await self._executed(executor, parameters)
            connection = (await executor.connection()).sync_connection
        else:
            connection = executor.sync_connection
        driver = None if connection is None else _driver(connection)
        if driver is None:
            return await self._executed(executor, parameters)
        assert connection is not None
        keys = tuple(single)
        if keys in self._forms:
            form = self._forms[keys]
        else:
            form = self._forms[keys] = _compile(self.statement, connection.dialect, keys)
        try:
            arguments = None if form is None else form.arguments(single)
        except Exception:  # a value its type refuses: SQLAlchemy raises its own error for it
            arguments = None
        if form is None or arguments is None:
            return await self._executed(executor, parameters)
        return await _run(connection, driver, form, arguments)

    async def _executed(
        self, executor: AsyncSession | AsyncConnection, parameters: Any
    ) -> Returned:
        """SQLAlchemy's own execution (a ``CursorResult``: every statement here is DML)."""
        return cast(Returned, await executor.execute(self.statement, parameters))


async def _run(
    connection: Connection, driver: OneTripConnection, form: _Form, arguments: tuple[Any, ...]
) -> Rows:
    try:
        _, rowcount, _, rows = await driver.run(form.sql, arguments)
    except BaseException as error:
        await greenlet_spawn(_handle, connection, driver, error, form.sql, arguments)
        raise  # not reached: _handle raises
    return Rows(form.processed(rows), rowcount)


def _handle(
    connection: Connection,
    driver: OneTripConnection,
    error: BaseException,
    sql: str,
    arguments: tuple[Any, ...],
) -> NoReturn:
    """SQLAlchemy's own handling of an error from the driver, as for a statement it ran: the
    adapter's translation (a closed connection as ``OperationalError``), then the wrapping
    (``IntegrityError`` …, ``hide_parameters``), the invalidation of a lost connection and the
    ``handle_error`` event. Run in a greenlet: an invalidation waits for the driver."""
    try:
        if isinstance(error, Exception):
            driver._handle_exception(error)  # raises it, or its translation
        raise error
    except BaseException as translated:
        connection._handle_dbapi_exception(translated, sql, arguments, None, None)
