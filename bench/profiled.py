"""``python -m bot run``, profiled during the bursts of ``bench.cpu --profile DIR``.

    python -m bench.profiled DIR [sample|cprofile]

SIGUSR1 starts a profile, SIGUSR2 ends it and writes it under the name in ``DIR/next``:

- ``sample`` (the default): a thread looks at every thread's Python stack each millisecond
  (the GIL switch interval is cut to 50 µs meanwhile, or the samples would all land where the
  event loop's thread releases the GIL: sockets, stat() and epoll). Samples where a thread
  waits (the event loop in ``epoll``, the SQLite driver's thread on its queue) are dropped, so
  what remains is where the CPU went, coroutines included (a running coroutine's frame chain
  is the chain of awaits). ``<name>.txt``: the functions by inclusive
  and by own share of the event loop's thread, and what the other threads did;
  ``<name>.folded``: the stacks, for a flame graph (``flamegraph.pl``, speedscope).
- ``cprofile``: cProfile on the event loop thread's CPU clock (``<name>.prof``, for
  ``pstats``); exact call counts, but it inflates call-heavy code and misattributes time
  across awaits.

Either way ``<name>.sql.json`` counts the SQL statements (and commits) run meanwhile: on
SQLite as they reach the driver (``OneTripConnection.run``), elsewhere by SQLAlchemy's
``before_cursor_execute``.
"""

from __future__ import annotations

import json
import linecache
import re
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

#: Where a thread waits without using the CPU: (file, function, the line's text or "").
IDLE = {
    ("selectors.py", "select", ""),
    ("threading.py", "wait", ""),
    ("queue.py", "get", ""),
    ("threading.py", "_wait_for_tstate_lock", ""),
    ("thread.py", "_worker", "work_queue.get"),
    ("core.py", "_connection_worker_thread", "tx.get()"),  # aiosqlite's thread, waiting
}
INTERVAL = 0.001
#: While sampling, the event loop's thread hands the GIL over this soon (CPython's default,
#: 5 ms, would let the sampler look only where the thread blocks: sockets, stat(), epoll).
SWITCH_INTERVAL = 0.00005


def _idle(frame: Any) -> bool:
    code = frame.f_code
    name = Path(code.co_filename).name
    for file, function, text in IDLE:
        if name == file and code.co_name == function:
            line = linecache.getline(code.co_filename, frame.f_lineno) if text else ""
            if text in line:
                return True
    return False


Frame = tuple[str, int, str]


def _where(frame: Frame) -> str:
    path, line, name = frame
    for marker in ("/site-packages/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        root = str(Path(__file__).resolve().parents[1]) + "/"
        path = path.replace(root, "")
    return f"{path}:{line}:{name}"


class Sampler:
    """Samples every thread's stack every INTERVAL seconds until stopped."""

    def __init__(self) -> None:
        self.stacks: Counter[tuple[bool, tuple[Frame, ...]]] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)

    def _run(self) -> None:
        main, me = threading.main_thread().ident, threading.get_ident()
        while not self._stop.wait(INTERVAL):  # not time.sleep: libfaketime breaks it
            self.samples += 1
            for tid, frame in sys._current_frames().items():
                if tid == me or _idle(frame):
                    continue
                stack: list[Frame] = []
                f: Any = frame
                while f is not None:
                    code = f.f_code
                    stack.append((code.co_filename, code.co_firstlineno, code.co_name))
                    f = f.f_back
                self.stacks[(tid == main, tuple(reversed(stack)))] += 1

    def report(self, updates: int | None = None) -> str:
        main = {s: n for (is_main, s), n in self.stacks.items() if is_main}
        other = {s: n for (is_main, s), n in self.stacks.items() if not is_main}
        busy = sum(main.values())
        lines = [
            f"samples every {INTERVAL * 1000:.0f} ms: {self.samples}; the event loop's thread "
            f"busy in {busy}, other threads busy in {sum(other.values())}",
            "",
            "event loop's thread, inclusive (share of its busy samples):",
        ]
        inclusive: Counter[str] = Counter()
        own: Counter[str] = Counter()
        for stack, n in main.items():
            for where in {_where(f) for f in stack}:
                inclusive[where] += n
            own[_where(stack[-1])] += n
        lines += [f"  {n / busy:6.1%}  {w}" for w, n in inclusive.most_common(120)]
        lines += ["", "event loop's thread, own time:"]
        lines += [f"  {n / busy:6.1%}  {w}" for w, n in own.most_common(60)]
        lines += ["", "other threads, innermost Python frame:"]
        others: Counter[str] = Counter()
        for stack, n in other.items():
            others[_where(stack[-1])] += n
        total = max(1, sum(others.values()))
        lines += [f"  {n / total:6.1%}  {w}" for w, n in others.most_common(20)]
        return "\n".join(lines) + "\n"

    def folded(self) -> str:
        return "".join(
            f"{'main' if is_main else 'other'};{';'.join(_where(f) for f in stack)} {n}\n"
            for (is_main, stack), n in self.stacks.items()
        )


def main(directory: str, kind: str = "sample") -> int:
    import cProfile
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot import cli
    from bot.settings import load_settings

    target = Path(directory)
    running: list[Any] = []
    statements: Counter[str] = Counter()

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if running:
            statements[re.sub(r"\s+", " ", statement)[:300]] += 1

    def committed(_conn: Any) -> None:
        if running:
            statements["COMMIT"] += 1

    if load_settings().database_url.startswith("sqlite"):  # as the bot will read it
        # Every SQLite statement reaches the one-trip driver, prepared ones too: a listener of
        # the cursor's statements would send those through SQLAlchemy (storage.prepared).
        from storage.sqlite_driver import OneTripConnection

        run = OneTripConnection.run

        async def run_counted(self: Any, operation: str, *args: Any, **kwargs: Any) -> Any:
            counted(None, None, operation)
            return await run(self, operation, *args, **kwargs)

        OneTripConnection.run = run_counted  # type: ignore[method-assign]
    else:
        event.listen(Engine, "before_cursor_execute", counted)
    event.listen(Engine, "commit", committed)

    def on(*_: object) -> None:
        statements.clear()
        if kind == "cprofile":
            profile = cProfile.Profile(time.thread_time)  # CPU, not waiting
            profile.enable()
            running[:] = [profile]
        else:
            sampler = Sampler()
            sampler.start()
            running[:] = [sampler]

    def off(*_: object) -> None:
        if not running:
            return
        name = (target / "next").read_text(encoding="utf-8").strip()
        found = running.pop()
        if isinstance(found, Sampler):
            found.stop()
            (target / f"{name}.txt").write_text(found.report(), encoding="utf-8")
            (target / f"{name}.folded").write_text(found.folded(), encoding="utf-8")
        else:
            found.disable()
            found.dump_stats(target / f"{name}.prof")
        text = json.dumps(statements.most_common(), ensure_ascii=False, indent=1)
        (target / f"{name}.sql.json").write_text(text, encoding="utf-8")

    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGUSR2, off)
    return cli.main(["run"])


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
