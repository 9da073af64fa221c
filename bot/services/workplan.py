"""The work plan (munkaterv): tasks, who answers for them, progress, adoption and versions.

Who may do what:

* the KSz builds and changes the plan, imports it, and may report on any task;
* a task's katalizátor (the catalyst of its workgroup) reports on that task; a task of the KSz,
  or of a workgroup without a catalyst, is answered for by the KSz;
* every member reads the plan.

Progress reports are tracking, kept in the task's history. Changes of the plan itself (a new
task, a title, a description, a responsible, a deadline, a status set by the KSz) made after the
Közgyűlés adopted it each create a new, visible version.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import schedule
from bot.services.collation import hu_sort_key
from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.identity import Actor
from bot.services.roles import Standing
from bot.services.schedule import BadScheduleValue, ScheduleConfig
from bot.services.text import clean_text, clip, parse_id
from storage.db import UnitOfWork
from storage.models import Member, Workgroup
from storage.models.workplan import (
    OPEN_STATUSES,
    PlanStatus,
    Task,
    TaskEvent,
    TaskStatus,
    WorkPlan,
    WorkPlanVersion,
)
from storage.repositories.workplan import WorkPlanRepository

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
PERIOD_MAX = 40
SYSTEM_LABEL = "Klaszterbot"
#: Progress shown in the digest's "coming up" list: deadlines within this many days.
UPCOMING_DAYS = 14


# --- errors ----------------------------------------------------------------------------------


@dataclass
class PlanInputError(DomainError):
    """A value of the work plan failed validation.

    ``field`` names it (title, description, responsible, deadline, status, progress, note,
    period, file, task, setting); ``reason`` is a code (empty, too_long, not_a_number,
    out_of_range, bad_date, impossible_date, unknown_status, unknown_workgroup, ...).
    """

    field: str
    reason: str
    value: str = ""
    row: int | None = None
    limit: int | None = None


@dataclass
class PlanImportFailed(DomainError):
    """A file had errors; nothing was imported. ``errors`` lists each row's problems."""

    errors: list[PlanInputError]


@dataclass
class TaskNotFound(DomainError):
    """No task has this number."""

    key: str


class NoPlan(DomainError):
    """There is no work plan yet."""


@dataclass
class NotResponsible(DomainError):
    """Only the task's katalizátor and the KSz may report on it (``task_id`` None: on any)."""

    task_id: int | None = None


@dataclass
class PlanLocked(DomainError):
    """The plan is before the Közgyűlés: it cannot change until the ballot closes."""

    ballot_id: int | None


@dataclass
class PlanNotDraft(DomainError):
    """Only a draft can be put to the vote; ``status`` is the plan's status."""

    status: str


@dataclass
class TaskCancelled(DomainError):
    """A cancelled task takes no progress reports."""

    task_id: int


# --- reading values --------------------------------------------------------------------------

STATUS_WORDS: dict[str, TaskStatus] = {
    "tervezett": TaskStatus.PLANNED, "planned": TaskStatus.PLANNED,
    "folyamatban": TaskStatus.IN_PROGRESS, "in progress": TaskStatus.IN_PROGRESS,
    "in_progress": TaskStatus.IN_PROGRESS,
    "kész": TaskStatus.DONE, "kesz": TaskStatus.DONE, "done": TaskStatus.DONE,
    "késésben": TaskStatus.LATE, "kesesben": TaskStatus.LATE, "late": TaskStatus.LATE,
    "overdue": TaskStatus.LATE,
    "felfüggesztve": TaskStatus.SUSPENDED, "felfuggesztve": TaskStatus.SUSPENDED,
    "suspended": TaskStatus.SUSPENDED,
    "törölve": TaskStatus.CANCELLED, "torolve": TaskStatus.CANCELLED,
    "cancelled": TaskStatus.CANCELLED, "canceled": TaskStatus.CANCELLED,
}  # fmt: skip
KSZ_WORDS = frozenset({"ksz", "klasztermenedzsment", "klasztermenedzsment szervezet"})
_DATE = re.compile(r"^\s*(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\s*\.?\s*$")
_PERCENT = re.compile(r"^([+-]?\d+)\s*%?$")


def parse_status(text: str, row: int | None = None) -> TaskStatus:
    """A status in Hungarian or English: ``folyamatban``, ``in progress``, ``kész``, ``done``."""
    found = STATUS_WORDS.get(" ".join(text.split()).casefold())
    if found is None:
        reason = "unknown_status" if text.strip() else "empty"
        raise PlanInputError("status", reason, clip(text.strip(), 40), row=row)
    return found


def parse_progress(text: str, row: int | None = None) -> int:
    """A whole percentage 0-100 (``60`` or ``60%``); ``150``, ``-5`` and ``sok`` are refused."""
    value = text.strip()
    match = _PERCENT.match(value)
    if not match:
        reason = "not_a_number" if value else "empty"
        raise PlanInputError("progress", reason, clip(value, 40), row=row)
    number = int(match.group(1))
    if not 0 <= number <= 100:
        raise PlanInputError("progress", "out_of_range", clip(value, 40), row=row, limit=100)
    return number


def parse_deadline(text: str, row: int | None = None) -> date:
    """``2026.12.31``, ``2026. 12. 31.`` or ``2026-12-31``; an impossible date is refused."""
    value = text.strip()
    if not value:
        raise PlanInputError("deadline", "empty", row=row)
    match = _DATE.match(value)
    if not match:
        raise PlanInputError("deadline", "bad_date", clip(value, 40), row=row)
    year, month, day = (int(g) for g in match.groups())
    if not 2000 <= year <= 2100:
        raise PlanInputError("deadline", "impossible_date", clip(value, 40), row=row)
    try:
        return date(year, month, day)
    except ValueError:
        raise PlanInputError("deadline", "impossible_date", clip(value, 40), row=row) from None


def deadline_concerns(period: str, deadline: date, today: date) -> list[str]:
    """Why a deadline deserves a second look (it is accepted all the same): ``past`` (before
    today) and ``outside_period`` (the plan's period is a year and the deadline is not in it)."""
    concerns = []
    if deadline < today:
        concerns.append("past")
    year = period.strip()
    if year.isdigit() and len(year) == 4 and deadline.year != int(year):
        concerns.append("outside_period")
    return concerns


def clean(
    value: str, name: str, limit: int, *, required: bool = True, row: int | None = None
) -> str:
    """Trimmed text, checked for length and control characters."""
    try:
        return clean_text(value, name, limit, required=required)
    except InvalidInput as exc:
        raise PlanInputError(name, exc.reason, row=row, limit=exc.limit) from None


def clean_note(value: str) -> str:
    """A progress note: optional, at most NOTE_MAX characters."""
    return clean(value, "note", NOTE_MAX, required=False)


async def resolve_responsible(
    uow: UnitOfWork, text: str, row: int | None = None
) -> Workgroup | None:
    """``KSz`` (None) or the workgroup of that name."""
    value = " ".join(text.split())
    if not value:
        raise PlanInputError("responsible", "empty", row=row)
    if value.casefold() in KSZ_WORDS:
        return None
    group = await uow.workgroups.by_name(value)
    if group is None:
        raise PlanInputError("responsible", "unknown_workgroup", clip(value, 120), row=row)
    return group


def responsible_label(workgroup_id: int | None, names: Mapping[int, str]) -> str:
    """``KSz`` or the workgroup's name (as stored in history and snapshots)."""
    if workgroup_id is None:
        return "KSz"
    return names.get(workgroup_id, "?")


# --- who may -----------------------------------------------------------------------------------


def may_edit(standing: Standing) -> bool:
    """The KSz builds and changes the plan."""
    return standing.is_ksz_staff


def may_report(standing: Standing, task: Task) -> bool:
    """The KSz on any task; a katalizátor on the tasks of their workgroup."""
    if standing.is_ksz_staff:
        return True
    return (
        standing.is_catalyst
        and task.workgroup_id is not None
        and task.workgroup_id in standing.catalyst_of
    )


def may_report_any(standing: Standing) -> bool:
    """Whether this caller answers for any task at all (catalysts and the KSz)."""
    return standing.is_ksz_staff or standing.is_catalyst


def _check_editor(standing: Standing) -> None:
    if not may_edit(standing):
        raise NotAllowed("ksz")


def answers_for(standing: Standing, task: Task, catalysts: Mapping[int, int | None]) -> bool:
    """Whether the task is this caller's own to report on (used for their list of tasks)."""
    if task.workgroup_id is not None and task.workgroup_id in standing.catalyst_of:
        return standing.is_catalyst
    if standing.is_ksz_staff:
        return task.workgroup_id is None or catalysts.get(task.workgroup_id) is None
    return False


# --- plans -------------------------------------------------------------------------------------


async def current_plan(uow: UnitOfWork, *, lock: bool = False) -> WorkPlan:
    """The newest plan, or NoPlan."""
    plan = await uow.workplans.current_plan(lock=lock)
    if plan is None:
        raise NoPlan()
    return plan


async def create_plan(
    uow: UnitOfWork, period: str, title: str, actor: Actor, now: datetime
) -> WorkPlan:
    """A new draft plan for a period (one plan per period)."""
    period = clean(period, "period", PERIOD_MAX)
    title = clean(title, "title", TITLE_MAX)
    if await uow.workplans.by_period(period) is not None:
        raise PlanInputError("period", "duplicate", period)
    plan = WorkPlan(
        period=period,
        title=title,
        status=PlanStatus.DRAFT,
        version=0,
        created_at=now,
        created_by_label=actor.label,
    )
    uow.workplans.add_plan(plan)
    await uow.flush()
    return plan


@dataclass
class TaskSpec:
    """A new task, checked."""

    title: str
    responsible: Workgroup | None
    deadline: date
    description: str = ""
    status: TaskStatus = TaskStatus.PLANNED
    progress: int = 0


def _check_open_for_changes(plan: WorkPlan) -> None:
    if plan.status is PlanStatus.VOTING:
        raise PlanLocked(plan.ballot_id)


def _event(
    task: Task, actor: Actor, now: datetime, name: str, old: Any, new: Any, note: str = ""
) -> TaskEvent:
    return TaskEvent(
        task_id=task.id,
        at=now,
        actor_id=actor.member_id,
        actor_label=actor.label,
        field=name,
        old=None if old is None else str(old)[:200],
        new=None if new is None else str(new)[:200],
        note=note,
    )


async def add_tasks(
    uow: UnitOfWork, plan: WorkPlan, specs: Sequence[TaskSpec], actor: Actor, now: datetime
) -> list[Task]:
    """Add tasks to a plan; on an adopted plan this makes one new version."""
    _check_open_for_changes(plan)
    repo = uow.workplans
    position = await repo.next_position(plan.id)
    tasks: list[Task] = []
    for offset, spec in enumerate(specs):
        progress = 100 if spec.status is TaskStatus.DONE else spec.progress
        task = Task(
            plan_id=plan.id,
            position=position + offset,
            title=spec.title,
            description=spec.description,
            workgroup_id=spec.responsible.id if spec.responsible is not None else None,
            deadline=spec.deadline,
            status=spec.status,
            progress=progress,
            created_at=now,
            updated_at=now,
        )
        repo.add_task(task)
        tasks.append(task)
    await uow.flush()
    for task in tasks:
        repo.add_event(_event(task, actor, now, "created", None, task.title))
    await _changed(uow, plan, [{"task": t.id, "field": "created", "new": t.title} for t in tasks],
                   actor, now)  # fmt: skip
    await uow.flush()
    return tasks


async def _snapshot(uow: UnitOfWork, plan: WorkPlan) -> list[dict[str, Any]]:
    repo = uow.workplans
    names = await repo.workgroup_names()
    return [
        {
            "id": t.id,
            "position": t.position,
            "title": t.title,
            "description": t.description,
            "responsible": responsible_label(t.workgroup_id, names),
            "workgroup_id": t.workgroup_id,
            "deadline": t.deadline.isoformat(),
            "status": t.status.value,
            "progress": t.progress,
        }
        for t in await repo.tasks(plan.id)
    ]


async def _changed(
    uow: UnitOfWork,
    plan: WorkPlan,
    changes: list[dict[str, Any]],
    actor: Actor,
    now: datetime,
) -> WorkPlanVersion | None:
    """After a change of an adopted plan: a new version with what changed and a snapshot."""
    plan.changed_at = now
    if plan.status is not PlanStatus.ADOPTED or not changes:
        return None
    await uow.flush()
    plan.version += 1
    version = WorkPlanVersion(
        plan_id=plan.id,
        number=plan.version,
        created_at=now,
        actor_label=actor.label,
        resolution_id=plan.resolution_id,
        changes=changes,
        snapshot=await _snapshot(uow, plan),
    )
    uow.workplans.add_version(version)
    return version


async def get_task(uow: UnitOfWork, task_id: int | str, *, lock: bool = False) -> Task:
    """A task by its number (``12`` or ``#12``)."""
    number = parse_id(str(task_id))
    if number is None:
        raise TaskNotFound(clip(str(task_id), 20))
    task = await uow.workplans.task(number, lock=lock)
    if task is None:
        raise TaskNotFound(str(number))
    return task


EDITABLE = ("title", "description", "responsible", "deadline", "status")
FIELD_WORDS: dict[str, str] = {
    "cím": "title", "cim": "title", "title": "title",
    "leírás": "description", "leiras": "description", "description": "description",
    "felelős": "responsible", "felelos": "responsible", "responsible": "responsible",
    "határidő": "deadline", "hatarido": "deadline", "deadline": "deadline",
    "állapot": "status", "allapot": "status", "status": "status",
}  # fmt: skip


def parse_field(text: str) -> str:
    """The field to change, in Hungarian or English."""
    found = FIELD_WORDS.get(text.strip().casefold())
    if found is None:
        raise PlanInputError("field", "unknown_field", clip(text.strip(), 40))
    return found


def _today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def _reopened_status(task: Task, today: date) -> TaskStatus:
    if task.deadline < today:
        return TaskStatus.LATE
    return TaskStatus.IN_PROGRESS if task.progress > 0 else TaskStatus.PLANNED


async def edit_task(
    uow: UnitOfWork,
    task_id: int | str,
    field_name: str,
    raw: str,
    who: Standing,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[Task, str | None, str | None]:
    """The KSz changes one field of a task; returns the task and the old and new values."""
    _check_editor(who)
    task = await get_task(uow, task_id, lock=True)
    plan = task.plan
    _check_open_for_changes(plan)
    repo = uow.workplans
    names = await repo.workgroup_names()
    actor = Actor(who.member_id, who.name)
    old: str | None
    new: str | None
    if field_name == "title":
        old, new = task.title, clean(raw, "title", TITLE_MAX)
        task.title = new
    elif field_name == "description":
        old, new = task.description, clean(raw, "description", DESCRIPTION_MAX, required=False)
        task.description = new
    elif field_name == "responsible":
        group = await resolve_responsible(uow, raw)
        old = responsible_label(task.workgroup_id, names)
        task.workgroup_id = group.id if group is not None else None
        new = group.name if group is not None else "KSz"
    elif field_name == "deadline":
        deadline = parse_deadline(raw)
        old, new = task.deadline.isoformat(), deadline.isoformat()
        task.deadline = deadline
        today = _today(now, tz)
        if task.status is TaskStatus.LATE and deadline >= today:
            _set_status(repo, task, _reopened_status(task, today), actor, now)
    elif field_name == "status":
        status = parse_status(raw)
        old, new = task.status.value, status.value
        if status is TaskStatus.DONE and task.progress != 100:
            repo.add_event(_event(task, actor, now, "progress", task.progress, 100))
            task.progress = 100
        task.status = status
    else:
        raise PlanInputError("field", "unknown_field", field_name)
    if old == new:
        return task, old, new
    task.updated_at = now
    repo.add_event(_event(task, actor, now, field_name, old, new))
    await _changed(
        uow, plan, [{"task": task.id, "field": field_name, "old": old, "new": new}], actor, now
    )
    await uow.flush()
    return task, old, new


def _set_status(
    repo: WorkPlanRepository, task: Task, status: TaskStatus, actor: Actor, now: datetime
) -> None:
    if task.status is status:
        return
    repo.add_event(_event(task, actor, now, "status", task.status.value, status.value))
    task.status = status


def status_after_progress(
    status: TaskStatus, percent: int, deadline: date, today: date
) -> TaskStatus:
    """The status a progress report leaves: 100% is done; late while past the deadline."""
    if percent == 100:
        return TaskStatus.DONE
    if status is TaskStatus.SUSPENDED:
        return status
    if deadline < today:
        return TaskStatus.LATE
    if percent > 0:
        return TaskStatus.IN_PROGRESS
    return TaskStatus.IN_PROGRESS if status is TaskStatus.IN_PROGRESS else TaskStatus.PLANNED


@dataclass(frozen=True)
class Report:
    """A recorded progress report."""

    task: Task
    event: TaskEvent
    old_progress: int
    old_status: TaskStatus


async def report_progress(
    uow: UnitOfWork,
    task_id: int | str,
    who: Standing,
    percent: int,
    note: str,
    now: datetime,
    tz: ZoneInfo,
) -> Report:
    """The task's katalizátor or the KSz reports progress (0-100) with an optional note."""
    if not may_report_any(who):
        raise NotResponsible(None)
    if not 0 <= percent <= 100:
        raise PlanInputError("progress", "out_of_range", str(percent), limit=100)
    note = clean_note(note)
    task = await get_task(uow, task_id, lock=True)
    if not may_report(who, task):
        raise NotResponsible(task.id)
    if task.status is TaskStatus.CANCELLED:
        raise TaskCancelled(task.id)
    repo = uow.workplans
    actor = Actor(who.member_id, who.name)
    old_progress, old_status = task.progress, task.status
    event = _event(task, actor, now, "progress", old_progress, percent, note)
    repo.add_event(event)
    task.progress = percent
    task.updated_at = now
    _set_status(repo, task, status_after_progress(task.status, percent, task.deadline,
                                                  _today(now, tz)), actor, now)  # fmt: skip
    task.plan.changed_at = now
    await uow.flush()
    return Report(task, event, old_progress, old_status)


async def add_note(
    uow: UnitOfWork, event_id: int, who: Standing, note: str, now: datetime
) -> TaskEvent:
    """Add (or replace) the note of one's own progress report."""
    note = clean(note, "note", NOTE_MAX)
    event = await uow.workplans.event(event_id)
    if event is None or event.field != "progress":
        raise TaskNotFound(str(event_id))
    if event.actor_id is None or event.actor_id != who.member_id:
        raise NotResponsible(event.task_id)
    event.note = note
    return event


async def responsible_tasks(uow: UnitOfWork, who: Standing) -> list[Task]:
    """The open tasks this caller answers for (their workgroups'; the KSz's own)."""
    if not may_report_any(who):
        raise NotResponsible(None)
    repo = uow.workplans
    catalysts = await repo.catalysts()
    return [t for t in await repo.open_tasks() if answers_for(who, t, catalysts)]


async def mark_overdue(uow: UnitOfWork, task_id: int, now: datetime, tz: ZoneInfo) -> Task | None:
    """The day after its deadline an open task becomes late (késésben); None if not open."""
    task = await uow.workplans.task(task_id, lock=True)
    if task is None or task.status not in OPEN_STATUSES:
        return None
    if task.deadline < _today(now, tz) and task.status is not TaskStatus.LATE:
        _set_status(uow.workplans, task, TaskStatus.LATE, Actor(None, SYSTEM_LABEL), now)
        task.updated_at = now
    return task


# --- the Közgyűlés vote ------------------------------------------------------------------------


def check_votable(plan: WorkPlan, task_count: int) -> None:
    """A draft with at least one task can be put to the Közgyűlés."""
    if plan.status is not PlanStatus.DRAFT:
        raise PlanNotDraft(plan.status.value)
    if task_count == 0:
        raise PlanInputError("plan", "no_tasks")


async def mark_voting(uow: UnitOfWork, plan: WorkPlan, ballot_id: int) -> None:
    """The plan is before the Közgyűlés in ballot ``ballot_id``."""
    check_votable(plan, len(await uow.workplans.tasks(plan.id)))
    plan.status = PlanStatus.VOTING
    plan.ballot_id = ballot_id


async def after_ballot(
    uow: UnitOfWork,
    ballot_id: int,
    adopted: bool,
    resolution_id: int | None,
    actor_label: str,
    now: datetime,
) -> WorkPlan | None:
    """A ballot closed: its plan is adopted (version 1) or back to draft. Idempotent."""
    plan = await uow.workplans.by_ballot(ballot_id)
    if plan is None or plan.status is not PlanStatus.VOTING:
        return None
    if not adopted:
        plan.status = PlanStatus.DRAFT
        return plan
    plan.status = PlanStatus.ADOPTED
    plan.resolution_id = resolution_id
    plan.adopted_at = now
    plan.version = 1
    uow.workplans.add_version(
        WorkPlanVersion(
            plan_id=plan.id,
            number=1,
            created_at=now,
            actor_label=actor_label,
            resolution_id=resolution_id,
            changes=[{"field": "adopted"}],
            snapshot=await _snapshot(uow, plan),
        )
    )
    await uow.flush()
    return plan


# --- the overview and the digest ---------------------------------------------------------------


@dataclass(frozen=True)
class GroupSummary:
    """Progress of one responsible (the KSz is ``workgroup_id`` None)."""

    workgroup_id: int | None
    name: str
    tasks: int
    average: int
    done: int
    late: int


@dataclass
class Summary:
    """The numbers of a plan: per status, per responsible, overall; late and coming tasks."""

    plan: WorkPlan
    tasks: list[Task]
    names: dict[int, str]
    counts: Counter[TaskStatus] = field(default_factory=Counter)
    average: int = 0
    groups: list[GroupSummary] = field(default_factory=list)
    late: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)


def average(tasks: Sequence[Task]) -> int:
    """Mean progress of the tasks that count (cancelled ones do not), rounded."""
    counted = [t.progress for t in tasks if t.status is not TaskStatus.CANCELLED]
    return round(sum(counted) / len(counted)) if counted else 0


def summarize(
    plan: WorkPlan, tasks: Sequence[Task], names: Mapping[int, str], today: date
) -> Summary:
    """Everything the digest and the chart show."""
    summary = Summary(plan, list(tasks), dict(names))
    summary.counts = Counter(t.status for t in tasks)
    summary.average = average(tasks)
    by_group: dict[int | None, list[Task]] = {}
    for task in tasks:
        if task.status is not TaskStatus.CANCELLED:
            by_group.setdefault(task.workgroup_id, []).append(task)
    groups = [
        GroupSummary(
            key,
            responsible_label(key, names),
            len(items),
            average(items),
            sum(1 for t in items if t.status is TaskStatus.DONE),
            sum(1 for t in items if _is_late(t, today)),
        )
        for key, items in by_group.items()
    ]
    summary.groups = sorted(groups, key=lambda g: (g.workgroup_id is not None, hu_sort_key(g.name)))
    summary.late = [t for t in tasks if _is_late(t, today)]
    horizon = today + timedelta(days=UPCOMING_DAYS)
    summary.upcoming = sorted(
        (
            t
            for t in tasks
            if t.is_open and today <= t.deadline <= horizon and not _is_late(t, today)
        ),
        key=lambda t: (t.deadline, t.id),
    )
    return summary


def _is_late(task: Task, today: date) -> bool:
    return task.status is TaskStatus.LATE or (task.is_open and task.deadline < today)


async def plan_summary(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> Summary | None:
    """The current plan's summary, or None when there is no plan."""
    repo = uow.workplans
    plan = await repo.current_plan()
    if plan is None:
        return None
    return summarize(plan, await repo.tasks(plan.id), await repo.workgroup_names(), _today(now, tz))


# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """Which tasks /munkaterv shows: a responsible (``"any"``, None for the KSz, or a
    workgroup id) and a status."""

    responsible: int | str | None = "any"
    status: TaskStatus | None = None

    @property
    def is_empty(self) -> bool:
        return self.responsible == "any" and self.status is None


async def parse_filter(uow: UnitOfWork, words: Sequence[str]) -> Filter:
    """``Innováció``, ``késésben``, ``KSz folyamatban``, ``in progress``: a workgroup and/or a
    status, in any order."""
    text = " ".join(" ".join(words).split())
    if not text:
        return Filter()
    status: TaskStatus | None = None
    for word, value in sorted(STATUS_WORDS.items(), key=lambda kv: -len(kv[0])):
        pattern = re.compile(rf"(^|\s){re.escape(word)}($|\s)", re.IGNORECASE)
        if pattern.search(text):
            status = value
            text = pattern.sub(" ", text, count=1)
            break
    rest = " ".join(text.split())
    responsible: int | str | None = "any"
    if rest:
        if rest.casefold() in KSZ_WORDS:
            responsible = None
        else:
            group = await uow.workgroups.by_name(rest)
            if group is None:
                raise NotFound("workgroup", rest)
            responsible = group.id
    return Filter(responsible, status)


async def filtered_tasks(uow: UnitOfWork, plan: WorkPlan, wanted: Filter) -> list[Task]:
    """The plan's tasks that pass the filter."""
    return list(
        await uow.workplans.tasks(plan.id, responsible=wanted.responsible, status=wanted.status)
    )


# --- who hears of what -------------------------------------------------------------------------


async def responsible_members(uow: UnitOfWork, tasks: Sequence[Task]) -> dict[int, list[Member]]:
    """Task id -> the people who answer for it: the katalizátor, else the KSz."""
    catalysts = await uow.workplans.catalysts()
    ksz = [m for m in await uow.members.ksz() if m.is_active]
    cache: dict[int, Member | None] = {}
    found: dict[int, list[Member]] = {}
    for task in tasks:
        catalyst_id = catalysts.get(task.workgroup_id) if task.workgroup_id is not None else None
        catalyst: Member | None = None
        if catalyst_id is not None:
            if catalyst_id not in cache:
                cache[catalyst_id] = await uow.members.get(catalyst_id)
            catalyst = cache[catalyst_id]
        if catalyst is not None and catalyst.is_active:
            found[task.id] = [catalyst]
        else:
            found[task.id] = list(ksz)
    return found


async def escalation_targets(uow: UnitOfWork) -> list[Member]:
    """The ST chair; the KSz when there is no chair."""
    chair = await uow.members.st_chair()
    if chair is not None and chair.is_active:
        return [chair]
    return [m for m in await uow.members.ksz() if m.is_active]


async def strategic_council(uow: UnitOfWork) -> list[Member]:
    """The active founders (the ST), who get the weekly digest."""
    return list(await uow.members.active(founders=True))


# --- the schedule's settings ---------------------------------------------------------------------

OVERRIDES_KEY = "workplan_schedule"
SINCE_KEY = "workplan_schedule_since"
SETTING_WORDS: dict[str, str] = {
    "jelenteskeres": "checkin", "jelentéskérés": "checkin", "checkin": "checkin",
    "bejelentkezes": "checkin", "bejelentkezés": "checkin",  # the word of version 0.1
    "emlekezteto": "reminders", "emlékeztető": "reminders", "emlekeztetok": "reminders",
    "emlékeztetők": "reminders", "reminders": "reminders",
    "ido": "time", "idő": "time", "idopont": "time", "időpont": "time", "time": "time",
    "eszkalacio": "escalation", "eszkaláció": "escalation", "escalation": "escalation",
    "heti": "weekly", "weekly": "weekly",
    "havi": "monthly", "monthly": "monthly",
}  # fmt: skip
RESET_WORDS = frozenset({"alap", "alapértelmezés", "alapertelmezes", "default", "reset"})
#: Which slot kind's start moves when a setting changes.
_SINCE_OF = {"checkin": "checkin", "weekly": "digest_weekly", "monthly": "digest_monthly"}


async def overrides(uow: UnitOfWork) -> dict[str, str]:
    """The KSz's changes to the schedule (raw values by setting)."""
    stored = await uow.cluster.get(OVERRIDES_KEY)
    return {k: str(v) for k, v in (stored or {}).items() if k in schedule.SETTINGS}


async def load_config(
    uow: UnitOfWork, defaults: Mapping[str, str]
) -> tuple[ScheduleConfig, dict[str, str]]:
    """The rules in force (override, else default) and the raw values behind them.

    A stored override that no longer reads (say the format changed) falls back to the default.
    """
    raw = dict(defaults)
    for key, value in (await overrides(uow)).items():
        try:
            raw[key] = schedule.check_value(key, value)
        except BadScheduleValue:
            continue
    return schedule.config_from(raw), raw


async def change_setting(
    uow: UnitOfWork, who: Standing, key_word: str, value: str, now: datetime
) -> tuple[str, str | None]:
    """The KSz changes (or, with ``alap``, resets) one schedule setting; returns key, value."""
    _check_editor(who)
    key = SETTING_WORDS.get(key_word.strip().casefold())
    if key is None:
        raise BadScheduleValue(clip(key_word.strip(), 40), "unknown_setting", clip(value, 40))
    current = await overrides(uow)
    if value.strip().casefold() in RESET_WORDS:
        current.pop(key, None)
        stored: str | None = None
    else:
        stored = schedule.check_value(key, value)
        current[key] = stored
    await uow.cluster.put(OVERRIDES_KEY, current)
    if key in _SINCE_OF:
        since = dict(await uow.cluster.get(SINCE_KEY) or {})
        since[_SINCE_OF[key]] = now.isoformat()
        await uow.cluster.put(SINCE_KEY, since)
    return key, stored


async def schedule_since(uow: UnitOfWork, now: datetime) -> dict[str, datetime]:
    """When each recurring kind started; the first call starts them all now."""
    stored = dict(await uow.cluster.get(SINCE_KEY) or {})
    missing = [k.value for k in schedule.PERIODIC if k.value not in stored]
    if missing:
        for kind in missing:
            stored[kind] = now.isoformat()
        await uow.cluster.put(SINCE_KEY, stored)
    return {k: datetime.fromisoformat(v) for k, v in stored.items()}


async def due_slots(
    uow: UnitOfWork, defaults: Mapping[str, str], now: datetime, tz: ZoneInfo
) -> list[schedule.Slot]:
    """The slots due now that have not gone out yet."""
    config, _ = await load_config(uow, defaults)
    since = await schedule_since(uow, now)
    tasks = [
        schedule.TaskInfo(t.id, t.deadline, t.is_open, t.created_at)
        for t in await uow.workplans.open_tasks()
    ]
    slots = schedule.due_slots(config, tasks, now, tz, since)
    sent = await uow.schedules.sent(s.key for s in slots)
    return [s for s in slots if s.key not in sent]


async def slot_sent(uow: UnitOfWork, slot: schedule.Slot) -> bool:
    """Whether the slot's message went out (was queued) already."""
    return await uow.schedules.is_sent(slot.key)


async def claim(uow: UnitOfWork, slot: schedule.Slot, now: datetime) -> bool:
    """Record the slot before its message goes out; False if it went out before."""
    return await uow.schedules.claim(slot.key, now)
