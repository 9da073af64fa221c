"""Queries of meetings, their agenda and their attendance sheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from storage.models import Member
from storage.models.meetings import (
    Attendance,
    Meeting,
    MeetingItem,
    MeetingReminder,
    MeetingStatus,
    MinutesConfirmation,
    Proxy,
)
from storage.repositories.base import Repository

__all__ = ["MeetingRepository"]

#: Meetings whose agenda may still be acted on.
ACTIVE = (MeetingStatus.CONVENED, MeetingStatus.OPEN)


class MeetingRepository(Repository):
    """Meetings, agenda items, attendance and sent reminders."""

    def add(self, meeting: Meeting) -> None:
        self.session.add(meeting)

    async def get(self, meeting_id: int, *, lock: bool = False) -> Meeting | None:
        """A meeting with its agenda; ``lock`` takes it for update (a state change)."""
        query = select(Meeting).options(selectinload(Meeting.items)).where(Meeting.id == meeting_id)
        if lock:
            query = query.with_for_update(of=Meeting)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def reconvened_by(self, meeting_id: int) -> Meeting | None:
        """The reconvened meeting (megismételt ülés) called for ``meeting_id``, if any."""
        query = select(Meeting).where(Meeting.reconvenes_id == meeting_id).limit(1)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def active(self) -> Sequence[Meeting]:
        """Convened or running meetings, soonest first."""
        result = await self.session.execute(
            select(Meeting)
            .options(selectinload(Meeting.items))
            .where(Meeting.status.in_(ACTIVE))
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return result.scalars().all()

    async def checking_in(self, opens_before: datetime) -> Sequence[Meeting]:
        """The active meetings whose check-in has opened (they start before ``opens_before``),
        soonest first, locked for update: two meetings may overlap."""
        result = await self.session.execute(
            select(Meeting)
            .options(selectinload(Meeting.items))
            .where(Meeting.status.in_(ACTIVE), Meeting.starts_at <= opens_before)
            .order_by(Meeting.starts_at, Meeting.id)
            .with_for_update(of=Meeting)
        )
        return result.scalars().all()

    async def attending(self, member_id: int) -> Sequence[Meeting]:
        """The active meetings on whose attendance sheet the member is (checked in, not out),
        soonest first, locked for update."""
        result = await self.session.execute(
            select(Meeting)
            .options(selectinload(Meeting.items))
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(
                Meeting.status.in_(ACTIVE),
                Attendance.member_id == member_id,
                Attendance.left_at.is_(None),
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .with_for_update(of=Meeting)
        )
        return result.scalars().all()

    async def attendance(self, meeting_id: int, member_id: int) -> Attendance | None:
        return await self.session.get(Attendance, (meeting_id, member_id))

    def add_attendance(self, row: Attendance) -> None:
        self.session.add(row)

    async def sheet(self, meeting_id: int) -> list[tuple[Member, Attendance]]:
        """The attendance sheet: every member who checked in, in name order."""
        result = await self.session.execute(
            select(Member, Attendance)
            .join(Attendance, Attendance.member_id == Member.id)
            .where(Attendance.meeting_id == meeting_id)
            .order_by(Member.sort_key)
        )
        return [(m, a) for m, a in result.all()]

    async def confirmations(self, meeting_id: int) -> Sequence[MinutesConfirmation]:
        result = await self.session.execute(
            select(MinutesConfirmation)
            .where(MinutesConfirmation.meeting_id == meeting_id)
            .order_by(MinutesConfirmation.confirmed_at)
        )
        return result.scalars().all()

    async def item_by_ballot(self, ballot_id: int) -> MeetingItem | None:
        return (
            await self.session.execute(
                select(MeetingItem).where(MeetingItem.ballot_id == ballot_id)
            )
        ).scalar_one_or_none()

    async def meetings_of(self, ballot_ids: Sequence[int]) -> dict[int, int]:
        """Which of these ballots a meeting decided (an agenda item, the officers' election, the
        agenda's adoption): ballot id -> meeting id."""
        if not ballot_ids:
            return {}
        items = select(MeetingItem.ballot_id, MeetingItem.meeting_id).where(
            MeetingItem.ballot_id.in_(ballot_ids)
        )
        officers = select(Meeting.officers_ballot_id, Meeting.id).where(
            Meeting.officers_ballot_id.in_(ballot_ids)
        )
        agenda = select(Meeting.agenda_ballot_id, Meeting.id).where(
            Meeting.agenda_ballot_id.in_(ballot_ids)
        )
        found: dict[int, int] = {}
        for query in (items, officers, agenda):
            for ballot_id, meeting_id in await self.session.execute(query):
                if ballot_id is not None:
                    found[ballot_id] = meeting_id
        return found

    async def deciding(self, ballot_id: int) -> Meeting | None:
        """The meeting whose vote this ballot is, if any."""
        meeting_id = (await self.meetings_of([ballot_id])).get(ballot_id)
        return await self.get(meeting_id) if meeting_id is not None else None

    async def reminder_sent(self, meeting_id: int, kind: str) -> bool:
        return await self.session.get(MeetingReminder, (meeting_id, kind)) is not None

    async def add_reminder_once(self, meeting_id: int, kind: str, now: datetime) -> bool:
        """Record a sent reminder; False when it was recorded before (a unique key)."""
        try:
            async with self.session.begin_nested():
                self.session.add(MeetingReminder(meeting_id=meeting_id, kind=kind, sent_at=now))
        except IntegrityError:
            return False
        return True

    # --- proxies (meghatalmazás) -----------------------------------------------------------

    async def proxy(self, meeting_id: int, principal_id: int) -> Proxy | None:
        """The proxy the member gave for the meeting, if any."""
        return await self.session.get(Proxy, (meeting_id, principal_id))

    def add_proxy(self, row: Proxy) -> None:
        self.session.add(row)

    async def delete_proxy(self, row: Proxy) -> None:
        await self.session.delete(row)

    async def held(self, meeting_id: int, holder_id: int) -> int:
        """How many members the holder represents at the meeting."""
        query = (
            select(func.count())
            .select_from(Proxy)
            .where(Proxy.meeting_id == meeting_id, Proxy.holder_id == holder_id)
        )
        return int(await self.session.scalar(query) or 0)

    async def proxies(self, meeting_id: int) -> list[tuple[Member, Member]]:
        """The meeting's proxies as (principal, holder), in the principals' name order."""
        holder = aliased(Member)
        result = await self.session.execute(
            select(Member, holder)
            .join(Proxy, Proxy.principal_id == Member.id)
            .join(holder, holder.id == Proxy.holder_id)
            .where(Proxy.meeting_id == meeting_id)
            .order_by(Member.sort_key)
        )
        return [(p, h) for p, h in result.all()]

    async def proxies_given(self, principal_id: int) -> Sequence[tuple[Proxy, Meeting]]:
        """The member's proxies for meetings convened or running, soonest first."""
        result = await self.session.execute(
            select(Proxy, Meeting)
            .join(Meeting, Meeting.id == Proxy.meeting_id)
            .where(Proxy.principal_id == principal_id, Meeting.status.in_(ACTIVE))
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return [(p, m) for p, m in result.all()]
