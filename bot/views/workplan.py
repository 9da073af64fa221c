"""Work-plan texts and keyboards: the plan, a task and its history, check-ins, reminders,
digests, versions and the schedule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Feature, encode
from bot.i18n import N_, Phrase, Translator
from bot.services.collation import hu_sort_key
from bot.services.schedule import (
    BadScheduleValue,
    Monthly,
    ScheduleConfig,
    SlotKind,
    Weekly,
)
from bot.services.text import clip
from bot.services.workplan import (
    Filter,
    GroupSummary,
    NoPlan,
    NotResponsible,
    PlanImportFailed,
    PlanInputError,
    PlanLocked,
    PlanNotDraft,
    Report,
    Summary,
    TaskCancelled,
    TaskNotFound,
)
from bot.views.ballots import resolution_label
from bot.views.common import FIELDS, actor_label, field_label, nothing, register_error_text
from storage.models.ballots import Resolution
from storage.models.workplan import (
    PlanStatus,
    Task,
    TaskEvent,
    TaskStatus,
    WorkPlan,
    WorkPlanVersion,
)

BAR_WIDTH = 10
PERCENTS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
#: Tasks offered as buttons in one message (the rest: /elorehaladas with a number).
MAX_TASK_BUTTONS = 20
#: Short codes of the statuses in callback data.
STATUS_CODES = {s.value: s for s in TaskStatus}


# --- small pieces ------------------------------------------------------------------------------


def bar(progress: int) -> str:
    """``▓▓▓▓▓░░░░░ 50%``."""
    progress = max(0, min(100, progress))
    filled = round(progress / (100 / BAR_WIDTH))
    return "▓" * filled + "░" * (BAR_WIDTH - filled) + f" {progress}%"


def status_name(t: Translator, status: TaskStatus) -> str:
    """Tervezett, folyamatban, kész, késésben, felfüggesztve, törölve."""
    return {
        TaskStatus.PLANNED: t.pgettext("task status", "planned"),
        TaskStatus.IN_PROGRESS: t.pgettext("task status", "in progress"),
        TaskStatus.DONE: t.pgettext("task status", "done"),
        TaskStatus.LATE: t.pgettext("task status", "late"),
        TaskStatus.SUSPENDED: t.pgettext("task status", "suspended"),
        TaskStatus.CANCELLED: t.pgettext("task status", "cancelled"),
    }[status]


STATUS_MARKS = {
    TaskStatus.PLANNED: "○",
    TaskStatus.IN_PROGRESS: "◐",
    TaskStatus.DONE: "●",
    TaskStatus.LATE: "⚠",
    TaskStatus.SUSPENDED: "⏸",
    TaskStatus.CANCELLED: "✕",
}


def responsible_name(workgroup_id: int | None, names: Mapping[int, str]) -> str:
    """``KSz`` or the workgroup's name, escaped."""
    if workgroup_id is None:
        return "KSz"
    return escape(names.get(workgroup_id, "?"))


def plan_status_name(t: Translator, plan: WorkPlan) -> str:
    """Draft, before the General Assembly, or adopted."""
    if plan.status is PlanStatus.VOTING:
        return t.gettext("before the General Assembly (ballot #{id})").format(id=plan.ballot_id)
    if plan.status is PlanStatus.ADOPTED:
        return t.gettext("adopted")
    return t.gettext("draft")


def clock_time(at: time) -> str:
    """``9:00``."""
    return f"{at.hour}:{at.minute:02d}"


def task_count(t: Translator, n: int) -> str:
    """``5 feladat``."""
    return t.ngettext("{n} task", "{n} tasks", n).format(n=n)


# --- the plan --------------------------------------------------------------------------------


def plan_header(t: Translator, plan: WorkPlan, resolution: Resolution | None) -> list[str]:
    """Title, period, status, resolution and version."""
    lines = [
        t.gettext("<b>Work plan: {title}</b>").format(title=escape(plan.title)),
        t.gettext("Period: {period}").format(period=escape(plan.period)),
        t.gettext("Status: {status}").format(status=plan_status_name(t, plan)),
    ]
    if plan.status is PlanStatus.ADOPTED:
        if resolution is not None:
            lines.append(
                t.gettext("Adopted by resolution: {label}").format(
                    label=resolution_label(t, resolution)
                )
            )
        lines.append(t.gettext("Version: {n}").format(n=plan.version))
        if plan.version > 1 and plan.changed_at is not None:
            lines.append(t.gettext("Last changed: {date}").format(date=t.datetime(plan.changed_at)))
    return lines


def filter_words(t: Translator, wanted: Filter, names: Mapping[int, str]) -> str:
    """``Innováció · késésben``."""
    parts = []
    if wanted.responsible != "any":
        parts.append(responsible_name(wanted.responsible, names))  # type: ignore[arg-type]
    if wanted.status is not None:
        parts.append(status_name(t, wanted.status))
    return " · ".join(parts)


def task_lines(t: Translator, task: Task, names: Mapping[int, str]) -> list[str]:
    """A task in the plan: title and status, bar, responsible and deadline."""
    return [
        t.gettext("{mark} <b>#{id} {title}</b> · {status}").format(
            mark=STATUS_MARKS[task.status],
            id=task.id,
            title=escape(task.title),
            status=status_name(t, task.status),
        ),
        bar(task.progress),
        t.gettext("Responsible: {name} · Deadline: {date}").format(
            name=responsible_name(task.workgroup_id, names), date=t.date(task.deadline)
        ),
    ]


def plan_text(
    t: Translator,
    plan: WorkPlan,
    tasks: Sequence[Task],
    names: Mapping[int, str],
    resolution: Resolution | None,
    wanted: Filter,
    overall: int,
) -> str:
    """The plan with a progress bar per task (filtered)."""
    lines = plan_header(t, plan, resolution)
    if not wanted.is_empty:
        lines.append(t.gettext("Filter: {filter}").format(filter=filter_words(t, wanted, names)))
    lines.append(
        t.gettext("Progress: {bar} · {tasks}").format(
            bar=bar(overall), tasks=task_count(t, len(tasks))
        )
    )
    if not tasks:
        lines += ["", t.gettext("No task matches.")]
    for task in tasks:
        lines.append("")
        lines += task_lines(t, task, names)
    lines += [
        "",
        t.gettext("Details and history: {task} and the number, e.g. {task} 3").format(
            **t.commands("task")
        ),
    ]
    return "\n".join(lines)


def _filter_data(responsible: int | str | None, status: TaskStatus | None) -> str:
    who = "a" if responsible == "any" else ("k" if responsible is None else str(responsible))
    return encode(Feature.WORKPLAN, "f", who, status.value if status else "a")


def filter_keyboard(
    t: Translator, tasks: Sequence[Task], names: Mapping[int, str], wanted: Filter
) -> InlineKeyboardMarkup | None:
    """Buttons to filter by responsible and by status (those that occur in the plan)."""
    groups: list[int | None] = []
    for task in tasks:
        if task.workgroup_id not in groups:
            groups.append(task.workgroup_id)
    groups.sort(
        key=lambda g: (g is not None, hu_sort_key(names.get(g, "") if g is not None else ""))
    )
    statuses = [s for s in TaskStatus if any(task.status is s for task in tasks)]
    if len(groups) < 2 and len(statuses) < 2 and wanted.is_empty:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    who: list[InlineKeyboardButton] = [
        # "Mind": the whole plan again, every filter cleared
        InlineKeyboardButton(t.gettext("All"), callback_data=_filter_data("any", None))
    ]
    for group in groups:
        label = "KSz" if group is None else names.get(group, "?")
        who.append(
            InlineKeyboardButton(clip(label, 30), callback_data=_filter_data(group, wanted.status))
        )
    rows += [who[i : i + 3] for i in range(0, len(who), 3)]
    what = [
        InlineKeyboardButton(
            t.gettext("All statuses"), callback_data=_filter_data(wanted.responsible, None)
        )
    ]
    for status in statuses:
        what.append(
            InlineKeyboardButton(
                status_name(t, status), callback_data=_filter_data(wanted.responsible, status)
            )
        )
    rows += [what[i : i + 3] for i in range(0, len(what), 3)]
    return InlineKeyboardMarkup(rows)


#: There is no plan yet.
no_plan = Phrase(N_("There is no work plan yet."))


# --- a task and its history --------------------------------------------------------------------


def _value(t: Translator, name: str, value: str | None, names: Mapping[int, str]) -> str:
    if value is None:
        return nothing(t)
    if name == "status" and value in STATUS_CODES:
        return status_name(t, STATUS_CODES[value])
    if name == "progress":
        return f"{value}%"
    if name == "deadline":
        try:
            return t.date(date.fromisoformat(value))
        except ValueError:
            return escape(value)
    return "„" + escape(value) + "”" if name in ("title", "description") else escape(value)


#: The fields of a task and of a work-plan import.
TASK_FIELDS = {
    **FIELDS,
    "responsible": N_("responsible"),
    "status": N_("status"),
    "progress": N_("progress"),
    "note": N_("note"),
    "period": N_("period"),
    "field": N_("field"),
    "plan": N_("work plan"),
}


def field_name(t: Translator, name: str) -> str:
    """The translated name of a task field."""
    return field_label(t, name, TASK_FIELDS)


def event_line(t: Translator, event: TaskEvent, names: Mapping[int, str]) -> str:
    """``2026. november 30., 9:05 — Katalizátor Kálmán: készültség 40% → 60% („…”)``."""
    if event.field == "created":
        what = t.gettext("task created")
    else:
        what = field_change(t, event.field, event.old, event.new, names)
    line = t.gettext("{date} — {name}: {change}").format(
        date=t.datetime(event.at), name=escape(actor_label(t, event.actor_label)), change=what
    )
    if event.note:
        line += "\n    " + t.gettext("Note: {note}").format(note=escape(event.note))
    return line


def task_card(
    t: Translator,
    task: Task,
    names: Mapping[int, str],
    catalyst: str | None,
    events: Sequence[TaskEvent] = (),
) -> str:
    """A task with everything about it, and its history."""
    lines = [
        t.gettext("<b>#{id} {title}</b>").format(id=task.id, title=escape(task.title)),
        t.gettext("Work plan: {title}").format(title=escape(task.plan.title)),
    ]
    if task.description:
        lines += ["", escape(task.description), ""]
    lines.append(
        t.gettext("Responsible: {name}").format(name=responsible_name(task.workgroup_id, names))
    )
    if catalyst:
        lines.append(t.gettext("Catalyst: {name}").format(name=escape(catalyst)))
    lines += [
        t.gettext("Deadline: {date}").format(date=t.date(task.deadline)),
        t.gettext("Status: {status}").format(status=status_name(t, task.status)),
        t.gettext("Progress: {bar}").format(bar=bar(task.progress)),
    ]
    if events:
        lines += ["", t.gettext("<b>History</b>")]
        lines += [event_line(t, e, names) for e in events]
    return "\n".join(lines)


# --- reporting progress --------------------------------------------------------------------------


def task_button_label(task: Task) -> str:
    """``#12 Piackutatás · 40%`` (short enough for a button)."""
    title = clip(task.title, 32)
    return f"#{task.id} {title} · {task.progress}%"


def task_buttons(tasks: Sequence[Task]) -> InlineKeyboardMarkup | None:
    """One button per task: pressing it asks for the percentage."""
    if not tasks:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    task_button_label(task), callback_data=encode(Feature.PROGRESS, "t", task.id)
                )
            ]
            for task in tasks[:MAX_TASK_BUTTONS]
        ]
    )


def progress_keyboard(task: Task) -> InlineKeyboardMarkup:
    """0%, 10%, ... 100% for the task (the current value marked)."""
    buttons = [
        InlineKeyboardButton(
            ("• " if p == task.progress else "") + f"{p}%",
            callback_data=encode(Feature.PROGRESS, "s", task.id, p),
        )
        for p in PERCENTS
    ]
    return InlineKeyboardMarkup([buttons[0:4], buttons[4:8], buttons[8:]])


def choose_percent(t: Translator, task: Task, names: Mapping[int, str]) -> str:
    """The question after a task was chosen."""
    return "\n".join(
        [
            *task_lines(t, task, names),
            "",
            t.gettext("How far along is this task? Choose the percentage."),
        ]
    )


def progress_line(t: Translator, task: Task) -> str:
    """``#12 Piackutatás · ▓▓▓▓░░░░░░ 40% · Határidő: 2026. december 8.``"""
    return t.gettext("#{id} {title} · {bar} · Deadline: {date}").format(
        id=task.id, title=escape(task.title), bar=bar(task.progress), date=t.date(task.deadline)
    )


def my_tasks(t: Translator, tasks: Sequence[Task], names: Mapping[int, str]) -> str:
    """The caller's open tasks, to report on."""
    if not tasks:
        return t.gettext(
            "You have no open task to report on. The KSz can report on any task: "
            "<code>{progress} 12 60 note</code>."
        ).format(**t.commands("progress"))
    lines = [t.gettext("<b>Your open tasks</b>"), t.gettext("Choose a task to report on.")]
    lines += [progress_line(t, task) for task in tasks]
    if len(tasks) > MAX_TASK_BUTTONS:
        lines.append(
            t.gettext("More tasks: <code>{progress} 12 60 note</code>.").format(
                **t.commands("progress")
            )
        )
    return "\n".join(lines)


def report_saved(t: Translator, report: Report) -> str:
    """After a progress report."""
    task = report.task
    lines = [
        t.gettext("Progress recorded: #{id} {title}").format(id=task.id, title=escape(task.title)),
        t.gettext("{old}% → {bar}").format(old=report.old_progress, bar=bar(task.progress)),
        t.gettext("Status: {status}").format(status=status_name(t, task.status)),
    ]
    if report.event.note:
        lines.append(t.gettext("Note: {note}").format(note=escape(report.event.note)))
    return "\n".join(lines)


def note_keyboard(t: Translator, event: TaskEvent) -> InlineKeyboardMarkup:
    """Offer to add a note to a report made with buttons."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Add a note"),
                    callback_data=encode(Feature.PROGRESS_NOTE, "n", event.id),
                )
            ]
        ]
    )


def note_prompt(t: Translator) -> str:
    """Asking for the note."""
    return t.gettext(
        "Write the note in one message (at most 500 characters). {cancel} cancels."
    ).format(**t.commands("cancel"))


#: The note is saved.
note_saved = Phrase(N_("Note saved."))


# --- scheduled messages --------------------------------------------------------------------------


def checkin_text(t: Translator, tasks: Sequence[Task], names: Mapping[int, str]) -> str:
    """The weekly check-in: the person's open tasks, each a button."""
    lines = [
        t.gettext("<b>Weekly check-in: work plan</b>"),
        t.gettext(
            "These open tasks are yours. Please report how far along they are: press a task."
        ),
        "",
    ]
    lines += [progress_line(t, task) for task in tasks]
    return "\n".join(lines)


def days_left(t: Translator, deadline: date, today: date) -> str:
    """``3 nap múlva`` / ``ma``."""
    days = (deadline - today).days
    if days <= 0:
        return t.gettext("today")
    return t.ngettext("in {n} day", "in {n} days", days).format(n=days)


def reminder_text(t: Translator, task: Task, names: Mapping[int, str], today: date) -> str:
    """A deadline is coming."""
    return "\n".join(
        [
            t.gettext("<b>Reminder: a deadline is coming ({when})</b>").format(
                when=days_left(t, task.deadline, today)
            ),
            "",
            *task_lines(t, task, names),
            "",
            t.gettext("Please report the progress with the buttons below."),
        ]
    )


def overdue_text(t: Translator, task: Task, names: Mapping[int, str]) -> str:
    """The deadline has passed."""
    return "\n".join(
        [
            t.gettext("<b>Overdue: the deadline of this task has passed</b>"),
            "",
            *task_lines(t, task, names),
            "",
            t.gettext(
                "Please report the progress, or ask the KSz to change the deadline. "
                "If it stays overdue, the ST chair is told."
            ),
        ]
    )


def escalation_text(
    t: Translator, task: Task, names: Mapping[int, str], today: date, responsible: Sequence[str]
) -> str:
    """To the ST chair: a task stays overdue."""
    late = (today - task.deadline).days
    lines = [
        t.gettext("<b>Escalation: a work-plan task is overdue</b>"),
        t.ngettext("Overdue for {n} day.", "Overdue for {n} days.", late).format(n=late),
        "",
        *task_lines(t, task, names),
    ]
    if responsible:
        lines.append(
            t.gettext("Responsible people: {names}").format(
                names=", ".join(escape(n) for n in responsible)
            )
        )
    lines += ["", t.gettext("Details: {task} {id}").format(id=task.id, **t.commands("task"))]
    return "\n".join(lines)


def group_line(group: GroupSummary) -> str:
    """``Innováció ▓▓▓▓░░░░░░ 43%``."""
    return f"{escape(group.name)} {bar(group.average)}"


def digest_title(t: Translator, kind: SlotKind) -> str:
    """Weekly (to the ST) or monthly (to every member)."""
    if kind is SlotKind.MONTHLY_DIGEST:
        return t.gettext("Monthly work-plan report")
    return t.gettext("Weekly work-plan report for the Strategic Council")


def digest_caption(t: Translator, summary: Summary, kind: SlotKind) -> str:
    """The short text under the chart (well under Telegram's 1024 characters)."""
    plan = summary.plan
    counts = summary.counts
    lines = [
        f"<b>{digest_title(t, kind)}</b>",
        t.gettext("Work plan: {title}").format(title=escape(clip(plan.title, 100))),
        t.gettext("Progress: {bar} · {tasks}").format(
            bar=bar(summary.average), tasks=task_count(t, len(summary.tasks))
        ),
        " · ".join(f"{status_name(t, s)}: {counts[s]}" for s in TaskStatus if counts.get(s)),
    ]
    return "\n".join(lines)


def digest_task_line(t: Translator, task: Task, names: Mapping[int, str]) -> str:
    """A late or coming task in the digest."""
    return t.gettext("#{id} {title} · {progress}% · Responsible: {name} · Deadline: {date}").format(
        id=task.id,
        title=escape(task.title),
        progress=task.progress,
        name=responsible_name(task.workgroup_id, names),
        date=t.date(task.deadline),
    )


def digest_text(
    t: Translator, summary: Summary, kind: SlotKind, resolution: Resolution | None, today: date
) -> str:
    """The full summary that follows the chart."""
    lines = [*plan_header(t, summary.plan, resolution), ""]
    lines.append(
        t.gettext("Progress: {bar} · {tasks}").format(
            bar=bar(summary.average), tasks=task_count(t, len(summary.tasks))
        )
    )
    if summary.groups:
        lines += ["", t.gettext("<b>Progress by owner</b>")]
        for group in summary.groups:
            extra = t.gettext("{tasks}, done: {done}, late: {late}").format(
                tasks=task_count(t, group.tasks), done=group.done, late=group.late
            )
            lines.append(f"{group_line(group)} ({extra})")
    if summary.late:
        lines += ["", t.gettext("<b>Late</b>")]
        for task in summary.late:
            lines.append(digest_task_line(t, task, summary.names))
    if summary.upcoming:
        lines += ["", t.gettext("<b>Deadlines in the next two weeks</b>")]
        for task in summary.upcoming:
            lines.append(digest_task_line(t, task, summary.names))
    lines += ["", t.gettext("The whole plan: {workplan}").format(**t.commands("workplan"))]
    return "\n".join(lines)


# --- versions ------------------------------------------------------------------------------------


def change_line(t: Translator, change: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """One change of a version."""
    name = str(change.get("field", ""))
    if name == "adopted":
        return t.gettext("adopted by the General Assembly")
    if name == "created":
        return t.gettext("new task #{id}: {title}").format(
            id=change.get("task"), title=escape(str(change.get("new", "")))
        )
    return t.gettext("#{id} {change}").format(
        id=change.get("task"),
        change=field_change(t, name, change.get("old"), change.get("new"), names),
    )


def field_change(
    t: Translator, name: str, old: str | None, new: str | None, names: Mapping[int, str]
) -> str:
    """``határidő: 2026. december 31. → 2027. január 31.``."""
    return t.gettext("{field}: {old} → {new}").format(
        field=field_name(t, name), old=_value(t, name, old, names), new=_value(t, name, new, names)
    )


def versions_text(
    t: Translator,
    plan: WorkPlan,
    versions: Sequence[WorkPlanVersion],
    resolutions: Mapping[int, Resolution],
    names: Mapping[int, str],
) -> str:
    """Every version of the plan, with what changed."""
    lines = [
        t.gettext("<b>Versions of the work plan: {title}</b>").format(title=escape(plan.title))
    ]
    if not versions:
        lines.append(t.gettext("The plan has not been adopted yet, so it has no versions."))
    for version in versions:
        lines.append("")
        lines.append(
            t.gettext("<b>Version {n}</b> · {date} · {name}").format(
                n=version.number,
                date=t.datetime(version.created_at),
                name=escape(actor_label(t, version.actor_label)),
            )
        )
        resolution = resolutions.get(version.resolution_id or -1)
        if version.number == 1 and resolution is not None:
            lines.append(
                t.gettext("Adopted by resolution: {label}").format(
                    label=resolution_label(t, resolution)
                )
            )
        for change in version.changes:
            if change.get("field") == "adopted" and resolution is not None:
                continue
            lines.append("• " + change_line(t, change, names))
        lines.append(task_count(t, len(version.snapshot)))
    return "\n".join(lines)


# --- the schedule --------------------------------------------------------------------------------


def weekly_words(t: Translator, rule: Weekly | None) -> str:
    """``hétfő 9:00`` or ``ki``."""
    if rule is None:
        return t.gettext("off")
    return t.gettext("{weekday} {time}").format(
        weekday=t.weekday(rule.weekday), time=clock_time(rule.at)
    )


def monthly_words(t: Translator, rule: Monthly | None) -> str:
    """``minden hónap 1. napja, 8:00``."""
    if rule is None:
        return t.gettext("off")
    return t.gettext("day {day} of every month, {time}").format(
        day=rule.day, time=clock_time(rule.at)
    )


def schedule_text(
    t: Translator,
    config: ScheduleConfig,
    overridden: set[str],
    upcoming: Mapping[SlotKind, datetime],
    tz_name: str,
) -> str:
    """The schedule in force, what the KSz changed, and when the next ones are due."""

    def mark(key: str) -> str:
        return " " + t.gettext("(changed by the KSz)") if key in overridden else ""

    days = "; ".join(str(d) for d in config.reminder_days) if config.reminder_days else ""
    lines = [
        t.gettext("<b>Work-plan schedule</b> ({zone} time)").format(zone=escape(tz_name)),
        "",
        t.gettext("Weekly check-in to those responsible: {when}").format(
            when=weekly_words(t, config.checkin)
        )
        + mark("checkin"),
        (
            t.gettext("Reminders before a deadline, days: {days}").format(days=days)
            if days
            else t.gettext("Reminders before a deadline: off")
        )
        + mark("reminders"),
        t.gettext("Time of reminders and alerts: {time}").format(time=clock_time(config.alert_time))
        + mark("time"),
        t.gettext("Overdue alert: the day after the deadline"),
        (
            t.ngettext(
                "To the ST chair: {n} day after the overdue alert",
                "To the ST chair: {n} days after the overdue alert",
                config.escalation_days,
            ).format(n=config.escalation_days)
            if config.escalation_days
            else t.gettext("To the ST chair: off")
        )
        + mark("escalation"),
        t.gettext("Weekly report to the ST: {when}").format(
            when=weekly_words(t, config.weekly_digest)
        )
        + mark("weekly"),
        t.gettext("Monthly report to every member: {when}").format(
            when=monthly_words(t, config.monthly_digest)
        )
        + mark("monthly"),
    ]
    names = {
        SlotKind.CHECKIN: t.gettext("Next check-in: {date}"),
        SlotKind.WEEKLY_DIGEST: t.gettext("Next weekly report: {date}"),
        SlotKind.MONTHLY_DIGEST: t.gettext("Next monthly report: {date}"),
    }
    if upcoming:
        lines.append("")
        for kind, at in upcoming.items():
            lines.append(names[kind].format(date=t.datetime(at)))
    lines += [
        "",
        t.gettext(
            "To change one: <code>{schedule} weekly FRI 14:00</code>. Settings: "
            "<code>checkin</code> (MON 9:00), <code>reminders</code> (7, 1), "
            "<code>time</code> (9:00), <code>escalation</code> (7), <code>weekly</code> "
            "(MON 8:00), <code>monthly</code> (1 8:00); <code>off</code> turns one off, "
            "<code>default</code> restores the default."
        ).format(**t.commands("schedule")),
    ]
    return "\n".join(lines)


def setting_name(t: Translator, key: str) -> str:
    """A schedule setting as the KSz knows it (``weekly`` → "heti összefoglaló")."""
    return {
        "checkin": t.pgettext("schedule setting", "weekly progress request"),
        "reminders": t.pgettext("schedule setting", "deadline reminders"),
        "time": t.pgettext("schedule setting", "time of the daily messages"),
        "escalation": t.pgettext("schedule setting", "escalation"),
        "weekly": t.pgettext("schedule setting", "weekly report"),
        "monthly": t.pgettext("schedule setting", "monthly report"),
    }.get(key, escape(key))


def setting_changed(t: Translator, key: str, value: str | None) -> str:
    """After the KSz changed a setting."""
    if value is None:
        return t.gettext("Restored to the default: {setting}").format(setting=setting_name(t, key))
    return t.gettext("Changed: {setting}: {value}").format(
        setting=setting_name(t, key), value=escape(value)
    )


# --- the vote ------------------------------------------------------------------------------------

QUESTION_LIMIT = 1400


def vote_question(
    t: Translator, plan: WorkPlan, tasks: Sequence[Task], names: Mapping[int, str]
) -> str:
    """The question of the Közgyűlés ballot: it names the plan and lists its tasks."""
    head = t.gettext("Does the General Assembly adopt the work plan „{title}” ({period})?").format(
        title=plan.title, period=plan.period
    )
    lines = [head, "", t.gettext("Tasks:")]
    used = sum(len(line) + 1 for line in lines)
    for number, task in enumerate(tasks, start=1):
        line = t.gettext("{n}. {title} — Responsible: {name} — Deadline: {date}").format(
            n=number,
            title=task.title,
            name="KSz" if task.workgroup_id is None else names.get(task.workgroup_id, "?"),
            date=t.date(task.deadline),
        )
        if used + len(line) + 1 > QUESTION_LIMIT:
            more = len(tasks) - number + 1
            lines.append(
                t.ngettext(
                    "… and {n} more task (see {workplan}).",
                    "… and {n} more tasks (see {workplan}).",
                    more,
                ).format(n=more, **t.commands("workplan"))
            )
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


# --- errors --------------------------------------------------------------------------------------


#: A second plan for a period that has one.
PLAN_EXISTS = Phrase(N_("There is already a work plan for this period ({period})."))


def describe_plan_input(t: Translator, err: PlanInputError) -> str:
    """One invalid work-plan value, in words."""
    if (err.field, err.reason) == ("period", "duplicate"):
        return PLAN_EXISTS(t, period=err.value)
    label = field_name(t, err.field)
    value = escape(err.value)
    reasons = {
        "empty": t.gettext("{field}: this is required."),
        "too_long": t.gettext("{field}: at most {limit} characters."),
        "control_chars": t.gettext("{field}: contains invisible control characters."),
        "not_a_number": t.gettext(
            "{field}: „{value}” is not a number. Give a whole percentage from 0 to 100."
        ),
        "out_of_range": t.gettext(
            "{field}: „{value}” is out of range. Give a whole percentage from 0 to 100."
        ),
        "bad_date": t.gettext("{field}: „{value}” is not a date. Write it like 2026.12.31."),
        "impossible_date": t.gettext("{field}: „{value}” is not a real date."),
        "unknown_status": t.gettext(
            "{field}: „{value}” is unknown. Use planned, in progress, done, late, suspended "
            "or cancelled."
        ),
        "unknown_workgroup": t.gettext(
            "{field}: no workgroup is called „{value}”. Use KSz or a workgroup's name."
        ),
        "duplicate": t.gettext("{field}: „{value}” appears more than once."),
        "exists": t.gettext("{field}: the plan already has a task called „{value}”."),
        "missing_column": t.gettext("{field}: the column is missing."),
        "not_utf8": t.gettext("{field}: not a UTF-8 text file."),
        "too_many_rows": t.gettext("{field}: at most {limit} rows."),
        "no_rows": t.gettext("{field}: there is no task in it."),
        "done_not_100": t.gettext("{field}: a task that is done is at 100%, not {value}%."),
        "full_not_done": t.gettext("{field}: at 100%, a task is done, not „{value}”."),
        "unknown_field": t.gettext(
            "{field}: „{value}” cannot be changed. Use title, description, responsible, "
            "deadline or status."
        ),
        "no_tasks": t.gettext("{field}: add tasks before putting it to the vote."),
    }
    text = reasons.get(err.reason, t.gettext("{field}: invalid value.")).format(
        field=label, value=value, limit=err.limit
    )
    if err.row is not None:
        return t.gettext("Row {row}: {problem}").format(row=err.row, problem=text)
    return text


def describe_import(t: Translator, err: PlanImportFailed) -> str:
    """Every problem of a file, row by row."""
    return "\n".join(
        [
            t.gettext("Nothing was imported. Problems:"),
            *(describe_plan_input(t, e) for e in err.errors),
        ]
    )


def describe_schedule(t: Translator, err: BadScheduleValue) -> str:
    """A schedule value that cannot be read."""
    if err.reason == "unknown_setting":
        return t.gettext(
            "Unknown setting: „{value}”. Use checkin, reminders, time, escalation, weekly or "
            "monthly."
        ).format(value=escape(err.setting))
    hints = {
        "checkin": t.gettext("a weekday and a time, e.g. MON 9:00 (or off)"),
        "weekly": t.gettext("a weekday and a time, e.g. MON 8:00 (or off)"),
        "monthly": t.gettext("a day of the month and a time, e.g. 1 8:00 (or off)"),
        "reminders": t.gettext("days before the deadline, e.g. 7, 1 (or off)"),
        "time": t.gettext("a time of day, e.g. 9:00"),
        "escalation": t.gettext("days after the overdue alert, e.g. 7 (or off)"),
    }
    return t.gettext("„{value}” cannot be read. Expected: {hint}.").format(
        value=escape(err.value), hint=hints.get(err.setting, "")
    )


register_error_text(PlanInputError, describe_plan_input)
register_error_text(PlanImportFailed, describe_import)
register_error_text(BadScheduleValue, describe_schedule)
register_error_text(
    TaskNotFound,
    lambda t, e: t.gettext("There is no task #{id}. {workplan} lists the tasks.").format(
        id=escape(e.key), **t.commands("workplan")
    ),
)
register_error_text(NoPlan, lambda t, e: no_plan(t))
register_error_text(
    NotResponsible,
    lambda t, e: t.gettext("Sorry, only {who} can do this.").format(
        who=t.gettext("the task's catalyst and the KSz")
        if e.task_id is not None
        else t.gettext("catalysts and the KSz, for the tasks they answer for")
    ),
)
register_error_text(
    PlanLocked,
    lambda t, e: t.gettext(
        "The plan is before the General Assembly (ballot #{id}); it cannot change until the "
        "ballot closes."
    ).format(id=e.ballot_id),
)
register_error_text(
    PlanNotDraft,
    lambda t, e: t.gettext(
        "Only a draft plan can be put to the vote; this one is already adopted or before the "
        "General Assembly."
    ),
)
register_error_text(
    TaskCancelled,
    lambda t, e: t.gettext("Task #{id} is cancelled; it takes no progress reports.").format(
        id=e.task_id
    ),
)


def deadline_warnings(t: Translator, concerns: Sequence[str], task: Task, period: str) -> list[str]:
    """Warnings about a deadline that was accepted but looks wrong, with how to fix it."""
    lines = []
    if "past" in concerns:
        lines.append(
            t.gettext("⚠️ The deadline {date} has already passed.").format(
                date=t.date(task.deadline)
            )
        )
    if "outside_period" in concerns:
        lines.append(
            t.gettext("⚠️ The deadline {date} is not in the plan's period: {period}.").format(
                date=t.date(task.deadline), period=escape(period)
            )
        )
    if lines:
        lines.append(
            t.gettext(
                "If it is a mistake: <code>{edittask} {id} deadline 2027.01.31</code>"
            ).format(id=task.id, **t.commands("edittask"))
        )
    return lines


def put_to_vote(t: Translator, ballot_id: int, deadline: datetime) -> str:
    """The plan went to the Közgyűlés."""
    return t.gettext(
        "The work plan is put to the General Assembly: ballot #{id}, deadline {date}. "
        "Until it closes the plan cannot change."
    ).format(id=ballot_id, date=t.datetime(deadline))


def default_title(t: Translator, period: str) -> str:
    """The title of a plan created without one."""
    return t.gettext("Work plan {period}").format(period=period)


def plan_created(t: Translator, plan: WorkPlan) -> str:
    return t.gettext(
        "Draft work plan created: {title} ({period}). Add tasks with {newtask}, or import "
        "a CSV file with <code>klaszterbot workplan import</code>."
    ).format(title=escape(plan.title), period=escape(plan.period), **t.commands("newtask"))


task_added = Phrase(N_("Task added to the plan:"))


#: A change of the adopted plan made a new version.
new_version = Phrase(N_("The adopted plan now has version {n}."))


nothing_changed = Phrase(N_("Nothing changed: the value is the same."))


def task_changed(
    t: Translator,
    task: Task,
    field: str,
    old: str | None,
    new: str | None,
    names: Mapping[int, str],
) -> str:
    return t.gettext("Task #{id} changed: {change}").format(
        id=task.id, change=field_change(t, field, old, new, names)
    )


progress_recorded = Phrase(N_("Progress recorded."))
