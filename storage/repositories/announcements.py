"""Announcements and their outbox. Set-based queries: an audience of 10,000 never becomes 10,000
Python objects. Like every repository, it never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from storage.models import Member, MemberKind, Workgroup, WorkgroupMember
from storage.models.announcements import (
    Announcement,
    AnnouncementDelivery,
    AudienceGroup,
    DeliveryState,
)
from storage.repositories.base import Repository

D = AnnouncementDelivery


@dataclass(frozen=True, slots=True, order=True)
class Claim:
    """A row claimed for sending: the outbox row and the chat to send to."""

    delivery_id: int
    telegram_id: int


def audience_filter(
    groups: Collection[AudienceGroup], workgroup_ids: Collection[int]
) -> ColumnElement[bool]:
    """Active members in any of the groups or workgroups (one row per member: no duplicates)."""
    anyof: list[ColumnElement[bool]] = []
    if AudienceGroup.ALL in groups:
        anyof.append(true())
    if AudienceGroup.VOTERS in groups:
        anyof.append(Member.kind == MemberKind.INTERNAL)
    if AudienceGroup.EXTERNAL in groups:
        anyof.append(Member.kind == MemberKind.EXTERNAL)
    if AudienceGroup.ST in groups:
        anyof.append(Member.is_founder.is_(True))
    if AudienceGroup.CATALYSTS in groups:
        anyof.append(
            Member.id.in_(select(Workgroup.catalyst_id).where(Workgroup.catalyst_id.is_not(None)))
        )
    if workgroup_ids:
        anyof.append(
            Member.id.in_(
                select(WorkgroupMember.member_id).where(
                    WorkgroupMember.workgroup_id.in_(list(workgroup_ids))
                )
            )
        )
    if not anyof:
        return Member.id.is_(None)  # nobody
    return and_(Member.is_active.is_(True), or_(*anyof))


class AnnouncementRepository(Repository):
    """Announcements, their audiences and their outbox rows."""

    def add(self, announcement: Announcement) -> None:
        self.session.add(announcement)

    async def get(self, announcement_id: int) -> Announcement | None:
        return await self.session.get(Announcement, announcement_id)

    # --- audiences -----------------------------------------------------------------------------

    async def audience_size(
        self, groups: Collection[AudienceGroup], workgroup_ids: Collection[int]
    ) -> tuple[int, int]:
        """(members with a bound account, members without one) in the audience."""
        row = (
            await self.session.execute(
                select(
                    func.count(Member.telegram_id),
                    func.count() - func.count(Member.telegram_id),
                ).where(audience_filter(groups, workgroup_ids))
            )
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    async def audience_without_account(
        self, groups: Collection[AudienceGroup], workgroup_ids: Collection[int], limit: int
    ) -> list[str]:
        """Names (Hungarian order) of audience members without a bound account."""
        result = await self.session.execute(
            select(Member.name)
            .where(audience_filter(groups, workgroup_ids), Member.telegram_id.is_(None))
            .order_by(Member.sort_key, Member.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def fill_outbox(
        self,
        announcement_id: int,
        groups: Collection[AudienceGroup],
        workgroup_ids: Collection[int],
    ) -> None:
        """One row per audience member, straight from the members table (INSERT ... SELECT)."""
        state = case(
            (Member.telegram_id.is_(None), literal(DeliveryState.NO_ACCOUNT.value)),
            else_=literal(DeliveryState.QUEUED.value),
        )
        source = select(
            literal(announcement_id),
            Member.id,
            Member.name,
            Member.telegram_id,
            state,
            literal(0),
        ).where(audience_filter(groups, workgroup_ids))
        await self.session.execute(
            insert(D).from_select(
                ["announcement_id", "member_id", "member_name", "telegram_id", "state", "attempts"],
                source,
            )
        )

    # --- delivery ------------------------------------------------------------------------------

    async def claim(self, announcement_id: int, limit: int, now: datetime) -> list[Claim]:
        """Mark up to ``limit`` queued rows ``sending`` (oldest first) and return them."""
        oldest = (
            select(D.id)
            .where(D.announcement_id == announcement_id, D.state == DeliveryState.QUEUED)
            .order_by(D.id)
            .limit(limit)
        )
        result = await self.session.execute(
            update(D)
            .where(D.id.in_(oldest), D.state == DeliveryState.QUEUED)
            .values(state=DeliveryState.SENDING, attempts=D.attempts + 1, updated_at=now)
            .returning(D.id, D.telegram_id)
            .execution_options(synchronize_session=False)
        )
        # queued rows always have an account: members without one get "no_account" rows
        return sorted(Claim(row[0], int(row[1] or 0)) for row in result.all())

    async def record(
        self, delivery_id: int, state: DeliveryState, error: str | None, now: datetime
    ) -> None:
        """Store the outcome of one row."""
        await self.session.execute(
            update(D)
            .where(D.id == delivery_id)
            .values(state=state, error=error[:200] if error else None, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def requeue(self, delivery_ids: Collection[int]) -> None:
        """Give claimed rows that were never sent back to the queue."""
        if not delivery_ids:
            return
        await self.session.execute(
            update(D)
            .where(D.id.in_(list(delivery_ids)), D.state == DeliveryState.SENDING)
            .values(state=DeliveryState.QUEUED)
            .execution_options(synchronize_session=False)
        )

    async def requeue_interrupted(self, announcement_id: int | None = None) -> int:
        """Rows left ``sending`` (by a killed process) back to ``queued``; returns how many."""
        query = update(D).where(D.state == DeliveryState.SENDING)
        if announcement_id is not None:
            query = query.where(D.announcement_id == announcement_id)
        result = await self.session.execute(
            query.values(state=DeliveryState.QUEUED).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unfinished(self) -> list[int]:
        """Announcements whose delivery or report is not done, oldest first."""
        result = await self.session.execute(
            select(Announcement.id)
            .where(or_(Announcement.finished_at.is_(None), Announcement.reported_at.is_(None)))
            .order_by(Announcement.id)
        )
        return list(result.scalars())

    async def pending(self, announcement_id: int) -> int:
        """Rows still queued or being sent."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(D)
                .where(
                    D.announcement_id == announcement_id,
                    D.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
                )
            )
            or 0
        )

    async def depth(self) -> int:
        """Rows of every announcement still queued or being sent (the metrics' outbox depth)."""
        waiting = [DeliveryState.QUEUED, DeliveryState.SENDING]
        return int(
            await self.session.scalar(
                select(func.count()).select_from(D).where(D.state.in_(waiting))
            )
            or 0
        )

    async def mark_finished(self, announcement_id: int, now: datetime) -> None:
        await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.finished_at.is_(None))
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )

    async def mark_reported(self, announcement_id: int, now: datetime) -> None:
        await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(reported_at=now)
            .execution_options(synchronize_session=False)
        )

    # --- reports and listings ------------------------------------------------------------------

    async def counts(
        self, announcement_ids: Collection[int]
    ) -> dict[int, dict[DeliveryState, int]]:
        """Rows per state of each announcement."""
        out: dict[int, dict[DeliveryState, int]] = {i: {} for i in announcement_ids}
        if not announcement_ids:
            return out
        result = await self.session.execute(
            select(D.announcement_id, D.state, func.count())
            .where(D.announcement_id.in_(list(announcement_ids)))
            .group_by(D.announcement_id, D.state)
        )
        for announcement_id, state, count in result.all():
            out[announcement_id][DeliveryState(state)] = int(count)
        return out

    async def unreachable(
        self, announcement_id: int, limit: int
    ) -> Sequence[tuple[str, DeliveryState, str | None]]:
        """(name, state, error) of the rows that did not arrive, by name, at most ``limit``."""
        result = await self.session.execute(
            select(D.member_name, D.state, D.error)
            .outerjoin(Member, Member.id == D.member_id)
            .where(
                D.announcement_id == announcement_id,
                D.state.in_(
                    [
                        DeliveryState.BLOCKED,
                        DeliveryState.NEVER_STARTED,
                        DeliveryState.FAILED,
                        DeliveryState.NO_ACCOUNT,
                    ]
                ),
            )
            .order_by(Member.sort_key, D.member_name, D.id)
            .limit(limit)
        )
        return [(name, DeliveryState(state), error) for name, state, error in result.all()]

    async def page(
        self, offset: int, limit: int, *, addressed_to: int | None = None
    ) -> tuple[Sequence[Announcement], int]:
        """Newest first; with ``addressed_to``, only those the member was in the audience of
        (or wrote)."""
        condition: ColumnElement[bool] = true()
        if addressed_to is not None:
            condition = or_(
                Announcement.author_id == addressed_to,
                exists(
                    select(D.id).where(
                        D.announcement_id == Announcement.id, D.member_id == addressed_to
                    )
                ),
            )
        total = await self.session.scalar(
            select(func.count()).select_from(Announcement).where(condition)
        )
        result = await self.session.execute(
            select(Announcement)
            .where(condition)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return result.scalars().all(), int(total or 0)
