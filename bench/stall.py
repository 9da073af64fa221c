"""Loop stalls: how long the event loop is held while the monthly digest goes to everyone.

    python -m bench.stall [--members 10000]

Runs in its own process: N members are bulk-loaded, the bot is started against the fake Bot
API (which keeps no history here: its 20,000 messages would weigh on this process's garbage
collections, which are the bot's), and the monthly work-plan digest (a 20-task plan, its
chart, a caption and a text) goes to all N through the outbox. A probe task asks to wake every
5 ms; how late it wakes is how long something held the loop, and the CPU time the loop's thread
used meanwhile tells the bot's share from the machine's load. Goal: the longest stall under
100 ms. The outbox's own pace is lifted (this measures the bot, not Telegram's 30 messages a
second), and the resident memory is read at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from typing import Any

from bench.common import (
    FIRST_ID,
    TOKEN,
    database,
    fill_members,
    make_plan,
    rss_mib,
    running_bot,
)
from bot.proc import run as run_process
from fakeapi import FakeTelegram

TICK = 0.005


class Probe:
    """Wakes every TICK seconds and records how late it woke."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        #: CPU time the loop's thread used during each late wake-up (what our code held it for,
        #: as against time the machine gave to other processes).
        self.cpu_stalls: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            planned = loop.time() + TICK
            cpu = time.thread_time()
            await asyncio.sleep(TICK)
            late = max(0.0, loop.time() - planned)
            self.stalls.append(late)
            self.cpu_stalls.append(min(late, time.thread_time() - cpu))

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif info.get("generation") == 2:
            self.gc_pauses.append(time.perf_counter() - self._gc_start)

    def __enter__(self) -> Probe:
        self.gc_pauses: list[float] = []
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        gc.callbacks.remove(self._gc)

    @property
    def longest_ms(self) -> float:
        return max(self.stalls, default=0.0) * 1000

    @property
    def longest_cpu_ms(self) -> float:
        return max(self.cpu_stalls, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.stalls)
        return ordered[int(len(ordered) * 0.99)] * 1000 if ordered else 0.0


async def measure(members: int) -> dict[str, Any]:
    """One run, in this process."""
    from bot.courier import make_pacer
    from bot.jobs import workplan as jobs
    from bot.services.schedule import Slot, SlotKind
    from storage.models.outbox import OutboxMessage, OutboxState

    tg = FakeTelegram(token=TOKEN, check_results=False)
    tg.keep_history = False  # 20,000 stored calls and messages are the fake's, not the bot's
    async with database("sqlite") as url, running_bot(url, tg) as app:
        data = app.bot_data
        data.courier.pacer = make_pacer(rate=1e9, burst=1)
        await fill_members(data.db, members)
        for i in range(1, members + 1):
            tg.add_user(first_name=f"Tag{i}", id=FIRST_ID + i).started = True
        now = data.clock.now()
        await make_plan(app)
        idle_rss = rss_mib()
        slot = Slot(SlotKind.MONTHLY_DIGEST, f"bench:monthly:{members}", now)
        start = time.perf_counter()
        with Probe() as probe:
            queued = await jobs.SENDERS[slot.kind](app, slot, now)
            queue_stalls = list(probe.stalls)
            data.courier.wake()
            queued_at = time.perf_counter() - start
            await data.settle()
            seconds = time.perf_counter() - start
            from sqlalchemy import func, select

            async with data.db.unit() as uow:
                sent = await uow.session.scalar(
                    select(func.count()).where(OutboxMessage.state == OutboxState.SENT)
                )
        return {
            "members": members,
            "queued": queued,
            "sent": int(sent or 0),
            "queue_s": queued_at,
            "seconds": seconds,
            "longest_ms": probe.longest_ms,
            "queue_longest_ms": max(queue_stalls, default=0.0) * 1000,
            "gc_longest_ms": max(probe.gc_pauses, default=0.0) * 1000,
            "longest_cpu_ms": probe.longest_cpu_ms,
            "p99_ms": probe.p99_ms,
            "idle_rss_mib": idle_rss,
            "rss_mib": rss_mib(),
        }


def run(members: int) -> dict[str, Any]:
    """In a fresh process, so that the memory figure is the bot's own."""
    result = run_process([sys.executable, "-m", "bench.stall", "--one", str(members)], timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def table(result: dict[str, Any]) -> list[str]:
    verdict = "met" if result["longest_ms"] < 100 else "MISSED (100 ms)"
    if verdict != "met" and result["longest_cpu_ms"] < 100:
        verdict = "met by the bot's CPU; the rest is the machine's load"
    return [
        f"| loop stall | monthly digest to {result['members']:,} members | "
        f"longest {result['longest_ms']:.0f} ms (while queuing "
        f"{result['queue_longest_ms']:.0f} ms), p99 {result['p99_ms']:.1f} ms | "
        f"of which CPU of the loop's thread at most {result['longest_cpu_ms']:.0f} ms, "
        f"longest full GC {result['gc_longest_ms']:.0f} ms | "
        f"queued in {result['queue_s']:.2f} s, all {result['sent']:,} sent in "
        f"{result['seconds']:.1f} s | RSS {result['idle_rss_mib']:.0f} → "
        f"{result['rss_mib']:.0f} MiB | {verdict} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(measure(args.one))))
        return
    print("\n".join(table(run(args.members))))


if __name__ == "__main__":
    main()
