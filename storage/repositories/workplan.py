"""Queries of work plans, tasks, their history and versions, and the sent schedule slots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storage.models import Workgroup
from storage.models.ballots import Resolution
from storage.models.workplan import (
    OPEN_STATUSES,
    ScheduleSent,
    Task,
    TaskEvent,
    TaskStatus,
    WorkPlan,
    WorkPlanVersion,
)
from storage.repositories.base import Repository

_CHUNK = 500


class WorkPlanRepository(Repository):
    """Plans, tasks, task events and versions."""

    async def plan(self, plan_id: int, *, lock: bool = False) -> WorkPlan | None:
        query = select(WorkPlan).where(WorkPlan.id == plan_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def current_plan(self, *, lock: bool = False) -> WorkPlan | None:
        """The newest plan: the one members see by default."""
        query = select(WorkPlan).order_by(WorkPlan.id.desc()).limit(1)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_period(self, period: str) -> WorkPlan | None:
        result = await self.session.execute(
            select(WorkPlan).where(WorkPlan.period == period).order_by(WorkPlan.id.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def by_ballot(self, ballot_id: int) -> WorkPlan | None:
        result = await self.session.execute(
            select(WorkPlan).where(WorkPlan.ballot_id == ballot_id).with_for_update()
        )
        return result.scalars().first()

    def add_plan(self, plan: WorkPlan) -> None:
        self.session.add(plan)

    async def tasks(
        self,
        plan_id: int,
        *,
        responsible: int | str | None = "any",
        status: TaskStatus | None = None,
    ) -> Sequence[Task]:
        """The plan's tasks in plan order; ``responsible`` a workgroup id, None (KSz) or any."""
        query = select(Task).where(Task.plan_id == plan_id)
        if responsible is None:
            query = query.where(Task.workgroup_id.is_(None))
        elif isinstance(responsible, int):
            query = query.where(Task.workgroup_id == responsible)
        if status is not None:
            query = query.where(Task.status == status)
        result = await self.session.execute(query.order_by(Task.position, Task.id))
        return result.scalars().all()

    async def task(self, task_id: int, *, lock: bool = False) -> Task | None:
        query = select(Task).options(selectinload(Task.plan)).where(Task.id == task_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def open_tasks(self) -> Sequence[Task]:
        """Every task that still needs work, in any plan."""
        result = await self.session.execute(
            select(Task)
            .where(Task.status.in_(list(OPEN_STATUSES)))
            .order_by(Task.deadline, Task.id)
        )
        return result.scalars().all()

    async def next_position(self, plan_id: int) -> int:
        current = await self.session.scalar(
            select(func.max(Task.position)).where(Task.plan_id == plan_id)
        )
        return int(current or 0) + 1

    def add_task(self, task: Task) -> None:
        self.session.add(task)

    def add_event(self, event: TaskEvent) -> None:
        self.session.add(event)

    async def event(self, event_id: int) -> TaskEvent | None:
        return await self.session.get(TaskEvent, event_id)

    async def events(self, task_id: int, limit: int = 50) -> Sequence[TaskEvent]:
        """The task's history, oldest first (the newest ``limit`` entries)."""
        result = await self.session.execute(
            select(TaskEvent)
            .where(TaskEvent.task_id == task_id)
            .order_by(TaskEvent.at.desc(), TaskEvent.id.desc())
            .limit(limit)
        )
        return list(reversed(result.scalars().all()))

    def add_version(self, version: WorkPlanVersion) -> None:
        self.session.add(version)

    async def versions(self, plan_id: int) -> Sequence[WorkPlanVersion]:
        result = await self.session.execute(
            select(WorkPlanVersion)
            .where(WorkPlanVersion.plan_id == plan_id)
            .order_by(WorkPlanVersion.number)
        )
        return result.scalars().all()

    async def resolution(self, resolution_id: int | None) -> Resolution | None:
        """The resolution that adopted a plan (None if it is gone or never was)."""
        if resolution_id is None:
            return None
        return await self.session.get(Resolution, resolution_id)

    async def workgroup_names(self) -> dict[int, str]:
        result = await self.session.execute(select(Workgroup.id, Workgroup.name))
        return {row[0]: row[1] for row in result}

    async def catalysts(self) -> dict[int, int | None]:
        """Workgroup id -> its katalizátor's member id (None when it has none)."""
        result = await self.session.execute(select(Workgroup.id, Workgroup.catalyst_id))
        return {row[0]: row[1] for row in result}


class ScheduleRepository(Repository):
    """The slots already sent: a slot's key is recorded once, before its message goes out."""

    async def sent(self, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            result = await self.session.execute(
                select(ScheduleSent.key).where(ScheduleSent.key.in_(wanted[start : start + _CHUNK]))
            )
            found.update(result.scalars().all())
        return found

    async def is_sent(self, key: str) -> bool:
        """Whether ``key`` was recorded."""
        return await self.session.get(ScheduleSent, key) is not None

    async def claim(self, key: str, now: datetime) -> bool:
        """Record ``key``; False if it was recorded before (by us or by a concurrent run)."""
        if await self.session.get(ScheduleSent, key) is not None:
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(ScheduleSent(key=key, sent_at=now))
        except IntegrityError:
            return False
        return True
