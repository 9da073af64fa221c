"""Ballot integrity against a real database: the close never races a vote, rolls follow
eligibility, a closed secret ballot keeps nothing that links a voter to a choice."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.services import ballots, identity
from bot.services.clock import FakeClock
from bot.services.errors import NotAllowed
from bot.services.identity import CLI_ACTOR
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import BallotResult, Body, UrnPaper
from storage.repositories.ballots import BallotRepository
from tests.db.test_ballots import TZ, close, members, publish, standing, vote


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
        assert await uow.ballots.open_counts(ballot.id) == {}
        assert await uow.resolutions.by_ballot(ballot.id) is None


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


async def _files(db: Database, relations: list[str]) -> dict[str, str]:
    """PostgreSQL: the data files of the relations (their paths in the data directory)."""
    async with db.unit() as uow:
        return {
            r: str(await uow.session.scalar(text("SELECT pg_relation_filepath(:r)"), {"r": r}))
            for r in relations
        }


async def _read(db: Database, paths: Iterable[str]) -> bytes:
    """PostgreSQL: what is on disk in these files now (after a checkpoint; missing: nothing)."""
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("CHECKPOINT"))
        chunks = [
            await conn.scalar(
                text("SELECT pg_read_binary_file(:p, 0, (pg_stat_file(:p, true)).size, true)"),
                {"p": p},
            )
            for p in paths
        ]
    return b"".join(c or b"" for c in chunks)


async def test_a_closed_secret_ballot_links_no_voter_to_a_choice(
    db: Database, clock: FakeClock
) -> None:
    """After the close, neither the tables with their system columns nor the files on disk
    (SQLite: the file and its WAL; PostgreSQL: the urn's heap and index) pair a voter with a
    choice. During the vote the pair is visible to whoever reads the live database (README)."""
    ids = await members(db, clock, 6)
    creator = await standing(db, ids["Belső 00"])
    ballot = await publish(db, clock, creator, secret=True)
    still_open = await publish(db, clock, creator, secret=True)
    for i, position in enumerate((0, 1, 0, 2, 1)):
        await vote(db, clock, ballot, ids[f"Belső {i:02d}"], position)
    await vote(db, clock, still_open, ids["Belső 05"], 1)
    postgres = db.dialect == "postgresql"
    async with db.unit() as uow:
        papers = list(
            await uow.session.scalars(select(UrnPaper.id).where(UrnPaper.ballot_id == ballot.id))
        )
        [other] = await uow.session.scalars(
            select(UrnPaper.id).where(UrnPaper.ballot_id == still_open.id)
        )
        if postgres:  # what a reader of the live database sees during the vote
            pairs = await uow.session.scalar(
                text(
                    "SELECT count(*) FROM ballot_roll r JOIN ballot_urn u ON r.xmin = u.xmin "
                    "WHERE r.ballot_id = :b AND u.ballot_id = :b"
                ),
                {"b": ballot.id},
            )
            assert pairs == 5
    assert len(papers) == 5

    def marks(paper: uuid.UUID) -> list[bytes]:
        return [paper.bytes, paper.hex.encode()]

    if postgres:
        before = await _files(db, ["ballot_urn", "pk_ballot_urn"])
        on_disk = await _read(db, before.values())
        assert all(any(m in on_disk for m in marks(p)) for p in papers)  # the check can see them
    closing = await close(db, clock, ballot)
    assert closing.tally.turnout == 5
    assert [c.votes for c in closing.tally.counts] == [2, 2, 1]
    async with db.unit() as uow:
        left = await uow.session.scalars(select(UrnPaper.ballot_id))
        assert list(left) == [still_open.id]  # the other ballot's paper is still in its urn
        if postgres:
            # no roll row shares a transaction with a counter (or with anything in the urn)
            for table in ("ballot_secret_tallies", "ballot_urn"):
                linked = await uow.session.scalar(
                    text(
                        f"SELECT count(*) FROM ballot_roll r JOIN {table} t ON r.xmin = t.xmin "
                        "WHERE r.ballot_id = :b AND r.has_voted"
                    ),
                    {"b": ballot.id},
                )
                assert linked == 0, table
    if postgres:
        after = await _files(db, ["ballot_urn", "pk_ballot_urn"])
        on_disk = await _read(db, [*before.values(), *after.values()])
    else:
        async with db.unit() as uow:  # deleted rows are zeroed, whatever the build's default
            assert await uow.session.scalar(text("PRAGMA secure_delete")) == 1
        path = Path(str(db.engine.url.database))
        wal = path.with_name(path.name + "-wal")
        size = await asyncio.to_thread(lambda: wal.stat().st_size if wal.exists() else 0)
        assert size == 0, "the WAL still holds the vote, commit by commit"
        on_disk = await asyncio.to_thread(path.read_bytes)
    assert any(m in on_disk for m in marks(other))  # the check can see a paper on disk
    for paper in papers:
        assert not any(m in on_disk for m in marks(paper)), "a counted paper is still on disk"


async def test_members_who_lose_the_vote_are_struck_from_open_rolls(
    db: Database, clock: FakeClock
) -> None:
    """Made external, deactivated, no longer a founder: off the open rolls they have not voted
    in (a log line each); a vote already cast stands but cannot change; the quorum base is
    the roll at the close; a former founder is not in the ST."""
    ids = await members(db, clock, 5)  # Belső 00 (KSz) and 01 are founders
    ksz = await standing(db, ids["Belső 00"])
    kgy = await publish(db, clock, ksz, changeable=True)
    st = await publish(db, clock, await standing(db, ids["Belső 01"]), body=Body.ST)
    assert (kgy.electorate, st.electorate) == (5, 2)
    await vote(db, clock, kgy, ids["Belső 02"], 0)
    actor = CLI_ACTOR
    async with db.unit() as uow:
        get = uow.members.get
        await identity.set_kind(
            uow, await get(ids["Belső 02"]), MemberKind.EXTERNAL, actor, clock.now()
        )
        await identity.set_flag(
            uow, await get(ids["Belső 03"]), "active", False, actor, clock.now()
        )
        # a founder must be internal: the founder status goes first, then the kind
        await identity.set_flag(
            uow, await get(ids["Belső 01"]), "founder", False, actor, clock.now()
        )
        await identity.set_kind(
            uow, await get(ids["Belső 01"]), MemberKind.EXTERNAL, actor, clock.now()
        )
    # struck: Belső 03 (inactive) and Belső 01 (external) from the Közgyűlés ballot, Belső 01
    # from the ST; Belső 02 had voted and stays, with the vote, but cannot change it
    for ballot, name in ((kgy, "Belső 03"), (kgy, "Belső 01"), (st, "Belső 01"), (kgy, "Belső 02")):
        with pytest.raises(ballots.NotOnRoll):
            await vote(db, clock, ballot, ids[name], 1)
    async with db.unit() as uow:
        repo = uow.ballots
        assert (await repo.get(kgy.id)).electorate == 3  # type: ignore[union-attr]
        assert (await repo.get(st.id)).electorate == 1  # type: ignore[union-attr]
        struck = [
            (e.subject_label, e.details["ballot"])
            for e in (await uow.audit.recent(0, 50))[0]
            if e.action == "struck_from_roll"
        ]
    assert sorted(struck) == sorted(
        [("Belső 03", kgy.id), ("Belső 01", kgy.id), ("Belső 01", st.id)]
    )
    await vote(db, clock, kgy, ids["Belső 04"], 0)
    closing = await close(db, clock, kgy)
    assert (closing.tally.electorate, closing.tally.turnout) == (3, 2)  # 00, 02 (voted), 04
    assert [c.votes for c in closing.tally.counts] == [2, 0, 0]  # Belső 02's vote stands
    # a former founder is not in the ST: not on a new ST ballot's roll
    async with db.unit() as uow:
        assert await uow.members.voter_ids(founders=True) == [ids["Belső 00"]]
