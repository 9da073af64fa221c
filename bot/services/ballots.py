"""Ballots: who may create and vote, quorum and majority, tallies, the register of resolutions."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.roles import Permission, Standing, has_vote_in
from bot.services.text import clean_body, parse_id
from storage.db import UnitOfWork
from storage.models import Member
from storage.models.ballots import (
    Ballot,
    BallotComment,
    BallotKind,
    BallotOption,
    BallotResult,
    BallotStatus,
    Body,
    Majority,
    Procedure,
    QuorumRule,
    Resolution,
    search_key,
)
from storage.repositories.ballots import BallotRepository, RollVoter

T = TypeVar("T")

QUESTION_MAX = 1500
OPTION_MAX = 100
OPTIONS_MIN = 2
OPTIONS_MAX = 10
COMMENT_MAX = 1500
QUICK_DAYS = (1, 3, 8)
MAX_DAYS_AHEAD = 366
#: The shortest time between now and a deadline (a ballot must be open long enough to vote).
MIN_LEAD_MINUTES = 5
#: Ptk. 3:20: at least this many days to vote in a decision without a meeting (the default of
#: the NO_MEETING_DAYS setting).
NO_MEETING_DAYS = 8


# --- errors ----------------------------------------------------------------------------------


@dataclass
class BallotClosed(DomainError):
    """The ballot no longer takes votes."""

    ballot_id: int


@dataclass
class NotOnRoll(DomainError):
    """The member is not among those with the vote in this ballot."""

    ballot_id: int


@dataclass
class AlreadyVoted(DomainError):
    """One vote per member: a secret or unchangeable vote cannot be cast again."""

    ballot_id: int


@dataclass
class SecretBallot(DomainError):
    """Who voted how is never shown for a secret ballot."""

    ballot_id: int


@dataclass
class AffectedVoter(DomainError):
    """Ptk. 3:19 (2): the member is affected in the decision and may not vote on it."""

    ballot_id: int
    reason: str


@dataclass
class Represented(DomainError):
    """At a meeting's vote the member's proxy holder votes for them (they were absent when it
    opened): they cannot vote themself in it."""

    ballot_id: int


@dataclass
class AlreadyAffected(DomainError):
    """The member was marked affected on this ballot before."""

    ballot_id: int
    name: str


@dataclass
class VotedBeforeAffected(DomainError):
    """A member who has voted cannot be marked affected; ``withdrawable`` when their open vote
    can still be withdrawn (then they can be marked)."""

    ballot_id: int
    name: str
    withdrawable: bool


# --- drafts ----------------------------------------------------------------------------------


@dataclass
class NoMeetingQuorum(DomainError):
    """A decision without a meeting is valid only with as many votes as the body's meeting
    needs for its quorum (Ptk. 3:20 (2)): its quorum is that rule (``rule``), not another one
    (``given``) a form or the wizard asked for."""

    rule: QuorumRule
    given: QuorumRule


@dataclass
class BallotDraft:
    """A ballot being composed, before it is published."""

    question: str = ""
    body: Body = Body.KGY
    kind: BallotKind = BallotKind.YES_NO
    options: list[str] = field(default_factory=list)
    max_choices: int = 1
    secret: bool = False
    changeable: bool = True
    deadline: datetime | None = None
    #: The deadline was given in days and moved up to the next quarter hour (the preview says so).
    deadline_rounded: bool = False
    quorum: QuorumRule = QuorumRule.MORE_THAN_HALF
    majority: Majority = Majority.SIMPLE
    procedure: Procedure = Procedure.BALLOT


@dataclass(frozen=True)
class BodyDefaults:
    """Quorum and majority a new ballot of a body starts with (from settings)."""

    quorum: QuorumRule
    majority: Majority


def may_create(standing: Standing, body: Body) -> bool:
    """Közgyűlés ballots: the KSz and the ST chair; Stratégiai Tanács ballots: the founders."""
    if body is Body.KGY:
        return standing.is_ksz_staff or standing.chairs_st
    return standing.in_strategic_council


def check_may_create(standing: Standing, body: Body) -> None:
    """Refuse a ballot of a body this caller may not put a question to, naming the rule."""
    if may_create(standing, body):
        return
    if body is Body.ST:
        raise NotAllowed(Permission.FOUNDER, rule="st_ballot_founders")
    raise NotAllowed(Permission.ANNOUNCER, rule="kgy_ballot_ksz_chair")


def bodies_for(standing: Standing) -> list[Body]:
    """The bodies this member may put a question to."""
    return [b for b in Body if may_create(standing, b)]


def inline_question(text: str) -> str:
    """The question written after the command on its line; a leading ``Kérdés:`` label goes."""
    label, colon, rest = text.partition(":")
    if colon and _KEYS.get(label.strip().casefold()) == "question":
        return rest.strip()
    return text.strip()


def clean_question(text: str) -> str:
    """Trim and check the question or draft resolution text."""
    return clean_body(text, "question", QUESTION_MAX)


def clean_options(raw: str | Sequence[str]) -> list[str]:
    """Split ``a; b; c`` and check count, length and duplicates."""
    parts = raw.split(";") if isinstance(raw, str) else list(raw)
    options = [" ".join(p.split()) for p in parts if p.strip()]
    if len(options) < OPTIONS_MIN:
        raise InvalidInput("options", "too_few", limit=OPTIONS_MIN)
    if len(options) > OPTIONS_MAX:
        raise InvalidInput("options", "too_many", limit=OPTIONS_MAX)
    if any(len(o) > OPTION_MAX for o in options):
        raise InvalidInput("options", "too_long", limit=OPTION_MAX)
    if len({o.casefold() for o in options}) != len(options):
        raise InvalidInput("options", "duplicate")
    return options


_DATE = re.compile(
    r"^\s*(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?"
    r"(?:\s*[,T ]\s*(\d{1,2})\s*[:.]\s*(\d{2}))?\s*$"
)


QUARTER_HOUR = timedelta(minutes=15)


def next_quarter_hour(moment: datetime) -> datetime:
    """``moment`` rounded up to :00, :15, :30 or :45 (kept if it is on one to the second).

    Every time zone in use is a whole number of quarter hours from UTC, so a quarter hour in UTC
    is one on the wall clock too."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour + -(-(moment - hour) // QUARTER_HOUR) * QUARTER_HOUR


def deadline_in(now: datetime, *, days: int = 0, hours: int = 0) -> datetime:
    """A deadline given as a number of days or hours, rounded up to the next quarter hour: three
    days from 4:57 end at 5:00, not at the minute the button happened to be pressed."""
    return next_quarter_hour(now + timedelta(days=days, hours=hours))


def parse_deadline(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``2026.12.05 18:00``, ``2026. 12. 05.``, ``2026-12-05 18:00`` or a number of days."""
    text = text.strip()
    if text.isdecimal():
        days = int(text)
        if not 1 <= days <= MAX_DAYS_AHEAD:
            raise InvalidInput("deadline", "window", limit=MAX_DAYS_AHEAD)
        return deadline_in(now, days=days)
    match = _DATE.match(text)
    if not match:
        raise InvalidInput("deadline", "bad_date")
    year, month, day, hour, minute = match.groups()
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour) if hour is not None else 23,
            int(minute) if minute is not None else 59,
            tzinfo=tz,
        )
    except ValueError:
        raise InvalidInput("deadline", "bad_date") from None
    return check_deadline(local, now)


def set_deadline(draft: BallotDraft, text: str, now: datetime, tz: ZoneInfo) -> None:
    """The draft's deadline from a typed date or a number of days (a wizard button sends its
    days as text), noting whether the days were rounded up to the quarter hour."""
    draft.deadline = parse_deadline(text, now, tz)
    text = text.strip()
    draft.deadline_rounded = text.isdecimal() and draft.deadline != now + timedelta(days=int(text))


def check_deadline(deadline: datetime, now: datetime) -> datetime:
    """A deadline must be at least MIN_LEAD_MINUTES and at most MAX_DAYS_AHEAD days away (the
    latter rounded up as ``deadline_in`` rounds); returned in UTC. The refusal (``window``) names
    both limits."""
    if deadline <= now + timedelta(minutes=MIN_LEAD_MINUTES) or deadline > deadline_in(
        now, days=MAX_DAYS_AHEAD
    ):
        raise InvalidInput("deadline", "window", limit=MAX_DAYS_AHEAD)
    return deadline.astimezone(UTC)


_KEYS = {
    "kérdés": "question", "kerdes": "question", "question": "question",
    "határozati javaslat": "question", "javaslat": "question",
    "határidő": "deadline", "hatarido": "deadline", "deadline": "deadline",
    "titkos": "secret", "secret": "secret",
    "lehetőségek": "options", "lehetosegek": "options", "opciók": "options", "opciok": "options",
    "options": "options", "válaszok": "options",
    "testület": "body", "testulet": "body", "body": "body",
    "választható": "max", "valaszthato": "max", "max": "max",
    "többség": "majority", "tobbseg": "majority", "majority": "majority",
    "határozatképesség": "quorum", "hatarozatkepesseg": "quorum", "quorum": "quorum",
    "módosítható": "changeable", "modosithato": "changeable", "changeable": "changeable",
    "eljárás": "procedure", "eljaras": "procedure", "procedure": "procedure",
}  # fmt: skip
_PROCEDURES = {
    "ülés nélkül": Procedure.NO_MEETING, "ules nelkul": Procedure.NO_MEETING,
    "ülés tartása nélkül": Procedure.NO_MEETING, "ules tartasa nelkul": Procedure.NO_MEETING,
    "without a meeting": Procedure.NO_MEETING, "without meeting": Procedure.NO_MEETING,
    "no_meeting": Procedure.NO_MEETING, "szavazás": Procedure.BALLOT,
    "szavazas": Procedure.BALLOT, "ballot": Procedure.BALLOT,
}  # fmt: skip
_YES = {"igen", "i", "yes", "y", "true", "1"}
_NO = {"nem", "n", "no", "false", "0"}
_BODIES = {"kgy": Body.KGY, "közgyűlés": Body.KGY, "kozgyules": Body.KGY, "general assembly":
           Body.KGY, "st": Body.ST, "stratégiai tanács": Body.ST, "strategiai tanacs": Body.ST,
           "strategic council": Body.ST}  # fmt: skip
_MAJORITIES = {
    "egyszerű": Majority.SIMPLE, "egyszeru": Majority.SIMPLE, "simple": Majority.SIMPLE,
    "abszolút": Majority.ABSOLUTE, "abszolut": Majority.ABSOLUTE, "absolute": Majority.ABSOLUTE,
    "kétharmad": Majority.TWO_THIRDS, "ketharmad": Majority.TWO_THIRDS, "2/3": Majority.TWO_THIRDS,
    "two_thirds": Majority.TWO_THIRDS, "háromnegyed": Majority.THREE_QUARTERS,
    "haromnegyed": Majority.THREE_QUARTERS, "3/4": Majority.THREE_QUARTERS,
    "three_quarters": Majority.THREE_QUARTERS,
}  # fmt: skip
_QUORUMS = {
    "50%+1": QuorumRule.MORE_THAN_HALF, "több mint fele": QuorumRule.MORE_THAN_HALF,
    "tobb mint fele": QuorumRule.MORE_THAN_HALF, "more_than_half": QuorumRule.MORE_THAN_HALF,
    "half": QuorumRule.MORE_THAN_HALF, "kétharmad": QuorumRule.TWO_THIRDS,
    "ketharmad": QuorumRule.TWO_THIRDS, "2/3": QuorumRule.TWO_THIRDS,
    "two_thirds": QuorumRule.TWO_THIRDS, "nincs": QuorumRule.NONE, "none": QuorumRule.NONE,
}  # fmt: skip


def _bool(value: str, name: str) -> bool:
    folded = value.strip().casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise InvalidInput(name, "bad_bool")


def _choice(table: Mapping[str, T], value: str, name: str) -> T:
    found = table.get(value.strip().casefold())
    if found is None:
        raise InvalidInput(name, "bad_value")
    return found


def parse_form(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    defaults: dict[Body, BodyDefaults],
    bodies: list[Body],
    *,
    no_meeting_days: int = NO_MEETING_DAYS,
) -> BallotDraft:
    """The one-message form: ``Kérdés:``, ``Határidő:``, ``Titkos:``, ``Opciók: a; b`` lines."""
    values: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        head, sep, rest = line.partition(":")
        key = _KEYS.get(head.strip().casefold()) if sep else None
        if key is not None:
            if key in values:
                raise InvalidInput(key, "duplicate")
            values[key] = rest.strip()
            current = key
        elif current == "question" and line.strip():
            values["question"] += "\n" + line.strip()
        elif line.strip():
            raise InvalidInput("form", "unknown_line")
    if "question" not in values:
        raise InvalidInput("question", "empty")
    if "deadline" not in values:
        raise InvalidInput("deadline", "empty")
    body = bodies[0] if bodies else Body.KGY
    if "body" in values:
        body = _choice(_BODIES, values["body"], "body")
    draft = BallotDraft(
        question=clean_question(values["question"]),
        body=body,
        quorum=defaults[body].quorum,
        majority=defaults[body].majority,
    )
    set_deadline(draft, values["deadline"], now, tz)
    if "options" in values:
        draft.options = clean_options(values["options"])
        draft.kind = BallotKind.SINGLE
    if "max" in values:
        if not draft.options:
            raise InvalidInput("max", "needs_options")
        try:
            limit = int(values["max"])
        except ValueError:
            raise InvalidInput("max", "bad_value") from None
        if not 1 <= limit <= len(draft.options):
            raise InvalidInput("max", "out_of_range", limit=len(draft.options))
        draft.max_choices = limit
        draft.kind = BallotKind.MULTI if limit > 1 else BallotKind.SINGLE
    if "secret" in values:
        draft.secret = _bool(values["secret"], "secret")
    if "changeable" in values:
        draft.changeable = _bool(values["changeable"], "changeable")
    if "majority" in values:
        draft.majority = _choice(_MAJORITIES, values["majority"], "majority")
    if "quorum" in values:
        draft.quorum = _choice(_QUORUMS, values["quorum"], "quorum")
    if "procedure" in values:
        draft.procedure = _choice(_PROCEDURES, values["procedure"], "procedure")
        check_procedure(draft, now, no_meeting_days, defaults[body].quorum)
    return draft


def check_procedure(
    draft: BallotDraft,
    now: datetime,
    no_meeting_days: int,
    meeting_quorum: QuorumRule | None = None,
) -> None:
    """Ptk. 3:20: a decision without a meeting gives at least ``no_meeting_days`` to vote, and
    is valid only if as many votes arrive as the body's meeting needs for its quorum, so its
    quorum is ``meeting_quorum`` (the body's KGY_QUORUM / ST_QUORUM), whatever a form line
    says (None: not checked here)."""
    if draft.procedure is not Procedure.NO_MEETING:
        return
    if meeting_quorum is not None and draft.quorum is not meeting_quorum:
        raise NoMeetingQuorum(meeting_quorum, draft.quorum)
    if draft.deadline is not None and draft.deadline < now + timedelta(days=no_meeting_days):
        raise InvalidInput("deadline", "no_meeting_days", limit=no_meeting_days)


def toggle_procedure(
    draft: BallotDraft, now: datetime, no_meeting_days: int, meeting_quorum: QuorumRule
) -> None:
    """The wizard's switch: to a decision without a meeting (moving a shorter deadline to the
    first one it allows, the quorum to the body's meeting quorum), or back to a ballot."""
    if draft.procedure is Procedure.NO_MEETING:
        draft.procedure = Procedure.BALLOT
        return
    draft.procedure, draft.quorum = Procedure.NO_MEETING, meeting_quorum
    earliest = deadline_in(now, days=no_meeting_days)
    if draft.deadline is None or draft.deadline < now + timedelta(days=no_meeting_days):
        draft.deadline, draft.deadline_rounded = earliest, True


def change_quorum(draft: BallotDraft) -> None:
    """The wizard's quorum switch: the next rule; a decision without a meeting keeps the body's
    meeting quorum (``check_procedure``)."""
    if draft.procedure is Procedure.NO_MEETING:
        raise NoMeetingQuorum(draft.quorum, draft.quorum)
    rules = list(QuorumRule)
    draft.quorum = rules[(rules.index(draft.quorum) + 1) % len(rules)]


def validate(
    draft: BallotDraft,
    now: datetime,
    *,
    no_meeting_days: int = NO_MEETING_DAYS,
    meeting_quorum: QuorumRule | None = None,
) -> BallotDraft:
    """Check a whole draft (just before publishing); returns a cleaned copy."""
    if draft.deadline is None:
        raise InvalidInput("deadline", "empty")
    cleaned = replace(draft, question=clean_question(draft.question))
    check_deadline(draft.deadline, now)
    check_procedure(draft, now, no_meeting_days, meeting_quorum)
    if draft.kind is BallotKind.YES_NO:
        cleaned.options, cleaned.max_choices = [], 1
    else:
        cleaned.options = clean_options(draft.options)
        if draft.kind is BallotKind.SINGLE:
            cleaned.max_choices = 1
        elif not 2 <= draft.max_choices <= len(cleaned.options):
            raise InvalidInput("max", "out_of_range", limit=len(cleaned.options))
    if draft.secret:
        cleaned.changeable = False
    return cleaned


# --- rules: quorum, majority, tally ----------------------------------------------------------


def quorum_needed(rule: QuorumRule, electorate: int) -> int:
    """Smallest turnout that makes the ballot valid (határozatképes)."""
    if rule is QuorumRule.MORE_THAN_HALF:
        return electorate // 2 + 1
    if rule is QuorumRule.TWO_THIRDS:
        return math.ceil(electorate * 2 / 3)
    return 0


def votes_needed(rule: Majority, electorate: int, turnout: int) -> int:
    """Smallest number of votes an option needs to pass.

    Simple majority counts against the votes cast, abstentions included (they count against);
    absolute majority against all members with the vote; two-thirds and three-quarters against
    the votes cast.
    """
    if rule is Majority.SIMPLE:
        return turnout // 2 + 1
    if rule is Majority.ABSOLUTE:
        return electorate // 2 + 1
    if rule is Majority.TWO_THIRDS:
        return max(1, math.ceil(turnout * 2 / 3))
    return max(1, math.ceil(turnout * 3 / 4))


@dataclass(frozen=True)
class OptionCount:
    """Votes for one option."""

    option_id: int
    label: str
    votes: int
    is_abstain: bool


@dataclass(frozen=True)
class Tally:
    """Everything the minutes say about a closed ballot."""

    electorate: int
    turnout: int
    counts: tuple[OptionCount, ...]
    quorum_needed: int
    quorum_met: bool
    votes_needed: int
    result: BallotResult
    winners: tuple[int, ...]
    tie: bool = False
    #: A yes/no ballot that was quorate and every vote cast (at least one) was yes: no vote
    #: against, no abstention. The minutes then say "egyhangúlag".
    unanimous: bool = False


def tally(
    kind: BallotKind,
    electorate: int,
    turnout: int,
    counts: Sequence[OptionCount],
    quorum: QuorumRule,
    majority: Majority,
    max_choices: int,
) -> Tally:
    """Apply the quorum and the majority rule to the counts."""
    needed_q = quorum_needed(quorum, electorate)
    needed_v = votes_needed(majority, electorate, turnout)

    def made(
        result: BallotResult, winners: tuple[int, ...], tie: bool = False, unanimous: bool = False
    ) -> Tally:
        return Tally(
            electorate=electorate,
            turnout=turnout,
            counts=tuple(counts),
            quorum_needed=needed_q,
            quorum_met=result is not BallotResult.NO_QUORUM,
            votes_needed=needed_v,
            result=result,
            winners=winners,
            tie=tie,
            unanimous=unanimous,
        )

    if turnout < needed_q or turnout == 0:
        return made(BallotResult.NO_QUORUM, ())
    candidates = sorted(
        (c for c in counts if not c.is_abstain), key=lambda c: c.votes, reverse=True
    )
    tie = False
    unanimous = False
    winners: tuple[int, ...]
    if kind is BallotKind.YES_NO:
        yes = next(c for c in counts if not c.is_abstain)  # the first option is "Igen"
        winners = (yes.option_id,) if yes.votes >= needed_v else ()
        unanimous = yes.votes == sum(c.votes for c in counts) > 0
    else:
        passing = [c for c in candidates if c.votes >= needed_v]
        limit = 1 if kind is BallotKind.SINGLE else max_choices
        if len(passing) > limit and passing[limit - 1].votes == passing[limit].votes:
            tie = True
            cut = passing[limit - 1].votes
            passing = [c for c in passing if c.votes > cut]
        winners = tuple(c.option_id for c in passing[:limit])
    return made(BallotResult.ADOPTED if winners else BallotResult.REJECTED, winners, tie, unanimous)


def tally_of(ballot: Ballot, turnout: int, counts: Sequence[OptionCount]) -> Tally:
    """The ballot's own quorum and majority applied to its counts."""
    return tally(
        ballot.kind,
        ballot.electorate,
        turnout,
        counts,
        ballot.quorum,
        ballot.majority,
        ballot.max_choices,
    )


class Fate(StrEnum):
    """Why an option of a choice ballot was chosen or not (stored in the register)."""

    CHOSEN = "chosen"
    SHORT = "short"  # fewer votes than the majority rule needs
    TIE = "tie"  # enough votes, but tied for the last place within the limit
    OUTRANKED = "outranked"  # enough votes, but the limit was filled by options with more


@dataclass(frozen=True)
class OptionFate:
    """One option of a choice ballot, its votes and its fate."""

    label: str
    votes: int
    fate: Fate


def option_fates(result: Tally, kind: BallotKind) -> list[OptionFate]:
    """What became of each option (the abstention aside) of a single or multi-choice ballot,
    in ballot order: the minutes say what was decided and why the others failed. Empty for a
    yes/no ballot and for one without a quorum."""
    if kind is BallotKind.YES_NO or not result.quorum_met:
        return []
    options = [c for c in result.counts if not c.is_abstain]
    passing_losers = [
        c.votes
        for c in options
        if c.option_id not in result.winners and c.votes >= result.votes_needed
    ]
    cut = max(passing_losers, default=None)
    fates = []
    for c in options:
        if c.option_id in result.winners:
            fate = Fate.CHOSEN
        elif c.votes < result.votes_needed:
            fate = Fate.SHORT
        elif result.tie and c.votes == cut:
            fate = Fate.TIE
        else:
            fate = Fate.OUTRANKED
        fates.append(OptionFate(c.label, c.votes, fate))
    return fates


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def roman_month(day: date) -> str:
    """The month in Roman numerals, as Hungarian resolution numbers write it."""
    return _ROMAN[day.month - 1]


# --- operations ------------------------------------------------------------------------------


async def publish(
    uow: UnitOfWork,
    draft: BallotDraft,
    creator: Standing,
    now: datetime,
    *,
    yes_no_labels: tuple[str, str, str],
    abstain_label: str,
    no_meeting_days: int = NO_MEETING_DAYS,
    voters: Sequence[int] | None = None,
    meeting_quorum: QuorumRule | None = None,
) -> Ballot:
    """Open a ballot: its options and its electoral roll (a snapshot: every member with the
    body's vote, or ``voters``, those of them present at a meeting). A meeting's vote is opened
    by whoever chairs it (``services.meetings`` decided that), not by who may put a question.
    A decision without a meeting must have ``meeting_quorum``, the body's meeting quorum, when
    it is given (``check_procedure``)."""
    if draft.procedure is not Procedure.MEETING:
        check_may_create(creator, draft.body)
    draft = validate(draft, now, no_meeting_days=no_meeting_days, meeting_quorum=meeting_quorum)
    assert draft.deadline is not None
    if voters is None:
        voters = await uow.members.voter_ids(founders=draft.body is Body.ST)
    ballot = Ballot(
        body=draft.body,
        kind=draft.kind,
        question=draft.question,
        max_choices=draft.max_choices,
        secret=draft.secret,
        changeable=draft.changeable and not draft.secret,
        quorum=draft.quorum,
        majority=draft.majority,
        procedure=draft.procedure,
        deadline=draft.deadline,
        status=BallotStatus.OPEN,
        electorate=len(voters),
        created_by_id=creator.member_id,
        created_by_label=creator.name,
        created_at=now,
        options=[],
    )
    labels = list(yes_no_labels[:2]) if draft.kind is BallotKind.YES_NO else draft.options
    abstain = yes_no_labels[2] if draft.kind is BallotKind.YES_NO else abstain_label
    for position, label in enumerate([*labels, abstain]):
        ballot.options.append(
            BallotOption(position=position, label=label, is_abstain=label is abstain)
        )
    repo = uow.ballots
    repo.add(ballot)
    await uow.flush()
    await repo.add_roll(ballot.id, voters)
    await uow.flush()
    return ballot


async def open_for_voting(uow: UnitOfWork, ballot_id: int, now: datetime) -> Ballot:
    """The ballot, if it still takes votes; a shared lock keeps a concurrent close waiting."""
    ballot = await uow.ballots.get(ballot_id, lock="share")
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.status is not BallotStatus.OPEN or ballot.deadline <= now:
        raise BallotClosed(ballot_id)
    return ballot


def quorum_base(roll: int, affected: int) -> int:
    """Ptk. 3:19 (2): who counts for the quorum of a ballot. Everyone on its roll (the members
    with the vote when it opened, less those who lost the vote before voting), except the
    members affected in the decision: they may not vote, so they cannot be counted as votes
    that could be cast (BH 2018.12.342: the base is the members who can actually vote)."""
    if not 0 <= affected <= roll:
        raise ValueError("affected members are a part of the roll")
    return roll - affected


def sitting_quorum(rule: QuorumRule, electorate: int, present: int, affected: int) -> Tally | None:
    """Ptk. 3:19 (2) at a meeting: a member affected in an agenda item leaves that item's
    quorum base (the meeting's members with the vote, ``electorate``) and is not counted among
    those present (``present``, the item's roll, the affected included). None when the others
    present still make the meeting's quorum; else the tally of an item left without one."""
    needed = quorum_needed(rule, quorum_base(electorate, affected))
    counted = present - affected
    if counted >= needed and counted > 0:
        return None
    return Tally(counted, 0, (), needed, False, 0, BallotResult.NO_QUORUM, ())


async def closing_tally(
    uow: UnitOfWork, ballot: Ballot, turnout: int, counts: Sequence[OptionCount], affected: int
) -> Tally:
    """The ballot's tally (``tally_of``); an agenda item's vote whose affected members left the
    meeting without a quorum for it (``sitting_quorum``) is invalid."""
    result = tally_of(ballot, turnout, counts)
    if ballot.procedure is not Procedure.MEETING or not affected:
        return result
    meeting = await uow.meetings.deciding(ballot.id)
    if meeting is None or meeting.electorate is None:
        return result
    roll = ballot.electorate + affected  # the members present when it opened
    short = sitting_quorum(meeting.quorum, meeting.electorate, roll, affected)
    if short is None:
        return result
    return replace(short, turnout=turnout, counts=tuple(counts))


def may_mark_affected(actor: Standing, member_id: int) -> bool:
    """A member declares themself affected; the KSz or the chair may mark anyone."""
    return actor.member_id == member_id or actor.is_ksz_staff or actor.chairs_st


REASON_MAX = 500


async def declare_affected(
    uow: UnitOfWork,
    ballot_id: int,
    member: Member,
    reason: str,
    actor: Standing,
    now: datetime,
    *,
    chairs_it: bool = False,
) -> tuple[Ballot, str]:
    """Mark ``member`` affected on an open ballot: out of its quorum base, no vote. The ballot
    is locked as a close locks it, so no vote of theirs is in flight meanwhile. ``chairs_it``:
    the actor chairs the meeting whose vote this is, and may mark anyone in it."""
    if not (chairs_it or may_mark_affected(actor, member.id)):
        raise NotAllowed(Permission.KSZ, rule="affected_others")
    reason = clean_body(reason, "reason", REASON_MAX)
    repo = uow.ballots
    ballot = await repo.get(ballot_id, lock="update")
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.status is not BallotStatus.OPEN or ballot.deadline <= now:
        raise BallotClosed(ballot_id)
    entry = await repo.roll_entry(ballot_id, member.id)
    if entry is None:
        raise NotOnRoll(ballot_id)
    if entry.affected_reason is not None:
        raise AlreadyAffected(ballot_id, member.name)
    if entry.has_voted:
        raise VotedBeforeAffected(
            ballot_id, member.name, withdrawable=ballot.changeable and not ballot.secret
        )
    if not await repo.mark_affected(ballot_id, member.id, reason, actor.name):
        raise AlreadyAffected(ballot_id, member.name)
    ballot.electorate = quorum_base(
        await repo.roll_size(ballot_id), await repo.roll_size(ballot_id, affected=True)
    )
    await uow.flush()
    return ballot, reason


def parse_affected(text: str) -> tuple[int, str]:
    """``12 indok`` or ``#12 Név: indok``: the ballot's number and the rest (not yet cleaned)."""
    number, _sep, rest = text.strip().partition(" ")
    ballot_id = parse_id(number)
    if ballot_id is None:
        raise InvalidInput("ballot", "empty")
    return ballot_id, rest.strip()


async def affected_subject(uow: UnitOfWork, rest: str, caller: Member) -> tuple[Member, str]:
    """Whom a declaration is about, and its reason: ``Név: indok`` names another member (by
    their exact name); anything else is the caller's own declaration."""
    head, colon, tail = rest.partition(":")
    if colon and head.strip():
        other = await uow.members.by_name(" ".join(head.split()))
        if other is not None:
            return other, tail.strip()
    return caller, rest


@dataclass(frozen=True)
class Booth:
    """What a vote press needs, read in one query under the ballot lock: the open ballot,
    whether the member is on its roll, and their open vote so far (if any).

    Only ``voting_booth`` makes one, and it is good only in the unit that made it: the lock
    that keeps a concurrent close waiting lasts as long as that unit's transaction.
    """

    ballot: Ballot
    on_roll: bool
    vote_id: int | None
    unit: UnitOfWork = field(repr=False, compare=False)
    #: Why the member is affected and may not vote (Ptk. 3:19 (2)); None if they are not.
    affected_reason: str | None = None
    #: The proxy holder who votes for the member at a meeting; None: the member votes.
    proxy_id: int | None = None

    def check_voter(self, by: int | None = None) -> None:
        """Refuse a voting action of a member off the roll, or affected in the decision; ``by``
        is the proxy holder acting for the member (only theirs, and only for a represented
        member: one represented cannot vote themself)."""
        if not self.on_roll:
            raise NotOnRoll(self.ballot.id)
        if self.proxy_id != by:
            if by is None:
                raise Represented(self.ballot.id)
            raise NotOnRoll(self.ballot.id)
        if self.affected_reason is not None:
            raise AffectedVoter(self.ballot.id, self.affected_reason)


async def voting_booth(uow: UnitOfWork, ballot_id: int, member_id: int, now: datetime) -> Booth:
    """The open ballot, locked against a concurrent close, with the member's place in it.

    Every voting action goes through here. On PostgreSQL the ballot row is read ``FOR SHARE``:
    that conflicts with the ``FOR UPDATE`` of ``close``, so a close waits for every vote or
    withdrawal in flight and a vote waits for a close in flight (and then finds the ballot
    closed), while voters do not wait for each other. On SQLite every unit holds the one
    writer lock.
    """
    ballot, voter, vote_id = await uow.ballots.get_with_entry(ballot_id, member_id, lock="share")
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.status is not BallotStatus.OPEN or ballot.deadline <= now:
        raise BallotClosed(ballot_id)
    affected = voter.affected_reason if voter is not None else None
    proxy_id = voter.proxy_id if voter is not None else None
    return Booth(ballot, _on_roll(ballot, voter), vote_id, uow, affected, proxy_id)


def _on_roll(ballot: Ballot, voter: RollVoter | None) -> bool:
    """On the roll and, now, still with the vote of the ballot's body (a member who lost it
    after voting stays on the roll, counted, but acts no more)."""
    return voter is not None and has_vote_in(
        ballot.body, is_active=voter.is_active, kind=voter.kind, is_founder=voter.is_founder
    )


def _votes(ballot: Ballot, voter: RollVoter | None) -> bool:
    """On the roll (``_on_roll``) and not affected in the decision."""
    return _on_roll(ballot, voter) and voter is not None and voter.affected_reason is None


async def ballot_for(uow: UnitOfWork, ballot_id: int, member_id: int) -> tuple[Ballot, bool]:
    """A ballot to show (no lock) and whether the member votes in it."""
    ballot, voter, _ = await uow.ballots.get_with_entry(ballot_id, member_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    return ballot, _votes(ballot, voter)


async def may_vote_again(uow: UnitOfWork, ballot: Ballot, member_id: int) -> bool:
    """False when the member has voted and the vote is final (a secret ballot, or an open one
    whose vote cannot be changed): they are told at once instead of being shown buttons."""
    if ballot.changeable and not ballot.secret:
        return True
    entry = await uow.ballots.roll_entry(ballot.id, member_id)
    return entry is None or not entry.has_voted


async def _booth(
    uow: UnitOfWork, ballot: Booth | Ballot | int, member_id: int, now: datetime
) -> Booth:
    """The booth for a voting action: the one given if this unit took it, else a fresh one.

    A ``Ballot`` read elsewhere (without the lock, or in another unit) is never trusted: the
    ballot is read again under the lock.
    """
    if isinstance(ballot, Booth) and ballot.unit is uow:
        return ballot
    ballot_id = (
        ballot
        if isinstance(ballot, int)
        else ballot.id
        if isinstance(ballot, Ballot)
        else ballot.ballot.id
    )
    return await voting_booth(uow, ballot_id, member_id, now)


def check_ticks(ballot: Ballot, option_ids: Sequence[int]) -> list[int]:
    """Options ticked so far on a multi-choice keyboard (none is fine): known options, the
    abstention alone, at most ``max_choices``. Checked at every tick, so a voter is never
    stopped only at the end."""
    valid = {o.id: o for o in ballot.options}
    chosen = list(dict.fromkeys(option_ids))
    if any(o not in valid for o in chosen):
        raise InvalidInput("choice", "unknown_option")
    if any(valid[o].is_abstain for o in chosen) and len(chosen) > 1:
        raise InvalidInput("choice", "abstain_alone")
    if len(chosen) > ballot.max_choices:
        raise InvalidInput("choice", "too_many", limit=ballot.max_choices)
    return chosen


def check_choice(ballot: Ballot, option_ids: Sequence[int]) -> list[int]:
    """A whole choice, as cast: at least one option, and what ``check_ticks`` demands."""
    if not option_ids:
        raise InvalidInput("choice", "unknown_option")
    return check_ticks(ballot, option_ids)


@dataclass(frozen=True)
class CastResult:
    """What happened to a vote: ``changed`` when an open vote replaced an earlier one."""

    ballot: Ballot
    changed: bool


async def cast_vote(
    uow: UnitOfWork,
    ballot: Booth | Ballot | int,
    member_id: int,
    option_ids: Sequence[int],
    now: datetime,
    *,
    by: int | None = None,
) -> CastResult:
    """Record a vote; the database keeps one vote per member and ballot. ``by``: the proxy
    holder who casts it for the member at a meeting (``Booth.check_voter``).

    Pass the ``Booth`` that ``voting_booth`` made in this unit (then nothing is read again) or
    the ballot's id; anything else is read again under the lock.
    """
    booth = await _booth(uow, ballot, member_id, now)
    ballot_id = booth.ballot.id
    booth.check_voter(by)
    chosen = check_choice(booth.ballot, option_ids)
    repo = uow.ballots
    if booth.ballot.secret:
        # The roll mark and the paper in one transaction: a vote is never lost nor counted
        # twice. They share the transaction id only until the close empties the urn.
        if not await repo.mark_voted_once(ballot_id, member_id):
            raise AlreadyVoted(ballot_id)
        await repo.drop_in_urn(ballot_id, chosen)
        return CastResult(booth.ballot, changed=False)
    if booth.vote_id is not None:
        if not booth.ballot.changeable:
            raise AlreadyVoted(ballot_id)
        await repo.replace_choices(
            booth.vote_id, chosen, now, single=booth.ballot.kind is not BallotKind.MULTI
        )
        return CastResult(booth.ballot, changed=True)
    if not await repo.insert_vote_once(ballot_id, member_id, chosen, now):
        raise AlreadyVoted(ballot_id)
    await repo.set_voted(ballot_id, member_id, True)
    return CastResult(booth.ballot, changed=False)


async def withdraw_vote(
    uow: UnitOfWork,
    ballot: Booth | Ballot | int,
    member_id: int,
    now: datetime,
    *,
    by: int | None = None,
) -> Ballot:
    """Take back an open, changeable vote before the close (under the same lock as a vote);
    ``by``: the proxy holder who cast it."""
    booth = await _booth(uow, ballot, member_id, now)
    ballot_id = booth.ballot.id
    booth.check_voter(by)
    if booth.ballot.secret or not booth.ballot.changeable:
        raise AlreadyVoted(ballot_id)
    if booth.vote_id is None:
        raise NotFound("vote", str(ballot_id))
    repo = uow.ballots
    await repo.delete_vote(booth.vote_id)
    await repo.set_voted(ballot_id, member_id, False)
    return booth.ballot


async def current_counts(uow: UnitOfWork, ballot: Ballot) -> list[OptionCount]:
    """Votes per option so far (secret: the papers in the urn, or the counters once closed)."""
    repo = uow.ballots
    if not ballot.secret:
        counts = await repo.open_counts(ballot.id)
    else:
        counts = await _secret_counts(repo, ballot)
    return [OptionCount(o.id, o.label, counts.get(o.id, 0), o.is_abstain) for o in ballot.options]


async def _secret_counts(repo: BallotRepository, ballot: Ballot) -> dict[int, int]:
    counts = await repo.secret_counts(ballot.id)  # closed; or counters from before the urn
    if ballot.status is BallotStatus.OPEN:
        for option_id, n in (await repo.urn_counts(ballot.id)).items():
            counts[option_id] = counts.get(option_id, 0) + n
    return counts


@dataclass(frozen=True)
class Closing:
    """A ballot that has just been closed, with its tally and (if adopted) its resolution."""

    ballot: Ballot
    tally: Tally
    resolution: Resolution | None
    #: The members affected in the decision (Ptk. 3:19 (2)), who did not vote and were out of
    #: the quorum base, in name order.
    affected: tuple[str, ...] = ()


async def close(
    uow: UnitOfWork, ballot_id: int, now: datetime, closed_by: str, tz: ZoneInfo
) -> Closing | None:
    """Close and tally; adopted decisions enter the register. None if already closed."""
    repo = uow.ballots
    ballot = await repo.get(ballot_id, lock="update")
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.status is not BallotStatus.OPEN:
        return None
    if ballot.secret:
        await repo.lock_urn()
    # the quorum base: the roll at the close, less the members affected in the decision
    affected = tuple(m.name for m, _entry in await repo.affected(ballot_id))
    ballot.electorate = quorum_base(await repo.roll_size(ballot_id), len(affected))
    turnout = await repo.turnout(ballot_id)
    counts = await current_counts(uow, ballot)
    result = await closing_tally(uow, ballot, turnout, counts, len(affected))
    if ballot.secret:
        # Count the urn into the counters, then empty it: from the commit on, nothing stored
        # pairs a roll mark with a choice (the counters are written by this transaction).
        await repo.set_secret_tallies(ballot_id, {c.option_id: c.votes for c in counts})
        await repo.empty_urn(ballot_id)
        uow.scrub_after_commit()
    ballot.status = BallotStatus.CLOSED
    ballot.result = result.result
    ballot.closed_at = now
    ballot.closed_by_label = closed_by
    resolution = None
    if result.result is BallotResult.ADOPTED:
        adopted_on = decision_day(ballot, now, turnout >= ballot.electorate, tz)
        resolution = await _register(uow, ballot, result, adopted_on, affected)
    await uow.flush()
    return Closing(ballot, result, resolution, affected)


def decision_day(ballot: Ballot, closed_at: datetime, everyone_voted: bool, tz: ZoneInfo) -> date:
    """The resolution's date. A ballot: the day it closed. A decision without a meeting
    (Ptk. 3:20 (4)): the last day of the voting period, or the day of the last vote if every
    member voted earlier (the ballot closes at that vote)."""
    if ballot.procedure is not Procedure.NO_MEETING or (
        everyone_voted and closed_at < ballot.deadline
    ):
        return closed_at.astimezone(tz).date()
    # a period ending at midnight ends on the day before
    return (ballot.deadline - timedelta(microseconds=1)).astimezone(tz).date()


def everyone_voted(ballot: Ballot, turnout: int) -> bool:
    """An open decision without a meeting in which every member of the quorum base voted: it
    closes at once (its result is due within three days of the last vote, Ptk. 3:20 (4))."""
    return (
        ballot.procedure is Procedure.NO_MEETING
        and ballot.status is BallotStatus.OPEN
        and turnout >= ballot.electorate > 0
    )


@dataclass
class NotNoMeeting(DomainError):
    """Only a decision without a meeting can be stopped by a request for a meeting."""

    ballot_id: int


@dataclass
class NoMeetingEarlyClose(DomainError):
    """A decision without a meeting runs to its deadline (or until everyone has voted)."""

    ballot_id: int


async def request_meeting(
    uow: UnitOfWork, ballot_id: int, member_id: int, name: str, now: datetime
) -> Ballot:
    """Ptk. 3:20: a member with the vote asks for a meeting; the procedure stops without a
    result (a secret one's urn is emptied uncounted) and the KSz has to convene a meeting."""
    repo = uow.ballots
    ballot, voter, _vote = await repo.get_with_entry(ballot_id, member_id, lock="update")
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.status is not BallotStatus.OPEN or ballot.deadline <= now:
        raise BallotClosed(ballot_id)
    if not _on_roll(ballot, voter):
        raise NotOnRoll(ballot_id)
    if ballot.procedure is not Procedure.NO_MEETING:
        raise NotNoMeeting(ballot_id)
    if ballot.secret:
        await repo.lock_urn()
        await repo.empty_urn(ballot_id)
        uow.scrub_after_commit()
    ballot.status = BallotStatus.CLOSED
    ballot.closed_at = now
    ballot.closed_by_label = name
    ballot.meeting_requested_by_label = name
    ballot.meeting_requested_at = now
    await uow.flush()
    return ballot


async def _register(
    uow: UnitOfWork,
    ballot: Ballot,
    result: Tally,
    adopted_on: date,
    affected: tuple[str, ...] = (),
) -> Resolution:
    registry = uow.resolutions
    counts = {
        "electorate": result.electorate,
        "turnout": result.turnout,
        "options": [[c.label, c.votes] for c in result.counts],
        "winners": [c.label for c in result.counts if c.option_id in result.winners],
        # what was decided and why the other options failed (choice ballots)
        "kind": ballot.kind.value,
        "needed": result.votes_needed,
        "limit": ballot.max_choices,
        "fates": [[f.label, f.votes, f.fate.value] for f in option_fates(result, ballot.kind)],
        # Ptk. 3:19 (2): who did not vote, being affected, and was out of the quorum base
        "affected": list(affected),
        "procedure": ballot.procedure.value,
    }
    resolution = Resolution(
        body=ballot.body,
        year=adopted_on.year,
        number=await registry.next_number(ballot.body, adopted_on.year),
        adopted_on=adopted_on,
        ballot_id=ballot.id,
        text=ballot.question,
        text_key=search_key(ballot.question),
        counts=counts,
    )
    registry.add(resolution)
    return resolution


async def check_may_close(uow: UnitOfWork, ballot_id: int, who: Standing) -> Ballot:
    """A ballot may be closed early by its creator or by the ST chair."""
    ballot = await uow.ballots.get(ballot_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if not may_close(who, ballot):
        raise NotAllowed(Permission.ST_CHAIR, rule="ballot_close")
    if ballot.procedure is Procedure.NO_MEETING and ballot.status is BallotStatus.OPEN:
        raise NoMeetingEarlyClose(ballot_id)
    return ballot


def may_close(who: Standing, ballot: Ballot) -> bool:
    """Its creator or the ST chair may close a ballot early."""
    return who.chairs_st or (who.member_id is not None and who.member_id == ballot.created_by_id)


async def closable(uow: UnitOfWork, who: Standing) -> list[Ballot]:
    """The open ballots this member may close early, newest first."""
    found = [
        b
        for b in await uow.ballots.open_ballots()
        if may_close(who, b) and b.procedure is not Procedure.NO_MEETING
    ]
    return sorted(found, key=lambda b: b.id, reverse=True)


def comment_row(member_id: int | None, label: str, text: str, at: datetime) -> dict[str, Any]:
    """What a debate comment stores, on a ballot or a proposal: the author and their name at
    the time, the text, when."""
    return {"member_id": member_id, "author_label": label, "text": text, "created_at": at}


def clean_comment(text: str) -> str:
    """A debate comment: not empty, not longer than COMMENT_MAX."""
    return clean_body(text, "comment", COMMENT_MAX)


def may_comment(standing: Standing, body: Body) -> bool:
    """Who takes part in the debate of a body's ballot (reads it and comments).

    Közgyűlés: every member, the external supporters with their advisory right included.
    Stratégiai Tanács: its members only, the active internal founders.
    """
    if body is Body.ST:
        return standing.in_strategic_council
    return standing.is_member


def _check_debater(standing: Standing, ballot: Ballot) -> None:
    if not may_comment(standing, ballot.body):
        raise NotAllowed(Permission.FOUNDER if ballot.body is Body.ST else Permission.MEMBER)


async def debate(
    uow: UnitOfWork, ballot_id: int, reader: Standing
) -> tuple[Ballot, Sequence[BallotComment]]:
    """The ballot and its debate, for a reader who takes part in it."""
    repo = uow.ballots
    ballot = await repo.get(ballot_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    _check_debater(reader, ballot)
    return ballot, await repo.comments(ballot_id)


async def check_may_comment(uow: UnitOfWork, ballot_id: int, author: Standing) -> Ballot:
    """The open ballot, if ``author`` may comment on it (before asking for the text)."""
    ballot = await uow.ballots.get(ballot_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    _check_debater(author, ballot)
    if ballot.status is not BallotStatus.OPEN:
        raise BallotClosed(ballot_id)
    return ballot


async def add_comment(
    uow: UnitOfWork, ballot_id: int, author: Standing, text: str, now: datetime
) -> BallotComment:
    """A comment in the debate, by a member who takes part in it (``may_comment``)."""
    ballot = await open_for_voting(uow, ballot_id, now)
    _check_debater(author, ballot)
    row = comment_row(author.member_id, author.name, clean_comment(text), now)
    comment = BallotComment(ballot_id=ballot.id, **row)
    uow.ballots.add_comment(comment)
    await uow.flush()
    return comment


async def details(uow: UnitOfWork, ballot_id: int) -> tuple[Ballot, list[tuple[Member, list[int]]]]:
    """Who voted how: open ballots only."""
    ballot = await uow.ballots.get(ballot_id)
    if ballot is None:
        raise NotFound("ballot", str(ballot_id))
    if ballot.secret:
        raise SecretBallot(ballot_id)
    return ballot, await uow.ballots.open_votes_by_member(ballot_id)


def reminder_due(ballot: Ballot, hours: int, now: datetime) -> bool:
    """A reminder ``hours`` before the deadline is due now (and the ballot still open)."""
    return (
        ballot.status is BallotStatus.OPEN
        and ballot.deadline - timedelta(hours=hours) <= now < ballot.deadline
    )


async def claim_reminder(uow: UnitOfWork, ballot_id: int, hours: int, now: datetime) -> bool:
    """Record that the reminder goes out; False if it went out before (never twice)."""
    repo = uow.ballots
    if await repo.reminder_sent(ballot_id, hours):
        return False
    return await repo.add_reminder_once(ballot_id, hours, now)
