"""`klaszterbot workplan ...`: the work plan from the command line (import a CSV, list it)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli.common import clock_now, plain, read_input, report, with_db
from bot.i18n import Translations
from bot.services.errors import DomainError
from bot.services.identity import CLI_ACTOR
from bot.services.workplan import deadline_concerns
from bot.services.workplan_import import Imported, import_tasks, parse_tasks_csv
from bot.settings import Settings
from bot.views import workplan as views  # registers the work plan's error texts
from storage.db import UnitOfWork
from storage.migrate import upgrade

_CONCERNS = {
    "past": "already passed",
    "outside_period": "not in the plan's period",
}


def cmd_workplan_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import tasks from a CSV file; a file with any error imports nothing."""
    rows = read_input(settings, Path(args.file), parse_tasks_csv)
    if isinstance(rows, int):
        return rows
    upgrade(settings.database_url)
    t = Translations(settings.bot_default_locale, settings.tz).get(None)
    title = args.title or (
        t.gettext("Work plan {period}").format(period=args.period) if args.period else None
    )

    async def apply(uow: UnitOfWork) -> Imported:
        return await import_tasks(
            uow, rows, CLI_ACTOR, clock_now(), period=args.period, title=title
        )

    try:
        imported = asyncio.run(with_db(settings, apply))
    except DomainError as exc:
        return report(settings, exc)
    plan = imported.plan
    today = clock_now().astimezone(settings.tz).date()
    if imported.created_plan:
        print(f"created work plan: {plan.title} ({plan.period})")
    for task in imported.tasks:
        print(f"  #{task.id} {task.title} [{task.deadline.isoformat()}, {task.status.value}]")
        for concern in deadline_concerns(plan.period, task.deadline, today):
            print(
                f"  warning: #{task.id} deadline {task.deadline.isoformat()}: {_CONCERNS[concern]}"
            )
    print(f"imported {len(imported.tasks)} task(s) into {plan.title} ({plan.period})")
    if plan.status.value == "adopted":
        print(f"the adopted plan is now at version {plan.version}")
    return 0


def cmd_workplan_show(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the current plan with its progress bars."""
    upgrade(settings.database_url)
    t = Translations(settings.bot_default_locale, settings.tz).get(None)

    async def apply(uow: UnitOfWork) -> str:
        from bot.services import workplan

        repo = uow.workplans
        plan = await workplan.current_plan(uow)
        tasks = list(await repo.tasks(plan.id))
        return views.plan_text(
            t, plan, tasks, await repo.workgroup_names(), await repo.resolution(plan.resolution_id),
            workplan.Filter(), workplan.average(tasks),
        )  # fmt: skip

    try:
        print(plain(asyncio.run(with_db(settings, apply))))
    except DomainError as exc:
        return report(settings, exc)
    return 0


def add_parsers(sub: Any) -> None:
    """Add ``workplan`` to the main parser."""
    plan = sub.add_parser("workplan", help="the work plan (munkaterv)")
    psub = plan.add_subparsers(dest="workplan_command", required=True)
    imp = psub.add_parser(
        "import", help="add tasks from a CSV file (see the README); any error imports nothing"
    )
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument(
        "--period", help="the plan's period, e.g. 2027 (created if missing; default: current plan)"
    )
    imp.add_argument("--title", help="title of a plan created by this import")
    imp.set_defaults(func=cmd_workplan_import)
    psub.add_parser("show", help="print the current plan").set_defaults(func=cmd_workplan_show)
