"""Proxies at meetings (meghatalmazás) against a real database: who may give one to whom, the
holder's limit, no chains, revocation until the start, and how a represented member counts for
the quorum and votes through their holder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services import ballots, meetings
from bot.services.ballots import AffectedVoter, NotOnRoll, Represented
from bot.services.clock import FakeClock
from bot.services.meetings import (
    MeetingDraft,
    NoMeetingForProxy,
    NoProxy,
    ProxiesOff,
    ProxyRefused,
)
from bot.services.roles import standing_of
from storage.db import Database
from storage.models import Member
from storage.models.ballots import Ballot, Body, QuorumRule, RollEntry
from storage.models.meetings import Meeting
from tests.db.test_ballots import LABELS, TZ, members
from tests.db.test_meetings import OFFICERS

DAYS = timedelta(days=10)


async def convene(db: Database, clock: FakeClock, convener: int, body: Body = Body.KGY) -> Meeting:
    draft = MeetingDraft(body, clock.now() + DAYS, "Klaszteriroda", None, [("Beszámoló", None)])
    draft.items.append(("Tagdíj", "A tagdíj 50 000 Ft."))
    async with db.unit() as uow:
        member = await uow.members.get(convener)
        return await meetings.convene(
            uow, draft, standing_of(member), QuorumRule.MORE_THAN_HALF, clock.now()
        )


async def give(
    db: Database,
    clock: FakeClock,
    principal: int,
    holder: int,
    meeting_id: int | None = None,
    *,
    allowed: bool = True,
    per_holder: int = 1,
) -> Meeting:
    async with db.unit() as uow:
        who, whom = await uow.members.get(principal), await uow.members.get(holder)
        assert who is not None and whom is not None
        return await meetings.give_proxy(
            uow, who, whom, meeting_id, clock.now(), allowed=allowed, per_holder=per_holder
        )


async def revoke(
    db: Database, clock: FakeClock, principal: int, meeting_id: int | None = None
) -> tuple[Meeting, Member | None]:
    async with db.unit() as uow:
        who = await uow.members.get(principal)
        assert who is not None
        return await meetings.revoke_proxy(uow, who, meeting_id, clock.now())


async def refused(coroutine: object) -> str:
    with pytest.raises(ProxyRefused) as caught:
        await coroutine  # type: ignore[misc]
    return caught.value.reason


async def test_off_by_default_setting_refuses(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    await convene(db, clock, ids["Belső 00"])
    with pytest.raises(ProxiesOff):
        await give(db, clock, ids["Belső 02"], ids["Belső 03"], allowed=False)
    async with db.unit() as uow:
        assert await uow.meetings.proxies(1) == []


async def test_who_may_give_and_hold(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 5, 1)
    a, b, c, d = (ids[f"Belső 0{i}"] for i in (1, 2, 3, 4))
    external = ids["Külső 00"]
    # no meeting yet: nothing to give a proxy for
    with pytest.raises(NoMeetingForProxy):
        await give(db, clock, a, b)
    meeting = await convene(db, clock, ids["Belső 00"])
    assert await refused(give(db, clock, a, a)) == "self"
    assert await refused(give(db, clock, a, external)) == "holder_no_vote"
    with pytest.raises(NoMeetingForProxy):  # an external supporter has no vote to give
        await give(db, clock, external, a)
    assert await refused(give(db, clock, external, a, meeting.id)) == "principal_no_vote"
    assert (await give(db, clock, a, b)).id == meeting.id  # the next meeting of the body
    # one proxy per principal per meeting
    assert await refused(give(db, clock, a, c)) == "given"
    # no chains: a holder cannot give their own vote on, a principal cannot hold
    assert await refused(give(db, clock, b, c)) == "principal_holds"
    assert await refused(give(db, clock, c, a)) == "holder_gave"
    # the holder's limit (MEETING_PROXIES_PER_HOLDER)
    with pytest.raises(ProxyRefused) as caught:
        await give(db, clock, c, b)
    assert (caught.value.reason, caught.value.limit) == ("limit", 1)
    await give(db, clock, c, b, per_holder=2)
    assert await refused(give(db, clock, d, b, per_holder=2)) == "limit"
    async with db.unit() as uow:
        pairs = [(p.id, h.id) for p, h in await uow.meetings.proxies(meeting.id)]
    assert pairs == [(a, b), (c, b)]


async def test_an_st_meeting_takes_only_founders(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)  # Belső 00 and 01 are founders
    founder, other_founder, plain = ids["Belső 00"], ids["Belső 01"], ids["Belső 02"]
    meeting = await convene(db, clock, founder, Body.ST)
    assert await refused(give(db, clock, founder, plain, meeting.id)) == "holder_no_vote"
    assert (await give(db, clock, founder, other_founder)).body is Body.ST


async def test_revoked_until_the_start_only(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    a, b = ids["Belső 01"], ids["Belső 02"]
    meeting = await convene(db, clock, ids["Belső 00"])
    await give(db, clock, a, b)
    revoked, holder = await revoke(db, clock, a)
    assert revoked.id == meeting.id and holder is not None and holder.id == b
    with pytest.raises(NoProxy):
        await revoke(db, clock, a)
    await give(db, clock, a, b, meeting.id)  # given again after a revocation
    clock.current = meeting.starts_at
    assert await refused(revoke(db, clock, a, meeting.id)) == "started"
    assert await refused(give(db, clock, ids["Belső 03"], b, meeting.id)) == "started"
    async with db.unit() as uow:
        assert len(await uow.meetings.proxies(meeting.id)) == 1


async def check_in(db: Database, clock: FakeClock, member_id: int) -> meetings.CheckIn:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        return await meetings.check_in(uow, member, standing_of(member), clock.now())


async def check_out(db: Database, clock: FakeClock, member_id: int) -> meetings.Quorum:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        return (await meetings.check_out(uow, member, clock.now())).quorum


async def test_the_represented_member_counts_while_the_holder_is_present(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 5)  # five with the vote: three make a quorum
    a, b, c = ids["Belső 01"], ids["Belső 02"], ids["Belső 03"]
    meeting = await convene(db, clock, ids["Belső 00"])
    await give(db, clock, a, b)
    clock.current = meeting.starts_at - timedelta(minutes=20)
    state = (await check_in(db, clock, b)).quorum
    assert (state.present, state.represented, state.needed) == (2, 1, 3)
    assert (await check_in(db, clock, c)).quorum.met
    # the principal present in person: counted once, voting themself
    state = (await check_in(db, clock, a)).quorum
    assert (state.present, state.represented) == (3, 0)
    state = await check_out(db, clock, a)
    assert (state.present, state.represented) == (3, 1)  # represented again
    # the holder leaves: the principal's vote leaves too
    state = await check_out(db, clock, b)
    assert (state.present, state.represented) == (1, 0)


async def _everyone_yes(db: Database, clock: FakeClock, ballot: Ballot) -> None:
    """Every vote on the roll cast yes (a represented one by its holder), then the close."""
    yes = ballot.options[0].id
    async with db.unit() as uow:
        for member in await uow.ballots.roll_members(ballot.id, in_person=True):
            await ballots.cast_vote(uow, ballot.id, member.id, [yes], clock.now())
        for principal, holder in await uow.ballots.represented(ballot.id):
            await ballots.cast_vote(uow, ballot.id, principal.id, [yes], clock.now(), by=holder.id)
    async with db.unit() as uow:
        assert await ballots.close(uow, ballot.id, clock.now(), "teszt", TZ) is not None


async def _open_vote(
    db: Database, clock: FakeClock, meeting: Meeting, chair: int, n: int
) -> Ballot:
    """Item ``n``'s vote; before the first, the meeting elects its officers (the convener
    chairing) and adopts its agenda, everyone present voting yes."""
    async with db.unit() as uow:
        by = standing_of(await uow.members.get(chair))
    if n == 1:
        async with db.unit() as uow:
            officers = await meetings.parse_officers(uow, OFFICERS)
            _meeting, ballot = await meetings.propose_officers(
                uow, meeting.id, officers, "Tisztségviselők", by, clock.now(), yes_no_labels=LABELS
            )
        await _everyone_yes(db, clock, ballot)
        async with db.unit() as uow:
            _meeting, ballot = await meetings.open_agenda_vote(
                uow, meeting.id, 10, "Napirend", by, clock.now(), yes_no_labels=LABELS
            )
        await _everyone_yes(db, clock, ballot)
    async with db.unit() as uow:
        _m, _i, ballot = await meetings.open_item_vote(
            uow, meetings.ItemVote(meeting.id, n, 10, False), by, clock.now(),
            yes_no_labels=LABELS,
        )  # fmt: skip
        return ballot


async def _voting(
    db: Database, clock: FakeClock, *present: str
) -> tuple[dict[str, int], Meeting, Ballot]:
    """Belső 01 authorised Belső 02; ``present`` check in; the meeting starts and the chair
    (Belső 00) opens item 1's vote."""
    ids = await members(db, clock, 5)
    meeting = await convene(db, clock, ids["Belső 00"])
    await give(db, clock, ids["Belső 01"], ids["Belső 02"])
    clock.current = meeting.starts_at - timedelta(minutes=20)
    for name in present:
        await check_in(db, clock, ids[name])
    clock.current = meeting.starts_at
    async with db.unit() as uow:
        assert await meetings.start(uow, meeting.id, clock.now()) is not None
    return ids, meeting, await _open_vote(db, clock, meeting, ids["Belső 00"], 1)


async def test_the_holder_casts_the_represented_vote(db: Database, clock: FakeClock) -> None:
    ids, meeting, ballot = await _voting(db, clock, "Belső 02", "Belső 03")
    chair, a, b, c = ids["Belső 00"], ids["Belső 01"], ids["Belső 02"], ids["Belső 03"]
    assert ballot.electorate == 3  # b, c and a through b
    async with db.unit() as uow:
        entry = await uow.session.get(RollEntry, (ballot.id, a))
        assert entry is not None and entry.proxy_id == b
        assert [m.id for m in await uow.ballots.roll_members(ballot.id, in_person=True)] == [b, c]
    yes = ballot.options[0].id
    async with db.unit() as uow:  # the principal, absent, cannot vote themself
        with pytest.raises(Represented):
            await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now())
    async with db.unit() as uow:  # nor anyone else for them
        with pytest.raises(NotOnRoll):
            await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now(), by=c)
    async with db.unit() as uow:
        await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now(), by=b)
        await ballots.cast_vote(uow, ballot.id, b, [yes], clock.now())
        await ballots.cast_vote(uow, ballot.id, c, [ballot.options[1].id], clock.now())
    async with db.unit() as uow:
        closing = await ballots.close(uow, ballot.id, clock.now(), "teszt", TZ)
    assert closing is not None
    assert [c.votes for c in closing.tally.counts] == [2, 1, 0]
    # the next item: the principal marked affected (Ptk. 3:19 (2)) cannot be voted for
    ballot = await _open_vote(db, clock, meeting, chair, 2)
    async with db.unit() as uow:
        principal, staff = await uow.members.get(a), await uow.members.get(chair)
        assert principal is not None and staff is not None
        await ballots.declare_affected(
            uow, ballot.id, principal, "a cégem az ajánlattevő", standing_of(staff), clock.now()
        )
    async with db.unit() as uow:
        with pytest.raises(AffectedVoter):
            await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now(), by=b)
    async with db.unit() as uow:
        assert [(m.id, h.id) for m, h in await uow.ballots.represented(ballot.id)] == [(a, b)]


async def test_a_principal_present_in_person_votes_themself(db: Database, clock: FakeClock) -> None:
    ids, _meeting, ballot = await _voting(db, clock, "Belső 01", "Belső 02", "Belső 03")
    a, b = ids["Belső 01"], ids["Belső 02"]
    assert ballot.electorate == 3
    yes = ballot.options[0].id
    async with db.unit() as uow:
        assert await uow.ballots.represented(ballot.id) == []
        with pytest.raises(NotOnRoll):  # the proxy has no effect on this vote
            await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now(), by=b)
    async with db.unit() as uow:
        await ballots.cast_vote(uow, ballot.id, a, [yes], clock.now())
        assert await uow.ballots.turnout(ballot.id) == 1
