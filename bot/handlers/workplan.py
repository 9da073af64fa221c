"""The work plan: /munkaterv, progress reports, the KSz's editing, the Közgyűlés vote, and the
schedule (check-ins, deadline reminders, overdue alerts, escalations, digests with a chart).

The schedule runs on one recurring job, ``workplan:tick``: every minute it asks
``services.workplan.due_slots`` what is due at ``clock.now()`` and sends it. A slot's key is
recorded (committed) before its message goes out, so nothing is sent twice, even across
restarts; ``startup`` runs a tick at once, which sends what fell due while the bot was down.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ConversationHandler,
)

from bot import dialogues
from bot.access import add_buttons, add_commands, add_conversation, on_buttons, on_text
from bot.callbacks import Feature, decode, pattern
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext, UserData
from bot.delivery import edit_from_button, edit_unless_unmodified, reply_parts
from bot.i18n import N_
from bot.jobs import ballots as ballot_jobs
from bot.services import ballots, schedule, workplan
from bot.services.ballots import BallotDraft
from bot.services.errors import InvalidInput
from bot.services.identity import Actor
from bot.services.roles import Permission
from bot.services.workplan import Filter
from bot.views import ballots as ballot_views
from bot.views import dialogues as dialogue_views
from bot.views import workplan as views
from bot.views.split import split_lines
from storage.models.ballots import Body, Majority, QuorumRule
from storage.models.workplan import Task, TaskStatus

log = logging.getLogger(__name__)

NOTE = 40
VOTE_DAYS = 8


def _today(context: BotContext) -> date:
    return context.clock.now().astimezone(context.settings.tz).date()


async def _reply_long(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    await reply_parts(message.get_bot(), message.chat_id, text, keyboard)


def _args_text(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# --- reading the plan ------------------------------------------------------------------------


async def _show_plan(
    context: BotContext, wanted: Filter
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        repo = uow.workplans
        plan = await workplan.current_plan(uow)
        every = list(await repo.tasks(plan.id))
        shown = await workplan.filtered_tasks(uow, plan, wanted)
        names = await repo.workgroup_names()
        resolution = await repo.resolution(plan.resolution_id)
    t = context.t
    text = views.plan_text(t, plan, shown, names, resolution, wanted, workplan.average(shown))
    return text, views.filter_keyboard(t, every, names, wanted)


async def cmd_workplan(update: Update, context: BotContext) -> None:
    """The current plan with progress bars; words after the command filter it."""
    message = update.effective_message
    assert message is not None
    async with context.db.unit() as uow:
        wanted = await workplan.parse_filter(uow, context.args or [])
    text, keyboard = await _show_plan(context, wanted)
    await _reply_long(message, text, keyboard)


async def cb_filter(update: Update, context: BotContext) -> None:
    """A filter button under the plan."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    data = decode(query.data, Feature.WORKPLAN, {"f"})
    who = data.args[0] if data.args else ""
    responsible: int | str | None
    if who == "a":
        responsible = "any"
    elif who == "k":
        responsible = None
    else:
        responsible = data.int_arg(0)
    status_code = data.arg(1, {"a", *views.STATUS_CODES})
    wanted = Filter(responsible, None if status_code == "a" else TaskStatus(status_code))
    text, keyboard = await _show_plan(context, wanted)
    await query.answer()
    parts = split_lines(text)
    if len(parts) == 1:  # the plan under the buttons changes in place
        await edit_from_button(update, text, keyboard)
        return
    await reply_parts(context.bot, update.effective_chat.id, text, keyboard)


async def _catalyst_name(uow: Any, task: Task) -> str | None:
    if task.workgroup_id is None:
        return None
    group = await uow.workgroups.get(task.workgroup_id)
    if group is None or group.catalyst_id is None:
        return None
    catalyst = await uow.members.get(group.catalyst_id)
    return catalyst.name if catalyst is not None else None


async def cmd_task(update: Update, context: BotContext) -> None:
    """A task with its history: ``/feladat 12``."""
    message = update.effective_message
    assert message is not None
    if not context.args:
        raise ShowUsage
    async with context.db.unit() as uow:
        task = await workplan.get_task(uow, context.args[0])
        repo = uow.workplans
        names = await repo.workgroup_names()
        events = await repo.events(task.id)
        catalyst = await _catalyst_name(uow, task)
    await _reply_long(message, views.task_card(context.t, task, names, catalyst, events))


async def cmd_versions(update: Update, context: BotContext) -> None:
    """Every adopted version of the current plan and what changed."""
    message = update.effective_message
    assert message is not None
    async with context.db.unit() as uow:
        repo = uow.workplans
        plan = await workplan.current_plan(uow)
        versions = list(await repo.versions(plan.id))
        resolutions = {}
        for version in versions:
            found = await repo.resolution(version.resolution_id)
            if found is not None:
                resolutions[found.id] = found
        names = await repo.workgroup_names()
    await _reply_long(message, views.versions_text(context.t, plan, versions, resolutions, names))


# --- building the plan (KSz) -------------------------------------------------------------------


def _actor(context: BotContext) -> Actor:
    standing = context.caller.standing
    return Actor(standing.member_id, standing.name)


async def cmd_new_plan(update: Update, context: BotContext) -> None:
    """``/munkaterv_uj 2027 | A KSz 2027. évi munkaterve``: a new draft plan."""
    message = update.effective_message
    assert message is not None
    t = context.t
    raw = _args_text(message)
    if not raw.strip():
        raise ShowUsage
    period, _, title = raw.partition("|")
    if not title.strip():
        title = views.default_title(t, period.strip())
    async with context.db.unit() as uow:
        plan = await workplan.create_plan(uow, period, title, _actor(context), context.clock.now())
    await message.reply_html(views.plan_created(t, plan))


async def cmd_new_task(update: Update, context: BotContext) -> None:
    """``/feladat_uj Cím | Felelős | Határidő | Leírás``: a task of the current plan."""
    message = update.effective_message
    assert message is not None
    t = context.t
    parts = [p.strip() for p in _args_text(message).split("|")]
    if len(parts) < 3 or not parts[0]:
        raise ShowUsage
    now = context.clock.now()
    async with context.db.unit() as uow:
        plan = await workplan.current_plan(uow, lock=True)
        spec = workplan.TaskSpec(
            title=workplan.clean(parts[0], "title", workplan.TITLE_MAX),
            responsible=await workplan.resolve_responsible(uow, parts[1]),
            deadline=workplan.parse_deadline(parts[2]),
            description=workplan.clean(
                " | ".join(parts[3:]), "description", workplan.DESCRIPTION_MAX, required=False
            ),
        )
        [task] = await workplan.add_tasks(uow, plan, [spec], _actor(context), now)
        names = await uow.workplans.workgroup_names()
        version = plan.version
        adopted = plan.status.value == "adopted"
        concerns = workplan.deadline_concerns(plan.period, task.deadline, _today(context))
        period = plan.period
    lines = [views.task_added(t), *views.task_lines(t, task, names)]
    lines += views.deadline_warnings(t, concerns, task, period)
    lines += [views.new_version(t, n=version)] if adopted else []
    await message.reply_html("\n".join(lines))


async def cmd_edit_task(update: Update, context: BotContext) -> None:
    """``/feladat_modositas 12 határidő 2027.01.31``: change one field of a task."""
    message = update.effective_message
    assert message is not None
    t = context.t
    parts = _args_text(message).split(maxsplit=2)
    if len(parts) < 3:
        raise ShowUsage
    field = workplan.parse_field(parts[1])
    async with context.db.unit() as uow:
        task, old, new = await workplan.edit_task(
            uow, parts[0], field, parts[2], context.caller.standing, context.clock.now(),
            context.settings.tz,
        )  # fmt: skip
        names = await uow.workplans.workgroup_names()
        version, adopted = task.plan.version, task.plan.status.value == "adopted"
    if old == new:
        await message.reply_html(views.nothing_changed(t))
        return
    lines = [views.task_changed(t, task, field, old, new, names), *views.task_lines(t, task, names)]
    lines += [views.new_version(t, n=version)] if adopted else []
    await message.reply_html("\n".join(lines))


def _vote_days(context: BotContext) -> int:
    """``/munkaterv_szavazas 8``: how many days the ballot stays open (8 by default)."""
    if not context.args:
        return VOTE_DAYS
    text = context.args[0]
    if not text.isdigit() or not 1 <= int(text) <= ballots.MAX_DAYS_AHEAD:
        raise InvalidInput("deadline", "too_far", limit=ballots.MAX_DAYS_AHEAD)
    return int(text)


async def cmd_vote(update: Update, context: BotContext) -> None:
    """Put the current draft plan to a Közgyűlés yes/no ballot (``/munkaterv_szavazas 8``)."""
    message = update.effective_message
    assert message is not None
    days = _vote_days(context)
    now, settings = context.clock.now(), context.settings
    default = context.bot_data.translations.get(None)
    async with context.db.unit() as uow:
        plan = await workplan.current_plan(uow, lock=True)
        tasks = list(await uow.workplans.tasks(plan.id))
        workplan.check_votable(plan, len(tasks))
        names = await uow.workplans.workgroup_names()
        draft = BallotDraft(
            question=views.vote_question(default, plan, tasks, names), body=Body.KGY,
            quorum=QuorumRule(settings.kgy_quorum), majority=Majority(settings.kgy_majority),
            deadline=ballots.deadline_in(now, days=days),
        )  # fmt: skip
        ballot = await ballots.publish(
            uow, draft, context.caller.standing, now,
            yes_no_labels=ballot_views.yes_no_labels(default),
            abstain_label=ballot_views.abstain_label(default),
        )  # fmt: skip
        await workplan.mark_voting(uow, plan, ballot.id)
        await ballot_jobs.queue_ballot(uow, context.bot_data, ballot)
    ballot_jobs.schedule(context.application, ballot)
    context.bot_data.courier.wake()
    await message.reply_html(views.put_to_vote(context.t, ballot.id, ballot.deadline))


# --- progress ------------------------------------------------------------------------------------


async def cmd_progress(update: Update, context: BotContext) -> None:
    """``/elorehaladas``: your tasks as buttons; ``/elorehaladas 12 60 note``: a report."""
    message = update.effective_message
    assert message is not None
    t = context.t
    standing = context.caller.standing
    parts = _args_text(message).split(maxsplit=2)
    async with context.db.unit() as uow:
        names = await uow.workplans.workgroup_names()
        if not parts:
            tasks = await workplan.responsible_tasks(uow, standing)
            await message.reply_html(
                views.my_tasks(t, tasks, names), reply_markup=views.task_buttons(tasks)
            )
            return
        if len(parts) == 1:
            task = await _reportable(uow, context, parts[0])
            await message.reply_html(
                views.choose_percent(t, task, names), reply_markup=views.progress_keyboard(task)
            )
            return
        if not workplan.may_report_any(standing):
            raise workplan.NotResponsible(None)
        task = await workplan.get_task(uow, parts[0])
        if not workplan.may_report(standing, task):
            raise workplan.NotResponsible(task.id)
        percent = workplan.parse_progress(parts[1])
        report = await workplan.report_progress(
            uow, task.id, standing, percent, parts[2] if len(parts) > 2 else "",
            context.clock.now(), context.settings.tz,
        )  # fmt: skip
    await message.reply_html(views.report_saved(t, report))


async def _reportable(uow: Any, context: BotContext, key: str | int) -> Task:
    standing = context.caller.standing
    if not workplan.may_report_any(standing):
        raise workplan.NotResponsible(None)
    task = await workplan.get_task(uow, key)
    if not workplan.may_report(standing, task):
        raise workplan.NotResponsible(task.id)
    if task.status is TaskStatus.CANCELLED:
        raise workplan.TaskCancelled(task.id)
    return task


async def cb_progress(update: Update, context: BotContext) -> None:
    """A task button (ask the percentage) or a percentage button (record it)."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    data = decode(query.data, Feature.PROGRESS, {"t", "s"})
    t = context.t
    if data.action == "t":
        async with context.db.unit() as uow:
            task = await _reportable(uow, context, data.int_arg(0))
            names = await uow.workplans.workgroup_names()
        await query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            views.choose_percent(t, task, names),
            reply_markup=views.progress_keyboard(task),
        )
        return
    percent = int(data.arg(1, {str(p) for p in views.PERCENTS}))
    async with context.db.unit() as uow:
        report = await workplan.report_progress(
            uow, data.int_arg(0), context.caller.standing, percent, "", context.clock.now(),
            context.settings.tz,
        )  # fmt: skip
    await query.answer(views.progress_recorded(t))
    await edit_unless_unmodified(
        query.edit_message_text(
            views.report_saved(t, report), reply_markup=views.note_keyboard(t, report.event)
        )
    )


async def cb_note(update: Update, context: BotContext) -> int | None:
    """ "Add a note" under a recorded report: the next message is the note."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    assert context.user_data is not None
    data = decode(query.data, Feature.PROGRESS_NOTE, {"n"})
    event_id = data.int_arg(0)
    member = context.caller.member
    async with context.db.unit() as uow:
        event = await uow.workplans.event(event_id)
    if event is None or member is None or event.actor_id != member.id:
        raise workplan.NotResponsible(event.task_id if event is not None else None)
    await dialogues.begin(update, context, "workplan_note")
    context.user_data.progress_note_event_id = event_id
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, views.note_prompt(context.t))
    return NOTE


async def msg_note(update: Update, context: BotContext) -> int:
    """The note of the report."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    event_id = context.user_data.progress_note_event_id
    if event_id is None:
        raise ApplicationHandlerStop(ConversationHandler.END)
    async with context.db.unit() as uow:
        await workplan.add_note(
            uow, event_id, context.caller.standing, message.text or "", context.clock.now()
        )
    context.user_data.progress_note_event_id = None
    await message.reply_html(views.note_saved(context.t))
    raise ApplicationHandlerStop(ConversationHandler.END)


def _forget_note(data: UserData) -> None:
    data.progress_note_event_id = None


# --- the schedule settings (KSz) -----------------------------------------------------------------


async def cmd_schedule(update: Update, context: BotContext) -> None:
    """``/utemezes`` shows the schedule; ``/utemezes heti P 14:00`` changes one setting."""
    message = update.effective_message
    assert message is not None
    t = context.t
    settings = context.settings
    now = context.clock.now()
    parts = _args_text(message).split(maxsplit=1)
    changed: str | None = None
    async with context.db.unit() as uow:
        if parts:
            key, value = await workplan.change_setting(
                uow, context.caller.standing, parts[0], parts[1] if len(parts) > 1 else "", now
            )
            changed = views.setting_changed(t, key, value)
        config, _ = await workplan.load_config(uow, settings.workplan_schedule)
        overridden = set(await workplan.overrides(uow))
    text = views.schedule_text(
        t, config, overridden, schedule.upcoming(config, now, settings.tz), settings.bot_timezone
    )
    await message.reply_html(f"{changed}\n\n{text}" if changed else text)


# --- sending what the schedule says --------------------------------------------------------------


# --- registration --------------------------------------------------------------------------------

COMMANDS = [
    CommandSpec(
        "munkaterv", N_("the work plan with progress (add a workgroup or a status to filter)"),
        Permission.MEMBER, cmd_workplan, english="workplan",
    ),
    CommandSpec(
        "elorehaladas", N_("report progress on your work-plan tasks"), Permission.REPORTER,
        cmd_progress, english="progress",
        help_note=N_(
            "Catalysts and the KSz: <code>{command}</code> lists your tasks as buttons; "
            "<code>{command} 12 60 note</code> sets task 12 to 60%."
        ),
    ),
    CommandSpec(
        "feladat", N_("a work-plan task and its history"), Permission.MEMBER, cmd_task,
        english="task",
        usage=N_("Usage: <code>{command} 12</code> (the number of the task)."),
    ),
    CommandSpec(
        "munkaterv_verziok", N_("versions of the adopted work plan"), Permission.MEMBER,
        cmd_versions, english="workplanversions",
    ),
    CommandSpec(
        "munkaterv_uj", N_("create a draft work plan (period | title)"), Permission.KSZ,
        cmd_new_plan, english="newworkplan",
        usage=N_("Usage: <code>{command} 2027 | Title of the plan</code>"),
    ),
    CommandSpec(
        "feladat_uj", N_("add a task (title | responsible | deadline | description)"),
        Permission.KSZ, cmd_new_task, english="newtask",
        usage=N_(
            "Usage: <code>{command} Title | KSz or workgroup | 2026.12.31 | description</code> "
            "(the description may be left out)."
        ),
    ),
    CommandSpec(
        "feladat_modositas", N_("change a task (number, field, new value)"), Permission.KSZ,
        cmd_edit_task, english="edittask",
        usage=N_(
            "Usage: <code>{command} 12 deadline 2027.01.31</code>. Fields: title, description, "
            "responsible, deadline, status (planned, in progress, done, late, suspended, "
            "cancelled)."
        ),
    ),
    CommandSpec(
        "munkaterv_szavazas", N_("put the draft work plan to the General Assembly"),
        Permission.KSZ, cmd_vote, english="workplanvote",
    ),
    CommandSpec(
        "utemezes", N_("work-plan reminders and reports: view and change"), Permission.KSZ,
        cmd_schedule, english="schedule",
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The note conversation first (it owns free text while active), then commands, buttons."""
    add_conversation(
        app, "workplan_note",
        entry=on_buttons(Feature.PROGRESS_NOTE, Permission.MEMBER, cb_note, private_only=True),
        states={NOTE: [on_text(Permission.MEMBER, msg_note)]},
        label=dialogue_views.PROGRESS_NOTE, forget=_forget_note,
    )  # fmt: skip
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.WORKPLAN), Permission.MEMBER, cb_filter)
    add_buttons(app, pattern(Feature.PROGRESS), Permission.MEMBER, cb_progress, private_only=True)
