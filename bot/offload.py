"""CPU work that would hold the event loop runs in a worker process.

A thread is not enough for everything: matplotlib's Agg renderer draws in C++ without
releasing the GIL, so a chart in a thread held the loop for a second. One worker process,
started on first use with the ``forkserver`` method (not forked from a process with running
threads), serves the whole process and is stopped at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("forkserver")
        )
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def _start() -> None:
    _executor().submit(int).result()  # the worker process starts on the first submit


async def start() -> None:
    """Start the worker process now, in a thread: its start blocks for a quarter second."""
    await asyncio.to_thread(_start)


async def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the worker process (both must pickle)."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), function, *args)
