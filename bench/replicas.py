"""Updates per second with 1 and 2 replicas in webhook mode on one PostgreSQL database.

    python -m bench.replicas [--updates 1500] [--members 300] [--smoke]

Each replica is a real ``python -m bot run`` process in webhook mode; ``fakeapi`` pushes the
updates (members asking ``/profil``: a caller lookup and a rendered answer) over loopback to the
replicas' webhook URLs, round-robin, up to 40 requests in flight as Telegram does, one chat's
updates in order. Measured: from the first push until every update has been answered; and the
CPU the replicas used per update (from /proc). On a machine with fewer free cores than replicas
the second replica buys little: the figure says what this machine gives, not a law.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import FIRST_ID, TOKEN, database, fill_members, postgres_available
from bench.cpu import Watched, start_bot
from fakeapi import FakeTelegram
from fakeapi.http import serve
from fakeapi.webhook import pushing
from storage.db import Database
from tests.e2e.processes import free_port, until, webhook_env

SECRET = "bench-replicas"
WARM_UP = 30


@dataclass(frozen=True)
class Result:
    """One run."""

    replicas: int
    updates: int
    seconds: float
    cpu_seconds: float
    spread: tuple[int, ...]

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / self.updates


def _answers(tg: FakeTelegram) -> int:
    return sum(1 for c in tg.calls if c.ok and c.method == "sendMessage")


async def _burst(tg: FakeTelegram, count: int, members: int) -> None:
    start = _answers(tg)
    for n in range(count):
        tg.message(tg.users[FIRST_ID + n % members], "/profil")
    await until(lambda: _answers(tg) >= start + count, 600)


async def measure(replicas: int, updates: int, members: int) -> Result:
    """Start ``replicas`` bots on a fresh database, warm them up, time ``updates`` updates."""
    tg = FakeTelegram(token=TOKEN, check_results=False)
    tg.webhook_allow_http = tg.webhook_spread = True
    for i in range(members):
        tg.add_user(first_name=f"Tag{i}", id=FIRST_ID + i).started = True
    async with database("postgresql") as url, serve(tg) as base_url, pushing(tg) as pusher:
        db = Database(url)
        db.open()
        try:
            await fill_members(db, members, first=0)
        finally:
            await db.close()
        bots: list[Watched] = []
        with tempfile.TemporaryDirectory() as tmp:
            try:
                for n in range(replicas):
                    workdir = Path(tmp) / f"r{n}"
                    workdir.mkdir()
                    env = webhook_env(free_port(), SECRET)
                    bots.append(await start_bot(workdir, base_url, url, **env))
                await until(lambda: len(tg.webhook_targets) == replicas, 120)
                await _burst(tg, WARM_UP * replicas, members)
                before = dict(pusher.delivered)
                cpu = sum(b.cpu() for b in bots)
                started = time.perf_counter()
                await _burst(tg, updates, members)
                seconds = time.perf_counter() - started
                cpu = sum(b.cpu() for b in bots) - cpu
                spread = tuple(n - before.get(u, 0) for u, n in sorted(pusher.delivered.items()))
            finally:
                for bot in bots:
                    await bot.stop()
    return Result(replicas, updates, seconds, cpu, spread)


def table(results: list[Result]) -> list[str]:
    """Rows of the benchmark table."""
    return [
        f"| replicas | {r.replicas} in webhook mode, PostgreSQL | {r.updates:,} × /profil | "
        f"{r.per_second:.0f} updates/s | {r.cpu_ms:.1f} ms CPU/update | "
        f"spread {'/'.join(map(str, r.spread))} | {r.seconds:.1f} s |"
        for r in results
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="a few updates, to prove it runs")
    args = parser.parse_args(argv)
    if not asyncio.run(postgres_available()):
        print("bench.replicas: PostgreSQL does not answer on 127.0.0.1:5432; nothing measured")
        return 1
    updates, members = (40, 20) if args.smoke else (args.updates, args.members)
    results = [asyncio.run(measure(n, updates, members)) for n in (1, 2)]
    print("| measure | case | load | throughput | CPU | spread | time |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
