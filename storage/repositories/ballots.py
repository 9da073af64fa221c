"""Queries of ballots, votes, tallies and the register of resolutions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from storage.models import Member, MemberKind
from storage.models.ballots import (
    Ballot,
    BallotComment,
    BallotOption,
    BallotReminder,
    BallotStatus,
    Body,
    OpenVote,
    OpenVoteChoice,
    Resolution,
    RollEntry,
    SecretTally,
    UrnPaper,
    search_key,
)
from storage.prepared import Prepared
from storage.repositories.base import Repository, _escape_like


class RollVoter(NamedTuple):
    """What decides, now, whether a member on a roll still has the vote."""

    is_active: bool
    kind: MemberKind
    is_founder: bool
    #: Why the member is affected (Ptk. 3:19 (2)) and may not vote; None if they are not.
    affected_reason: str | None = None
    #: The member present who votes for them by proxy at a meeting; None: they vote themself.
    proxy_id: int | None = None


# The statements of a vote press, built once: a press is the hottest write there is (a
# ballot published to everyone), and building a statement costs more than running it. The
# writes are Core statements on the tables, which skip the ORM's bulk-persistence path (the
# unit has no ORM object of these rows to keep in step), run as ``Prepared`` (on SQLite
# straight to the driver, without SQLAlchemy's execution of each).
_ROLL = cast(Table, RollEntry.__table__)
_VOTES = cast(Table, OpenVote.__table__)
_CHOICES = cast(Table, OpenVoteChoice.__table__)
_ON_ROLL = (_ROLL.c.ballot_id == bindparam("ballot")) & (_ROLL.c.member_id == bindparam("member"))
_SET_VOTED = Prepared(update(_ROLL).where(_ON_ROLL).values(has_voted=bindparam("voted")))
_MARK_VOTED_ONCE = Prepared(
    update(_ROLL).where(_ON_ROLL, _ROLL.c.has_voted.is_(False)).values(has_voted=True)
)
_INSERT_CHOICES = Prepared(insert(_CHOICES))
_SWAP_CHOICE = Prepared(
    update(_CHOICES)
    .where(_CHOICES.c.vote_id == bindparam("vote"))
    .values(option_id=bindparam("option"))
)
_TOUCH_VOTE = Prepared(
    update(_VOTES).where(_VOTES.c.id == bindparam("vote")).values(cast_at=bindparam("now"))
)
#: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of a vote, per dialect.
_INSERT_VOTE: dict[str, Prepared] = {}
_WITH_ENTRY: dict[str | None, Any] = {}


def _with_entry(lock: str | None) -> Any:
    """``get_with_entry``'s query (``lock``: None, ``share`` or ``update``), built once."""
    found = _WITH_ENTRY.get(lock)
    if found is not None:
        return found
    member_id: Any = bindparam("member_id")
    query = (
        select(
            Ballot,
            RollEntry.member_id,
            Member.is_active,
            Member.kind,
            Member.is_founder,
            RollEntry.affected_reason,
            RollEntry.proxy_id,
            OpenVote.id,
        )
        .options(joinedload(Ballot.options))
        .outerjoin(
            RollEntry, (RollEntry.ballot_id == Ballot.id) & (RollEntry.member_id == member_id)
        )
        .outerjoin(Member, Member.id == RollEntry.member_id)
        .outerjoin(OpenVote, (OpenVote.ballot_id == Ballot.id) & (OpenVote.member_id == member_id))
        .where(Ballot.id == bindparam("ballot_id"))
    )
    if lock is not None:
        query = query.with_for_update(read=lock == "share", of=Ballot)
    _WITH_ENTRY[lock] = query
    return query


class BallotRepository(Repository):
    """Ballots and everything cast in them."""

    async def get(self, ballot_id: int, *, lock: str | None = None) -> Ballot | None:
        """A ballot with its options; ``lock`` is ``share`` (votes) or ``update`` (closing)."""
        query = select(Ballot).options(joinedload(Ballot.options)).where(Ballot.id == ballot_id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share", of=Ballot)
        return (await self.session.execute(query)).unique().scalar_one_or_none()

    async def get_with_entry(
        self, ballot_id: int, member_id: int, *, lock: str | None = None
    ) -> tuple[Ballot | None, RollVoter | None, int | None]:
        """A ballot with its options, the member's standing if they are on its roll, and the
        id of their open vote, in one query (built once: every vote press asks it)."""
        params = {"ballot_id": ballot_id, "member_id": member_id}
        row = (await self.session.execute(_with_entry(lock), params)).unique().one_or_none()
        if row is None:
            return None, None, None
        ballot, on_roll, is_active, kind, is_founder, affected, proxy_id, vote_id = row
        voter = (
            RollVoter(bool(is_active), kind, bool(is_founder), affected, proxy_id)
            if on_roll is not None
            else None
        )
        return ballot, voter, vote_id

    def add(self, ballot: Ballot) -> None:
        self.session.add(ballot)

    async def open_ballots(self) -> Sequence[Ballot]:
        result = await self.session.execute(
            select(Ballot)
            .options(selectinload(Ballot.options))
            .where(Ballot.status == BallotStatus.OPEN)
            .order_by(Ballot.deadline)
        )
        return result.scalars().all()

    async def recent(self, limit: int) -> Sequence[Ballot]:
        result = await self.session.execute(
            select(Ballot)
            .options(selectinload(Ballot.options))
            .order_by(
                case((Ballot.status == BallotStatus.OPEN, 0), else_=1),  # open ones first
                Ballot.created_at.desc(),
                Ballot.id.desc(),
            )
            .limit(limit)
        )
        return result.scalars().all()

    async def add_roll(self, ballot_id: int, member_ids: Sequence[int]) -> None:
        """The electoral roll, in bulk (one executemany per 5,000 members)."""
        for start in range(0, len(member_ids), 5000):
            rows = [
                {"ballot_id": ballot_id, "member_id": m, "has_voted": False}
                for m in member_ids[start : start + 5000]
            ]
            await self.session.execute(insert(RollEntry), rows)

    async def roll_entry(self, ballot_id: int, member_id: int) -> RollEntry | None:
        return await self.session.get(RollEntry, (ballot_id, member_id))

    async def roll_size(self, ballot_id: int, *, affected: bool | None = None) -> int:
        """Members on the roll (``affected``: only those who are, or only those who are not)."""
        query = select(func.count()).select_from(RollEntry).where(RollEntry.ballot_id == ballot_id)
        if affected is not None:
            query = query.where(
                RollEntry.affected_reason.is_not(None)
                if affected
                else RollEntry.affected_reason.is_(None)
            )
        return int(await self.session.scalar(query) or 0)

    async def mark_affected(self, ballot_id: int, member_id: int, reason: str, by: str) -> bool:
        """Mark a member on the roll affected; False if they have voted or were marked before."""
        result = await self.session.execute(
            update(RollEntry)
            .where(
                RollEntry.ballot_id == ballot_id,
                RollEntry.member_id == member_id,
                RollEntry.has_voted.is_(False),
                RollEntry.affected_reason.is_(None),
            )
            .values(affected_reason=reason, affected_by_label=by)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def affected(self, ballot_id: int) -> Sequence[tuple[Member, RollEntry]]:
        """The affected members of a ballot with their roll entries, in name order."""
        result = await self.session.execute(
            select(Member, RollEntry)
            .join(RollEntry, RollEntry.member_id == Member.id)
            .where(RollEntry.ballot_id == ballot_id, RollEntry.affected_reason.is_not(None))
            .order_by(Member.sort_key)
        )
        return [(m, e) for m, e in result.all()]

    async def open_ballots_awaiting(self, member_id: int) -> Sequence[Ballot]:
        """Open ballots on whose roll the member is and has not voted, locked for update (in
        id order), as a vote or a close would lock them."""
        result = await self.session.execute(
            select(Ballot)
            .join(RollEntry, RollEntry.ballot_id == Ballot.id)
            .where(
                Ballot.status == BallotStatus.OPEN,
                RollEntry.member_id == member_id,
                RollEntry.has_voted.is_(False),
            )
            .order_by(Ballot.id)
            .with_for_update(of=Ballot)
        )
        return result.scalars().all()

    async def strike(self, ballot_id: int, member_id: int) -> bool:
        """Take a member who has not voted off the roll; False if they voted meanwhile."""
        result = await self.session.execute(
            delete(RollEntry).where(
                RollEntry.ballot_id == ballot_id,
                RollEntry.member_id == member_id,
                RollEntry.has_voted.is_(False),
                RollEntry.affected_reason.is_(None),  # already out of the quorum base
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_voted_once(self, ballot_id: int, member_id: int) -> bool:
        """Set ``has_voted`` if it was not set; False when the member had voted already."""
        params = {"ballot": ballot_id, "member": member_id}
        return bool((await _MARK_VOTED_ONCE.run(self.session, params)).rowcount)

    async def set_voted(self, ballot_id: int, member_id: int, voted: bool) -> None:
        params = {"ballot": ballot_id, "member": member_id, "voted": voted}
        await _SET_VOTED.run(self.session, params)

    async def turnout(self, ballot_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(RollEntry)
                .where(RollEntry.ballot_id == ballot_id, RollEntry.has_voted.is_(True))
            )
            or 0
        )

    async def roll_members(
        self, ballot_id: int, *, voted: bool | None = None, in_person: bool = False
    ) -> Sequence[Member]:
        """Members on the roll (optionally only those who have or have not voted; the latter
        without the affected, who may not vote); ``in_person``, or ``voted=False``: without
        those a proxy holder votes for."""
        query = (
            select(Member)
            .join(RollEntry, RollEntry.member_id == Member.id)
            .where(RollEntry.ballot_id == ballot_id)
            .order_by(Member.sort_key)
        )
        if voted is not None:
            query = query.where(RollEntry.has_voted.is_(voted))
        if voted is False:
            query = query.where(RollEntry.affected_reason.is_(None))
        if in_person or voted is False:
            query = query.where(RollEntry.proxy_id.is_(None))
        return (await self.session.execute(query)).scalars().all()

    async def set_proxies(self, ballot_id: int, holders: dict[int, int]) -> None:
        """At a meeting's vote: who (the value) votes for which member on the roll (the key)."""
        for principal_id, holder_id in holders.items():
            await self.session.execute(
                update(RollEntry)
                .where(RollEntry.ballot_id == ballot_id, RollEntry.member_id == principal_id)
                .values(proxy_id=holder_id)
            )

    async def represented(self, ballot_id: int) -> list[tuple[Member, Member]]:
        """The members on the roll a proxy holder votes for, with the holder, in the
        represented members' name order."""
        holder = aliased(Member)
        result = await self.session.execute(
            select(Member, holder)
            .join(RollEntry, RollEntry.member_id == Member.id)
            .join(holder, holder.id == RollEntry.proxy_id)
            .where(RollEntry.ballot_id == ballot_id)
            .order_by(Member.sort_key)
        )
        return [(m, h) for m, h in result.all()]

    # --- open votes --------------------------------------------------------------------------

    async def open_vote_id(self, ballot_id: int, member_id: int) -> int | None:
        """The id of the member's open vote in the ballot, if any."""
        return await self.session.scalar(
            select(OpenVote.id).where(
                OpenVote.ballot_id == ballot_id, OpenVote.member_id == member_id
            )
        )

    async def insert_vote_once(
        self, ballot_id: int, member_id: int, option_ids: Sequence[int], now: datetime
    ) -> bool:
        """A new open vote with its choices; False (nothing saved) when the member's vote is
        already there: the unique key refuses a second one (``ON CONFLICT DO NOTHING``, no
        savepoint needed)."""
        vote = self.on_conflict(
            _INSERT_VOTE,
            _VOTES,
            lambda insert: Prepared(
                insert.on_conflict_do_nothing(index_elements=["ballot_id", "member_id"]).returning(
                    _VOTES.c.id
                )
            ),
        )
        values = {"ballot_id": ballot_id, "member_id": member_id, "cast_at": now}
        vote_id = (await vote.run(self.session, values)).scalar()
        if vote_id is None:
            return False
        await self._insert_choices(int(vote_id), option_ids)
        return True

    async def _insert_choices(self, vote_id: int, option_ids: Sequence[int]) -> None:
        rows = [{"vote_id": vote_id, "option_id": o} for o in option_ids]
        await _INSERT_CHOICES.run(self.session, rows)

    async def replace_choices(
        self, vote_id: int, option_ids: Sequence[int], now: datetime, *, single: bool
    ) -> None:
        """Swap a vote's choices (a changed vote) without an ORM flush. In a one-choice ballot a
        vote has exactly one choice row, so the swap is a single UPDATE."""
        if single:
            await _SWAP_CHOICE.run(self.session, {"vote": vote_id, "option": option_ids[0]})
        else:
            await self.session.execute(
                delete(OpenVoteChoice).where(OpenVoteChoice.vote_id == vote_id)
            )
            await self.session.execute(
                insert(OpenVoteChoice), [{"vote_id": vote_id, "option_id": o} for o in option_ids]
            )
        await self._touch(vote_id, now)

    async def _touch(self, vote_id: int, now: datetime) -> None:
        await _TOUCH_VOTE.run(self.session, {"vote": vote_id, "now": now})

    async def delete_vote(self, vote_id: int) -> None:
        """Withdraw a vote (its choices go with it)."""
        await self.session.execute(delete(OpenVoteChoice).where(OpenVoteChoice.vote_id == vote_id))
        await self.session.execute(delete(OpenVote).where(OpenVote.id == vote_id))

    async def open_counts(self, ballot_id: int) -> dict[int, int]:
        result = await self.session.execute(
            select(OpenVoteChoice.option_id, func.count())
            .join(OpenVote, OpenVote.id == OpenVoteChoice.vote_id)
            .where(OpenVote.ballot_id == ballot_id)
            .group_by(OpenVoteChoice.option_id)
        )
        return {option_id: int(n) for option_id, n in result.all()}

    async def open_votes_by_member(self, ballot_id: int) -> list[tuple[Member, list[int]]]:
        """Who chose what (open ballots only)."""
        result = await self.session.execute(
            select(OpenVote, Member)
            .join(Member, Member.id == OpenVote.member_id)
            .options(selectinload(OpenVote.choices))
            .where(OpenVote.ballot_id == ballot_id)
            .order_by(Member.sort_key)
        )
        return [(member, [c.option_id for c in vote.choices]) for vote, member in result.all()]

    # --- secret ballots: the urn while open, the tallies once closed -------------------------

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def drop_in_urn(self, ballot_id: int, option_ids: Sequence[int]) -> None:
        """A secret ballot paper: one unlinked row per chosen option (a random id, no time)."""
        await self.session.execute(
            insert(UrnPaper),
            [{"id": uuid.uuid4(), "ballot_id": ballot_id, "option_id": o} for o in option_ids],
        )

    async def lock_urn(self) -> None:
        """PostgreSQL: take the urn for the close before reading it (``empty_urn`` rewrites it;
        taking the lock first means two closes queue instead of deadlocking on an upgrade)."""
        if self._dialect() == "postgresql":
            await self.session.execute(text("LOCK TABLE ballot_urn IN ACCESS EXCLUSIVE MODE"))

    async def urn_counts(self, ballot_id: int) -> dict[int, int]:
        result = await self.session.execute(
            select(UrnPaper.option_id, func.count())
            .where(UrnPaper.ballot_id == ballot_id)
            .group_by(UrnPaper.option_id)
        )
        return {option_id: int(n) for option_id, n in result.all()}

    async def empty_urn(self, ballot_id: int) -> None:
        """Remove the ballot's papers so that nothing stored keeps them, not even dead rows.

        PostgreSQL: the urn is truncated (a new, empty file; the old one is cut to nothing at
        commit, whatever snapshots other sessions hold) and the papers of other open ballots
        are put back, written now by this transaction. SQLite: the rows are deleted with
        ``secure_delete`` on (their bytes are zeroed); the unit then checkpoints and truncates
        the WAL (``UnitOfWork.scrub_after_commit``). Call ``lock_urn`` first.
        """
        if self._dialect() != "postgresql":
            await self.session.execute(delete(UrnPaper).where(UrnPaper.ballot_id == ballot_id))
            return
        others = (
            await self.session.execute(
                select(UrnPaper.id, UrnPaper.ballot_id, UrnPaper.option_id).where(
                    UrnPaper.ballot_id != ballot_id
                )
            )
        ).all()
        await self.session.execute(text("TRUNCATE ballot_urn"))
        if others:
            await self.session.execute(
                insert(UrnPaper),
                [{"id": i, "ballot_id": b, "option_id": o} for i, b, o in others],
            )

    async def set_secret_tallies(self, ballot_id: int, counts: dict[int, int]) -> None:
        """The closed ballot's counters, written once."""
        await self.session.execute(delete(SecretTally).where(SecretTally.ballot_id == ballot_id))
        await self.session.execute(
            insert(SecretTally),
            [{"ballot_id": ballot_id, "option_id": o, "votes": n} for o, n in counts.items()],
        )

    async def secret_counts(self, ballot_id: int) -> dict[int, int]:
        """The counters of a closed secret ballot (or of one opened before the urn existed)."""
        result = await self.session.execute(
            select(SecretTally.option_id, SecretTally.votes).where(
                SecretTally.ballot_id == ballot_id
            )
        )
        return {option_id: int(n) for option_id, n in result.all()}

    # --- reminders and comments --------------------------------------------------------------

    async def reminder_sent(self, ballot_id: int, hours: int) -> bool:
        return await self.session.get(BallotReminder, (ballot_id, hours)) is not None

    async def add_reminder_once(self, ballot_id: int, hours: int, now: datetime) -> bool:
        """Record a sent reminder; False when it was recorded before (a unique key)."""
        try:
            async with self.session.begin_nested():
                self.session.add(
                    BallotReminder(ballot_id=ballot_id, hours_before=hours, sent_at=now)
                )
        except IntegrityError:
            return False
        return True

    def add_comment(self, comment: BallotComment) -> None:
        self.session.add(comment)

    async def comments(self, ballot_id: int) -> Sequence[BallotComment]:
        result = await self.session.execute(
            select(BallotComment)
            .where(BallotComment.ballot_id == ballot_id)
            .order_by(BallotComment.created_at, BallotComment.id)
        )
        return result.scalars().all()

    async def comment_count(self, ballot_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(BallotComment)
                .where(BallotComment.ballot_id == ballot_id)
            )
            or 0
        )

    async def option(self, option_id: int) -> BallotOption | None:
        return await self.session.get(BallotOption, option_id)


class ResolutionRepository(Repository):
    """The register of resolutions."""

    async def next_number(self, body: Body, year: int) -> int:
        current = await self.session.scalar(
            select(func.max(Resolution.number)).where(
                Resolution.body == body, Resolution.year == year
            )
        )
        return int(current or 0) + 1

    def add(self, resolution: Resolution) -> None:
        self.session.add(resolution)

    async def by_ballot(self, ballot_id: int) -> Resolution | None:
        result = await self.session.execute(
            select(Resolution).where(Resolution.ballot_id == ballot_id)
        )
        return result.scalar_one_or_none()

    async def search(
        self,
        text: str | None,
        offset: int,
        limit: int,
        *,
        body: Body | None = None,
        year: int | None = None,
    ) -> tuple[Sequence[Resolution], int]:
        """Resolutions, newest first, optionally those whose text contains ``text``, of one
        body, of one year."""
        conditions: list[ColumnElement[bool]] = []
        if text:
            pattern = f"%{_escape_like(search_key(text))}%"
            conditions.append(Resolution.text_key.like(pattern, escape="\\"))
        if body is not None:
            conditions.append(Resolution.body == body)
        if year is not None:
            conditions.append(Resolution.year == year)
        query = select(Resolution).where(*conditions)
        count = select(func.count()).select_from(Resolution).where(*conditions)
        total = int(await self.session.scalar(count) or 0)
        result = await self.session.execute(
            query.order_by(Resolution.adopted_on.desc(), Resolution.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return result.scalars().all(), total

    async def years(self) -> list[int]:
        """The years that have resolutions, newest first."""
        result = await self.session.execute(
            select(Resolution.year).distinct().order_by(Resolution.year.desc())
        )
        return list(result.scalars().all())

    async def all(self) -> Sequence[Resolution]:
        result = await self.session.execute(
            select(Resolution).order_by(Resolution.year, Resolution.body, Resolution.number)
        )
        return result.scalars().all()
