"""Work-plan tasks from a CSV file: every row checked first, then all added in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services.identity import Actor
from bot.services.text import clip, csv_reader
from bot.services.workplan import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    PlanImportFailed,
    PlanInputError,
    TaskSpec,
    add_tasks,
    clean,
    create_plan,
    parse_deadline,
    parse_progress,
    parse_status,
    resolve_responsible,
)
from storage.db import UnitOfWork
from storage.models.workplan import Task, TaskStatus, WorkPlan
from storage.repositories import name_key

MAX_ROWS = 2000

#: Column names (Hungarian or English) and the field each one fills.
COLUMNS: dict[str, str] = {
    "title": "title", "cím": "title", "cim": "title", "feladat": "title",
    "description": "description", "leírás": "description", "leiras": "description",
    "responsible": "responsible", "felelős": "responsible", "felelos": "responsible",
    "deadline": "deadline", "határidő": "deadline", "hatarido": "deadline",
    "status": "status", "állapot": "status", "allapot": "status",
    "progress": "progress", "készültség": "progress", "keszultseg": "progress",
}  # fmt: skip
REQUIRED = ("title", "responsible", "deadline")


@dataclass
class TaskRow:
    """One row that passed the format checks (the workgroup is checked against the database)."""

    row: int
    title: str
    description: str
    responsible: str
    deadline: date
    status: TaskStatus
    progress: int


def _status_and_progress(
    status_text: str, progress_text: str, row: int, errors: list[PlanInputError]
) -> tuple[TaskStatus, int]:
    progress = 0
    if progress_text.strip():
        try:
            progress = parse_progress(progress_text, row)
        except PlanInputError as exc:
            errors.append(exc)
    if not status_text.strip():
        if progress == 100:
            return TaskStatus.DONE, progress
        return (TaskStatus.IN_PROGRESS if progress else TaskStatus.PLANNED), progress
    try:
        status = parse_status(status_text, row)
    except PlanInputError as exc:
        errors.append(exc)
        return TaskStatus.PLANNED, progress
    if status is TaskStatus.DONE and progress_text.strip() and progress != 100:
        errors.append(PlanInputError("progress", "done_not_100", progress_text.strip(), row=row))
    if status is TaskStatus.DONE:
        progress = 100
    elif progress == 100:
        errors.append(PlanInputError("status", "full_not_done", status_text.strip(), row=row))
    return status, progress


def parse_tasks_csv(data: bytes) -> list[TaskRow]:
    """Check every row's format; raise PlanImportFailed listing each problem, or return rows."""
    reader = csv_reader(data, lambda name: COLUMNS.get(name, name))
    if reader is None:
        raise PlanImportFailed([PlanInputError("file", "not_utf8")])
    header = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise PlanImportFailed([PlanInputError(c, "missing_column", row=1) for c in missing])
    errors: list[PlanInputError] = []
    rows: list[TaskRow] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            errors.append(PlanInputError("file", "too_many_rows", row=line, limit=MAX_ROWS))
            break
        values = {k: (v or "") for k, v in record.items() if isinstance(k, str)}
        if not any(v.strip() for v in values.values()):
            continue
        row_errors: list[PlanInputError] = []
        title = description = ""
        deadline: date | None = None
        try:
            title = clean(values.get("title", ""), "title", TITLE_MAX, row=line)
        except PlanInputError as exc:
            row_errors.append(exc)
        if title and name_key(title) in seen:
            row_errors.append(PlanInputError("title", "duplicate", clip(title, 60), row=line))
        seen.setdefault(name_key(title), line)
        try:
            description = clean(
                values.get("description", ""), "description", DESCRIPTION_MAX,
                required=False, row=line,
            )  # fmt: skip
        except PlanInputError as exc:
            row_errors.append(exc)
        responsible = " ".join(values.get("responsible", "").split())
        if not responsible:
            row_errors.append(PlanInputError("responsible", "empty", row=line))
        try:
            deadline = parse_deadline(values.get("deadline", ""), line)
        except PlanInputError as exc:
            row_errors.append(exc)
        status, progress = _status_and_progress(
            values.get("status", ""), values.get("progress", ""), line, row_errors
        )
        errors.extend(row_errors)
        if not row_errors and deadline is not None:
            rows.append(TaskRow(line, title, description, responsible, deadline, status, progress))
    if not rows and not errors:
        errors.append(PlanInputError("file", "no_rows"))
    if errors:
        raise PlanImportFailed(errors)
    return rows


@dataclass
class Imported:
    """What an import did."""

    plan: WorkPlan
    tasks: list[Task]
    created_plan: bool


async def import_tasks(
    uow: UnitOfWork,
    rows: list[TaskRow],
    actor: Actor,
    now: datetime,
    *,
    period: str | None = None,
    title: str | None = None,
) -> Imported:
    """Add the rows to the plan of ``period`` (created if missing) or to the current plan.

    Any problem (an unknown workgroup, a title the plan already has) raises PlanImportFailed
    before anything is added; the caller's unit of work then commits nothing.
    """
    repo = uow.workplans
    plan = await repo.by_period(period.strip()) if period else await repo.current_plan()
    created = False
    if plan is None:
        if not period:
            raise PlanImportFailed([PlanInputError("period", "empty")])
        plan = await create_plan(uow, period, title or f"Munkaterv {period.strip()}", actor, now)
        created = True
    existing = {name_key(t.title) for t in await repo.tasks(plan.id)}
    errors: list[PlanInputError] = []
    specs: list[TaskSpec] = []
    for row in rows:
        try:
            group = await resolve_responsible(uow, row.responsible, row.row)
        except PlanInputError as exc:
            errors.append(exc)
            continue
        if name_key(row.title) in existing:
            errors.append(PlanInputError("title", "exists", clip(row.title, 60), row=row.row))
            continue
        specs.append(
            TaskSpec(row.title, group, row.deadline, row.description, row.status, row.progress)
        )
    if errors:
        raise PlanImportFailed(errors)
    tasks = await add_tasks(uow, plan, specs, actor, now)
    return Imported(plan, tasks, created)
