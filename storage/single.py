"""One bot process per SQLite file.

SQLite serves one writer at a time and the bot keeps state per process (the JobQueue, the
courier, the caller cache), so two ``klaszterbot run`` on one file would send every reminder
twice and disagree about who may do what. ``hold_sqlite(url)`` takes an exclusive ``flock`` on
``<file>.lock`` for as long as the process lives; a second process gets ``AlreadyRunning`` with
the pid of the first. The command line's other subcommands (``members import`` …) take no lock:
they are short and may run beside the bot. PostgreSQL takes no lock: there any number of
replicas share the database (README, "Replicas").
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    """Another process holds the SQLite file; the message is one line for the operator."""


_held: dict[Path, int] = {}


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def hold_sqlite(url: str) -> Path | None:
    """Lock the SQLite file of ``url`` for this process (until it exits); returns the lock
    file, or None for a database that needs none. Raises ``AlreadyRunning``."""
    path = sqlite_path(url)
    if path is None:
        return None
    lock = path.with_name(path.name + ".lock")
    if lock in _held:
        return lock
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise AlreadyRunning(
            f"another klaszterbot process (pid {other}) is running on the SQLite database "
            f"{path}; SQLite serves one bot process: stop that one, or move to PostgreSQL "
            "(DATABASE_URL=postgresql+asyncpg://…) to run several"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[lock] = fd  # kept open: the lock lasts as long as the process
    return lock


def release(lock: Path) -> None:
    """Give the lock back (tests; a process that exits releases it anyway)."""
    fd = _held.pop(lock, None)
    if fd is not None:
        os.close(fd)
