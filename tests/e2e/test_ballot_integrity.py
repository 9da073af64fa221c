"""Ballot integrity: voting only in private chats, no race with the close, eligibility, comments."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta
from typing import Any

from bot.demo import Driver
from bot.jobs import ballots as jobs
from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.clock import FakeClock
from bot.services.identity import MemberSpec
from bot.services.roles import standing_of
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import BallotResult
from storage.repositories.ballots import BallotRepository
from tests.e2e.harness import BotHarness, answers
from tests.e2e.people import Cast, bind

DAYS_3 = timedelta(days=3)


async def test_withdraw_and_close_do_not_race(
    harness: BotHarness, cast: Cast, db: Database, monkeypatch: Any
) -> None:
    """The close waits for a withdrawal in flight: it never counts a vote that is gone."""
    ballot = await harness.publish_form(
        cast.ksz, "Kérdés: Tagdíj 2027?\nHatáridő: 3\nHatározatképesség: nincs"
    )
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
    original = BallotRepository.delete_vote
    closing: list[asyncio.Task[Any]] = []

    async def delete_then_close(self: BallotRepository, vote_id: int) -> None:
        await original(self, vote_id)
        # The withdrawal has deleted the vote but not committed: the deadline job closes now.
        task = asyncio.create_task(
            jobs.close_and_announce(harness.app, ballot.id, ""),
            context=contextvars.Context(),
        )
        closing.append(task)
        await asyncio.wait({task}, timeout=1.0)

    monkeypatch.setattr(BallotRepository, "delete_vote", delete_then_close)
    calls = await harness.press_label(
        cast.internal, harness.last(cast.internal), "Szavazat visszavonása"
    )
    assert any("visszavonva" in a for a in answers(calls)), answers(calls)
    [task] = closing
    result = await task
    await harness.settle()
    async with db.unit() as uow:
        repo = uow.ballots
        stored = await repo.get(ballot.id)
        assert stored is not None
        counts = await repo.open_counts(ballot.id)
        resolution = await uow.resolutions.by_ballot(ballot.id)
    assert sum(counts.values()) == 0
    # the close saw the withdrawal: no vote counted, nothing adopted, nothing in the register
    assert result is not None and result.tally.turnout == 0
    assert stored.result is BallotResult.NO_QUORUM
    assert resolution is None


async def test_voting_in_the_main_group_goes_private(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """/szavazasok in the group, "Megnyitás", a vote, a confirm: the group sees none of it."""
    newcomer = tg.add_user(first_name="Újonc", last_name="Ubul")
    await bind(db, clock, newcomer, MemberSpec("Újonc Ubul", MemberKind.INTERNAL))
    voters = [cast.internal, cast.founder, cast.ksz, cast.external, newcomer]
    group = tg.add_group(title="Klaszter", members=voters, bot_is_admin=True)
    async with db.unit() as uow:  # published without deliveries: the newcomer cannot get one
        ksz = await uow.members.by_telegram_id(cast.ksz.id)
        draft = BallotDraft(question="Megválasztja?", secret=True, deadline=clock.now() + DAYS_3)
        ballot = await ballots.publish(
            uow, draft, standing_of(ksz), clock.now(),
            yes_no_labels=("Igen", "Nem", "Tartózkodom"), abstain_label="Tartózkodom",
        )  # fmt: skip
    await harness.send(cast.internal, "/szavazasok", chat=group)
    listing = harness.last(group)
    before = len(tg.history(group))
    calls = await harness.press_label(cast.internal, listing, f"#{ballot.id}")
    assert any("privát beszélgetésben" in a for a in answers(calls))
    private = harness.last(cast.internal)
    assert private.chat_id == cast.internal.id and "Igen" in str(private.buttons)
    # the vote buttons, forged under the group's message: the choice never shows in the group
    yes = ballot.options[0].id
    for user, data in ((cast.internal, f"vote:c:{ballot.id}:{yes}"),
                       (cast.founder, f"vote:k:{ballot.id}:0")):  # fmt: skip
        calls = await harness.press(user, listing, data, forge=True)
        assert not [c for c in calls if c.params.get("chat_id") == group.id], calls
        assert not any("Választása" in m.text for m in tg.history(group))
    assert len(tg.history(group)) == before
    async with db.unit() as uow:
        assert await uow.ballots.turnout(ballot.id) == 0
    # a voter who never opened a private chat with the bot is told to do so first
    # (Telegram refuses the private message: the harness's strict check is bypassed)
    calls = await Driver.process(harness, tg.press(newcomer, listing, f"vote:o:{ballot.id}"))
    assert any("nyomja meg a Start gombot" in a for a in answers(calls))
    assert len(tg.history(group)) == before
