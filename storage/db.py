"""Engine, session factory and the unit of work (one per update or job)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.repositories import (
    AuditRepository,
    ClusterSettingsRepository,
    InvitationRepository,
    JoinRequestRepository,
    MemberRepository,
    Repository,
    TelegramUserRepository,
    WorkgroupRepository,
)

R = TypeVar("R", bound=Repository)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, emit BEGIN: savepoints and rollbacks then work as they
    # should (the SQLAlchemy docs' recipe for pysqlite/aiosqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets real transactions, foreign keys, WAL, busy timeout."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class UnitOfWork:
    """A session with its repositories; commits when the block ends without an error."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.members = MemberRepository(session)
        self.workgroups = WorkgroupRepository(session)
        self.invitations = InvitationRepository(session)
        self.join_requests = JoinRequestRepository(session)
        self.audit = AuditRepository(session)
        self.telegram_users = TelegramUserRepository(session)
        self.cluster = ClusterSettingsRepository(session)
        self._extra: dict[type[Repository], Repository] = {}

    def repo(self, cls: type[R]) -> R:
        """The unit's instance of a feature repository (created on first use)."""
        found = self._extra.get(cls)
        if found is None:
            found = self._extra[cls] = cls(self.session)
        return found  # type: ignore[return-value]

    async def flush(self) -> None:
        """Send pending changes so constraints are checked now."""
        await self.session.flush()


class Database:
    """Owns the engine; opened in ``post_init`` and closed in ``post_shutdown``."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self._engine_kwargs = engine_kwargs
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def engine(self) -> AsyncEngine:
        """The open engine."""
        if self._engine is None:
            raise RuntimeError("Database is not open")
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def open(self) -> None:
        """Create the engine and the session factory (no I/O yet)."""
        if self._engine is None:
            self._engine = make_engine(self.url, **self._engine_kwargs)
            self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    async def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        """Open a unit of work: commit on success, roll back on any exception."""
        if self._sessions is None:
            raise RuntimeError("Database is not open")
        async with self._sessions() as session:
            try:
                yield UnitOfWork(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
