"""The work plan: /munkaterv, progress reports, the KSz's editing, the Közgyűlés vote, and the
schedule (check-ins, deadline reminders, overdue alerts, escalations, digests with a chart).

The schedule runs on one recurring job, ``workplan:tick``: every minute it asks
``services.workplan.due_slots`` what is due at ``clock.now()`` and sends it. A slot's key is
recorded (committed) before its message goes out, so nothing is sent twice, even across
restarts; ``startup`` runs a tick at once, which sends what fell due while the bot was down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup

from bot import courier, offload
from bot.delivery import Recipient, active_recipients, recipients, translator_for
from bot.i18n import Translator
from bot.scheduler import every
from bot.services import ballots, workplan
from bot.services.schedule import Slot, SlotKind
from bot.views import charts
from bot.views import workplan as views
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models import Member

log = logging.getLogger(__name__)

TICK_SECONDS = 60


JOB_NAME = "workplan:tick"


CAPTION_MAX = 1024


Render = Callable[[Translator, int], tuple[str, InlineKeyboardMarkup | None]]


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
        repo = uow.workplans
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
        repo = uow.workplans
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
        resolution = await uow.workplans.resolution(summary.plan.resolution_id)
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
        repo = uow.outbox
        for language, picture in pictures.items():
            await repo.add_file(f"{batch}:{language}", picture, now)

        def rows() -> Iterator[dict[str, Any]]:  # made as they are inserted, 200 at a time
            for target in targets:
                language = translate(target).language
                caption, text = texts[language]
                yield courier.row(
                    batch,
                    target.chat_id,
                    text,
                    now,
                    member_id=target.member_id,
                    photo_key=f"{batch}:{language}",
                    caption=caption,
                )

        return await courier.enqueue(uow, rows())


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


async def startup(app: Any) -> None:
    """Start the recurring tick and send, once, what fell due while the bot was down."""
    every(app, tick, TICK_SECONDS, JOB_NAME)
