"""Meeting rules against a real database: who chairs before and after the officers' election,
the officers elected once, the agenda between the officers and the items, the electorate kept
from the start, an affected member leaving an item without a quorum, who sees a meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import Translations
from bot.services import ballots, meetings
from bot.services.clock import FakeClock
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from bot.services.meetings import (
    AgendaDecided,
    AgendaNotAdopted,
    AgendaState,
    MeetingDraft,
    MeetingNotOpen,
    OfficersElected,
    OfficersFirst,
)
from bot.services.roles import Standing
from bot.views.minutes import minutes_doc
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import Ballot, BallotResult, Body, QuorumRule
from storage.models.meetings import Meeting, MeetingStatus
from tests.db.test_ballots import TZ, members, standing

LABELS = ("Igen", "Nem", "Tartózkodom")
OFFICERS = "Jegyzőkönyvvezető: Belső 03; Hitelesítők: Belső 01, Belső 02"


async def _meeting(db: Database, clock: FakeClock, convener: Standing) -> Meeting:
    draft = MeetingDraft(
        Body.KGY, clock.now() + timedelta(days=9), "Iroda", None, [("Beszámoló", "Elfogadja.")]
    )
    async with db.unit() as uow:
        return await meetings.convene(uow, draft, convener, QuorumRule.MORE_THAN_HALF, clock.now())


async def _started(db: Database, clock: FakeClock, ids: dict[str, int], present: int) -> Meeting:
    """Meeting #1 convened by Belső 00 (the KSz), started with ``present`` members in."""
    meeting = await _meeting(db, clock, await standing(db, ids["Belső 00"]))
    clock.current = meeting.starts_at - timedelta(minutes=10)
    for n in range(present):
        recorder = await standing(db, ids[f"Belső {n:02d}"])
        async with db.unit() as uow:
            member = await uow.members.get(ids[f"Belső {n:02d}"])
            assert member is not None
            await meetings.check_in(uow, member, recorder, clock.now())
    clock.current = meeting.starts_at
    async with db.unit() as uow:
        started = await meetings.start(uow, meeting.id, clock.now())
    assert started is not None
    return started


async def _decide(
    db: Database, clock: FakeClock, ballot: Ballot, votes: dict[int, int]
) -> ballots.Closing:
    """Cast ``member id -> option position`` and close the ballot at its deadline."""
    for member_id, position in votes.items():
        async with db.unit() as uow:
            option = ballot.options[position].id
            await ballots.cast_vote(uow, ballot.id, member_id, [option], clock.now())
    clock.current = ballot.deadline
    async with db.unit() as uow:
        closing = await ballots.close(uow, ballot.id, clock.now(), "", TZ)
    assert closing is not None
    return closing


async def _officers(
    db: Database, clock: FakeClock, meeting: Meeting, by: Standing, text: str = OFFICERS
) -> Ballot:
    async with db.unit() as uow:
        officers = await meetings.parse_officers(uow, text)
        _meeting, ballot = await meetings.propose_officers(
            uow, meeting.id, officers, "Tisztségviselők", by, clock.now(), yes_no_labels=LABELS
        )
    return ballot


async def _elected(
    db: Database, clock: FakeClock, meeting: Meeting, chair: Standing, voters: list[int]
) -> None:
    """The officers proposed by ``chair`` (the convener chairs) and elected by ``voters``."""
    await _decide(db, clock, await _officers(db, clock, meeting, chair), dict.fromkeys(voters, 0))


def _first(ids: dict[str, int], n: int) -> list[int]:
    return [ids[f"Belső {i:02d}"] for i in range(n)]


async def _agenda(db: Database, clock: FakeClock, meeting: Meeting, by: Standing) -> Ballot:
    async with db.unit() as uow:
        _meeting, ballot = await meetings.open_agenda_vote(
            uow, meeting.id, 10, "Napirend", by, clock.now(), yes_no_labels=LABELS
        )
    return ballot


async def _item(
    db: Database, clock: FakeClock, meeting: Meeting, by: Standing, *, secret: bool = False
) -> Ballot:
    async with db.unit() as uow:
        _m, _item, ballot = await meetings.open_item_vote(
            uow, meetings.ItemVote(meeting.id, 1, 10, secret), by, clock.now(),
            yes_no_labels=LABELS,
        )  # fmt: skip
    return ballot


async def test_the_elected_chair_alone_chairs(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 5)
    meeting = await _started(db, clock, ids, 5)
    convener, béla = await standing(db, ids["Belső 00"]), await standing(db, ids["Belső 04"])
    ballot = await _officers(db, clock, meeting, convener, f"Levezető elnök: Belső 04; {OFFICERS}")
    async with db.unit() as uow:
        # proposed, not yet elected: the convener runs the meeting
        assert await meetings.chairs(uow, convener, meeting)
        assert not await meetings.chairs(uow, béla, meeting)
    await _decide(db, clock, ballot, dict.fromkeys(_first(ids, 4), 0))
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None and found.chair_label == "Belső 04"
        assert await meetings.chairs(uow, béla, found)
        assert not await meetings.chairs(uow, convener, found)  # the KSz and convener, too
        with pytest.raises(NotAllowed):
            await meetings.chaired_meeting(uow, meeting.id, convener)
    with pytest.raises(OfficersElected):
        await _officers(db, clock, meeting, béla)
    # the elected chair, a member without the right to put questions, opens the agenda's vote
    agenda = await _agenda(db, clock, meeting, béla)
    assert agenda.created_by_label == "Belső 04"
    # while the elected chair is away, the convener runs the meeting again; back, the chair
    async with db.unit() as uow:
        chair = await uow.members.get(ids["Belső 04"])
        assert chair is not None
        await meetings.check_out(uow, chair, clock.now())
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None
        assert await meetings.chairs(uow, convener, found)
        assert not await meetings.chairs(uow, béla, found)
        chair = await uow.members.get(ids["Belső 04"])
        assert chair is not None
        await meetings.check_in(uow, chair, béla, clock.now())
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None
        assert await meetings.chairs(uow, béla, found)
        assert not await meetings.chairs(uow, convener, found)


async def test_the_elected_chair_marks_a_member_affected_in_the_meetings_votes(
    db: Database, clock: FakeClock
) -> None:
    """Ptk. 3:19 (2): "the KSz or the chair" marks another member; at a meeting that is the
    chair it elected (a member without an office), in that meeting's votes only."""
    ids = await members(db, clock, 5)
    meeting = await _started(db, clock, ids, 5)
    convener, béla = await standing(db, ids["Belső 00"]), await standing(db, ids["Belső 04"])
    officers = await _officers(
        db, clock, meeting, convener, f"Levezető elnök: Belső 04; {OFFICERS}"
    )
    await _decide(db, clock, officers, dict.fromkeys(_first(ids, 4), 0))
    agenda = await _agenda(db, clock, meeting, béla)
    await _decide(db, clock, agenda, dict.fromkeys(_first(ids, 4), 0))
    item = await _item(db, clock, meeting, béla)
    member = await standing(db, ids["Belső 01"])
    async with db.unit() as uow:
        subject = await uow.members.get(ids["Belső 02"])
        assert subject is not None
        assert await meetings.chairs_vote_of(uow, béla, item.id)
        assert not await meetings.chairs_vote_of(uow, member, item.id)
        with pytest.raises(NotAllowed):  # a member who does not chair marks only themself
            await ballots.declare_affected(uow, item.id, subject, "rokon", member, clock.now())
    async with db.unit() as uow:
        subject = await uow.members.get(ids["Belső 02"])
        assert subject is not None
        ballot, _reason = await ballots.declare_affected(
            uow, item.id, subject, "rokon", béla, clock.now(),
            chairs_it=await meetings.chairs_vote_of(uow, béla, item.id),
        )  # fmt: skip
        assert ballot.electorate == 4  # the five present, less the affected member


async def test_without_the_chairs_line_the_convener_is_proposed(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 4)
    meeting = await _started(db, clock, ids, 3)
    await _elected(db, clock, meeting, await standing(db, ids["Belső 00"]), _first(ids, 3))
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None
        assert (found.chair_id, found.chair_label) == (ids["Belső 00"], "Belső 00")


async def test_the_agenda_comes_between_the_officers_and_the_items(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 4)
    meeting = await _started(db, clock, ids, 3)
    chair = await standing(db, ids["Belső 00"])
    with pytest.raises(AgendaNotAdopted) as early:
        await _item(db, clock, meeting, chair)
    assert early.value.state is AgendaState.NOT_VOTED
    with pytest.raises(OfficersFirst):
        await _agenda(db, clock, meeting, chair)
    await _elected(db, clock, meeting, chair, _first(ids, 3))
    agenda = await _agenda(db, clock, meeting, chair)
    # rejected: no item, no second vote on the agenda; the meeting can still be closed
    await _decide(db, clock, agenda, {ids["Belső 00"]: 0, ids["Belső 01"]: 1, ids["Belső 02"]: 1})
    with pytest.raises(AgendaNotAdopted) as rejected:
        await _item(db, clock, meeting, chair)
    assert rejected.value.state is AgendaState.REJECTED
    with pytest.raises(AgendaDecided) as again:
        await _agenda(db, clock, meeting, chair)
    assert not again.value.adopted
    async with db.unit() as uow:
        await meetings.close_meeting(uow, meeting.id, chair, clock.now())
        record = await meetings.record(uow, meeting.id)
    assert record.agenda is not None and record.agenda.resolution is None
    assert [c.votes for c in record.agenda.counts] == [1, 2, 0]


async def test_the_electorate_is_kept_from_the_start(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    meeting = await _started(db, clock, ids, 3)
    assert meeting.electorate == 4
    async with db.unit() as uow:
        spec = MemberSpec("Új Ubul", MemberKind.INTERNAL)
        await upsert_member(uow, spec, CLI_ACTOR, clock.now())
    chair = await standing(db, ids["Belső 00"])
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None
        assert (await meetings.quorum(uow, found)).electorate == 4
        await meetings.close_meeting(uow, meeting.id, chair, clock.now())
    async with db.unit() as uow:
        record = await meetings.record(uow, meeting.id)
    assert (record.quorum.electorate, record.quorum.present, record.quorum.needed) == (4, 3, 3)


async def test_an_affected_member_can_leave_an_item_without_a_quorum(
    db: Database, clock: FakeClock
) -> None:
    """7 with the vote, 4 present (4 needed); one affected: 3 of 6, not more than half."""
    ids = await members(db, clock, 7)
    meeting = await _started(db, clock, ids, 4)
    chair = await standing(db, ids["Belső 00"])
    await _elected(db, clock, meeting, chair, _first(ids, 4))
    agenda = await _agenda(db, clock, meeting, chair)
    await _decide(db, clock, agenda, dict.fromkeys(_first(ids, 4), 0))
    item = await _item(db, clock, meeting, chair)
    actor = await standing(db, ids["Belső 03"])
    async with db.unit() as uow:
        affected = await uow.members.get(ids["Belső 03"])
        assert affected is not None
        await ballots.declare_affected(uow, item.id, affected, "a cégem", actor, clock.now())
    closing = await _decide(db, clock, item, dict.fromkeys(_first(ids, 3), 0))
    # three yes of the three who could vote: without the affected member, no quorum
    assert closing.tally.result is BallotResult.NO_QUORUM
    assert (closing.tally.electorate, closing.tally.quorum_needed) == (3, 4)
    assert closing.resolution is None and closing.ballot.result is BallotResult.NO_QUORUM


async def test_a_strategic_council_meeting_is_seen_by_its_members(
    db: Database, clock: FakeClock
) -> None:
    ids = await members(db, clock, 4)
    meeting = await _meeting(db, clock, await standing(db, ids["Belső 00"]))
    founder, plain = await standing(db, ids["Belső 01"]), await standing(db, ids["Belső 03"])
    assert meetings.visible_to(meeting, plain) and meetings.visible_to(meeting, founder)
    meeting.body = Body.ST
    assert meetings.visible_to(meeting, founder)
    assert not meetings.visible_to(meeting, plain)


async def test_a_strategic_council_meetings_minutes_are_for_its_members(
    db: Database, clock: FakeClock
) -> None:
    """/jegyzokonyv as /ulesek: an ST meeting's minutes go to the ST, as they are sent."""
    ids = await members(db, clock, 4)
    meeting = await _meeting(db, clock, await standing(db, ids["Belső 00"]))
    founder, plain = await standing(db, ids["Belső 01"]), await standing(db, ids["Belső 03"])
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None
        found.body, found.status = Body.ST, MeetingStatus.NOT_QUORATE
    async with db.unit() as uow:
        assert (await meetings.record(uow, meeting.id, founder)).meeting.id == meeting.id
        with pytest.raises(NotFound):
            await meetings.record(uow, meeting.id, plain)


def test_an_item_vote_can_be_asked_for_as_secret() -> None:
    assert meetings.parse_item_vote(["3", "2"]) == meetings.ItemVote(3, 2, 10, secret=False)
    assert meetings.parse_item_vote(["#3", "2", "15", "titkos"]) == meetings.ItemVote(
        3, 2, 15, True
    )
    assert meetings.parse_item_vote(["3", "2", "Secret"]).secret
    for bad in (["3", "titkos"], ["3", "2", "titkos", "10"], ["3", "2", "nyílt"]):
        with pytest.raises(InvalidInput):
            meetings.parse_item_vote(bad)


async def test_a_secret_item_vote_is_a_secret_ballot(db: Database, clock: FakeClock) -> None:
    ids = await members(db, clock, 4)
    meeting = await _started(db, clock, ids, 3)
    chair = await standing(db, ids["Belső 00"])
    await _elected(db, clock, meeting, chair, _first(ids, 3))
    await _decide(
        db, clock, await _agenda(db, clock, meeting, chair), dict.fromkeys(_first(ids, 3), 0)
    )
    item = await _item(db, clock, meeting, chair, secret=True)
    assert item.secret and not item.changeable
    closing = await _decide(
        db, clock, item, {ids["Belső 00"]: 0, ids["Belső 01"]: 0, ids["Belső 02"]: 1}
    )
    assert [c.votes for c in closing.tally.counts] == [2, 1, 0]
    async with db.unit() as uow:
        with pytest.raises(ballots.SecretBallot):
            await ballots.details(uow, item.id)


async def test_only_an_open_meeting_is_closed_and_the_minutes_rest_on_the_quorum(
    db: Database, clock: FakeClock
) -> None:
    """A meeting still waiting for its quorum is not closed; and minutes of a meeting closed
    before it had a quorum (as the bot once allowed) do not state one."""
    ids = await members(db, clock, 4)
    chair = await standing(db, ids["Belső 00"])
    meeting = await _meeting(db, clock, chair)
    clock.current = meeting.starts_at + timedelta(minutes=5)
    async with db.unit() as uow:
        with pytest.raises(MeetingNotOpen):
            await meetings.close_meeting(uow, meeting.id, chair, clock.now())
    async with db.unit() as uow:
        found = await uow.meetings.get(meeting.id)
        assert found is not None and found.status is MeetingStatus.CONVENED
        found.status, found.closed_at = MeetingStatus.CLOSED, clock.now()
    async with db.unit() as uow:
        record = await meetings.record(uow, meeting.id)
    text = " ".join(
        body for _style, body in minutes_doc(Translations("hu", TZ).get("hu"), record).blocks
    )
    assert "Az ülés határozatképtelen volt: jelen volt 0 szavazásra jogosult tag" in text
    assert "határozatképes: jelen van" not in text and "megismételt" not in text


def test_a_meeting_number_may_lead_a_check_in() -> None:
    """``/jelen [ÜLÉS] [Név]``: no member's name is a number; an over-long one is a name."""
    parse = meetings.parse_presence
    assert parse("") == meetings.PresenceRequest(None, "")
    assert parse("Belső Béla") == meetings.PresenceRequest(None, "Belső Béla")
    assert parse("#2") == meetings.PresenceRequest(2, "")
    assert parse("2 Belső Béla") == meetings.PresenceRequest(2, "Belső Béla")
    assert parse("9" * 25).meeting_id is None
