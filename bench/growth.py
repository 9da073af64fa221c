"""Growth: how the bot's memory and its heaviest answers grow with the cluster.

    python -m bench.growth [--sizes 100 1000 10000 100000]

Each size runs in a fresh process (so resident memory is that process's own): N members are
bulk-loaded, the bot is started against the fake Bot API, and it measures the resident memory,
the time to render a member-directory page (/tagok), to publish a ballot to all N (roll
included, delivery excluded) and to build the monthly work-plan digest for everyone. Costs
must grow no worse than linearly; a step that grows faster than its size is flagged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from telegram import Update

from bench.common import (
    FIRST_ID,
    TOKEN,
    database,
    fill_members,
    make_plan,
    rss_mib,
    running_bot,
)
from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.roles import standing_of
from fakeapi import FakeTelegram


async def _digest_seconds(app: Any) -> float:
    """Time to build the monthly work-plan digest for everyone: summary, chart, text, recipients.

    The plan has 20 tasks; what grows with the cluster is the list of recipients."""
    from bot.delivery import recipients
    from bot.services import workplan
    from bot.services.schedule import SlotKind
    from bot.views import charts
    from bot.views import workplan as views

    data = app.bot_data
    now, tz = data.clock.now(), data.settings.tz
    today = now.astimezone(tz).date()
    await make_plan(app)
    t = data.translations.get(None)
    start = time.perf_counter()
    async with data.db.unit() as uow:
        summary = await workplan.plan_summary(uow, now, tz)
        assert summary is not None
        targets = await recipients(uow, list(await uow.members.active()))
    await asyncio.to_thread(charts.progress_chart, t, summary)
    views.digest_text(t, summary, SlotKind.MONTHLY_DIGEST, None, today)
    assert targets
    return time.perf_counter() - start


async def measure(size: int) -> dict[str, Any]:
    """One size, in this process."""
    tg = FakeTelegram(token=TOKEN, check_results=False)
    reader = tg.add_user(first_name="Olvasó", id=FIRST_ID)
    tg.message(reader, "/start", deliver=False)
    async with database("sqlite") as url, running_bot(url, tg) as app:
        data = app.bot_data
        await fill_members(data.db, 1, first=0)
        await fill_members(data.db, size - 1, first=1)
        async with data.db.unit() as uow:
            author = await uow.members.by_telegram_id(FIRST_ID)
            assert author is not None
            author.is_ksz = True
        update = Update.de_json(tg.message(reader, "/tagok", deliver=False), app.bot)
        await app.process_update(update)  # warm the caches once
        start = time.perf_counter()
        for _ in range(5):
            await app.process_update(
                Update.de_json(tg.message(reader, "/tagok", deliver=False), app.bot)
            )
        directory = (time.perf_counter() - start) / 5
        async with data.db.unit() as uow:
            author = await uow.members.by_telegram_id(FIRST_ID)
            start = time.perf_counter()
            await ballots.publish(
                uow,
                BallotDraft(question="Mérés?", deadline=data.clock.now() + timedelta(days=3)),
                standing_of(author),
                data.clock.now(),
                yes_no_labels=("Igen", "Nem", "Tartózkodom"),
                abstain_label="Tartózkodom",
            )
        publish = time.perf_counter() - start
        digest = await _digest_seconds(app)
        return {
            "size": size,
            "rss_mib": rss_mib(),
            "directory_ms": directory * 1000,
            "publish_ms": publish * 1000,
            "digest_ms": digest * 1000,
        }


def run_sizes(sizes: list[int]) -> list[dict[str, Any]]:
    """Each size in its own process."""
    results = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.growth", "--one", str(size)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def table(results: list[dict[str, Any]]) -> list[str]:
    """Rows of the growth table, with a flag where a cost grows faster than linearly."""
    lines = []
    previous: dict[str, Any] | None = None
    for r in results:
        flags = []
        if previous is not None:
            factor = r["size"] / previous["size"]
            for key in ("directory_ms", "publish_ms", "digest_ms"):
                if r[key] is not None and previous[key]:
                    growth = r[key] / previous[key]
                    if growth > factor * 1.5 and r[key] > 5:
                        flags.append(f"{key} x{growth:.1f} for x{factor:.0f} members")
        digest = f"{r['digest_ms']:.0f} ms"
        lines.append(
            f"| growth | {r['size']:,} members | RSS {r['rss_mib']:.0f} MiB | directory page "
            f"{r['directory_ms']:.1f} ms | publish {r['publish_ms']:.0f} ms | digest {digest} | "
            f"{'; '.join(flags) or 'linear or better'} |"
        )
        previous = r
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(asyncio.run(measure(args.one))))
        return 0
    print("\n".join(table(run_sizes(args.sizes))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
