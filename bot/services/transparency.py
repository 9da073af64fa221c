"""The transparency Mini App's data (issue 20): who is looking, and what each page shows.

Reads only, through the repositories and the other features' services; what a section needs is
decided here with ``roles.allows`` (``SECTIONS``), so the web layer never re-decides it. Open
ballots show their turnout and no counts (as in the chat: counting happens at the close);
closed ones their counts and result; nothing here says who voted how.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services import ballots, meetings, workplan
from bot.services.ballots import OptionCount, Tally
from bot.services.errors import NotFound
from bot.services.roles import Permission, Standing, allows, standing_of
from storage.db import UnitOfWork
from storage.models.ballots import Ballot, BallotStatus, Body, Resolution
from storage.models.meetings import Meeting

#: Ballots on the ballots page: the open ones first, then the latest closed ones.
RECENT_BALLOTS = 20
#: Resolutions per page of the register.
REGISTER_PAGE = 20
#: A search longer than this is cut (the register's texts are searched with LIKE).
MAX_SEARCH = 100


class Section(enum.StrEnum):
    """What the Mini App asks for."""

    STRINGS = "strings"
    REGISTER = "register"
    BALLOTS = "ballots"
    WORKPLAN = "workplan"
    MEETING = "meeting"


#: Who may read each section. The UI's own words are no secret: anyone with valid initData may
#: have them (so a stranger reads the refusal in their language); the rest is for members, the
#: external supporters among them (advisory right: they see the decisions, ballots and plan).
SECTIONS: dict[Section, Permission] = {
    Section.STRINGS: Permission.PUBLIC,
    Section.REGISTER: Permission.MEMBER,
    Section.BALLOTS: Permission.MEMBER,
    Section.WORKPLAN: Permission.MEMBER,
    Section.MEETING: Permission.MEMBER,
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind valid initData, as the cluster knows them."""

    telegram_id: int
    standing: Standing
    #: Their stored language choice (None: follow Telegram's language).
    language: str | None = None

    def may_see(self, section: Section) -> bool:
        return allows(SECTIONS[section], self.standing)


async def viewer(uow: UnitOfWork, telegram_id: int) -> Viewer:
    """Who ``telegram_id`` is: a member (active or not) or a stranger, and their language."""
    found = await uow.telegram_users.identity(telegram_id)
    language = found.account.language if found.account is not None else None
    return Viewer(telegram_id, standing_of(found.member, found.catalyst_of), language)


# --- the register ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterQuery:
    """A search of the register: words, a body, a year, a page (from 0)."""

    text: str | None = None
    body: Body | None = None
    year: int | None = None
    page: int = 0


@dataclass(frozen=True)
class RegisterPage:
    """One page of matching resolutions, how many match, and the years to filter by."""

    query: RegisterQuery
    resolutions: list[Resolution]
    total: int
    years: list[int]
    #: The resolutions a meeting adopted: ballot id -> the meeting (its minutes).
    minutes: dict[int, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // REGISTER_PAGE))


def register_query(text: str, body: str, year: str, page: str) -> RegisterQuery:
    """A query from the request's parameters; what cannot be read is left out."""
    words = " ".join(text.split())[:MAX_SEARCH] or None
    return RegisterQuery(
        text=words,
        body=Body(body) if body in {b.value for b in Body} else None,
        year=int(year) if year.isdecimal() and len(year) == 4 else None,
        page=int(page) if page.isdecimal() and len(page) < 6 else 0,
    )


async def register(uow: UnitOfWork, query: RegisterQuery) -> RegisterPage:
    """The resolutions that match, newest first."""
    repo = uow.resolutions
    found, total = await repo.search(
        query.text,
        query.page * REGISTER_PAGE,
        REGISTER_PAGE,
        body=query.body,
        year=query.year,
    )
    minutes = await uow.meetings.meetings_of([r.ballot_id for r in found])
    return RegisterPage(query, list(found), total, await repo.years(), minutes)


# --- ballots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotState:
    """A ballot as the page shows it: turnout always; counts and the tally once closed."""

    ballot: Ballot
    turnout: int
    #: The viewer's own part: True voted, False not yet, None not on the roll.
    voted: bool | None
    counts: list[OptionCount] = field(default_factory=list)
    tally: Tally | None = None
    resolution: Resolution | None = None

    @property
    def is_open(self) -> bool:
        return self.ballot.status is BallotStatus.OPEN


async def ballot_state(uow: UnitOfWork, ballot: Ballot, member_id: int | None) -> BallotState:
    """Turnout and the viewer's part; for a closed ballot the counts, tally and resolution."""
    repo = uow.ballots
    turnout = await repo.turnout(ballot.id)
    entry = await repo.roll_entry(ballot.id, member_id) if member_id is not None else None
    voted = entry.has_voted if entry is not None else None
    if ballot.status is BallotStatus.OPEN or ballot.result is None:
        # open: counted at the close; stopped for a meeting (Ptk. 3:20): closed without a result
        return BallotState(ballot, turnout, voted)
    counts = await ballots.current_counts(uow, ballot)
    affected = await repo.roll_size(ballot.id, affected=True)
    result = await ballots.closing_tally(uow, ballot, turnout, counts, affected)
    resolution = await uow.resolutions.by_ballot(ballot.id)
    return BallotState(ballot, turnout, voted, counts, result, resolution)


async def recent_ballots(uow: UnitOfWork, member_id: int | None) -> list[BallotState]:
    """The open ballots and the latest closed ones."""
    found = await uow.ballots.recent(RECENT_BALLOTS)
    return [await ballot_state(uow, ballot, member_id) for ballot in found]


async def one_ballot(uow: UnitOfWork, ballot_id: int, member_id: int | None) -> BallotState:
    """One ballot (the register links to it)."""
    ballot = await uow.ballots.get(ballot_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    return await ballot_state(uow, ballot, member_id)


# --- the work plan and the next meeting --------------------------------------------------------


async def plan(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> workplan.Summary | None:
    """The current work plan's summary (tasks, per-responsible progress), or None."""
    return await workplan.plan_summary(uow, now, tz)


async def next_meeting(uow: UnitOfWork, viewer: Viewer) -> Meeting | None:
    """The soonest convened or running meeting the viewer is invited to, with its agenda: the
    Közgyűlés's for every member (external supporters too, with their advisory right), the
    Stratégiai Tanács's for its members only."""
    for meeting in await uow.meetings.active():
        if meetings.visible_to(meeting, viewer.standing):
            return meeting
    return None
