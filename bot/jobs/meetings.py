"""Meetings' deliveries and timers: the invitation, the reminders a day and an hour before, the
start (quorate if enough are present), MEETING_QUORUM_WAIT later the not-quorate record, the
notice of the close. Jobs have stable names (``meeting:3:remind:day``, ``meeting:3:start``,
``meeting:3:quorum``) and are rebuilt at start-up; a reminder is recorded before it is sent."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot import courier, offload
from bot.context import BotContext
from bot.delivery import queued_rows, recipients, translator_for
from bot.i18n import Translator
from bot.services import cluster, meetings
from bot.views import meetings as views
from bot.views import minutes as minutes_views
from storage.db import UnitOfWork
from storage.models import Member
from storage.models.ballots import Body
from storage.models.meetings import Meeting, MeetingStatus


async def _to_invitees(
    uow: UnitOfWork, data: Any, meeting: Meeting, batch: str, text: Callable[[Translator], str]
) -> int:
    """Queue ``text`` to every member invited to the meeting and the main group (Közgyűlés)."""
    now = data.clock.now()
    targets = await recipients(uow, await meetings.invitees(uow, meeting))
    rows = queued_rows(
        batch, targets, translator_for(data.translations), lambda t: (text(t), None), now
    )
    group = await cluster.main_group(uow)
    if group is not None and meeting.body is Body.KGY:
        rows.append(courier.row(batch, group, text(data.translations.get(None)), now))
    return await courier.enqueue(uow, rows)


async def queue_invitation(uow: UnitOfWork, data: Any, meeting: Meeting) -> int:
    """The meghívó, in the convening transaction."""
    electorate = len(await uow.members.voter_ids(founders=meeting.body is Body.ST))
    return await _to_invitees(
        uow, data, meeting, f"meeting:{meeting.id}:invite",
        lambda t: views.invitation(t, meeting, electorate),
    )  # fmt: skip


def _prefix(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:"


def schedule(app: Any, meeting: Meeting) -> None:
    """(Re)create the meeting's jobs; those whose time passed run at once."""
    queue, prefix = app.job_queue, _prefix(meeting.id)
    for job in queue.jobs():
        if job.name and job.name.startswith(prefix):
            job.schedule_removal()
    now = app.bot_data.clock.now()
    for kind, before in meetings.REMINDERS.items():
        if meeting.starts_at - before > now or meetings.reminder_due(meeting, kind, now):
            queue.run_once(
                job_remind, when=meeting.starts_at - before, name=f"{prefix}remind:{kind}",
                data=(meeting.id, kind),
            )  # fmt: skip
    wait = timedelta(minutes=app.bot_data.settings.meeting_quorum_wait)
    queue.run_once(job_start, when=meeting.starts_at, name=prefix + "start", data=meeting.id)
    queue.run_once(
        job_quorum, when=meeting.starts_at + wait, name=prefix + "quorum", data=meeting.id
    )


async def job_remind(context: BotContext) -> None:
    """A day or an hour before."""
    assert context.job is not None
    meeting_id, kind = context.job.data  # type: ignore[misc]
    await remind(context.application, meeting_id, kind)


async def remind(app: Any, meeting_id: int, kind: str) -> int:
    """Remind every invitee, once."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        meeting = await uow.meetings.get(meeting_id)
        if meeting is None or not meetings.reminder_due(meeting, kind, now):
            return 0
        if not await meetings.claim_reminder(uow, meeting_id, kind, now):
            return 0
        queued = await _to_invitees(
            uow, data, meeting, f"meeting:{meeting_id}:remind:{kind}",
            lambda t: views.reminder(t, meeting, kind),
        )  # fmt: skip
    data.courier.wake()
    return queued


async def job_start(context: BotContext) -> None:
    """The start time: quorate if enough members with the vote are present."""
    await _step(context, meetings.start, announce_quorate)


async def _step(
    context: BotContext,
    service: Callable[[UnitOfWork, int, Any], Awaitable[Meeting | None]],
    then: Callable[[UnitOfWork, Any, Meeting], Awaitable[object]],
) -> None:
    """A timer of the meeting in ``context.job.data``: ``service`` moves it on (None: nothing
    was due), ``then`` queues who is told, in the same transaction."""
    assert context.job is not None
    data, meeting_id = context.application.bot_data, int(context.job.data)  # type: ignore[arg-type]
    async with data.db.unit() as uow:
        meeting = await service(uow, meeting_id, data.clock.now())
        if meeting is not None:
            await then(uow, data, meeting)
    data.courier.wake()


async def announce_quorate(uow: UnitOfWork, data: Any, meeting: Meeting) -> None:
    """To the members present: the meeting has a quorum and is open."""
    state = await meetings.quorum(uow, meeting)
    present = [m for m, a in await uow.meetings.sheet(meeting.id) if a.left_at is None]
    rows = queued_rows(
        f"meeting:{meeting.id}:quorate", await recipients(uow, present),
        translator_for(data.translations), lambda t: (views.quorate_now(t, meeting, state), None),
        data.clock.now(),
    )  # fmt: skip
    await courier.enqueue(uow, rows)


async def queue_proxy_notice(
    uow: UnitOfWork, data: Any, meeting: Meeting, principal: Member, holder: Member, *, given: bool
) -> int:
    """Tell the proxy holder that a member authorised them, or revoked it, in the transaction
    that recorded it."""
    now = data.clock.now()
    # each notice is its own delivery (given, revoked and given again may share an instant)
    batch = f"meeting:{meeting.id}:proxy:{principal.id}:{uuid.uuid4().hex[:12]}"
    rows = queued_rows(
        batch,
        await recipients(uow, [holder]), translator_for(data.translations),
        lambda t: (views.proxy_notice(t, meeting, principal.name, given=given), None), now,
    )  # fmt: skip
    return await courier.enqueue(uow, rows)


async def job_quorum(context: BotContext) -> None:
    """MEETING_QUORUM_WAIT after the start: still no quorum, recorded as not quorate."""
    await _step(context, meetings.give_up, announce_not_quorate)


async def announce_not_quorate(uow: UnitOfWork, data: Any, meeting: Meeting) -> None:
    """Every invitee is told that the meeting had no quorum."""
    state = await meetings.quorum(uow, meeting)
    await _to_invitees(
        uow, data, meeting, f"meeting:{meeting.id}:not_quorate",
        lambda t: views.not_quorate(t, meeting, state),
    )  # fmt: skip


async def queue_closed(uow: UnitOfWork, data: Any, meeting: Meeting) -> int:
    """The meeting is closed: every invitee is told where the minutes are; the elected
    authenticators are asked to confirm them (with a button); without elected authenticators
    the minutes go to the members now."""
    batch = f"meeting:{meeting.id}:closed"
    queued = await _to_invitees(
        uow, data, meeting, batch, lambda t: views.meeting_closed(t, meeting)
    )
    if not await meetings.officers_elected(uow, meeting):
        return queued + await queue_minutes(uow, data, meeting)
    found = [await uow.members.get(m) for m in meetings.authenticators(meeting)]
    rows = queued_rows(
        batch + ":confirm", await recipients(uow, [m for m in found if m is not None]),
        translator_for(data.translations), lambda t: views.confirm_request(t, meeting),
        data.clock.now(),
    )  # fmt: skip
    return queued + await courier.enqueue(uow, rows)


async def queue_minutes(uow: UnitOfWork, data: Any, meeting: Meeting) -> int:
    """Once the minutes are final (``meetings.minutes_final``), the PDF, in the cluster's
    language, to every invitee through the outbox (uploaded once, retried like any delivery),
    in the transaction of the close or of the last confirmation. Queued once per meeting."""
    batch = f"meeting:{meeting.id}:minutes"
    if not await meetings.minutes_final(uow, meeting) or await uow.outbox.exists(batch):
        return 0
    record = await meetings.record(uow, meeting.id)
    t, now = data.translations.get(None), data.clock.now()
    doc = minutes_views.minutes_doc(t, record)
    pdf = await offload.run(minutes_views.render_pdf, doc, data.settings.minutes_font_dir)
    name = minutes_views.minutes_name(t, meeting.id)
    await uow.outbox.add_file(batch, pdf, now, filename=name)
    translate = translator_for(data.translations)
    rows = [
        courier.row(
            batch, target.chat_id, "", now, member_id=target.member_id, photo_key=batch,
            caption=views.minutes_caption(translate(target), meeting),
        )
        for target in await recipients(uow, await meetings.invitees(uow, meeting))
    ]  # fmt: skip
    return await courier.enqueue(uow, rows)


async def startup(app: Any) -> None:
    """Reschedule convened and running meetings (what fell due runs at once)."""
    async with app.bot_data.db.unit() as uow:
        active = [m for m in await uow.meetings.active() if m.status is MeetingStatus.CONVENED]
    for meeting in active:
        schedule(app, meeting)
