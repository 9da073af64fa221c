"""Work-plan helpers shared by the database and end-to-end tests."""

from __future__ import annotations

from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from storage.db import Database
from storage.models.workplan import Task


async def import_plan(db: Database, clock: FakeClock, data: str) -> list[Task]:
    """The 2027 plan from a CSV text, imported as the command line would."""
    async with db.unit() as uow:
        imported = await import_tasks(
            uow, parse_tasks_csv(data.encode()), CLI_ACTOR, clock.now(),
            period="2027", title="A KSz 2027. évi munkaterve",
        )  # fmt: skip
        return imported.tasks


async def task(db: Database, task_id: int) -> Task:
    """A task as stored now."""
    async with db.unit() as uow:
        found = await uow.workplans.task(task_id)
        assert found is not None
        return found
