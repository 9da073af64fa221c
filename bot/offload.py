"""CPU work that would hold the event loop runs in a worker process.

A thread is not enough for everything: matplotlib's Agg renderer draws in C++ without
releasing the GIL, so a chart in a thread held the loop for a second. One worker process,
started on first use (in a thread: starting it blocks for a quarter second) with the ``spawn``
method (not forked from a process with running threads), serves the whole process. It ends
when the bot does, even after a SIGKILL (it watches its parent), so it never outlives the bot
holding its standard streams.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _watch_parent(parent: int) -> None:
    """In the worker: end when the bot (its parent) is gone, however it ended."""

    def watch() -> None:
        tick = threading.Event()
        while os.getppid() == parent:
            tick.wait(1.0)  # not time.sleep: it fails under libfaketime
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _start() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
            pool.submit(int).result()  # the worker process starts on the first submit
            atexit.register(pool.shutdown, wait=False, cancel_futures=True)
            _pool = pool
        return _pool


async def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the worker process (both must pickle)."""
    pool = _pool or await asyncio.to_thread(_start)
    return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
