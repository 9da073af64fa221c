"""Memory the bot freed goes back to the system.

After a large piece of work (the monthly digest to 10,000 members loads them, queues and sends
10,000 messages) Python frees the objects, but glibc's ``malloc`` keeps the freed pages for
later, and the resident set stays where the peak left it. A JobQueue job looks at the resident
set every ten seconds and, when it grew by more than ``GROWTH`` since the last trim, calls
``malloc_trim(0)`` (a few milliseconds); the first look, at start, trims what the start-up
freed. An idle bot reads one line of ``/proc`` every ten seconds; on a system without glibc the
job is not started.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Callable
from typing import Any

from bot import scheduler

log = logging.getLogger(__name__)

#: How often the resident set is looked at, in seconds.
LOOK_SECONDS = 10.0
#: Growth of the resident set since the last trim that calls for another, in bytes.
GROWTH = 1 << 20
JOB_NAME = "memory:trim"
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    """This process's resident set, in bytes (``/proc/self/statm``, Linux)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    return trim  # type: ignore[no-any-return]


def _proc() -> bool:
    try:
        return resident() > 0
    except OSError:
        return False


class Trimmer:
    """Trims when the resident set grew since the last trim (the first look trims)."""

    def __init__(self, trim: Callable[[int], int], measure: Callable[[], int] = resident) -> None:
        self.trim, self.measure = trim, measure
        self.after = 0

    def look(self) -> bool:
        if self.measure() - self.after < GROWTH:
            return False
        self.trim(0)
        self.after = self.measure()
        return True


async def startup(app: Any) -> None:
    """Look every ten seconds (Linux with glibc only)."""
    trim = _malloc_trim()
    if trim is None or not _proc():
        return
    trimmer = Trimmer(trim)

    async def look(_app: Any) -> None:
        if trimmer.look():
            log.debug("freed memory returned: resident %d MiB", trimmer.after >> 20)

    scheduler.every(app, look, LOOK_SECONDS, JOB_NAME)
