"""Changes of who is who made by another process on SQLite (the command line).

Every committed identity change on SQLite rewrites one database row
(``storage.db.IDENTITY_EPOCH``); a JobQueue job reads it every second and, when it moved,
empties the caller cache. So a cached caller is trusted for long (``bot.context.CallerCache``)
and a change made elsewhere still holds within a second. A JobQueue job, not a task of its own:
PTB stops it with the JobQueue. On PostgreSQL every process hears of a change at once through
NOTIFY (``storage.replica``), so this job does not run there.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import scheduler
from storage.db import IdentityGeneration

log = logging.getLogger(__name__)

#: How often another process's identity changes are looked for, in seconds.
WATCH_SECONDS = 1.0
JOB_NAME = "identity:watch"


async def look(app: Any) -> None:
    """Empty the caller cache if the identity epoch moved since the last look. On SQLite the
    epoch is read only when a file changed (a commit, by any process): an idle bot queries
    nothing."""
    data = app.bot_data
    mark = data.db.file_mark()
    if mark is not None and mark == data.identity_files:
        return
    try:
        epoch = await data.db.identity_epoch()
    except Exception:  # the database away for a moment: the next look will tell
        log.warning("could not read the identity epoch", exc_info=True)
        return
    data.identity_files = mark
    if epoch != data.identity_epoch:
        data.identity_epoch = epoch
        IdentityGeneration.bump()


async def startup(app: Any) -> None:
    """Note the epoch as it is now, then look again every second (SQLite only)."""
    data = app.bot_data
    if data.db.dialect != "sqlite":
        return
    data.identity_files = data.db.file_mark()
    data.identity_epoch = await data.db.identity_epoch()
    scheduler.every(app, look, WATCH_SECONDS, JOB_NAME)
