"""This process among the replicas that share one PostgreSQL database.

A replica opens one connection of its own (asyncpg, outside SQLAlchemy's pool) for its whole
life and on it:

* holds a session advisory lock on its random ``key``: rows it claims in the outbox carry the
  key (``outbox_messages.claimed_by``), and a row whose key nobody holds any more belongs to a
  replica that died, so another one may send it again (``OutboxRepository.requeue_orphans``).
  PostgreSQL drops the lock with the connection, at once when the process is killed;
* ``LISTEN``s on ``CHANNEL``: a unit of work that changed who someone is to the bot (a role, a
  membership, an account's state) sends ``NOTIFY`` in its transaction (``storage.db``), so every
  replica (and a running bot after a command-line change) forgets its cached callers when the
  change commits, not when the cache expires.

asyncpg delivers notifications from the connection's own protocol reader: there is no task to
cancel while the connection lives. If it breaks, one task connects again (every
``RECONNECT_SECONDS``) and takes the same lock; ``stop()`` cancels that task and closes the
connection (``terminate()`` if the server does not answer within ``CLOSE_TIMEOUT``), so a
SIGTERM never waits on either. On SQLite nothing of this exists: one process.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "klaszterbot_identity"
#: A NOTIFY whose payload starts so names accounts just created (comma-separated Telegram ids):
#: no one's standing changed, the replicas only learn that these ids are known
#: (``storage.db.KnownIds``).
ACCOUNTS_PREFIX = "accounts:"
#: One naming members who opened a session of writing to a katalizátor
#: (``storage.db.SessionMembers``).
SESSIONS_PREFIX = "sessions:"
CLOSE_TIMEOUT = 5.0
RECONNECT_SECONDS = 2.0


def asyncpg_dsn(url: str) -> str | None:
    """The plain ``postgresql://`` DSN of a SQLAlchemy URL (None: not PostgreSQL)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class Replica:
    """The presence of this process on a shared database (see the module)."""

    def __init__(self, url: str) -> None:
        self.dsn = asyncpg_dsn(url)
        #: Positive and under 2**62: PostgreSQL shows it in ``pg_locks`` as two 32-bit halves.
        self.key = secrets.randbits(62) + 1 if self.dsn else 0
        self._conn: Any = None
        self._on_change: Callable[[], None] | None = None
        self._on_ids: dict[str, Callable[[list[int]], None]] = {}
        self._stopping = False
        self._reconnecting: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes may share the database (PostgreSQL)."""
        return self.dsn is not None

    async def start(
        self,
        on_change: Callable[[], None],
        on_accounts: Callable[[list[int]], None] | None = None,
        on_sessions: Callable[[list[int]], None] | None = None,
    ) -> None:
        """Hold the replica's lock and listen for changes; ``on_change()`` on each NOTIFY of
        an identity change, ``on_accounts(ids)`` on one naming new accounts,
        ``on_sessions(ids)`` on one naming members who opened a session."""
        if self.dsn is None or self._conn is not None:
            return
        self._on_change = on_change
        pairs = ((ACCOUNTS_PREFIX, on_accounts), (SESSIONS_PREFIX, on_sessions))
        self._on_ids = {prefix: call for prefix, call in pairs if call is not None}
        self._stopping = False
        self._conn = await self._connect()

    async def _connect(self) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", self.key)
            await conn.add_listener(CHANNEL, self._notified)
            conn.add_termination_listener(self._lost)
        except BaseException:
            conn.terminate()
            raise
        return conn

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        prefix, colon, ids = payload.partition(":")
        if colon:  # names ids (accounts, sessions): no one's standing changed
            call = self._on_ids.get(prefix + colon)
            if call is not None:
                call([int(part) for part in ids.split(",")])
            return
        if self._on_change is not None:
            self._on_change()

    def _lost(self, conn: Any) -> None:
        """The connection broke (the server restarted, the network failed): connect again,
        and meanwhile forget cached callers, since changes may go unheard."""
        if self._stopping or conn is not self._conn:
            return
        log.warning("replica: lost the database connection; reconnecting")
        self._conn = None
        if self._on_change is not None:
            self._on_change()
        self._reconnecting = asyncio.get_running_loop().create_task(
            self._reconnect(), name="replica-reconnect"
        )

    async def _reconnect(self) -> None:
        while not self._stopping:
            try:
                conn = await self._connect()
            except (OSError, Exception):
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            if self._stopping:
                conn.terminate()
                return
            self._conn = conn
            if self._on_change is not None:
                self._on_change()  # what changed while we were away
            log.info("replica: reconnected")
            return

    async def stop(self) -> None:
        """Close the connection (the lock and the LISTEN go with it); never hangs."""
        self._stopping = True
        task, self._reconnecting = self._reconnecting, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await conn.close()
        except (TimeoutError, OSError, Exception):
            log.warning("replica: the database did not close the connection; dropped it")
            conn.terminate()
