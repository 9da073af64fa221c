"""The work plan (munkaterv): plans, their tasks, every change of a task, adopted versions, and
the schedule slots already sent.

``ballot_id`` and ``resolution_id`` of a plan are plain integers, not foreign keys: the ballot
tables come from another migration branch, and a plan must outlive a purge of old ballots.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, IntPK, Label, LongText, _enum, cascade, set_null


class PlanStatus(enum.StrEnum):
    """A draft, a plan before the Közgyűlés, or an adopted plan."""

    DRAFT = "draft"
    VOTING = "voting"
    ADOPTED = "adopted"


class TaskStatus(enum.StrEnum):
    """Tervezett, folyamatban, kész, késésben, felfüggesztve, törölve (stable English codes)."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    LATE = "late"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


#: Statuses in which a task still needs work: reminders, check-ins and alerts apply.
OPEN_STATUSES = frozenset({TaskStatus.PLANNED, TaskStatus.IN_PROGRESS, TaskStatus.LATE})


class WorkPlan(Base):
    """The work plan of a period; ``version`` counts adopted versions (0 while a draft)."""

    __tablename__ = "workplans"

    id: Mapped[IntPK]
    period: Mapped[str] = mapped_column(String(40))
    title: Mapped[Label]
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, "workplan_status"))
    version: Mapped[int] = mapped_column(default=0)
    ballot_id: Mapped[int | None] = mapped_column(index=True)
    resolution_id: Mapped[int | None]
    created_at: Mapped[datetime]
    created_by_label: Mapped[Label]
    adopted_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]

    tasks: Mapped[list[Task]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Task.position"
    )


class WorkPlanVersion(Base):
    """One visible version: the plan as adopted (1) or after a later change (2, 3, ...)."""

    __tablename__ = "workplan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[IntPK]
    plan_id: Mapped[int] = cascade("workplans", index=True)
    number: Mapped[int]
    created_at: Mapped[datetime]
    actor_label: Mapped[Label]
    resolution_id: Mapped[int | None]
    #: What changed against the previous version: ``[{"task": 3, "field": "deadline", ...}]``.
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Every task as it stood: ``[{"id": 3, "title": ..., "deadline": "2026-12-31", ...}]``.
    snapshot: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Task(Base):
    """A munkatervi feladat; ``workgroup_id`` None means the KSz answers for it."""

    __tablename__ = "workplan_tasks"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),)

    id: Mapped[IntPK]
    plan_id: Mapped[int] = cascade("workplans", index=True)
    position: Mapped[int]
    title: Mapped[Label]
    description: Mapped[LongText] = mapped_column(default="")
    workgroup_id: Mapped[int | None] = mapped_column(ForeignKey("workgroups.id"), index=True)
    deadline: Mapped[date] = mapped_column(index=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus, "workplan_task_status"))
    progress: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    plan: Mapped[WorkPlan] = relationship(back_populates="tasks")

    @property
    def is_open(self) -> bool:
        """Still needs work (planned, in progress or late)."""
        return self.status in OPEN_STATUSES


class TaskEvent(Base):
    """One change of a task: who, when, which field, from what to what, and a note."""

    __tablename__ = "workplan_task_events"

    id: Mapped[IntPK]
    task_id: Mapped[int] = cascade("workplan_tasks", index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = set_null("members")
    actor_label: Mapped[Label]
    field: Mapped[str] = mapped_column(String(20))
    old: Mapped[Label | None]
    new: Mapped[Label | None]
    note: Mapped[LongText] = mapped_column(default="")


class ScheduleSent(Base):
    """A schedule slot that has gone out (or was claimed to go out): never twice per key."""

    __tablename__ = "schedule_sent"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime]
