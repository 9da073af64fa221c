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
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, _enum


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

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, "workplan_status"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    ballot_id: Mapped[int | None] = mapped_column(Integer, index=True)
    resolution_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    created_by_label: Mapped[str] = mapped_column(String(200))
    adopted_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]

    tasks: Mapped[list[Task]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Task.position"
    )


class WorkPlanVersion(Base):
    """One visible version: the plan as adopted (1) or after a later change (2, 3, ...)."""

    __tablename__ = "workplan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("workplans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    actor_label: Mapped[str] = mapped_column(String(200))
    resolution_id: Mapped[int | None] = mapped_column(Integer)
    #: What changed against the previous version: ``[{"task": 3, "field": "deadline", ...}]``.
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Every task as it stood: ``[{"id": 3, "title": ..., "deadline": "2026-12-31", ...}]``.
    snapshot: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Task(Base):
    """A munkatervi feladat; ``workgroup_id`` None means the KSz answers for it."""

    __tablename__ = "workplan_tasks"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("workplans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    workgroup_id: Mapped[int | None] = mapped_column(ForeignKey("workgroups.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus, "workplan_task_status"))
    progress: Mapped[int] = mapped_column(Integer, default=0)
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

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("workplan_tasks.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))
    old: Mapped[str | None] = mapped_column(String(200))
    new: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class ScheduleSent(Base):
    """A schedule slot that has gone out (or was claimed to go out): never twice per key."""

    __tablename__ = "schedule_sent"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime]
