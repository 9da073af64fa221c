"""Ballots' scheduled and background work: queueing a published ballot, the main group's live
copy, reminders, closing at the deadline and announcing the result; rebuilt at start-up.

A ballot that closes is passed to ``data.ballot_closed`` (wired in ``bot.jobs.register``), so
a proposal moves on or a work plan is adopted without this module knowing them."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from typing import Any

from telegram.error import BadRequest

from bot import courier
from bot.context import BotContext
from bot.delivery import (
    active_recipients,
    edit_unless_unmodified,
    queued_rows,
    recipients,
    translator_for,
)
from bot.i18n import Translator
from bot.services import ballots, cluster
from bot.views import ballots as views
from storage.db import UnitOfWork
from storage.models import MemberKind
from storage.models.ballots import (
    Ballot,
    Body,
)

log = logging.getLogger(__name__)

#: The outbox purpose of the main group's copy of a ballot (its message id is remembered).
GROUP_COPY = "ballot_group_copy"


async def queue_ballot(uow: UnitOfWork, data: Any, ballot: Ballot) -> int:
    """Queue the ballot in the outbox, in the caller's transaction (the one that published it):
    buttons to the voters, to a proxy holder at a meeting one more message with buttons per
    member they represent, information to the external supporters of a Közgyűlés ballot, a
    copy for the main group (its message id is kept for the live turnout)."""
    now = data.clock.now()
    repo = uow.ballots
    voters = await repo.roll_members(ballot.id, in_person=True)
    voter_ids = {m.id for m in voters}
    others = []
    if ballot.body is Body.KGY:
        others = [
            m for m in await uow.members.active(kind=MemberKind.EXTERNAL) if m.id not in voter_ids
        ]
    translate = translator_for(data.translations)
    batch = f"ballot:{ballot.id}:publish"
    # a proposal's ballot names the proposal and carries its discussion's comments
    proposal = await uow.proposals.by_ballot(ballot.id)
    comments = await repo.comment_count(ballot.id)

    def text_of(t: Translator, **extra: Any) -> str:
        return views.ballot_text(t, ballot, comments=comments, proposal=proposal, **extra)

    rows = queued_rows(
        batch, await recipients(uow, voters), translate,
        lambda t: (text_of(t), views.voter_keyboard(t, ballot)), now,
    )  # fmt: skip
    rows += queued_rows(
        batch, await recipients(uow, others), translate,
        lambda t: (text_of(t) + "\n\n" + views.info_note(t), views.info_keyboard(t, ballot)),
        now,
    )  # fmt: skip
    rows += await _proxy_rows(uow, ballot, translate, now)
    group = await cluster.main_group(uow)
    if group is not None:
        text = text_of(data.translations.get(None), turnout=0)
        rows.append(courier.row(batch, group, text, now, purpose=GROUP_COPY, ref_id=ballot.id))
    return await courier.enqueue(uow, rows)


async def _proxy_rows(
    uow: UnitOfWork, ballot: Ballot, translate: Callable[[Any], Translator], now: datetime
) -> list[dict[str, Any]]:
    """A meeting's vote: each proxy holder gets, per member they represent, the ballot with
    buttons that cast that member's vote (one outbox batch per represented member)."""
    rows = []
    for principal, holder in await uow.ballots.represented(ballot.id):
        targets = await recipients(uow, [holder])
        rows += queued_rows(
            f"ballot:{ballot.id}:proxy:{principal.id}", targets, translate,
            lambda t, p=principal: (
                views.proxy_text(t, ballot, p.name), views.proxy_keyboard(t, ballot, p.id)
            ),
            now,
        )  # fmt: skip
    return rows


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _remember_group_copy(data: Any) -> courier.Effect:
    """The courier's effect for a sent group copy: keep its id and what it shows."""

    async def effect(
        uow: UnitOfWork, ballot_id: int, chat_id: int, message_id: int, text: str
    ) -> None:
        stored = await uow.ballots.get(ballot_id)
        if stored is not None:
            stored.group_chat_id, stored.group_message_id = chat_id, message_id
            stored.group_shown = _digest(text)

    return effect


def schedule_group_update(app: Any, ballot_id: int) -> None:
    """Refresh the main group's copy (turnout) soon; many votes make one edit."""
    pending = app.bot_data.pending_group_updates
    if ballot_id in pending:
        return
    pending.add(ballot_id)
    app.bot_data.spawn(_update_group_copy(app, ballot_id), name=f"ballot:{ballot_id}:group")


async def _update_group_copy(app: Any, ballot_id: int) -> None:
    await asyncio.sleep(app.bot_data.settings.group_update_seconds)
    app.bot_data.pending_group_updates.discard(ballot_id)
    data = app.bot_data
    async with data.db.unit() as uow:
        repo = uow.ballots
        ballot = await repo.get(ballot_id)
        if ballot is None or ballot.group_message_id is None:
            return
        turnout = await repo.turnout(ballot_id)
        comments = await repo.comment_count(ballot_id)
        proposal = await uow.proposals.by_ballot(ballot_id)
    text = views.ballot_text(
        data.translations.get(None), ballot, turnout=turnout, comments=comments, proposal=proposal
    )
    if _digest(text) == ballot.group_shown:
        return  # a changed vote, say: the copy already shows this, and Telegram would refuse
    try:
        await edit_unless_unmodified(
            app.bot.edit_message_text(
                text, chat_id=ballot.group_chat_id, message_id=ballot.group_message_id
            )
        )
    except BadRequest as exc:
        log.warning("could not update the group copy of ballot %s: %s", ballot_id, exc)
        return
    async with data.db.unit() as uow:
        stored = await uow.ballots.get(ballot_id)
        if stored is not None:
            stored.group_shown = _digest(text)


def _job_names(ballot_id: int) -> str:
    return f"ballot:{ballot_id}:"


def schedule(app: Any, ballot: Ballot) -> None:
    """(Re)create the close job and the reminder jobs of an open ballot; names are stable."""
    queue = app.job_queue
    prefix = _job_names(ballot.id)
    for job in queue.jobs():
        if job.name and job.name.startswith(prefix):
            job.schedule_removal()
    now = app.bot_data.clock.now()
    queue.run_once(job_close, when=ballot.deadline, name=prefix + "close", data=ballot.id)
    for hours in app.bot_data.settings.reminder_hours:
        at = ballot.deadline - timedelta(hours=hours)
        if at > now:
            queue.run_once(
                job_remind, when=at, name=f"{prefix}remind:{hours}", data=(ballot.id, hours)
            )


async def job_close(context: BotContext) -> None:
    """The deadline has come."""
    assert context.job is not None
    await close_and_announce(context.application, int(context.job.data), "")  # type: ignore[arg-type]


async def job_remind(context: BotContext) -> None:
    """A reminder time has come."""
    assert context.job is not None
    ballot_id, hours = context.job.data  # type: ignore[misc]
    await remind(context.application, ballot_id, hours)


async def remind(app: Any, ballot_id: int, hours: int) -> int:
    """Remind the members on the roll who have not voted; at most once per ballot and time.
    The reminders are queued in the transaction that records the reminder as done."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        repo = uow.ballots
        ballot = await repo.get(ballot_id)
        if ballot is None or not ballots.reminder_due(ballot, hours, now):
            return 0
        if not await ballots.claim_reminder(uow, ballot_id, hours, now):
            return 0
        targets = await recipients(uow, await repo.roll_members(ballot_id, voted=False))
        queued = await courier.enqueue(
            uow,
            queued_rows(
                f"ballot:{ballot_id}:remind:{hours}",
                targets,
                translator_for(data.translations),
                lambda t: (
                    views.reminder(t, ballot) + "\n\n" + views.ballot_text(t, ballot),
                    views.voter_keyboard(t, ballot),
                ),
                now,
            ),
        )
    data.courier.wake()
    return queued


async def close_and_announce(app: Any, ballot_id: int, closed_by: str) -> ballots.Closing | None:
    """Close (idempotent) and queue the result for every member and the main group in the same
    transaction, so a hard kill after the close cannot lose the result."""
    data = app.bot_data
    async with data.db.unit() as uow:
        closing = await ballots.close(uow, ballot_id, data.clock.now(), closed_by, data.settings.tz)
        if closing is None:
            return None
        ballot, tally, resolution = closing.ballot, closing.tally, closing.resolution

        def render(t: Translator) -> tuple[str, None]:
            text = views.result_text(t, ballot, tally, resolution, closing.affected)
            if closed_by:
                text += "\n" + t.gettext("Closed early by {name}.").format(name=escape(closed_by))
            return text, None

        now = data.clock.now()
        batch = f"ballot:{ballot_id}:result"
        everyone = await active_recipients(uow)
        rows = queued_rows(batch, everyone, translator_for(data.translations), render, now)
        group = await cluster.main_group(uow)
        if group is not None:
            rows.append(courier.row(batch, group, render(data.translations.get(None))[0], now))
        await courier.enqueue(uow, rows)
    data.courier.wake()
    for job in app.job_queue.jobs():
        if job.name and job.name.startswith(_job_names(ballot_id)):
            job.schedule_removal()
    for react in data.ballot_closed:
        await react(app, closing)
    return closing


async def close_if_everyone_voted(app: Any, ballot_id: int) -> ballots.Closing | None:
    """A decision without a meeting closes at the last vote of its quorum base (Ptk. 3:20 (4));
    two last votes at once close it once."""
    async with app.bot_data.db.unit() as uow:
        ballot = await uow.ballots.get(ballot_id)
        done = ballot is not None and ballots.everyone_voted(
            ballot, await uow.ballots.turnout(ballot_id)
        )
    return await close_and_announce(app, ballot_id, "") if done else None


async def stop_for_meeting(app: Any, ballot_id: int, member_id: int, name: str) -> Ballot:
    """A member asked for a meeting: the procedure stops; every member is told, and the KSz is
    asked to convene a meeting, in the stopping transaction (Ptk. 3:20)."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        ballot = await ballots.request_meeting(uow, ballot_id, member_id, name, now)
        translate = translator_for(data.translations)
        batch = f"ballot:{ballot_id}:meeting_request"
        rows = queued_rows(
            batch, await active_recipients(uow), translate,
            lambda t: (views.stopped_for_meeting(t, ballot), None), now,
        )  # fmt: skip
        rows += queued_rows(
            batch + ":ksz", await recipients(uow, await uow.members.ksz()), translate,
            lambda t: (views.convene_meeting(t, ballot, data.settings.meeting_notice_days), None),
            now,
        )  # fmt: skip
        group = await cluster.main_group(uow)
        if group is not None:
            text = views.stopped_for_meeting(data.translations.get(None), ballot)
            rows.append(courier.row(batch, group, text, now))
        await courier.enqueue(uow, rows)
    data.courier.wake()
    for job in app.job_queue.jobs():
        if job.name and job.name.startswith(_job_names(ballot_id)):
            job.schedule_removal()
    return ballot


async def startup(app: Any) -> None:
    """Close ballots whose deadline passed while the bot was down; schedule the others."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        open_ballots = list(await uow.ballots.open_ballots())
    for ballot in open_ballots:
        if ballot.deadline <= now:
            await close_and_announce(app, ballot.id, "")
            continue
        schedule(app, ballot)
        for hours in data.settings.reminder_hours:
            if ballot.deadline - timedelta(hours=hours) <= now:
                await remind(app, ballot.id, hours)


def register(app: Any) -> None:
    """A sent group copy keeps its message id and what it shows."""
    app.bot_data.courier.on_sent(GROUP_COPY, _remember_group_copy(app.bot_data))
