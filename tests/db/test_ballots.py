"""Ballot rules against a real database: roll, one vote, secrecy, quorum, majority, register."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select

from bot.services import ballots
from bot.services.ballots import (
    AlreadyVoted,
    BallotClosed,
    BallotDraft,
    NotOnRoll,
    OptionCount,
    SecretBallot,
)
from bot.services.clock import FakeClock
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from bot.services.roles import Standing, standing_of
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import (
    Ballot,
    BallotKind,
    BallotResult,
    Body,
    Majority,
    QuorumRule,
    Resolution,
    RollEntry,
    SecretTally,
    UrnPaper,
)

TZ = ZoneInfo("Europe/Budapest")
LABELS = ("Igen", "Nem", "Tartózkodom")


async def members(
    db: Database, clock: FakeClock, n_internal: int, n_external: int = 1
) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with db.unit() as uow:
        for i in range(n_internal):
            spec = MemberSpec(f"Belső {i:02d}", MemberKind.INTERNAL, founder=i < 2, ksz=i == 0)
            ids[spec.name] = (await upsert_member(uow, spec, CLI_ACTOR, clock.now())).member.id
        for i in range(n_external):
            spec = MemberSpec(f"Külső {i:02d}", MemberKind.EXTERNAL)
            ids[spec.name] = (await upsert_member(uow, spec, CLI_ACTOR, clock.now())).member.id
    return ids


async def standing(db: Database, member_id: int) -> Standing:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        return standing_of(member, await uow.workgroups.led_ids(member_id))


async def publish(db: Database, clock: FakeClock, creator: Standing, **kw: object) -> Ballot:
    draft = BallotDraft(
        question="Elfogadja a 2027. évi munkatervet?", deadline=clock.now() + timedelta(days=3)
    )
    for key, value in kw.items():
        setattr(draft, key, value)
    async with db.unit() as uow:
        return await ballots.publish(
            uow, draft, creator, clock.now(), yes_no_labels=LABELS, abstain_label="Tartózkodom"
        )


async def vote(
    db: Database, clock: FakeClock, ballot: Ballot, member_id: int, *positions: int
) -> None:
    option_ids = [ballot.options[p].id for p in positions]
    async with db.unit() as uow:
        await ballots.cast_vote(uow, ballot.id, member_id, option_ids, clock.now())


async def close(db: Database, clock: FakeClock, ballot: Ballot) -> ballots.Closing:
    async with db.unit() as uow:
        closing = await ballots.close(uow, ballot.id, clock.now(), "teszt", TZ)
    assert closing is not None
    return closing


async def test_roll_is_the_active_internal_members(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4, 2)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    assert ballot.electorate == 4
    with pytest.raises(NotOnRoll):
        await vote(db, clock, ballot, ids["Külső 00"], 0)


async def test_st_roll_is_the_founders(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    founder = await standing(db, ids["Belső 01"])
    ballot = await publish(db, clock, founder, body=Body.ST)
    assert ballot.electorate == 2
    with pytest.raises(NotOnRoll):
        await vote(db, clock, ballot, ids["Belső 03"], 0)


async def test_who_may_create(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    plain = await standing(db, ids["Belső 03"])
    founder = await standing(db, ids["Belső 01"])
    with pytest.raises(NotAllowed):
        await publish(db, clock, plain)
    with pytest.raises(NotAllowed):
        await publish(db, clock, founder, body=Body.KGY)  # a founder is not the KSz
    async with db.unit() as uow:
        assert list(await uow.session.scalars(select(Ballot))) == []


async def test_simple_majority_abstention_counts_against(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 5)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    # 4 of 5 vote: 2 yes, 1 no, 1 abstain -> 2 is not more than half of 4
    for name, pos in (("Belső 00", 0), ("Belső 01", 0), ("Belső 02", 1), ("Belső 03", 2)):
        await vote(db, clock, ballot, ids[name], pos)
    closing = await close(db, clock, ballot)
    assert closing.tally.turnout == 4 and closing.tally.quorum_met
    assert closing.tally.votes_needed == 3
    assert closing.tally.result is BallotResult.REJECTED
    assert closing.resolution is None


async def test_no_quorum_is_eredmenytelen(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 5)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    for name in ("Belső 00", "Belső 01"):
        await vote(db, clock, ballot, ids[name], 0)
    closing = await close(db, clock, ballot)
    assert closing.tally.quorum_needed == 3
    assert closing.tally.result is BallotResult.NO_QUORUM


async def test_adopted_decisions_are_numbered_per_body_and_year(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 3)
    ksz = await standing(db, ids["Belső 00"])
    founder = await standing(db, ids["Belső 01"])
    labels = []
    for body, creator in ((Body.KGY, ksz), (Body.KGY, ksz), (Body.ST, founder)):
        ballot = await publish(db, clock, creator, body=body)
        internal = [v for k, v in ids.items() if k.startswith("Belső")]
        voters = internal if body is Body.KGY else [ids["Belső 00"], ids["Belső 01"]]
        for member_id in voters:
            await vote(db, clock, ballot, member_id, 0)
        closing = await close(db, clock, ballot)
        assert closing.resolution is not None
        labels.append((closing.resolution.body, closing.resolution.number, closing.resolution.year))
    assert labels == [(Body.KGY, 1, 2026), (Body.KGY, 2, 2026), (Body.ST, 1, 2026)]


async def test_open_vote_can_change_and_withdraw(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    await vote(db, clock, ballot, ids["Belső 01"], 0)
    await vote(db, clock, ballot, ids["Belső 01"], 1)
    async with db.unit() as uow:
        counts = {c.label: c.votes for c in await ballots.current_counts(uow, ballot)}
        assert counts == {"Igen": 0, "Nem": 1, "Tartózkodom": 0}
        await ballots.withdraw_vote(uow, ballot.id, ids["Belső 01"], clock.now())
    async with db.unit() as uow:
        assert await ballots.current_counts(uow, ballot) == [
            OptionCount(o.id, o.label, 0, o.is_abstain) for o in ballot.options
        ]


async def test_a_second_vote_of_a_member_is_refused_by_the_unique_key(
    db: Database, clock: FakeClock
) -> None:
    """Two presses that both passed the booth's check (as concurrent replicas can): the second
    insert saves nothing, and the unit goes on and commits the first."""
    ids = await members(db, clock, 2)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]), changeable=False)
    yes, no = ballot.options[0].id, ballot.options[1].id
    async with db.unit() as uow:
        assert await uow.ballots.insert_vote_once(ballot.id, ids["Belső 01"], [yes], clock.now())
        assert not await uow.ballots.insert_vote_once(ballot.id, ids["Belső 01"], [no], clock.now())
    async with db.unit() as uow:
        assert await uow.ballots.open_counts(ballot.id) == {yes: 1}


async def test_unchangeable_open_vote(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]), changeable=False)
    await vote(db, clock, ballot, ids["Belső 01"], 0)
    with pytest.raises(AlreadyVoted):
        await vote(db, clock, ballot, ids["Belső 01"], 1)


async def test_secret_ballot_keeps_no_link_between_voter_and_choice(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 4)
    ballot = await publish(
        db, clock, await standing(db, ids["Belső 00"]), secret=True, changeable=True
    )
    assert not ballot.changeable  # a secret vote is final once cast
    await vote(db, clock, ballot, ids["Belső 01"], 0)
    await vote(db, clock, ballot, ids["Belső 02"], 1)
    with pytest.raises(AlreadyVoted):
        await vote(db, clock, ballot, ids["Belső 01"], 1)
    async with db.unit() as uow:
        # the roll has a flag and no time; the urn has unlinked papers; no counters yet
        roll_columns = {c.key for c in inspect(RollEntry).columns}
        # the declaration of a conflict of interest, and the proxy holder who votes for a
        # member at a meeting, carry neither a time nor a choice
        assert roll_columns == {
            "ballot_id", "member_id", "has_voted", "affected_reason", "affected_by_label",
            "proxy_id",
        }  # fmt: skip
        assert {c.key for c in inspect(UrnPaper).columns} == {"id", "ballot_id", "option_id"}
        papers = list(await uow.session.scalars(select(UrnPaper.option_id)))
        assert sorted(papers) == sorted(o.id for o in ballot.options[:2])
        assert list(await uow.session.scalars(select(SecretTally))) == []
        with pytest.raises(SecretBallot):
            await ballots.details(uow, ballot.id)
    closing = await close(db, clock, ballot)
    assert closing.tally.turnout == 2
    async with db.unit() as uow:
        # closed: counters per option, and the urn is empty
        tally_columns = {c.key for c in inspect(SecretTally).columns}
        assert tally_columns == {"ballot_id", "option_id", "votes"}
        votes = await uow.session.scalars(
            select(SecretTally.votes)
            .where(SecretTally.ballot_id == ballot.id)
            .order_by(SecretTally.option_id)
        )
        assert list(votes) == [1, 1, 0]
        assert list(await uow.session.scalars(select(UrnPaper))) == []


async def test_simultaneous_presses_count_once(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    for secret in (False, True):
        ballot = await publish(
            db, clock, await standing(db, ids["Belső 00"]), secret=secret, changeable=False
        )
        results = await asyncio.gather(
            *(vote(db, clock, ballot, ids["Belső 01"], 0) for _ in range(5)), return_exceptions=True
        )
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, (AlreadyVoted, Exception)) for r in results if r is not None)
        async with db.unit() as uow:
            assert await uow.ballots.turnout(ballot.id) == 1
            assert sum(c.votes for c in await ballots.current_counts(uow, ballot)) == 1


async def test_closed_ballot_refuses_votes_and_closes_once(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    await close(db, clock, ballot)
    with pytest.raises(BallotClosed):
        await vote(db, clock, ballot, ids["Belső 01"], 0)
    async with db.unit() as uow:
        assert await ballots.close(uow, ballot.id, clock.now(), "x", TZ) is None


async def test_deadline_passed_refuses_votes(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]))
    clock.advance(days=3, seconds=1)
    with pytest.raises(BallotClosed):
        await vote(db, clock, ballot, ids["Belső 01"], 0)


async def test_forged_choices_are_refused(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 3)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]), kind=BallotKind.MULTI,
                           options=["A", "B", "C"], max_choices=2)  # fmt: skip
    other = await publish(db, clock, await standing(db, ids["Belső 00"]))
    async with db.unit() as uow:
        for option_ids in ([other.options[0].id], [], [ballot.options[0].id, ballot.options[3].id],
                           [o.id for o in ballot.options[:3]]):  # fmt: skip
            with pytest.raises(InvalidInput):
                await ballots.cast_vote(uow, ballot.id, ids["Belső 01"], option_ids, clock.now())


async def test_multi_choice_tally(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]), kind=BallotKind.MULTI,
                           options=["Alfa", "Béta", "Gamma"], max_choices=2)  # fmt: skip
    await vote(db, clock, ballot, ids["Belső 00"], 0, 1)
    await vote(db, clock, ballot, ids["Belső 01"], 0, 1)
    await vote(db, clock, ballot, ids["Belső 02"], 0, 2)
    await vote(db, clock, ballot, ids["Belső 03"], 3)
    closing = await close(db, clock, ballot)
    winners = [o.label for o in ballot.options if o.id in closing.tally.winners]
    assert winners == ["Alfa"]  # Béta has 2 of 4: not more than half
    assert closing.resolution is not None


def test_thresholds_in_words_match_numbers() -> None:
    assert ballots.quorum_needed(QuorumRule.MORE_THAN_HALF, 20) == 11
    assert ballots.quorum_needed(QuorumRule.MORE_THAN_HALF, 21) == 11
    assert ballots.quorum_needed(QuorumRule.TWO_THIRDS, 20) == 14
    assert ballots.quorum_needed(QuorumRule.NONE, 20) == 0
    assert ballots.votes_needed(Majority.SIMPLE, 20, 12) == 7
    assert ballots.votes_needed(Majority.ABSOLUTE, 20, 12) == 11
    assert ballots.votes_needed(Majority.TWO_THIRDS, 20, 12) == 8
    assert ballots.votes_needed(Majority.THREE_QUARTERS, 20, 12) == 9


def _yes_no(
    yes: int,
    no: int,
    abstain: int,
    electorate: int = 10,
    quorum: QuorumRule = QuorumRule.MORE_THAN_HALF,
    majority: Majority = Majority.SIMPLE,
) -> ballots.Tally:
    counts = [OptionCount(1, "Igen", yes, False), OptionCount(2, "Nem", no, False),
              OptionCount(3, "Tartózkodom", abstain, True)]  # fmt: skip
    turnout = yes + no + abstain
    return ballots.tally(BallotKind.YES_NO, electorate, turnout, counts, quorum, majority, 1)


def test_unanimous_when_every_vote_cast_is_yes() -> None:
    """Issue 14: "egyhangúlag" when every vote cast (at least one) was yes."""
    assert _yes_no(7, 0, 0).unanimous
    assert _yes_no(7, 0, 0).result is BallotResult.ADOPTED
    assert not _yes_no(7, 1, 0).unanimous  # a vote against
    assert not _yes_no(7, 0, 1).unanimous  # an abstention is a vote cast, not a yes
    assert not _yes_no(3, 0, 0).unanimous  # 3 of 10: no quorum, no result to call unanimous
    assert not _yes_no(0, 0, 0, quorum=QuorumRule.NONE).unanimous  # nobody voted
    # every vote yes, but not the absolute majority of the members: rejected, though unanimous
    rejected = _yes_no(6, 0, 0, electorate=20, quorum=QuorumRule.NONE, majority=Majority.ABSOLUTE)
    assert rejected.unanimous and rejected.result is BallotResult.REJECTED


def test_a_choice_ballot_is_never_called_unanimous() -> None:
    counts = [OptionCount(1, "Alfa", 5, False), OptionCount(2, "Béta", 0, False),
              OptionCount(3, "Tartózkodom", 0, True)]  # fmt: skip
    result = ballots.tally(
        BallotKind.SINGLE, 5, 5, counts, QuorumRule.MORE_THAN_HALF, Majority.SIMPLE, 1
    )
    assert result.result is BallotResult.ADOPTED and not result.unanimous


def test_deadline_parsing(clock: FakeClock) -> None:
    now = clock.now()
    assert (
        ballots.parse_deadline("2026.12.05 18:00", now, TZ).isoformat()
        == "2026-12-05T17:00:00+00:00"
    )
    assert (
        ballots.parse_deadline("2026. 12. 05.", now, TZ).isoformat() == "2026-12-05T22:59:00+00:00"
    )
    assert (
        ballots.parse_deadline("2026-12-05 18.30", now, TZ).isoformat()
        == "2026-12-05T17:30:00+00:00"
    )
    assert ballots.parse_deadline("3", now, TZ) == now + timedelta(days=3)
    for bad, reason in (
        ("2026.02.30 10:00", "bad_date"),
        ("holnap", "bad_date"),
        ("2026.11.01 10:00", "window"),
        ("2030.01.01", "window"),
        ("0", "window"),
    ):
        with pytest.raises(InvalidInput) as err:
            ballots.parse_deadline(bad, now, TZ)
        assert err.value.reason == reason, bad


def test_a_deadline_in_days_or_hours_is_rounded_up_to_the_quarter_hour() -> None:
    """Issue 14: "3 days" pressed at 4:57:12 ended at "2026. december 5., 4:57"."""
    now = datetime(2026, 12, 2, 3, 57, 12, 345, tzinfo=UTC)  # 4:57 in Budapest
    assert ballots.deadline_in(now, days=3) == datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    assert ballots.deadline_in(now, hours=2) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert ballots.parse_deadline("3", now, TZ) == datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    for minute, second, rounded in ((0, 0, 0), (0, 1, 15), (14, 59, 15), (15, 0, 15), (16, 0, 30),
                                    (30, 0, 30), (44, 0, 45), (46, 0, 60)):  # fmt: skip
        moment = datetime(2026, 12, 2, 9, minute, second, tzinfo=UTC)
        expected = datetime(2026, 12, 2, 9, tzinfo=UTC) + timedelta(minutes=rounded)
        assert ballots.next_quarter_hour(moment) == expected, (minute, second)
    # the wall clock in Budapest, also across the change to summer time
    spring = datetime(2027, 3, 28, 0, 52, tzinfo=UTC)  # 1:52 CET; +1 day is 2:52 CEST
    assert ballots.deadline_in(spring, days=1).astimezone(TZ).strftime("%H:%M") == "03:00"


def test_the_longest_deadline_in_days_is_still_valid_at_publishing(clock: FakeClock) -> None:
    """Rounded up, ``MAX_DAYS_AHEAD`` days is a few minutes more than that: still accepted."""
    pressed = clock.now() + timedelta(minutes=1, seconds=7)
    deadline = ballots.parse_deadline(str(ballots.MAX_DAYS_AHEAD), pressed, TZ)
    assert deadline > pressed + timedelta(days=ballots.MAX_DAYS_AHEAD)
    assert ballots.check_deadline(deadline, pressed + timedelta(seconds=30)) == deadline


def test_form_parsing(clock: FakeClock) -> None:
    defaults = {b: ballots.BodyDefaults(QuorumRule.MORE_THAN_HALF, Majority.SIMPLE) for b in Body}
    draft = ballots.parse_form(
        "Kérdés: Melyik helyszínen legyen\na közgyűlés?\nHatáridő: 2026.12.05 18:00\nTitkos: igen\n"
        "Opciók: Budapest; Debrecen; Szeged\nTöbbség: kétharmad",
        clock.now(), TZ, defaults, [Body.KGY],
    )  # fmt: skip
    assert draft.question == "Melyik helyszínen legyen\na közgyűlés?"
    assert draft.kind is BallotKind.SINGLE and draft.secret
    assert draft.options == ["Budapest", "Debrecen", "Szeged"]
    assert draft.majority is Majority.TWO_THIRDS
    for form, field in (("Határidő: 3", "question"), ("Kérdés: x", "deadline"),
                        ("Kérdés: x\nHatáridő: 3\nOpciók: " + "; ".join(str(i) for i in range(11)), "options"),
                        ("Kérdés: x\nHatáridő: 3\nTitkos: talán", "secret"),
                        ("Kérdés: x\nHatáridő: 3\nvalami más", "form")):  # fmt: skip
        with pytest.raises(InvalidInput) as err:
            ballots.parse_form(form, clock.now(), TZ, defaults, [Body.KGY])
        assert err.value.field == field


async def test_resolution_register_search(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 1)
    ballot = await publish(
        db, clock, await standing(db, ids["Belső 00"]), question="Az ÉVES költségvetés elfogadása"
    )
    await vote(db, clock, ballot, ids["Belső 00"], 0)
    await close(db, clock, ballot)
    async with db.unit() as uow:
        found, total = await uow.resolutions.search("éves", 0, 10)
        assert total == 1 and isinstance(found[0], Resolution)


async def test_changing_a_multi_choice_vote(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 2)
    ballot = await publish(db, clock, await standing(db, ids["Belső 00"]), kind=BallotKind.MULTI,
                           options=["Alfa", "Béta", "Gamma"], max_choices=2)  # fmt: skip
    await vote(db, clock, ballot, ids["Belső 01"], 0, 1)
    await vote(db, clock, ballot, ids["Belső 01"], 2)
    await vote(db, clock, ballot, ids["Belső 01"], 1, 2)
    async with db.unit() as uow:
        counts = {c.label: c.votes for c in await ballots.current_counts(uow, ballot)}
    assert counts == {"Alfa": 0, "Béta": 1, "Gamma": 1, "Tartózkodom": 0}
