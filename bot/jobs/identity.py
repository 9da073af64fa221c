"""Changes of who is who made by another process (the command line, another replica): every
committed identity change rewrites one database row (``storage.db.IDENTITY_EPOCH``); this
watcher reads it every second and, when it moved, empties the caller cache. So a cached
caller is trusted for long (``context.CallerCache``) and a change made elsewhere still holds
within a second."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from storage.db import IdentityGeneration

log = logging.getLogger(__name__)

#: How often another process's identity changes are looked for, in seconds (real time).
WATCH_SECONDS = 1.0


async def watch(app: Any) -> None:
    """Until cancelled: empty the caller cache whenever the identity epoch moves."""
    db = app.bot_data.db
    seen = await db.identity_epoch()
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        try:
            now = await db.identity_epoch()
        except Exception:  # the database away for a moment: the next look will tell
            log.warning("could not read the identity epoch", exc_info=True)
            continue
        if now != seen:
            seen = now
            IdentityGeneration.bump()


async def startup(app: Any) -> None:
    """Start the watcher (``stop`` ends it)."""
    app.bot_data.identity_watch = asyncio.create_task(watch(app), name="identity:watch")


async def stop(app: Any) -> None:
    task = getattr(app.bot_data, "identity_watch", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
