"""CPU work that would hold the event loop runs in a child process of its own.

A thread is not enough for everything: matplotlib's Agg renderer draws in C++ without
releasing the GIL, so a chart in a thread held the loop for a second. Each task runs in a child
(``python -m bot.offload``): the function and its arguments go to it pickled on its standard
input, the result (or the exception) comes back pickled on its standard output, and the child
ends. Nothing stays resident between tasks: a worker kept for the bot's life held 118 MiB
(matplotlib, and multiprocessing's resource tracker) for charts and minutes drawn a few times a
month (issue 16). A task pays the child's start instead, about a second of CPU, none of it on
the loop. A child watches its parent: if the bot is killed mid-task, the child ends within a
second rather than outliving it holding its standard streams.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class OffloadFailed(Exception):
    """The child ended without an answer (killed, or out of memory)."""


async def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a child process (both must pickle); its exception is raised here."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.offload", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, _ = await process.communicate(pickle.dumps((function, args)))
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0 or not out:
        raise OffloadFailed(f"the worker process ended with {process.returncode}")
    ok, value = pickle.loads(out)
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _watch_parent(parent: int) -> None:
    """End this child when the bot (its parent) is gone, however it ended."""

    def watch() -> None:
        tick = threading.Event()
        while os.getppid() == parent:
            tick.wait(1.0)  # not time.sleep: it fails under libfaketime
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _answer(ok: bool, value: Any) -> bytes:
    try:
        return pickle.dumps((ok, value))
    except Exception:  # an exception that does not pickle: its words do
        return pickle.dumps((False, RuntimeError(f"{type(value).__name__}: {value}")))


def _child() -> int:
    _watch_parent(os.getppid())
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the work prints goes to standard error, not into the answer
    sys.stdout = sys.stderr
    function, args = pickle.load(sys.stdin.buffer)
    try:
        reply = _answer(True, function(*args))
    except Exception as exc:
        reply = _answer(False, exc)
    answer.write(reply)
    answer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
