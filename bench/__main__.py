"""``python -m bench``: every benchmark, one table.

    python -m bench            # the full run recorded in bench/RESULTS.md (tens of minutes)
    python -m bench --smoke    # seconds: proves every benchmark works (CI runs this)

1. overhead per update against a bare python-telegram-bot bot (SQLite, and PostgreSQL when
   it answers on 127.0.0.1:5432); 2. vote bursts; 3. a broadcast under Telegram's flood limits;
   4. growth of memory and of the heaviest answers with the number of members; 5. the longest
   event-loop stall while the monthly digest goes to every member; 6. CPU per update of the bot
   and of a bare PTB bot as processes, from /proc, and the bot's resident memory (issue 16);
   7. updates per second with 1 and 2 replicas in webhook mode on PostgreSQL (issue 19).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform

from bench import broadcast, cpu, growth, overhead, replicas, stall, votes
from bench.common import postgres_available


def machine() -> str:
    """One line on where the figures came from."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run of everything")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    smoke = args.smoke
    databases = ["sqlite"]
    if not args.no_postgres and asyncio.run(postgres_available()):
        databases.append("postgresql")
    print(f"Machine: {machine()}")
    print("| measure | case | figures | | | | result |")
    print("|---|---|---|---|---|---|---|")
    for db in databases:
        rows = asyncio.run(overhead.measure(20 if smoke else 500, db))
        print("\n".join(overhead.table(rows, db)))
    for db in databases:
        sizes = [30] if smoke else [1000, 10000]
        print("\n".join(votes.table([asyncio.run(votes.burst(n, db)) for n in sizes])))
    result = asyncio.run(broadcast.run(40 if smoke else 1000))
    verdict = "met" if result.ratio <= 1.15 else "MISSED (1.15x)"
    print(
        f"| broadcast | {result.recipients:,} recipients, flood limits on | "
        f"{result.seconds:.1f} s, floor {result.floor:.1f} s | ratio {result.ratio:.3f} | "
        f"429s: {result.flood_hits} | {dict(result.states)} | {verdict} |"
    )
    sizes = [100, 200] if smoke else [100, 1000, 10000, 100000]
    print("\n".join(growth.table(growth.run_sizes(sizes))))
    print("\n".join(stall.table(stall.run(200 if smoke else 10_000))))
    for db in databases:  # memory only once: it is measured on SQLite
        people = (10, 8) if smoke else (500, 200)
        memory = ((30, 200) if smoke else (10_000, 100_000)) if db == "sqlite" else (0, 0)
        costs = asyncio.run(
            cpu.measure(
                *people, *memory, db_kind=db, idle=1.0 if smoke else 3.0,
                rounds=1 if smoke else 3,
            )
        )  # fmt: skip
        print("\n".join(cpu.table(costs)))
    if "postgresql" in databases:  # replicas share PostgreSQL only
        load = (40, 20) if smoke else (1500, 300)
        print("\n".join(replicas.table([asyncio.run(replicas.measure(n, *load)) for n in (1, 2)])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
