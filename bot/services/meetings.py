"""Meetings (ülés): convening, the attendance sheet, the live quorum, the agenda items' votes.

A meeting's quorum (Ptk. 3:18 (1)) is counted from the members with the vote who are present;
each agenda item is decided by a ballot whose roll is the members with the vote present when
the chair opens it, so the register, the conflicts of interest (``/erintett``) and the tally
are the ballots' own. The majority of such a ballot is counted against that roll (Ptk. 3:19
(1): "a határozatképesség megállapításánál figyelembe vett szavazatok többsége"), so an
abstention, or a present member who does not vote, counts against.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.identity import find_member
from bot.services.roles import Permission, Standing, has_vote_in
from bot.services.text import clean_text, parse_id
from storage.db import UnitOfWork
from storage.models import Member, MemberKind
from storage.models.ballots import (
    Ballot,
    BallotKind,
    BallotResult,
    BallotStatus,
    Body,
    Majority,
    Procedure,
    QuorumRule,
    Resolution,
)
from storage.models.meetings import (
    Attendance,
    Meeting,
    MeetingItem,
    MeetingStatus,
    MinutesConfirmation,
    Proxy,
)

#: Members check in from this long before the start (jelenléti ív).
CHECK_IN_MINUTES = 30
ITEMS_MAX = 20
TITLE_MAX = 200
PLACE_MAX = 300
#: How long the chair may keep an agenda item's vote open.
VOTE_MINUTES_MIN = ballots.MIN_LEAD_MINUTES + 1
VOTE_MINUTES_MAX = 120
VOTE_MINUTES_DEFAULT = 10
REMINDERS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


# --- errors ----------------------------------------------------------------------------------


@dataclass
class NoMeetingNow(DomainError):
    """No meeting takes check-ins now (it starts more than 30 minutes later, or none is on)."""


@dataclass
class MeetingNotOpen(DomainError):
    """The meeting has not opened (it has had no quorum yet), so it cannot be closed: without
    a quorum it is recorded as not quorate after MEETING_QUORUM_WAIT, and can be reconvened."""

    meeting_id: int


@dataclass
class MeetingOver(DomainError):
    """The meeting is closed, or was recorded as not quorate."""

    meeting_id: int


@dataclass
class NotQuorate(DomainError):
    """The agenda cannot be acted on: fewer members with the vote are present than needed."""

    present: int
    needed: int


@dataclass
class ItemDecided(DomainError):
    """The agenda item has had its vote."""

    position: int


@dataclass
class VoteInProgress(DomainError):
    """An agenda item's vote is still open: close it first."""

    ballot_id: int


@dataclass
class OfficersElected(DomainError):
    """The meeting has elected its officers: they are not elected again."""

    meeting_id: int


@dataclass
class OfficersFirst(DomainError):
    """The agenda is adopted after the officers are elected."""

    meeting_id: int


class AgendaState(enum.StrEnum):
    """Where the adoption of a meeting's agenda stands."""

    NOT_VOTED = "not_voted"
    OPEN = "open"
    ADOPTED = "adopted"
    REJECTED = "rejected"


@dataclass
class AgendaNotAdopted(DomainError):
    """An agenda item's vote waits for the agenda's adoption; a rejected agenda (``state``)
    leaves the meeting nothing to do but close."""

    meeting_id: int
    state: AgendaState


@dataclass
class AgendaDecided(DomainError):
    """The meeting has voted on its agenda (adopted or rejected); it does not vote again."""

    meeting_id: int
    adopted: bool


@dataclass
class NotPresent(DomainError):
    """The member is not on the attendance sheet (or has checked out)."""

    meeting_id: int


# --- the invitation --------------------------------------------------------------------------


@dataclass
class MeetingDraft:
    """A meeting as its invitation describes it (Ptk. 3:17)."""

    body: Body = Body.KGY
    starts_at: datetime | None = None
    place: str | None = None
    link: str | None = None
    items: list[tuple[str, str | None]] = field(default_factory=list)


_KEYS = {
    "időpont": "time", "idopont": "time", "time": "time", "kezdés": "time", "kezdes": "time",
    "helyszín": "place", "helyszin": "place", "place": "place",
    "online": "link", "link": "link",
    "napirend": "item", "napirendi pont": "item", "item": "item", "agenda": "item",
    "testület": "body", "testulet": "body", "body": "body",
}  # fmt: skip


def parse_form(text: str, now: datetime, tz: ZoneInfo, notice_days: int) -> MeetingDraft:
    """``Időpont:``, ``Helyszín:``, ``Online:``, ``Testület:`` once, ``Napirend: cím |
    határozati javaslat`` once per agenda item."""
    draft = MeetingDraft()
    seen: set[str] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        head, sep, rest = line.partition(":")
        key = _KEYS.get(head.strip().casefold()) if sep else None
        if key is None:
            raise InvalidInput("form", "unknown_meeting_line")
        if key != "item" and key in seen:
            raise InvalidInput(key, "duplicate")
        seen.add(key)
        _set(draft, key, rest.strip(), now, tz)
    return check_draft(draft, now, notice_days)


def _set(draft: MeetingDraft, key: str, value: str, now: datetime, tz: ZoneInfo) -> None:
    if key == "time":
        draft.starts_at = ballots.parse_deadline(value, now, tz)
    elif key == "place":
        draft.place = clean_text(value, "place", PLACE_MAX)
    elif key == "link":
        draft.link = clean_text(value, "link", PLACE_MAX)
    elif key == "body":
        draft.body = ballots._choice(ballots._BODIES, value, "body")
    else:
        title, _bar, resolution = value.partition("|")
        draft.items.append(
            (
                clean_text(title, "item", TITLE_MAX),
                ballots.clean_question(resolution) if resolution.strip() else None,
            )
        )


def check_draft(draft: MeetingDraft, now: datetime, notice_days: int) -> MeetingDraft:
    """The invitation names the time, the place (or the online link) and at least one agenda
    item, and goes at least ``notice_days`` before the meeting."""
    if draft.starts_at is None:
        raise InvalidInput("time", "empty")
    if draft.place is None and draft.link is None:
        raise InvalidInput("place", "empty")
    if not draft.items:
        raise InvalidInput("item", "empty")
    if len(draft.items) > ITEMS_MAX:
        raise InvalidInput("item", "too_many", limit=ITEMS_MAX)
    if draft.starts_at < now + timedelta(days=notice_days):
        raise InvalidInput("time", "notice", limit=notice_days)
    return draft


async def convene(
    uow: UnitOfWork, draft: MeetingDraft, convener: Standing, quorum: QuorumRule, now: datetime
) -> Meeting:
    """Convene a meeting: who may put a question to the body may convene it."""
    ballots.check_may_create(convener, draft.body)
    assert draft.starts_at is not None
    meeting = Meeting(
        body=draft.body,
        starts_at=draft.starts_at,
        place=draft.place,
        link=draft.link,
        quorum=quorum,
        status=MeetingStatus.CONVENED,
        created_by_id=convener.member_id,
        created_by_label=convener.name,
        created_at=now,
        items=[
            MeetingItem(position=n, title=title, draft=text)
            for n, (title, text) in enumerate(draft.items, start=1)
        ],
    )
    uow.meetings.add(meeting)
    await uow.flush()
    return meeting


#: Ptk. 3:76 (3): the reconvened meeting is held 3 to 15 days after the original one.
RECONVENE_DAYS = (3, 15)


@dataclass
class NotReconvenable(DomainError):
    """Only a meeting recorded as not quorate is reconvened, and only once."""

    meeting_id: int


def parse_reconvene(args: list[str], now: datetime, tz: ZoneInfo) -> tuple[int, datetime]:
    """``/ules_megismetelt 3 2026.12.15 17:00``: the meeting, the new start."""
    meeting_id = parse_id(args[0]) if len(args) >= 2 else None
    if meeting_id is None:
        raise InvalidInput("time", "empty")
    return meeting_id, ballots.parse_deadline(" ".join(args[1:]), now, tz)


async def reconvene(
    uow: UnitOfWork,
    meeting_id: int,
    starts_at: datetime,
    convener: Standing,
    rule: QuorumRule,
    now: datetime,
    notice_days: int,
) -> Meeting:
    """The megismételt ülés of a not-quorate meeting: the same body, place and agenda, its own
    quorum rule, 3 to 15 days after the original start and with the invitation's notice."""
    original = await uow.meetings.get(meeting_id, lock=True)
    if original is None:
        raise NotFound("meeting", str(meeting_id))
    if original.status is not MeetingStatus.NOT_QUORATE or await uow.meetings.reconvened_by(
        original.id
    ):
        raise NotReconvenable(meeting_id)
    first, last = (original.starts_at + timedelta(days=d) for d in RECONVENE_DAYS)
    if not first <= starts_at <= last:
        raise InvalidInput("time", "reconvene_window", limit=RECONVENE_DAYS[1])
    draft = MeetingDraft(
        original.body, starts_at, original.place, original.link,
        [(i.title, i.draft) for i in original.items],
    )  # fmt: skip
    meeting = await convene(uow, check_draft(draft, now, notice_days), convener, rule, now)
    meeting.reconvenes_id = original.id
    await uow.flush()
    return meeting


def visible_to(meeting: Meeting, standing: Standing) -> bool:
    """Who sees a convened meeting and its agenda (``/ulesek``, the Mini App): those invited
    to it, as with its invitation, reminders and minutes; so a Stratégiai Tanács meeting only
    its members, as its ballots' debate."""
    return meeting.body is Body.KGY or standing.in_strategic_council


def visible_in_group(meeting: Meeting) -> bool:
    """What a group chat is shown of the meetings (``/ulesek`` there): what every member may
    see, the Közgyűlés's meetings. A group's readers are not all invited to a Stratégiai
    Tanács meeting (the main group holds the external supporters), whoever asks in it."""
    return meeting.body is Body.KGY


def invited(member: Member, body: Body) -> bool:
    """Who is invited: every active member to the Közgyűlés (external supporters with their
    advisory right), the founders to the Stratégiai Tanács."""
    if not member.is_active:
        return False
    return body is Body.KGY or (member.is_founder and member.kind is MemberKind.INTERNAL)


async def invitees(uow: UnitOfWork, meeting: Meeting) -> list[Member]:
    """The members the invitation and the reminders go to."""
    return [m for m in await uow.members.active() if invited(m, meeting.body)]


def reminder_due(meeting: Meeting, kind: str, now: datetime) -> bool:
    """The reminder ``kind`` (a day, an hour before) is due: its time passed, the meeting not."""
    return (
        meeting.status is MeetingStatus.CONVENED
        and meeting.starts_at - REMINDERS[kind] <= now < meeting.starts_at
    )


async def claim_reminder(uow: UnitOfWork, meeting_id: int, kind: str, now: datetime) -> bool:
    """Record that the reminder goes out; False if it went out before (never twice)."""
    if await uow.meetings.reminder_sent(meeting_id, kind):
        return False
    return await uow.meetings.add_reminder_once(meeting_id, kind, now)


# --- the quorum ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    """The live quorum: members with the vote, those of them present (in person or represented
    by a proxy holder present), how many are needed; ``represented`` of ``present`` by proxy."""

    electorate: int
    present: int
    needed: int
    represented: int = 0

    @property
    def met(self) -> bool:
        return self.present >= self.needed and self.present > 0


def quorum_of(rule: QuorumRule, electorate: int, present: int, represented: int = 0) -> Quorum:
    """Ptk. 3:18 (1): the body has a quorum if more than half of the votes that can be cast
    are present (or the bylaws' share); only members with the vote count, a member represented
    by a proxy holder present among them."""
    return Quorum(electorate, present, ballots.quorum_needed(rule, electorate), represented)


@dataclass(frozen=True)
class Presence:
    """Whose votes are at the meeting: the members with the vote present in person, and the
    absent ones a proxy holder present represents (principal id -> holder id)."""

    in_person: list[int]
    represented: dict[int, int]

    @property
    def voters(self) -> list[int]:
        return [*self.in_person, *self.represented]


def _votes_in(body: Body, member: Member) -> bool:
    return has_vote_in(
        body, is_active=member.is_active, kind=member.kind, is_founder=member.is_founder
    )


def presence(
    sheet: Sequence[tuple[Member, Attendance]],
    proxies: Sequence[tuple[Member, Member]],
    body: Body,
    at: datetime | None = None,
) -> Presence:
    """Who is present (now: checked in and not out; or at the moment ``at``). A principal is
    represented while their holder is present with the vote and they are not there themself:
    a principal present in person votes themself, and a holder who leaves takes the principal's
    vote with them."""

    def here(a: Attendance) -> bool:
        if at is None:
            return a.left_at is None
        return a.arrived_at <= at and (a.left_at is None or a.left_at > at)

    in_person = [m.id for m, a in sheet if here(a) and _votes_in(body, m)]
    there = set(in_person)
    represented = {
        p.id: h.id for p, h in proxies if p.id not in there and h.id in there and _votes_in(body, p)
    }
    return Presence(in_person, represented)


async def presence_now(uow: UnitOfWork, meeting: Meeting) -> Presence:
    """Who is present now, in person or by proxy."""
    return presence(
        await uow.meetings.sheet(meeting.id), await uow.meetings.proxies(meeting.id), meeting.body
    )


async def present_voters(uow: UnitOfWork, meeting: Meeting) -> list[int]:
    """The members whose votes are present now: with the vote and checked in (not checked out),
    or represented by a proxy holder who is."""
    return (await presence_now(uow, meeting)).voters


async def electorate_of(uow: UnitOfWork, meeting: Meeting) -> int:
    """The members with the vote: as stored when the meeting started, counted live before."""
    if meeting.electorate is not None:
        return meeting.electorate
    return len(await uow.members.voter_ids(founders=meeting.body is Body.ST))


async def quorum(uow: UnitOfWork, meeting: Meeting) -> Quorum:
    """The live quorum of a meeting."""
    electorate = await electorate_of(uow, meeting)
    now = await presence_now(uow, meeting)
    return quorum_of(meeting.quorum, electorate, len(now.voters), len(now.represented))


# --- attendance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """A check-in or a check-out, and the quorum after it."""

    meeting: Meeting
    member: Member
    quorum: Quorum
    #: The quorum was reached by this check-in: the meeting is quorate from now.
    opened: bool = False


@dataclass(frozen=True)
class PresenceRequest:
    """``/jelen [ÜLÉS] [Név]`` and ``/tavozom [ÜLÉS]``: the meeting, if named; the member the
    chair records, if named."""

    meeting_id: int | None = None
    name: str = ""


def parse_presence(text: str) -> PresenceRequest:
    """An optional meeting number first (``3`` or ``#3``: no member's name is a number), then
    an optional name."""
    first, _sep, rest = text.strip().partition(" ")
    meeting_id = parse_id(first) if first else None
    if meeting_id is None:
        return PresenceRequest(None, text.strip())
    return PresenceRequest(meeting_id, rest.strip())


async def check_in(
    uow: UnitOfWork,
    member: Member,
    recorder: Standing,
    now: datetime,
    meeting_id: int | None = None,
) -> CheckIn:
    """Put ``member`` on the attendance sheet of the meeting taking check-ins (the one named,
    or ``_check_in_meeting``); whoever chairs (``chairs``) records someone present in person."""
    meeting = await _check_in_meeting(uow, member, now, meeting_id)
    if recorder.member_id != member.id and not await chairs(uow, recorder, meeting):
        raise NotAllowed(Permission.KSZ, rule="meeting_chair")
    if not invited(member, meeting.body):
        raise NotAllowed(Permission.FOUNDER if meeting.body is Body.ST else Permission.MEMBER)
    row = await uow.meetings.attendance(meeting.id, member.id)
    if row is None:
        uow.meetings.add_attendance(
            Attendance(
                meeting_id=meeting.id,
                member_id=member.id,
                arrived_at=now,
                recorded_by_label=recorder.name,
            )
        )
    else:
        row.left_at = None
    await uow.flush()
    state = await quorum(uow, meeting)
    opened = state.met and meeting.quorum_reached_at is None and now >= meeting.starts_at
    if opened:
        await fix_electorate(uow, meeting)
        open_meeting(meeting, now)
    return CheckIn(meeting, member, state, opened)


def open_meeting(meeting: Meeting, now: datetime) -> None:
    """The quorum is reached at or after the start: the meeting is quorate and runs."""
    meeting.quorum_reached_at = now
    meeting.status = MeetingStatus.OPEN


async def fix_electorate(uow: UnitOfWork, meeting: Meeting) -> None:
    """At the start, the members with the vote are counted once and kept: the quorum from then
    on, and the minutes' statement whenever they are drawn, rest on that number."""
    if meeting.electorate is None:
        meeting.electorate = await electorate_of(uow, meeting)


async def check_out(
    uow: UnitOfWork, member: Member, now: datetime, meeting_id: int | None = None
) -> CheckIn:
    """``/tavozom [ÜLÉS]``: the member leaves the meeting named, or the one they are present
    at (the soonest started, if two); the following votes count without them."""
    attending = await uow.meetings.attending(member.id)
    if meeting_id is not None:
        attending = [m for m in attending if m.id == meeting_id]
    if not attending:
        named = await _check_in_meeting(uow, member, now, meeting_id, invited_only=False)
        raise NotPresent(named.id)
    meeting = attending[0]
    row = await uow.meetings.attendance(meeting.id, member.id)
    assert row is not None
    row.left_at = now
    await uow.flush()
    return CheckIn(meeting, member, await quorum(uow, meeting))


async def _check_in_meeting(
    uow: UnitOfWork,
    member: Member,
    now: datetime,
    meeting_id: int | None,
    *,
    invited_only: bool = True,
) -> Meeting:
    """The meeting taking check-ins that a check-in is for: the one named; else, of those
    whose check-in has opened and to which ``member`` is invited, one they are not present at
    yet, then one that is open or has started before one that only takes check-ins, then the
    soonest. Two meetings may overlap (a Közgyűlés running while the next Stratégiai Tanács
    takes check-ins); naming the meeting settles any doubt."""
    taking = await uow.meetings.checking_in(now + timedelta(minutes=CHECK_IN_MINUTES))
    if meeting_id is not None:
        named = await uow.meetings.get(meeting_id)
        if named is None:
            raise NotFound("meeting", str(meeting_id))
        if named.status in (MeetingStatus.CLOSED, MeetingStatus.NOT_QUORATE):
            raise MeetingOver(named.id)
        taking = [m for m in taking if m.id == meeting_id]
    elif invited_only:
        taking = [m for m in taking if invited(member, m.body)] or taking
    if not taking:
        raise NoMeetingNow()
    here = {m.id for m in await uow.meetings.attending(member.id)}
    return min(
        taking,
        key=lambda m: (
            m.id in here,
            m.status is not MeetingStatus.OPEN and m.starts_at > now,
            m.starts_at,
            m.id,
        ),
    )


async def _present(uow: UnitOfWork, meeting: Meeting, member_id: int) -> bool:
    line = await uow.meetings.attendance(meeting.id, member_id)
    return line is not None and line.left_at is None


async def elected_chair(uow: UnitOfWork, meeting: Meeting) -> int | None:
    """The member the meeting elected its levezető elnök, once the officers' ballot is
    adopted; None before (or if that member's record is gone)."""
    if meeting.chair_id is None or not await officers_elected(uow, meeting):
        return None
    return meeting.chair_id


async def chairs(uow: UnitOfWork, who: Standing, meeting: Meeting) -> bool:
    """Who holds the chair's powers: the elected chair alone while present; until the meeting
    elects one, or while the elected chair is away (checked out, or not checked in), the
    convener (or the KSz), so that a meeting is never left without anyone to run it."""
    chair = await elected_chair(uow, meeting)
    if chair is not None and await _present(uow, meeting, chair):
        return who.member_id == chair
    return who.is_ksz_staff or (
        who.member_id is not None and who.member_id == meeting.created_by_id
    )


async def chairs_vote_of(uow: UnitOfWork, who: Standing, ballot_id: int) -> bool:
    """Whether ``who`` chairs the meeting that holds this vote (an agenda item's, the
    officers', the agenda's): the chair may mark a member affected in it, as the KSz may."""
    meeting_id = (await uow.meetings.meetings_of([ballot_id])).get(ballot_id)
    meeting = await uow.meetings.get(meeting_id) if meeting_id is not None else None
    return meeting is not None and await chairs(uow, who, meeting)


async def start(uow: UnitOfWork, meeting_id: int, now: datetime) -> Meeting | None:
    """At the start time: quorate if enough members with the vote are present."""
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is None or meeting.status is not MeetingStatus.CONVENED:
        return None
    await fix_electorate(uow, meeting)
    if (await quorum(uow, meeting)).met:
        open_meeting(meeting, now)
        await uow.flush()
        return meeting
    await uow.flush()
    return None


async def give_up(uow: UnitOfWork, meeting_id: int, now: datetime) -> Meeting | None:
    """MEETING_QUORUM_WAIT after the start: a meeting still without a quorum is recorded as not
    quorate (a reconvened meeting can be called). None if it was quorate or is over."""
    if await start(uow, meeting_id, now) is not None:
        return None  # quorate after all
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is None or meeting.status is not MeetingStatus.CONVENED:
        return None
    meeting.status = MeetingStatus.NOT_QUORATE
    meeting.closed_at = now
    await uow.flush()
    return meeting


# --- the agenda ------------------------------------------------------------------------------


async def chaired_meeting(uow: UnitOfWork, meeting_id: int, chair: Standing) -> Meeting:
    """A running meeting, for its chair (the convener) or the KSz."""
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is None:
        raise NotFound("meeting", str(meeting_id))
    if not await chairs(uow, chair, meeting):
        raise NotAllowed(Permission.KSZ, rule="meeting_chair")
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.NOT_QUORATE):
        raise MeetingOver(meeting_id)
    return meeting


#: The last word of ``/ules_szavazas`` that makes the item's vote secret (a personnel matter).
SECRET_WORDS = frozenset({"titkos", "secret"})


@dataclass(frozen=True)
class ItemVote:
    """What ``/ules_szavazas`` asks for."""

    meeting_id: int
    position: int
    minutes: int = VOTE_MINUTES_DEFAULT
    #: A secret vote (personnel matters, hungarian.md §1.4): the ballots' urn, counts only.
    secret: bool = False


def parse_item_vote(args: list[str]) -> ItemVote:
    """``/ules_szavazas 3 2 10 [titkos]``: the meeting, the agenda item, the minutes
    (optional), and ``titkos`` (``secret``) for a secret vote."""
    secret = bool(args) and args[-1].casefold() in SECRET_WORDS
    numbers = _numbers(args[:-1] if secret else args)
    if numbers is None or len(numbers) not in (2, 3):
        raise InvalidInput("item", "empty")
    minutes = _vote_minutes(numbers[2:])
    return ItemVote(numbers[0], numbers[1], minutes, secret)


def _numbers(args: Sequence[str]) -> list[int] | None:
    """A command's numeric arguments (a meeting's, an item's number, minutes); None if one is
    not a number, or too long for one (``text.parse_id``)."""
    numbers = [parse_id(a) for a in args]
    return None if None in numbers else [n for n in numbers if n is not None]


def _vote_minutes(given: list[int]) -> int:
    """The minutes a meeting's vote stays open: the one given, or the default."""
    minutes = given[0] if given else VOTE_MINUTES_DEFAULT
    if not VOTE_MINUTES_MIN <= minutes <= VOTE_MINUTES_MAX:
        raise InvalidInput("minutes", "vote_minutes", limit=VOTE_MINUTES_MAX)
    return minutes


async def open_item_vote(
    uow: UnitOfWork,
    request: ItemVote,
    chair: Standing,
    now: datetime,
    *,
    yes_no_labels: tuple[str, str, str],
) -> tuple[Meeting, MeetingItem, Ballot]:
    """The chair opens an agenda item's vote: a ballot on its draft resolution (or its title)
    whose roll is the members with the vote present now; the quorum is checked again first. A
    secret one keeps only who voted and puts the choices in the urn, as any secret ballot."""
    meeting = await chaired_meeting(uow, request.meeting_id, chair)
    item = next((i for i in meeting.items if i.position == request.position), None)
    if item is None:
        raise NotFound("item", str(request.position))
    if item.ballot_id is not None:
        raise ItemDecided(request.position)
    state = await agenda_state(uow, meeting)
    if state is AgendaState.OPEN and meeting.agenda_ballot_id is not None:
        raise VoteInProgress(meeting.agenda_ballot_id)
    if state is not AgendaState.ADOPTED:
        raise AgendaNotAdopted(meeting.id, state)
    ballot = await _meeting_vote(
        uow, meeting, item.draft or item.title, request.minutes, chair, now, yes_no_labels,
        secret=request.secret,
    )  # fmt: skip
    item.ballot_id = ballot.id
    await uow.flush()
    return meeting, item, ballot


async def _open_votes(uow: UnitOfWork, meeting: Meeting) -> list[int]:
    """The meeting's ballots (the officers', the agenda's, the items') that are still open."""
    ids = [
        meeting.officers_ballot_id,
        meeting.agenda_ballot_id,
        *(i.ballot_id for i in meeting.items),
    ]
    found = []
    for ballot_id in ids:
        ballot = await uow.ballots.get(ballot_id) if ballot_id else None
        if ballot is not None and ballot.status is BallotStatus.OPEN:
            found.append(ballot.id)
    return found


async def _meeting_vote(
    uow: UnitOfWork,
    meeting: Meeting,
    question: str,
    minutes: int,
    chair: Standing,
    now: datetime,
    yes_no_labels: tuple[str, str, str],
    *,
    secret: bool = False,
) -> Ballot:
    """A vote of the members with the vote present (open unless ``secret``), after the quorum
    is checked again; one at a time."""
    if still_open := await _open_votes(uow, meeting):
        raise VoteInProgress(still_open[0])
    state = await quorum(uow, meeting)
    if meeting.status is not MeetingStatus.OPEN or not state.met:
        raise NotQuorate(state.present, state.needed)
    draft = BallotDraft(
        question=question,
        body=meeting.body,
        kind=BallotKind.YES_NO,
        deadline=now + timedelta(minutes=minutes),
        quorum=QuorumRule.NONE,  # the meeting's quorum, checked above
        majority=Majority.ABSOLUTE,  # of those present with the vote: the roll
        procedure=Procedure.MEETING,
        secret=secret,
    )
    present = await presence_now(uow, meeting)
    ballot = await ballots.publish(
        uow, draft, chair, now, yes_no_labels=yes_no_labels, abstain_label=yes_no_labels[2],
        voters=present.voters,
    )  # fmt: skip
    # the proxy holders vote for the absent members they represent, for this whole vote
    await uow.ballots.set_proxies(ballot.id, present.represented)
    return ballot


async def agenda_state(uow: UnitOfWork, meeting: Meeting) -> AgendaState:
    """Whether the meeting has voted on its agenda, and how."""
    ballot = await uow.ballots.get(meeting.agenda_ballot_id) if meeting.agenda_ballot_id else None
    if ballot is None:
        return AgendaState.NOT_VOTED
    if ballot.status is BallotStatus.OPEN:
        return AgendaState.OPEN
    return AgendaState.ADOPTED if ballot.result is BallotResult.ADOPTED else AgendaState.REJECTED


def parse_agenda_vote(args: list[str]) -> tuple[int, int]:
    """``/ules_napirend 3 [10]``: the meeting, the minutes the vote stays open (optional)."""
    numbers = _numbers(args)
    if numbers is None or len(numbers) not in (1, 2):
        raise InvalidInput("meeting", "empty")
    return numbers[0], _vote_minutes(numbers[1:])


async def open_agenda_vote(
    uow: UnitOfWork,
    meeting_id: int,
    minutes: int,
    question: str,
    chair: Standing,
    now: datetime,
    *,
    yes_no_labels: tuple[str, str, str],
) -> tuple[Meeting, Ballot]:
    """The chair puts the agenda to an open vote of those present (napirend elfogadása): after
    the officers are elected, before any item's vote, once. A rejected agenda leaves the
    meeting nothing to decide: it can only be closed."""
    meeting = await chaired_meeting(uow, meeting_id, chair)
    state = await agenda_state(uow, meeting)
    if state is AgendaState.OPEN and meeting.agenda_ballot_id is not None:
        raise VoteInProgress(meeting.agenda_ballot_id)
    if state is not AgendaState.NOT_VOTED:
        raise AgendaDecided(meeting.id, adopted=state is AgendaState.ADOPTED)
    if not await officers_elected(uow, meeting):
        raise OfficersFirst(meeting.id)
    ballot = await _meeting_vote(uow, meeting, question, minutes, chair, now, yes_no_labels)
    meeting.agenda_ballot_id = ballot.id
    await uow.flush()
    return meeting, ballot


async def close_meeting(
    uow: UnitOfWork, meeting_id: int, chair: Standing, now: datetime
) -> Meeting:
    """The chair closes an open meeting (no agenda item's vote may still be open). One that
    has not opened, having had no quorum, is not closed: it waits to be recorded as not
    quorate (``give_up``), which a reconvened meeting needs, and its minutes would otherwise
    state a quorum it never had."""
    meeting = await chaired_meeting(uow, meeting_id, chair)
    if meeting.status is not MeetingStatus.OPEN:
        raise MeetingNotOpen(meeting.id)
    if still_open := await _open_votes(uow, meeting):
        raise VoteInProgress(still_open[0])
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    await uow.flush()
    return meeting


# --- the officers and the authenticators' confirmation ---------------------------------------


@dataclass(frozen=True)
class Officers:
    """The chair (None: the convener), the minute-taker and the two authenticators proposed to
    the meeting."""

    minute_taker: Member
    authenticators: tuple[Member, Member]
    chair: Member | None = None


_OFFICER_KEYS = {
    "levezető elnök": "chair", "levezeto elnok": "chair", "chair": "chair",
    "jegyzőkönyvvezető": "taker", "jegyzokonyvvezeto": "taker", "minute-taker": "taker",
    "minute taker": "taker", "hitelesítők": "auth", "hitelesitok": "auth",
    "authenticators": "auth",
}  # fmt: skip


async def parse_officers(uow: UnitOfWork, text: str) -> Officers:
    """``[Levezető elnök: Név;] Jegyzőkönyvvezető: Név; Hitelesítők: Név, Név`` (members, by
    name); without the chair's line the convener is proposed as the chair."""
    values: dict[str, str] = {}
    for part in text.split(";"):
        head, colon, rest = part.partition(":")
        key = _OFFICER_KEYS.get(head.strip().casefold()) if colon else None
        if key is None or key in values:
            raise InvalidInput("officers", "bad_value")
        values[key] = rest
    if not {"taker", "auth"} <= set(values):
        raise InvalidInput("officers", "empty")
    names = [n for n in values["auth"].split(",") if n.strip()]
    if len(names) != 2:
        raise InvalidInput("officers", "two_authenticators")
    first, second = [await find_member(uow, n) for n in names]
    if first.id == second.id:
        raise InvalidInput("officers", "two_authenticators")
    chair = await find_member(uow, values["chair"]) if "chair" in values else None
    return Officers(await find_member(uow, values["taker"]), (first, second), chair)


def chair_label(meeting: Meeting, officers: Officers) -> str:
    """The name of the chair proposed: the one named, or the convener."""
    return officers.chair.name if officers.chair is not None else meeting.created_by_label


async def officers_meeting(uow: UnitOfWork, meeting_id: int, convener: Standing) -> Meeting:
    """The running meeting whose officers its chair proposes, once: after an adopted election
    a new proposal is refused (before asking who may make one)."""
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is not None and await officers_elected(uow, meeting):
        raise OfficersElected(meeting.id)
    return await chaired_meeting(uow, meeting_id, convener)


async def propose_officers(
    uow: UnitOfWork,
    meeting_id: int,
    officers: Officers,
    question: str,
    chair: Standing,
    now: datetime,
    *,
    yes_no_labels: tuple[str, str, str],
) -> tuple[Meeting, Ballot]:
    """The convener proposes the chair, the minute-taker and the authenticators; the meeting
    elects them by an open vote of those present (``officers_elected`` once its ballot is
    adopted), once: from then on the elected chair holds the chair's powers (``chairs``)."""
    meeting = await officers_meeting(uow, meeting_id, chair)
    ballot = await _meeting_vote(
        uow, meeting, question, VOTE_MINUTES_DEFAULT, chair, now, yes_no_labels
    )
    first, second = officers.authenticators
    meeting.officers_ballot_id = ballot.id
    meeting.minute_taker_id, meeting.minute_taker_label = (
        officers.minute_taker.id, officers.minute_taker.name,
    )  # fmt: skip
    meeting.authenticator1_id, meeting.authenticator1_label = first.id, first.name
    meeting.authenticator2_id, meeting.authenticator2_label = second.id, second.name
    meeting.chair_label = chair_label(meeting, officers)
    meeting.chair_id = officers.chair.id if officers.chair else meeting.created_by_id
    await uow.flush()
    return meeting, ballot


async def officers_elected(uow: UnitOfWork, meeting: Meeting) -> bool:
    """The meeting adopted its officers' ballot."""
    if meeting.officers_ballot_id is None:
        return False
    ballot = await uow.ballots.get(meeting.officers_ballot_id)
    return ballot is not None and ballot.result is BallotResult.ADOPTED


def authenticators(meeting: Meeting) -> list[int]:
    """The member ids of the proposed authenticators."""
    return [m for m in (meeting.authenticator1_id, meeting.authenticator2_id) if m is not None]


async def confirm_minutes(
    uow: UnitOfWork, meeting_id: int, member: Member, now: datetime
) -> Meeting:
    """An elected authenticator confirms the minutes of a closed meeting (once); the meeting's
    row is locked, so the two confirmations are counted one after the other and the last one
    sees the first (``minutes_final``)."""
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is None:
        raise NotFound("meeting", str(meeting_id))
    if meeting.status is not MeetingStatus.CLOSED:
        raise MeetingNotOver(meeting_id)
    if member.id not in authenticators(meeting) or not await officers_elected(uow, meeting):
        raise NotAllowed(Permission.MEMBER, rule="minutes_authenticator")
    if await uow.session.get(MinutesConfirmation, (meeting_id, member.id)) is None:
        uow.session.add(
            MinutesConfirmation(
                meeting_id=meeting_id, member_id=member.id, member_label=member.name,
                confirmed_at=now,
            )
        )  # fmt: skip
        await uow.flush()
    return meeting


async def minutes_final(uow: UnitOfWork, meeting: Meeting) -> bool:
    """The minutes of a closed meeting are final, to be sent to the members: both elected
    authenticators confirmed them, or the meeting elected none (then nobody will)."""
    if meeting.status is not MeetingStatus.CLOSED:
        return False
    if not await officers_elected(uow, meeting):
        return True
    confirmed = {c.member_id for c in await uow.meetings.confirmations(meeting.id)}
    return set(authenticators(meeting)) <= confirmed


# --- the minutes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRecord:
    """What the minutes say of an agenda item: its ballot, the counts, the resolution."""

    item: MeetingItem
    ballot: Ballot | None
    counts: tuple[ballots.OptionCount, ...] = ()
    resolution: Resolution | None = None
    affected: tuple[str, ...] = ()
    #: Members on the vote's roll a proxy holder voted for: (principal, holder), by name.
    represented: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VoteRecord:
    """A procedural vote of the meeting (the agenda's adoption): its ballot, counts, result."""

    ballot: Ballot
    counts: tuple[ballots.OptionCount, ...]
    resolution: Resolution | None


@dataclass(frozen=True)
class Record:
    """Everything the minutes of a meeting hold."""

    meeting: Meeting
    sheet: list[tuple[Member, Attendance]]
    items: list[ItemRecord]
    #: The quorum when the meeting became quorate (or at its end, if it never did).
    quorum: Quorum
    #: The resolution that elected the officers, if the meeting elected them.
    officers: Resolution | None = None
    confirmations: tuple[MinutesConfirmation, ...] = ()
    #: The vote on the agenda, if the meeting held one.
    agenda: VoteRecord | None = None
    #: Who chaired: the elected chair's name, else the convener's.
    chair: str = ""
    #: The proxies given for the meeting: (principal, holder), in the principals' name order.
    proxies: tuple[tuple[Member, Member], ...] = ()


async def record(uow: UnitOfWork, meeting_id: int, reader: Standing | None = None) -> Record:
    """The minutes' content of a meeting that is over (closed, or not quorate); a ``reader``
    who may not see the meeting (an ST meeting's, outside the ST) is told it does not exist."""
    meeting = await uow.meetings.get(meeting_id)
    if meeting is None or (reader is not None and not visible_to(meeting, reader)):
        raise NotFound("meeting", str(meeting_id))
    if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.NOT_QUORATE):
        raise MeetingNotOver(meeting_id)
    sheet = await uow.meetings.sheet(meeting_id)
    proxies = await uow.meetings.proxies(meeting_id)
    at = meeting.quorum_reached_at or meeting.closed_at or meeting.starts_at
    electorate = await electorate_of(uow, meeting)
    then = presence(sheet, proxies, meeting.body, at)
    state = quorum_of(meeting.quorum, electorate, len(then.voters), len(then.represented))
    items = []
    for item in meeting.items:
        ballot = await uow.ballots.get(item.ballot_id) if item.ballot_id else None
        if ballot is None:
            items.append(ItemRecord(item, None))
            continue
        affected = tuple(m.name for m, _entry in await uow.ballots.affected(ballot.id))
        by_proxy = await uow.ballots.represented(ballot.id)
        represented = tuple((m.name, holder.name) for m, holder in by_proxy)
        items.append(
            ItemRecord(
                item,
                ballot,
                tuple(await ballots.current_counts(uow, ballot)),
                await uow.resolutions.by_ballot(ballot.id),
                affected,
                represented,
            )
        )
    officers = None
    if await officers_elected(uow, meeting) and meeting.officers_ballot_id is not None:
        officers = await uow.resolutions.by_ballot(meeting.officers_ballot_id)
    confirmations = tuple(await uow.meetings.confirmations(meeting_id))
    chair = meeting.chair_label if officers is not None else None
    return Record(
        meeting, sheet, items, state, officers, confirmations,
        await _agenda_record(uow, meeting), chair or meeting.created_by_label, tuple(proxies),
    )  # fmt: skip


async def _agenda_record(uow: UnitOfWork, meeting: Meeting) -> VoteRecord | None:
    ballot = await uow.ballots.get(meeting.agenda_ballot_id) if meeting.agenda_ballot_id else None
    if ballot is None:
        return None
    counts = tuple(await ballots.current_counts(uow, ballot))
    return VoteRecord(ballot, counts, await uow.resolutions.by_ballot(ballot.id))


@dataclass
class MeetingNotOver(DomainError):
    """The minutes are made when the meeting is over."""

    meeting_id: int


# --- proxies (meghatalmazás) -----------------------------------------------------------------
#
# Where the cluster allows it (MEETING_PROXIES), a member with the vote of the meeting's body
# authorises another member with that vote to represent them (Ptk. 3:18 (1) counts "the votes
# that can be cast", so a represented member's vote is present). The rules, as Hungarian bylaws
# usually put them: the holder acts personally and cannot pass the authorisation on, so nobody
# both gives and holds a proxy for the same meeting (no chains); one proxy per principal per
# meeting; at most MEETING_PROXIES_PER_HOLDER principals per holder; given and revoked only
# before the meeting starts.


@dataclass
class ProxiesOff(DomainError):
    """The cluster does not allow proxies at meetings (MEETING_PROXIES is off)."""


@dataclass
class NoMeetingForProxy(DomainError):
    """No convened meeting that has not started, of a body in which the member has the vote."""


@dataclass
class NoProxy(DomainError):
    """The member has given no proxy (for that meeting) that could be revoked."""


@dataclass
class ProxyRefused(DomainError):
    """A proxy the rules do not allow: ``reason`` is ``self``, ``principal_no_vote``,
    ``holder_no_vote``, ``started``, ``given`` (to ``name`` before), ``principal_holds``,
    ``holder_gave`` or ``limit`` (``limit`` principals per holder)."""

    reason: str
    meeting_id: int = 0
    name: str = ""
    limit: int = 0


@dataclass(frozen=True)
class ProxyRequest:
    """``/meghatalmazas [ÜLÉS] NÉV`` or ``/meghatalmazas visszavonás [ÜLÉS]``."""

    revoke: bool
    meeting_id: int | None = None
    name: str = ""


REVOKE_WORDS = frozenset({"visszavonás", "visszavonas", "revoke"})


def parse_proxy(text: str) -> ProxyRequest | None:
    """The command's arguments; None when there are none (the usage is shown)."""
    words = text.split()
    if not words:
        return None
    number = parse_id(words[1]) if len(words) > 1 else None
    if words[0].casefold() in REVOKE_WORDS:
        if len(words) > 2 or (len(words) == 2 and number is None):
            raise InvalidInput("meeting", "bad_value")
        return ProxyRequest(True, number)
    first = parse_id(words[0])
    if first is not None and len(words) > 1:
        return ProxyRequest(False, first, " ".join(words[1:]))
    return ProxyRequest(False, None, " ".join(words))


def _takes_proxies(meeting: Meeting, now: datetime) -> bool:
    return meeting.status is MeetingStatus.CONVENED and now < meeting.starts_at


async def _proxy_meeting(
    uow: UnitOfWork, principal: Member, holder: Member, meeting_id: int | None, now: datetime
) -> Meeting:
    """The meeting named, or the next convened one of a body in which the principal has the
    vote; locked, so two proxies to the same holder are counted one after the other."""
    if meeting_id is None:
        upcoming = [
            m for m in await uow.meetings.active()
            if _takes_proxies(m, now) and _votes_in(m.body, principal)
        ]  # fmt: skip
        if not upcoming:
            raise NoMeetingForProxy()
        both = [m for m in upcoming if _votes_in(m.body, holder)]
        meeting_id = (both or upcoming)[0].id
    meeting = await uow.meetings.get(meeting_id, lock=True)
    if meeting is None:
        raise NotFound("meeting", str(meeting_id))
    if not _takes_proxies(meeting, now):
        raise ProxyRefused("started", meeting.id)
    if not _votes_in(meeting.body, principal):
        raise ProxyRefused("principal_no_vote", meeting.id)
    if not _votes_in(meeting.body, holder):
        raise ProxyRefused("holder_no_vote", meeting.id, holder.name)
    return meeting


async def give_proxy(
    uow: UnitOfWork,
    principal: Member,
    holder: Member,
    meeting_id: int | None,
    now: datetime,
    *,
    allowed: bool,
    per_holder: int,
) -> Meeting:
    """``principal`` authorises ``holder`` to represent them at the meeting."""
    if not allowed:
        raise ProxiesOff()
    if holder.id == principal.id:
        raise ProxyRefused("self")
    meeting = await _proxy_meeting(uow, principal, holder, meeting_id, now)
    repo = uow.meetings
    given = await repo.proxy(meeting.id, principal.id)
    if given is not None:
        before = await uow.members.get(given.holder_id)
        raise ProxyRefused("given", meeting.id, before.name if before else "")
    if await repo.held(meeting.id, principal.id):
        raise ProxyRefused("principal_holds", meeting.id)
    if await repo.proxy(meeting.id, holder.id) is not None:
        raise ProxyRefused("holder_gave", meeting.id, holder.name)
    if await repo.held(meeting.id, holder.id) >= per_holder:
        raise ProxyRefused("limit", meeting.id, holder.name, per_holder)
    repo.add_proxy(
        Proxy(meeting_id=meeting.id, principal_id=principal.id, holder_id=holder.id, created_at=now)
    )
    await uow.flush()
    return meeting


async def revoke_proxy(
    uow: UnitOfWork, principal: Member, meeting_id: int | None, now: datetime
) -> tuple[Meeting, Member | None]:
    """The principal revokes their proxy (for the meeting named, or the soonest one) until the
    meeting starts; returns the meeting and the holder, who is told."""
    if meeting_id is None:
        given = await uow.meetings.proxies_given(principal.id)
        if not given:
            raise NoProxy()
        meeting_id = given[0][1].id
    meeting = await uow.meetings.get(meeting_id, lock=True)
    row = await uow.meetings.proxy(meeting_id, principal.id) if meeting else None
    if meeting is None or row is None:
        raise NoProxy()
    if not _takes_proxies(meeting, now):
        raise ProxyRefused("started", meeting.id)
    holder = await uow.members.get(row.holder_id)
    await uow.meetings.delete_proxy(row)
    await uow.flush()
    return meeting, holder
