"""Vote burst: N members with the vote press their button at once; then the ballot closes.

    python -m bench.votes [--voters 1000 10000] [--db sqlite|postgresql]

Every voter's press reaches the real Application (the updates are queued as Telegram would
deliver a burst, and processed in order); afterwards the turnout must equal N and every vote
must be counted exactly once. Printed: time to absorb the burst, votes per second, and the time
to close and tally (target: under one second for 10,000 votes).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Update

from bench.common import FIRST_ID, TOKEN, database, fill_members, running_bot
from bot.jobs import ballots as ballot_jobs
from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.roles import standing_of
from fakeapi import FakeTelegram


@dataclass
class Burst:
    """One burst."""

    voters: int
    db: str
    absorb_seconds: float
    counted: int
    turnout: int
    close_seconds: float

    @property
    def per_second(self) -> float:
        return self.voters / self.absorb_seconds


async def burst(voters: int, db_kind: str = "sqlite") -> Burst:
    """Publish a ballot to ``voters`` members, let all of them vote, close it."""
    tg = FakeTelegram(token=TOKEN, check_results=False)
    users = [tg.add_user(first_name="Tag", id=FIRST_ID + i) for i in range(voters + 1)]
    for user in users:
        tg.message(user, "/start", deliver=False)
    async with database(db_kind) as url, running_bot(url, tg) as app:
        data = app.bot_data
        await fill_members(data.db, 1, first=0)
        await fill_members(data.db, voters, first=1)
        async with data.db.unit() as uow:
            author = await uow.members.by_telegram_id(FIRST_ID)
            assert author is not None
            author.is_ksz = True
        async with data.db.unit() as uow:
            author = await uow.members.by_telegram_id(FIRST_ID)
            ballot = await ballots.publish(
                uow,
                BallotDraft(
                    question="Elfogadja a Közgyűlés a 2027. évi költségvetést?",
                    deadline=data.clock.now() + timedelta(days=3),
                ),
                standing_of(author),
                data.clock.now(),
                yes_no_labels=("Igen", "Nem", "Tartózkodom"),
                abstain_label="Tartózkodom",
            )
            await ballot_jobs.queue_ballot(uow, data, ballot)
        data.courier.wake()
        await data.settle()
        updates = []
        for i, user in enumerate(users[1:]):
            message = next(m for m in tg.outbox(user) if m.buttons)
            option = ballot.options[i % 3].id
            updates.append(tg.press(user, message, f"vote:c:{ballot.id}:{option}", deliver=False))
        tg.clear_calls()
        start = time.perf_counter()
        # As Telegram delivers a burst: all into the update queue, the app's processor takes
        # them (chats in parallel, each chat in order).
        for update in updates:
            await app.update_queue.put(Update.de_json(update, app.bot))
        await _drained(app)
        await data.settle()
        absorbed = time.perf_counter() - start
        async with data.db.unit() as uow:
            counted = sum(c.votes for c in await ballots.current_counts(uow, ballot))
            turnout = await uow.ballots.turnout(ballot.id)
        start = time.perf_counter()
        async with data.db.unit() as uow:
            closing = await ballots.close(
                uow, ballot.id, data.clock.now(), "bench", data.settings.tz
            )
        closed = time.perf_counter() - start
        assert closing is not None and closing.tally.turnout == voters
        return Burst(voters, db_kind, absorbed, counted, turnout, closed)


async def _drained(app: Any) -> None:
    """Until the update queue is empty and no update is being processed."""
    # PTB offers no event for "all processed": poll.
    while not app.update_queue.empty() or app.update_processor.current_concurrent_updates:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def table(results: list[Burst]) -> list[str]:
    """Rows of the vote-burst table."""
    lines = []
    for r in results:
        exact = "every vote once" if r.counted == r.turnout == r.voters else "MISCOUNT"
        verdict = "met" if r.close_seconds < 1.0 else "MISSED (1 s)"
        lines.append(
            f"| vote burst ({r.db}) | {r.voters:,} voters | absorbed in {r.absorb_seconds:.1f} s"
            f" ({r.per_second:.0f}/s), {exact} | close and tally {r.close_seconds * 1000:.0f} ms"
            f" | {verdict} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    results = [asyncio.run(burst(n, args.db)) for n in args.voters]
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
