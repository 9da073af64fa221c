"""The work plan: /munkaterv, progress reports, the KSz's editing, the Közgyűlés vote, and the
schedule (check-ins, deadline reminders, overdue alerts, escalations, digests with a chart).

The schedule runs on one recurring job, ``workplan:tick``: every minute it asks
``services.workplan.due_slots`` what is due at ``clock.now()`` and sends it. A slot's key is
recorded (committed) before its message goes out, so nothing is sent twice, even across
restarts; ``startup`` runs a tick at once, which sends what fell due while the bot was down.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import courier, dialogues, offload
from bot.access import CommandSpec, add_buttons, add_commands, gate
from bot.callbacks import Feature, decode, pattern
from bot.context import BotContext, UserData
from bot.delivery import Recipient, active_recipients, edit_from_button, recipients, translator_for
from bot.handlers import ballots as ballot_handlers
from bot.i18n import N_, Translator
from bot.services import ballots, schedule, workplan
from bot.services.ballots import BallotDraft
from bot.services.errors import InvalidInput
from bot.services.identity import CLI_ACTOR, Actor
from bot.services.roles import Permission
from bot.services.schedule import Slot, SlotKind
from bot.services.workplan import Filter
from bot.views import ballots as ballot_views
from bot.views import charts
from bot.views import dialogues as dialogue_views
from bot.views import workplan as views
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models import Member
from storage.models_ballots import Body, Majority, QuorumRule
from storage.models_workplan import Task, TaskStatus
from storage.repositories_outbox import OutboxRepository
from storage.repositories_workplan import WorkPlanRepository

log = logging.getLogger(__name__)

NOTE = 40
TICK_SECONDS = 60
JOB_NAME = "workplan:tick"
VOTE_DAYS = 8
CAPTION_MAX = 1024

Render = Callable[[Translator, int], tuple[str, InlineKeyboardMarkup | None]]


def _today(context: BotContext) -> date:
    return context.clock.now().astimezone(context.settings.tz).date()


async def _reply_long(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    parts = split_lines(text)
    for part in parts[:-1]:
        await message.reply_html(part)
    await message.reply_html(parts[-1], reply_markup=keyboard)


def _args_text(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


# --- reading the plan ------------------------------------------------------------------------


async def _show_plan(
    context: BotContext, wanted: Filter
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        repo = uow.repo(WorkPlanRepository)
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
    for part in parts[:-1]:
        await context.bot.send_message(update.effective_chat.id, part)
    await context.bot.send_message(update.effective_chat.id, parts[-1], reply_markup=keyboard)


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
        await message.reply_html(
            context.t.gettext("Usage: <code>/feladat 12</code> (the number of the task).")
        )
        return
    async with context.db.unit() as uow:
        task = await workplan.get_task(uow, context.args[0])
        repo = uow.repo(WorkPlanRepository)
        names = await repo.workgroup_names()
        events = await repo.events(task.id)
        catalyst = await _catalyst_name(uow, task)
    await _reply_long(message, views.task_card(context.t, task, names, catalyst, events))


async def cmd_versions(update: Update, context: BotContext) -> None:
    """Every adopted version of the current plan and what changed."""
    message = update.effective_message
    assert message is not None
    async with context.db.unit() as uow:
        repo = uow.repo(WorkPlanRepository)
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
        await message.reply_html(
            t.gettext("Usage: <code>/munkaterv_uj 2027 | Title of the plan</code>")
        )
        return
    period, _, title = raw.partition("|")
    if not title.strip():
        title = t.gettext("Work plan {period}").format(period=period.strip())
    async with context.db.unit() as uow:
        plan = await workplan.create_plan(uow, period, title, _actor(context), context.clock.now())
    await message.reply_html(
        t.gettext(
            "Draft work plan created: {title} ({period}). Add tasks with /feladat_uj, or import "
            "a CSV file with <code>klaszterbot workplan import</code>."
        ).format(title=escape(plan.title), period=escape(plan.period))
    )


async def cmd_new_task(update: Update, context: BotContext) -> None:
    """``/feladat_uj Cím | Felelős | Határidő | Leírás``: a task of the current plan."""
    message = update.effective_message
    assert message is not None
    t = context.t
    parts = [p.strip() for p in _args_text(message).split("|")]
    if len(parts) < 3 or not parts[0]:
        await message.reply_html(
            t.gettext(
                "Usage: <code>/feladat_uj Title | KSz or workgroup | 2026.12.31 | "
                "description</code> (the description may be left out)."
            )
        )
        return
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
        names = await uow.repo(WorkPlanRepository).workgroup_names()
        version = plan.version
        adopted = plan.status.value == "adopted"
        concerns = workplan.deadline_concerns(plan.period, task.deadline, _today(context))
        period = plan.period
    lines = [t.gettext("Task added to the plan:"), *views.task_lines(t, task, names)]
    lines += views.deadline_warnings(t, concerns, task, period)
    if adopted:
        lines.append(t.gettext("The adopted plan now has version {n}.").format(n=version))
    await message.reply_html("\n".join(lines))


async def cmd_edit_task(update: Update, context: BotContext) -> None:
    """``/feladat_modositas 12 határidő 2027.01.31``: change one field of a task."""
    message = update.effective_message
    assert message is not None
    t = context.t
    parts = _args_text(message).split(maxsplit=2)
    if len(parts) < 3:
        await message.reply_html(
            t.gettext(
                "Usage: <code>/feladat_modositas 12 határidő 2027.01.31</code>. Fields: cím, "
                "leírás, felelős, határidő, állapot (tervezett, folyamatban, kész, késésben, "
                "felfüggesztve, törölve)."
            )
        )
        return
    field = workplan.parse_field(parts[1])
    async with context.db.unit() as uow:
        task, old, new = await workplan.edit_task(
            uow, parts[0], field, parts[2], context.caller.standing, context.clock.now(),
            context.settings.tz,
        )  # fmt: skip
        names = await uow.repo(WorkPlanRepository).workgroup_names()
        version, adopted = task.plan.version, task.plan.status.value == "adopted"
    if old == new:
        await message.reply_html(t.gettext("Nothing changed: the value is the same."))
        return
    lines = [
        t.gettext("Task #{id} changed: {change}").format(
            id=task.id, change=views.field_change(t, field, old, new, names)
        ),
        *views.task_lines(t, task, names),
    ]
    if adopted:
        lines.append(t.gettext("The adopted plan now has version {n}.").format(n=version))
    await message.reply_html("\n".join(lines))


async def cmd_vote(update: Update, context: BotContext) -> None:
    """Put the current draft plan to a Közgyűlés yes/no ballot (``/munkaterv_szavazas 8``)."""
    message = update.effective_message
    assert message is not None
    t = context.t
    days = VOTE_DAYS
    if context.args:
        text = context.args[0]
        if not text.isdigit() or not 1 <= int(text) <= ballots.MAX_DAYS_AHEAD:
            raise InvalidInput("deadline", "too_far", limit=ballots.MAX_DAYS_AHEAD)
        days = int(text)
    now = context.clock.now()
    settings = context.settings
    default = context.bot_data.translations.get(None)
    async with context.db.unit() as uow:
        repo = uow.repo(WorkPlanRepository)
        plan = await workplan.current_plan(uow, lock=True)
        tasks = list(await repo.tasks(plan.id))
        workplan.check_votable(plan, len(tasks))
        names = await repo.workgroup_names()
        draft = BallotDraft(
            question=views.vote_question(default, plan, tasks, names),
            body=Body.KGY,
            quorum=QuorumRule(settings.kgy_quorum),
            majority=Majority(settings.kgy_majority),
            deadline=ballots.deadline_in(now, days=days),
        )
        ballot = await ballots.publish(
            uow, draft, context.caller.standing, now,
            yes_no_labels=ballot_views.yes_no_labels(default),
            abstain_label=ballot_views.abstain_label(default),
        )  # fmt: skip
        await workplan.mark_voting(uow, plan, ballot.id)
        await ballot_handlers.queue_ballot(uow, context.bot_data, ballot)
    ballot_handlers.schedule(context.application, ballot)
    context.bot_data.courier.wake()
    await message.reply_html(
        t.gettext(
            "The work plan is put to the General Assembly: ballot #{id}, deadline {date}. "
            "Until it closes the plan cannot change."
        ).format(id=ballot.id, date=t.datetime(ballot.deadline))
    )


async def on_ballot_closed(app: Any, closing: ballots.Closing) -> None:
    """The plan's ballot closed: adopted (version 1, with its resolution) or back to draft."""
    data = app.bot_data
    adopted = closing.resolution is not None
    async with data.db.unit() as uow:
        await workplan.after_ballot(
            uow, closing.ballot.id, adopted,
            closing.resolution.id if closing.resolution is not None else None,
            workplan.SYSTEM_LABEL, data.clock.now(),
        )  # fmt: skip


# --- progress ------------------------------------------------------------------------------------


async def cmd_progress(update: Update, context: BotContext) -> None:
    """``/elorehaladas``: your tasks as buttons; ``/elorehaladas 12 60 note``: a report."""
    message = update.effective_message
    assert message is not None
    t = context.t
    standing = context.caller.standing
    parts = _args_text(message).split(maxsplit=2)
    async with context.db.unit() as uow:
        names = await uow.repo(WorkPlanRepository).workgroup_names()
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
            names = await uow.repo(WorkPlanRepository).workgroup_names()
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
    await query.answer(t.gettext("Progress recorded."))
    try:
        await query.edit_message_text(
            views.report_saved(t, report), reply_markup=views.note_keyboard(t, report.event)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def cb_note(update: Update, context: BotContext) -> int | None:
    """ "Add a note" under a recorded report: the next message is the note."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    assert context.user_data is not None
    data = decode(query.data, Feature.PROGRESS_NOTE, {"n"})
    event_id = data.int_arg(0)
    member = context.caller.member
    async with context.db.unit() as uow:
        event = await uow.repo(WorkPlanRepository).event(event_id)
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


async def cmd_cancel(update: Update, context: BotContext) -> int:
    """/megse while writing a note."""
    assert update.effective_message is not None
    if context.user_data is not None:
        context.user_data.progress_note_event_id = None
    await update.effective_message.reply_html(context.t.gettext("Cancelled."))
    return ConversationHandler.END


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


async def _queue_texts(
    uow: UnitOfWork, data: Any, batch: str, targets: Sequence[Recipient], render: Render
) -> int:
    """Queue one message per recipient in the outbox, in the caller's transaction (the one that
    claims the slot), so a stop can neither lose nor repeat it."""
    translate = translator_for(data.translations)
    now = data.clock.now()
    rows = []
    for target in targets:
        text, keyboard = render(translate(target), target.member_id)
        rows.append(
            courier.row(
                batch, target.chat_id, text, now, markup=keyboard, member_id=target.member_id
            )
        )
    return await courier.enqueue(uow, rows)


def _invert(by_task: dict[int, list[Member]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for task_id, members in by_task.items():
        for member in members:
            found.setdefault(member.id, []).append(task_id)
    return found


async def _checkin(app: Any, slot: Slot, now: datetime) -> int:
    data = app.bot_data
    async with data.db.unit() as uow:
        if not await workplan.claim(uow, slot, now):
            return 0
        repo = uow.repo(WorkPlanRepository)
        tasks = {t.id: t for t in await repo.open_tasks()}
        by_task = await workplan.responsible_members(uow, list(tasks.values()))
        by_member = _invert(by_task)
        members = {m.id: m for ms in by_task.values() for m in ms}
        targets = await recipients(uow, list(members.values()))
        names = await repo.workgroup_names()

        def render(t: Translator, member_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
            own = [tasks[i] for i in by_member.get(member_id, [])]
            own.sort(key=lambda task: (task.deadline, task.id))
            return views.checkin_text(t, own, names), views.task_buttons(own)

        return await _queue_texts(uow, data, f"workplan:{slot.key}", targets, render)


async def _task_alert(app: Any, slot: Slot, now: datetime) -> int:
    data = app.bot_data
    tz = data.settings.tz
    today = now.astimezone(tz).date()
    assert slot.task_id is not None
    async with data.db.unit() as uow:
        if not await workplan.claim(uow, slot, now):
            return 0
        repo = uow.repo(WorkPlanRepository)
        if slot.kind is SlotKind.OVERDUE:
            task = await workplan.mark_overdue(uow, slot.task_id, now, tz)
        else:
            task = await repo.task(slot.task_id)
        if task is None or not task.is_open:
            return 0
        names = await repo.workgroup_names()
        responsible = (await workplan.responsible_members(uow, [task]))[task.id]
        if slot.kind is SlotKind.ESCALATION:
            members = await workplan.escalation_targets(uow)
        else:
            members = responsible
        targets = await recipients(uow, members)
        answering = [m.name for m in responsible]

        def render(t: Translator, _member_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
            if slot.kind is SlotKind.REMINDER:
                return views.reminder_text(t, task, names, today), views.progress_keyboard(task)
            if slot.kind is SlotKind.OVERDUE:
                return views.overdue_text(t, task, names), views.progress_keyboard(task)
            return views.escalation_text(t, task, names, today, answering), None

        return await _queue_texts(uow, data, f"workplan:{slot.key}", targets, render)


async def _digest(app: Any, slot: Slot, now: datetime) -> int:
    """The chart is drawn in a thread before the slot is claimed; the slot, the chart and one
    outbox row per member are then committed together."""
    data = app.bot_data
    tz = data.settings.tz
    today = now.astimezone(tz).date()
    async with data.db.unit() as uow:
        if await workplan.slot_sent(uow, slot):
            return 0
        summary = await workplan.plan_summary(uow, now, tz)
        if summary is None:
            return 0
        resolution = await uow.repo(WorkPlanRepository).resolution(summary.plan.resolution_id)
        if slot.kind is SlotKind.WEEKLY_DIGEST:
            targets = await recipients(uow, await workplan.strategic_council(uow))
        else:
            targets = await active_recipients(uow)
    translate = translator_for(data.translations)
    translators = {}
    for target in targets:
        t = translate(target)
        translators.setdefault(t.language, t)
    pictures: dict[str, bytes] = {}
    texts: dict[str, tuple[str, str]] = {}
    for language, t in translators.items():
        pictures[language] = await offload.run(charts.draw, charts.chart_data(t, summary))
        caption = split_lines(views.digest_caption(t, summary, slot.kind), CAPTION_MAX)[0]
        texts[language] = caption, views.digest_text(t, summary, slot.kind, resolution, today)
    batch = f"workplan:{slot.key}"
    async with data.db.unit() as uow:
        if not await workplan.claim(uow, slot, now):
            return 0
        repo = uow.repo(OutboxRepository)
        for language, picture in pictures.items():
            await repo.add_file(f"{batch}:{language}", picture, now)
        rows = []
        for target in targets:
            language = translate(target).language
            caption, text = texts[language]
            rows.append(
                courier.row(
                    batch,
                    target.chat_id,
                    text,
                    now,
                    member_id=target.member_id,
                    photo_key=f"{batch}:{language}",
                    caption=caption,
                )
            )
        return await courier.enqueue(uow, rows)


SENDERS: dict[SlotKind, Callable[[Any, Slot, datetime], Awaitable[int]]] = {
    SlotKind.CHECKIN: _checkin,
    SlotKind.REMINDER: _task_alert,
    SlotKind.OVERDUE: _task_alert,
    SlotKind.ESCALATION: _task_alert,
    SlotKind.WEEKLY_DIGEST: _digest,
    SlotKind.MONTHLY_DIGEST: _digest,
}


async def tick(app: Any) -> int:
    """Queue every slot due now that has not gone out; returns the number of messages queued."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        slots = await workplan.due_slots(
            uow, data.settings.workplan_schedule, now, data.settings.tz
        )
    sent = 0
    for slot in slots:
        try:
            sent += await SENDERS[slot.kind](app, slot, now)
        except Exception:
            log.exception("work-plan slot %s failed", slot.key)
    if sent:
        data.courier.wake()
    return sent


async def job_tick(context: BotContext) -> None:
    """The recurring job."""
    await tick(context.application)


async def startup(app: Any) -> None:
    """Start the recurring tick and send, once, what fell due while the bot was down."""
    queue = app.job_queue
    for job in queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    queue.run_repeating(job_tick, interval=TICK_SECONDS, first=TICK_SECONDS, name=JOB_NAME)
    app.bot_data.spawn(tick(app), name="workplan:catch-up")


async def seed_demo(app: Any) -> None:
    """A small draft plan for ``klaszterbot demo`` (``bot.demo`` calls this when it exists)."""
    data = app.bot_data
    now = data.clock.now()
    today = now.astimezone(data.settings.tz).date()
    year = today.year + 1
    async with data.db.unit() as uow:
        plan = await workplan.create_plan(
            uow, str(year), f"A KSz {year}. évi munkaterve", CLI_ACTOR, now
        )
        innovation = await uow.workgroups.by_name("Innováció")
        green = await uow.workgroups.by_name("Fenntarthatóság")
        specs = [
            workplan.TaskSpec(
                "Piackutatás a tagok körében", innovation, today + timedelta(days=8),
                "Kérdőív és interjúk a tagvállalatokkal", TaskStatus.IN_PROGRESS, 40,
            ),
            workplan.TaskSpec("Pályázatfigyelés", None, today + timedelta(days=30)),
            workplan.TaskSpec(
                "Fenntarthatósági jelentés", green, today + timedelta(days=2),
                "Az éves jelentés vázlata", TaskStatus.IN_PROGRESS, 70,
            ),
        ]  # fmt: skip
        await workplan.add_tasks(uow, plan, specs, CLI_ACTOR, now)


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
            "Catalysts and the KSz: <code>/elorehaladas</code> lists your tasks as buttons; "
            "<code>/elorehaladas 12 60 note</code> sets task 12 to 60%."
        ),
    ),
    CommandSpec(
        "feladat", N_("a work-plan task and its history"), Permission.MEMBER, cmd_task,
        english="task",
    ),
    CommandSpec(
        "munkaterv_verziok", N_("versions of the adopted work plan"), Permission.MEMBER,
        cmd_versions, english="workplanversions",
    ),
    CommandSpec(
        "munkaterv_uj", N_("create a draft work plan (period | title)"), Permission.KSZ,
        cmd_new_plan, english="newworkplan",
    ),
    CommandSpec(
        "feladat_uj", N_("add a task (title | responsible | deadline | description)"),
        Permission.KSZ, cmd_new_task, english="newtask",
    ),
    CommandSpec(
        "feladat_modositas", N_("change a task (number, field, new value)"), Permission.KSZ,
        cmd_edit_task, english="edittask",
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
    cancel = CommandHandler(["megse", "cancel"], gate(Permission.PUBLIC)(cmd_cancel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        dialogues.add_conversation(
            app,
            ConversationHandler(
                entry_points=[
                    CallbackQueryHandler(
                        gate(Permission.MEMBER, private_only=True)(cb_note),
                        pattern=pattern(Feature.PROGRESS_NOTE),
                    )
                ],
                states={
                    NOTE: [
                        MessageHandler(
                            filters.TEXT & ~filters.COMMAND, gate(Permission.MEMBER)(msg_note)
                        )
                    ]
                },
                fallbacks=[cancel],
                conversation_timeout=ballot_handlers.CONVERSATION_TIMEOUT,
                name="workplan_note",
            ),
            dialogue_views.PROGRESS_NOTE,
            _forget_note,
        )
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.WORKPLAN), Permission.MEMBER, cb_filter)
    add_buttons(app, pattern(Feature.PROGRESS), Permission.MEMBER, cb_progress, private_only=True)
    if on_ballot_closed not in ballot_handlers.closed_hooks:
        ballot_handlers.closed_hooks.append(on_ballot_closed)
