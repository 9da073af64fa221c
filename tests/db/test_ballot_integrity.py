"""Ballot integrity against a real database: the close never races a vote, rolls follow
eligibility, a closed secret ballot keeps nothing that links a voter to a choice."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from bot.services import ballots
from bot.services.clock import FakeClock
from bot.services.errors import NotAllowed
from storage.db import Database
from storage.models_ballots import BallotResult, Body
from storage.repositories_ballots import BallotRepository, ResolutionRepository
from tests.db.test_ballots import TZ, members, publish, standing, vote


async def test_a_withdrawal_in_flight_holds_the_close(
    db: Database, clock: FakeClock, monkeypatch: Any
) -> None:
    """Whatever ``withdraw_vote`` is handed (here a ballot read in an earlier unit, without a
    lock), it takes the ballot lock: the close waits and never counts the withdrawn vote."""
    ids = await members(db, clock, 3)
    ballot = await publish(
        db, clock, await standing(db, ids["Belső 00"]), quorum=ballots.QuorumRule.NONE
    )
    await vote(db, clock, ballot, ids["Belső 01"], 0)
    original = BallotRepository.delete_vote
    closing: list[asyncio.Task[Any]] = []

    async def close() -> ballots.Closing | None:
        async with db.unit() as uow:
            return await ballots.close(uow, ballot.id, clock.now(), "", TZ)

    async def delete_then_close(self: BallotRepository, vote_id: int) -> None:
        await original(self, vote_id)
        # deleted, not yet committed: the deadline's close starts now, in its own unit
        task = asyncio.create_task(close(), context=contextvars.Context())
        closing.append(task)
        await asyncio.wait({task}, timeout=1.0)
        assert not task.done(), "the close did not wait for the withdrawal in flight"

    monkeypatch.setattr(BallotRepository, "delete_vote", delete_then_close)
    async with db.unit() as uow:
        await ballots.withdraw_vote(uow, ballot, ids["Belső 01"], clock.now())
    [task] = closing
    closed = await task
    assert closed is not None
    assert closed.tally.turnout == 0 and closed.ballot.result is BallotResult.NO_QUORUM
    async with db.unit() as uow:
        assert await uow.repo(BallotRepository).open_counts(ballot.id) == {}
        assert await uow.repo(ResolutionRepository).by_ballot(ballot.id) is None


async def test_a_vote_after_a_close_in_flight_is_refused(db: Database, clock: FakeClock) -> None:
    """A vote that waited for the close finds the ballot closed."""
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    async with db.unit() as uow:
        assert await ballots.close(uow, ballot.id, clock.now(), "", TZ) is not None
        voting = asyncio.create_task(
            vote(db, clock, ballot, ids["Belső 01"], 0), context=contextvars.Context()
        )
        await asyncio.wait({voting}, timeout=0.5)
        assert not voting.done()
    with pytest.raises(ballots.BallotClosed):
        await voting


async def test_st_debate_is_for_the_st(db: Database, clock: FakeClock) -> None:
    """Only the ST's members (active internal founders) read and join an ST ballot's debate;
    every member takes part in a Közgyűlés ballot's debate."""
    ids = await members(db, clock, 4, 1)  # Belső 00, 01 founders; Külső 00 external
    founder = await standing(db, ids["Belső 01"])
    st = await publish(db, clock, founder, body=Body.ST)
    kgy = await publish(db, clock, await standing(db, ids["Belső 00"]))
    plain, external = await standing(db, ids["Belső 02"]), await standing(db, ids["Külső 00"])
    for outsider in (plain, external):
        async with db.unit() as uow:
            with pytest.raises(NotAllowed):
                await ballots.add_comment(uow, st.id, outsider, "Szerintem nem.", clock.now())
            with pytest.raises(NotAllowed):
                await ballots.debate(uow, st.id, outsider)
            await ballots.add_comment(uow, kgy.id, outsider, "Szerintem igen.", clock.now())
    async with db.unit() as uow:
        await ballots.add_comment(uow, st.id, founder, "Támogatom.", clock.now())
        _, comments = await ballots.debate(uow, st.id, founder)
        assert [c.text for c in comments] == ["Támogatom."]
