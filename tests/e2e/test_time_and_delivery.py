"""Time and delivery you can trust: no deadline lost to a blocked loop, nothing lost to a flaky
Bot API or a hard kill (issue 12)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.app import BotApp
from bot.services.clock import FakeClock
from fakeapi import FakeTelegram, FakeUser, Faults
from storage.db import Database
from storage.models.ballots import Ballot, BallotStatus
from storage.models.outbox import OutboxMessage, OutboxState
from tests.conftest import START
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast
from tests.e2e.test_announcements import delivered, got

VOTERS = ("internal", "founder", "chair", "catalyst")
MEMBERS = ("external", "internal", "founder", "chair", "catalyst", "ksz")


class RunningClock(FakeClock):
    """Real time, but from a fixed start: the schedule waits for real on any date."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.current + timedelta(seconds=time.monotonic() - self._t0)

    def set(self, when: datetime) -> None:
        self._t0 = time.monotonic()
        self.current = when


def block_the_loop(seconds: float) -> None:
    """Hold the event loop as a long chart or export would (time.sleep fails under faketime)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def publish(harness: BotHarness, author: FakeUser, question: str = "Halasszuk el?") -> None:
    await harness.send(author, f"/szavazas_uj\nKérdés: {question}\nHatáridő: 3")
    await harness.press_label(author, harness.last(author), "Közzététel")


async def the_ballot(db: Database) -> Ballot:
    async with db.unit() as uow:
        [ballot] = await uow.ballots.recent(1)
        return ballot


def received(tg: FakeTelegram, user: FakeUser, marker: str) -> list[str]:
    """Texts containing ``marker`` that reached ``user`` (calls that succeeded, or that took
    effect before an injected fault lost the answer)."""
    return [
        str(c.params.get("text", ""))
        for c in tg.calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == user.id
        and (c.ok or (c.injected and c.result is not None))
        and marker in str(c.params.get("text", ""))
    ]


async def outbox_states(db: Database, batch: str) -> Counter[OutboxState]:
    async with db.unit() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage.state).where(OutboxMessage.batch == batch)
        )
        return Counter(rows)


async def wait_for(app: BotApp, seconds: float = 0.5) -> None:
    """Let the loop run the overdue timers, then wait for the jobs and deliveries."""
    await asyncio.sleep(seconds)
    await app.job_queue.drain()
    await app.bot_data.settle()


async def test_a_blocked_loop_loses_no_deadline(db: Database, tg: FakeTelegram, cast: Cast) -> None:
    clock = RunningClock(START)
    async with bot_on(db, tg, clock) as harness:
        await publish(harness, cast.ksz)
        await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
        ballot = await the_ballot(db)
        # past the 24-hour reminder, one second before the 2-hour one
        clock.set(ballot.deadline - timedelta(hours=2, seconds=1))
        await asyncio.sleep(0)
        block_the_loop(3.0)  # a chart, a large export: the reminder's moment passes meanwhile
        await wait_for(harness.app)
        assert await outbox_states(db, f"ballot:{ballot.id}:remind:2") == {OutboxState.SENT: 3}
        for role in ("founder", "chair", "catalyst"):
            reminders = received(tg, getattr(cast, role), "Emlékeztető")
            assert len(reminders) == 2, (role, reminders)  # the 24-hour and the 2-hour one
        assert received(tg, cast.internal, "Emlékeztető") == []
        # one second before the deadline, and the loop is blocked across it
        clock.set(ballot.deadline - timedelta(seconds=1))
        await asyncio.sleep(0)
        block_the_loop(3.0)
        await wait_for(harness.app)
        closed = await the_ballot(db)
        assert closed.status is BallotStatus.CLOSED
        for role in MEMBERS:
            results = received(tg, getattr(cast, role), "eredménye")
            assert len(results) == 1, (role, results)


async def test_a_flaky_bot_api_loses_nothing(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    tg.faults = Faults(rate=0.1, seed=12)
    # a ballot reaches every voter, once
    await publish(harness, cast.ksz, "Elfogadja a Közgyűlés a tagdíjat?")
    ballot = await the_ballot(db)
    for role in VOTERS:
        assert len(received(tg, getattr(cast, role), f"Szavazás #{ballot.id} –")) == 1, role
    # every vote is counted, once (a press whose answer was lost is pressed again)
    for role in VOTERS:
        user = getattr(cast, role)
        message = next(m for m in tg.outbox(user) if m.buttons and f"#{ballot.id} –" in m.text)
        data = next(d for row in message.buttons for label, d in row if label == "Igen")
        assert data is not None
        await harness.press(user, message, data)
        await harness.press(user, message, data, forge=True)  # pressed again: no double
    async with db.unit() as uow:
        assert await uow.ballots.turnout(ballot.id) == 4
    # the result reaches every member, once
    clock.advance(days=3, minutes=1)
    await harness.run_due_jobs()
    for role in MEMBERS:
        results = received(tg, getattr(cast, role), f"Szavazás #{ballot.id} eredménye")
        assert len(results) == 1, (role, results)
        assert "Igen: 4 szavazat" in results[0]
    # an announcement reaches its audience
    await harness.send(cast.ksz, "/kozlemeny")
    await harness.send(cast.ksz, "Jövő héten közgyűlés.")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Minden tag")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Tovább")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Küldés")
    await delivered(harness.app)
    for role in MEMBERS:
        assert got(tg, getattr(cast, role)), role
    # a question reaches the katalizátor and the answer comes back
    from tests.e2e.test_routing import _join

    await _join(db, clock, "Belső Béla", "Innováció")
    await harness.send(cast.internal, "/katalizator")
    for n in range(5):
        await harness.send(cast.internal, f"Kérdés {n}: mikor lesz a pályázat?")
        question = next(m for m in reversed(tg.outbox(cast.catalyst)) if f"Kérdés {n}:" in m.text)
        await harness.send(cast.catalyst, f"Válasz {n}: jövő héten.", reply_to=question)
        assert any(f"Válasz {n}:" in m.text for m in tg.outbox(cast.internal)), n
    # the bot keeps answering
    await harness.send(cast.internal, "/kesz")
    assert texts(await harness.send(cast.internal, "/sugo"))
    assert tg.faults.total > 10  # the faults did strike


async def test_a_kill_after_publishing_or_closing_loses_nothing(
    db: Database, tg: FakeTelegram, cast: Cast, clock: FakeClock
) -> None:
    async with bot_on(db, tg, clock) as harness:
        await harness.app.bot_data.courier.halt()  # dies before sending anything
        await publish(harness, cast.ksz)
        ballot = await the_ballot(db)
        assert received(tg, cast.internal, f"Szavazás #{ballot.id} –") == []
    async with bot_on(db, tg, clock) as harness:
        await harness.settle()
        for role in VOTERS:
            assert len(received(tg, getattr(cast, role), f"Szavazás #{ballot.id} –")) == 1
        await harness.app.bot_data.courier.halt()
        clock.advance(days=3, minutes=1)
        await harness.run_due_jobs()  # closes; the result is queued, not yet sent
        assert (await the_ballot(db)).status is BallotStatus.CLOSED
        assert received(tg, cast.internal, "eredménye") == []
    async with bot_on(db, tg, clock) as harness:
        await harness.settle()
        for role in MEMBERS:
            assert len(received(tg, getattr(cast, role), "eredménye")) == 1, role


async def test_a_question_that_meets_an_outage_arrives_soon_after(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    from tests.e2e.test_routing import _join

    await _join(db, clock, "Belső Béla", "Innováció")
    await harness.send(cast.internal, "/katalizator")
    harness.app.bot.request.delays = (0.0, 0.0)  # the request's own retries: quick here
    tg.faults = Faults(rate=1.0)  # an outage longer than the request's own retries
    await harness.send(cast.internal, "Sürgős kérdés a pályázatról.")
    assert not any("Sürgős kérdés" in m.text for m in tg.outbox(cast.catalyst))
    tg.faults = None  # Telegram is back; the katalizátor writes nothing meanwhile
    clock.advance(seconds=5)
    await harness.run_due_jobs()
    assert any("Sürgős kérdés" in m.text for m in tg.outbox(cast.catalyst))


async def test_a_join_request_card_that_meets_an_outage_reaches_the_ksz(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, clock: FakeClock
) -> None:
    harness.app.bot.request.delays = (0.0, 0.0)
    tg.faults = Faults(rate=1.0, methods=frozenset({"sendMessage"}))
    await harness.send(cast.stranger, "/csatlakozas Idegen Ida, Példa Kft.")
    assert not any("Idegen Ida" in m.text for m in tg.outbox(cast.ksz))
    tg.faults = None
    clock.advance(seconds=5)
    await harness.run_due_jobs()
    [card] = [m for m in tg.outbox(cast.ksz) if "Idegen Ida" in m.text]
    assert card.buttons  # approve / reject


async def test_a_question_after_one_that_waits_goes_after_it(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """The handler sends its question itself only when nothing older waits for the
    katalizátor: here the first one waits for its retry, and the second takes it along, in
    order, each once; the retry that comes later finds nothing left to send."""
    from tests.e2e.test_routing import _join

    await _join(db, clock, "Belső Béla", "Innováció")
    await harness.send(cast.internal, "/katalizator")
    harness.app.bot.request.delays = (0.0, 0.0)
    tg.faults = Faults(rate=1.0, methods=frozenset({"sendMessage"}))
    await harness.send(cast.internal, "Első kérdés a pályázatról.")
    tg.faults = None
    await harness.send(cast.internal, "Második kérdés a határidőről.")
    got = [m.text for m in tg.outbox(cast.catalyst) if "kérdés a" in m.text]
    assert len(got) == 2
    assert "Első kérdés" in got[0] and "Második kérdés" in got[1]
    clock.advance(seconds=5)
    await harness.run_due_jobs()
    assert len([m for m in tg.outbox(cast.catalyst) if "kérdés a" in m.text]) == 2
