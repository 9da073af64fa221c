"""Engine, session factory and the unit of work (one per update or job)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect, make_url, select, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from storage import sqlite_driver
from storage.models.base import postgresql_options
from storage.repositories import (
    AnnouncementRepository,
    AuditRepository,
    BallotRepository,
    ClusterSettingsRepository,
    InvitationRepository,
    JoinRequestRepository,
    MeetingRepository,
    MemberRepository,
    OutboxRepository,
    PrivacyRepository,
    ProposalRepository,
    Repository,
    ResolutionRepository,
    RoutingRepository,
    ScheduleRepository,
    TelegramUserRepository,
    WorkgroupRepository,
    WorkPlanRepository,
)

R = TypeVar("R", bound=Repository)

log = logging.getLogger(__name__)

#: What ``Database.statements`` yields: a connection in a transaction, for Core statements.
Statements = AsyncConnection

#: Whether the current task is inside a unit of work (so a nested one does not wait for it).
_IN_UNIT: ContextVar[bool] = ContextVar("klaszterbot_in_unit", default=False)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, emit BEGIN: savepoints and rollbacks then work as they
    # should (the SQLAlchemy docs' recipe for pysqlite/aiosqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL survives a crash of the bot; only a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Deleted rows are overwritten with zeros, in the table and on freed pages: a closed secret
    # ballot's urn leaves no bytes behind in the file (the WAL is truncated after the close).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: concurrent units (an update and a background
    # delivery) then wait for each other (busy_timeout) instead of failing on a stale snapshot.
    # A read (``Database.read``) only needs a snapshot: a deferred BEGIN, no lock.
    # The one-trip driver sends it with the transaction's first statement (one trip less).
    begin = "BEGIN" if connection.get_execution_options().get("read_only") else "BEGIN IMMEDIATE"
    driver = connection.connection.dbapi_connection
    if isinstance(driver, sqlite_driver.OneTripConnection):
        driver.defer_begin(begin)
    else:
        connection.exec_driver_sql(begin)


#: The ``cluster_settings`` key that every committed identity change rewrites, so that other
#: processes (the command line, another replica) learn of it (``bot.jobs.identity``).
IDENTITY_EPOCH = "identity_epoch"


class IdentityGeneration:
    """A counter that moves whenever a committed unit changed members, workgroups or accounts.

    Caches of who-is-who (the bot's caller cache) compare it to know they are stale. It counts
    this process's commits; another process's reach it too: on PostgreSQL at once through
    NOTIFY (``storage.replica``), on SQLite (the command line) within a second through
    ``IDENTITY_EPOCH``, which ``bot.jobs.identity`` watches.
    """

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


#: What of an account a cached caller depends on: its language, and whether it may be written to.
_ACCOUNT_STATE = ("language", "blocked_at", "started_at")


def _changes_identity(session: Session, obj: Any) -> bool:
    """Whether committing ``obj`` changes who someone is to the bot. An account's profile (its
    name as Telegram reports it, refreshed on updates) and a new account do not: counting them
    emptied every cached caller whenever a stranger wrote."""
    from storage.models import Member, TelegramUser, Workgroup, WorkgroupMember

    if isinstance(obj, TelegramUser):
        if obj in session.new:
            return False
        if obj in session.deleted:
            return True
        state = inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in _ACCOUNT_STATE)
    return isinstance(obj, (Member, Workgroup, WorkgroupMember))


class IdSuperset:
    """A superset of some ids the database holds, read once (one statement) and then kept in
    memory, so that "surely not there" costs no query. Ids are added as units commit (in this
    process, and through ``storage.replica`` from the others), never removed: a removed one
    only costs a query. It is trusted while no identity change was committed since it was read
    (``IdentityGeneration``, which also moves when the replicas' NOTIFY connection is lost):
    then it is read again."""

    def __init__(self) -> None:
        self.ids: set[int] | None = None
        self.generation = -1
        #: Ids added while a reload runs: its snapshot may predate them.
        self._during_load: set[int] | None = None

    async def read(self, uow: UnitOfWork) -> set[int]:
        """The ids as they are in the database now."""
        raise NotImplementedError

    def knows(self, value: int) -> bool | None:
        """Whether the database may hold ``value``; None: cannot tell now (reload)."""
        if self.ids is None or self.generation != IdentityGeneration.value:
            return None
        return value in self.ids

    def add(self, ids: Iterable[int]) -> None:
        """Ids committed since the set was read."""
        if self.ids is not None:
            self.ids.update(ids)
        if self._during_load is not None:
            self._during_load.update(ids)

    def begin_load(self) -> bool:
        """Note that a reload starts (False: one already runs); ``load`` then does it."""
        if self._during_load is not None:
            return False
        self._during_load = set()
        return True

    async def load(self, db: Database) -> None:
        """Read the set again (one statement), after ``begin_load``."""
        generation = IdentityGeneration.value
        try:
            async with db.read() as uow:
                ids = await self.read(uow)
            ids |= self._during_load or set()
        except Exception:  # the database away for a moment: the next lookup tries again
            log.warning("could not read %s", type(self).__name__, exc_info=True)
            return
        finally:
            self._during_load = None
        self.ids, self.generation = ids, generation


class KnownIds(IdSuperset):
    """Every Telegram id the database knows of (an account's or a member's), so that a stranger,
    new or repeated, is told apart from everyone else without a query (``bot.context``).
    Accounts created since the set was read are added as they commit (``after_commit`` below;
    another replica's by the NOTIFY that names them). On SQLite no other process creates
    accounts."""

    async def read(self, uow: UnitOfWork) -> set[int]:
        return await uow.telegram_users.known_ids()


class SessionMembers(IdSuperset):
    """The members who may have a session of writing to a katalizátor, so that a member's
    command, which ends such a session, looks for one only where there may be one
    (``bot.handlers.routing``). A session opened is added when its unit commits
    (``RoutingRepository.add_session``; another replica's by NOTIFY)."""

    async def read(self, uow: UnitOfWork) -> set[int]:
        return await uow.routing.session_members()


@event.listens_for(Session, "before_flush")
def _note_identity_change(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(_changes_identity(session, obj) for obj in changed):
        session.info["identity_changed"] = True
    from storage.models import TelegramUser

    added = [obj.id for obj in session.new if isinstance(obj, TelegramUser)]
    if added:
        session.info.setdefault("new_accounts", set()).update(added)


#: What a unit notes in ``session.info`` as it adds ids, and the superset they go to at commit.
_NEW_IDS = (("new_accounts", "known_ids"), ("new_sessions", "session_members"))


@event.listens_for(Session, "after_commit")
def _bump_identity_generation(session: Session) -> None:
    if session.info.pop("identity_changed", False):
        IdentityGeneration.bump()
    for noted, superset in _NEW_IDS:
        added = session.info.pop(noted, None)
        known = session.info.get(superset)
        if added and known is not None:
            known.add(added)


@event.listens_for(Session, "after_transaction_end")
def _forget_identity_change(session: Session, transaction: SessionTransaction) -> None:
    # The unit's own transaction ended (after a commit, ``after_commit`` has taken what it
    # noted). A savepoint's end is not the unit's: rolled back, it must not drop what the rest
    # of the unit noted (``after_rollback`` fires for it too); what it noted itself is kept,
    # which at worst moves the generation or adds an id for nothing.
    if transaction.parent is not None:
        return
    session.info.pop("identity_changed", None)
    for noted, _superset in _NEW_IDS:
        session.info.pop(noted, None)


async def _announce_identity_change(uow: UnitOfWork, dialect: str) -> None:
    """Tell other processes, in this unit's transaction, that it changed who someone is: on
    PostgreSQL every replica by NOTIFY (``storage.replica``; delivered when the transaction
    commits, not if it rolls back), on SQLite the command line's changes by the epoch row that
    ``bot.jobs.identity`` watches."""
    session = uow.session
    if session.new or session.dirty or session.deleted:
        await session.flush()  # ``before_flush`` is what notes an identity change
    if dialect == "postgresql":
        from storage.replica import ACCOUNTS_PREFIX, CHANNEL, SESSIONS_PREFIX

        for noted, prefix in (("new_accounts", ACCOUNTS_PREFIX), ("new_sessions", SESSIONS_PREFIX)):
            if session.info.get(noted):
                ids = ",".join(str(found) for found in sorted(session.info[noted]))
                notice = {"channel": CHANNEL, "payload": prefix + ids}
                await session.execute(text("SELECT pg_notify(:channel, :payload)"), notice)
    if not session.info.get("identity_changed"):
        return
    if dialect == "postgresql":
        from storage.replica import CHANNEL

        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    else:
        await uow.cluster.stamp(IDENTITY_EPOCH, uuid.uuid4().hex)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets real transactions, foreign keys, WAL, busy timeout."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        kwargs.setdefault("module", sqlite_driver.dbapi())  # one trip to its thread a statement
        if parsed.database not in (None, "", ":memory:") and "poolclass" not in kwargs:
            # The connection returned last is handed out next: its page cache holds what the
            # last unit wrote (the queue's default, oldest first, alternates between two
            # connections, and each unit's first statements reread what the other changed).
            kwargs.setdefault("pool_use_lifo", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        postgresql_options()
    return engine


class _Repo(Generic[R]):
    """A unit of work's repository of one kind, made on first use and kept for the unit."""

    def __init__(self, cls: type[R]) -> None:
        self.cls = cls

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.slot = "_repo_" + name

    def __get__(self, uow: UnitOfWork, owner: type[Any] | None = None) -> R:
        found: R | None = uow.__dict__.get(self.slot)
        if found is None:
            found = uow.__dict__[self.slot] = self.cls(uow.session)
        return found


class UnitOfWork:
    """A session with its repositories; commits when the block ends without an error."""

    members = _Repo(MemberRepository)
    workgroups = _Repo(WorkgroupRepository)
    invitations = _Repo(InvitationRepository)
    join_requests = _Repo(JoinRequestRepository)
    audit = _Repo(AuditRepository)
    telegram_users = _Repo(TelegramUserRepository)
    cluster = _Repo(ClusterSettingsRepository)
    ballots = _Repo(BallotRepository)
    resolutions = _Repo(ResolutionRepository)
    proposals = _Repo(ProposalRepository)
    announcements = _Repo(AnnouncementRepository)
    outbox = _Repo(OutboxRepository)
    routing = _Repo(RoutingRepository)
    workplans = _Repo(WorkPlanRepository)
    schedules = _Repo(ScheduleRepository)
    privacy = _Repo(PrivacyRepository)
    meetings = _Repo(MeetingRepository)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.scrub = False

    async def flush(self) -> None:
        """Send pending changes so constraints are checked now."""
        await self.session.flush()

    def scrub_after_commit(self) -> None:
        """After this unit commits, leave no earlier version of what it deleted in the
        database's files: SQLite checkpoints the WAL into the file and truncates it (the
        deleted rows are already zeroed by ``secure_delete``). PostgreSQL needs nothing here:
        what must vanish there is truncated inside the transaction (``empty_urn``)."""
        self.scrub = True


class Database:
    """Owns the engine; opened in ``post_init`` and closed in ``post_shutdown``."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self._engine_kwargs = engine_kwargs
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._reads: async_sessionmaker[AsyncSession] | None = None
        self._writer = asyncio.Lock()
        #: The Telegram ids this database knows of (``KnownIds``), read when first needed.
        self.known_ids = KnownIds()
        #: The members who may be writing to a katalizátor (``SessionMembers``), likewise.
        self.session_members = SessionMembers()

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
            self._sessions = async_sessionmaker(
                self._engine,
                expire_on_commit=False,
                info={"known_ids": self.known_ids, "session_members": self.session_members},
            )
            self._reads = async_sessionmaker(
                self._engine.execution_options(read_only=True), expire_on_commit=False
            )

    async def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None
            self._reads = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        """Open a unit of work: commit on success, roll back on any exception.

        SQLite has one writer at a time (every unit begins IMMEDIATE); units of this process
        queue on an asyncio lock instead of spinning in SQLite's busy handler, which under a
        burst of concurrent updates is several times slower. A unit opened inside another one
        of the same task does not wait for itself.
        """
        if self._sessions is None:
            raise RuntimeError("Database is not open")
        if self.dialect != "sqlite" or _IN_UNIT.get():
            async with self._session_unit() as uow:
                yield uow
            return
        async with self._writer:
            token = _IN_UNIT.set(True)
            try:
                async with self._session_unit() as uow:
                    yield uow
            finally:
                _IN_UNIT.reset(token)

    @asynccontextmanager
    async def statements(self) -> AsyncIterator[Statements]:
        """A unit of work of Core statements only, on a bare connection: the same writer queue
        and ``BEGIN`` as ``unit``, committed when the block ends, rolled back on any exception.
        No ORM session: its creation, identity map, flush and commit bookkeeping cost about as
        much as a write of a row or two. Nothing run in it may change who someone is (no
        identity change is noted)."""
        if self.dialect != "sqlite" or _IN_UNIT.get():
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._writer:
            token = _IN_UNIT.set(True)
            try:
                async with self.engine.begin() as connection:
                    yield connection
            finally:
                _IN_UNIT.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work that only reads: one snapshot, no writer lock (SQLite begins it
        deferred), nothing committed; the objects read stay usable after it."""
        if self._reads is None:
            raise RuntimeError("Database is not open")
        async with self._reads() as session:
            yield UnitOfWork(session)
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("a read unit of work changed rows: use Database.unit")

    @asynccontextmanager
    async def _session_unit(self) -> AsyncIterator[UnitOfWork]:
        assert self._sessions is not None
        async with self._sessions() as session:
            try:
                uow = UnitOfWork(session)
                yield uow
                await _announce_identity_change(uow, self.dialect)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if uow.scrub and self.dialect == "sqlite":
            await self.truncate_wal()

    def file_mark(self) -> tuple[int, ...] | None:
        """SQLite: the sizes and modification times of the database file and its WAL, which
        every process's commit changes; a look at them costs no query. None for a server
        database or one in memory."""
        path = make_url(self.url).database if self.dialect == "sqlite" else None
        if not path or path == ":memory:":
            return None
        mark: list[int] = []
        for name in (path, f"{path}-wal"):
            try:
                stat = os.stat(name)
            except OSError:
                mark += (-1, -1)
            else:
                mark += (stat.st_size, stat.st_mtime_ns)
        return tuple(mark)

    async def identity_epoch(self) -> str | None:
        """The mark the last committed identity change left (whoever made it): one indexed
        read outside any unit of work (no writer lock, no transaction held)."""
        from storage.models import ClusterSetting

        async with self.engine.connect() as conn:
            # A read: on SQLite a deferred BEGIN, not the writer lock that every unit queues for.
            conn = await conn.execution_options(read_only=True)
            value = await conn.scalar(
                select(ClusterSetting.value).where(ClusterSetting.key == IDENTITY_EPOCH)
            )
        return None if value is None else str(value)

    async def truncate_wal(self) -> bool:
        """SQLite: copy the WAL into the database file and cut the WAL to zero bytes, so no
        earlier version of a page survives in it; False if a reader kept it from finishing
        (it is then tried again after the next scrubbing unit). Other units of this process
        wait on the writer lock meanwhile."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = await cursor.fetchone()
            await cursor.close()
        if busy:
            log.warning("the SQLite WAL could not be truncated now (a reader is active)")
        return not busy
