"""Conflicts of interest (Ptk. 3:19 (2)): /erintett, a member affected in a decision."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application

from bot import courier
from bot.access import add_commands
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext
from bot.delivery import queued_rows, recipients, translator_for
from bot.i18n import N_
from bot.jobs.ballots import close_if_everyone_voted, schedule_group_update
from bot.services import ballots, meetings
from bot.services.roles import Permission
from bot.views import ballots as views
from storage.db import UnitOfWork
from storage.models import Member
from storage.models.ballots import Ballot, Procedure


async def cmd_affected(update: Update, context: BotContext) -> None:
    """``/erintett 12 indok``: declare oneself affected on ballot #12; the KSz, the ST chair or
    the chair of the meeting whose vote it is marks another member: ``/erintett 12 Név: indok``."""
    message, caller = update.effective_message, context.caller.member
    assert message is not None and caller is not None
    parts = (message.text or "").split(maxsplit=1)
    if len(parts) < 2:
        raise ShowUsage
    ballot_id, rest = ballots.parse_affected(parts[1])
    async with context.db.unit() as uow:
        subject, reason = await ballots.affected_subject(uow, rest, caller)
        standing = context.caller.standing
        ballot, reason = await ballots.declare_affected(
            uow, ballot_id, subject, reason, standing, context.clock.now(),
            chairs_it=await meetings.chairs_vote_of(uow, standing, ballot_id),
        )  # fmt: skip
        if subject.id != caller.id:
            await _tell_subject(uow, context, ballot, subject, reason)
    context.bot_data.courier.wake()
    themself = subject.id == caller.id
    await message.reply_html(
        views.affected_recorded(context.t, ballot, subject.name, reason, themself=themself)
    )
    if ballot.group_message_id is not None:
        schedule_group_update(context.application, ballot.id)
    if ballot.procedure is Procedure.NO_MEETING:  # the base shrank: maybe everyone has voted
        await close_if_everyone_voted(context.application, ballot.id)


async def _tell_subject(
    uow: UnitOfWork, context: BotContext, ballot: Ballot, subject: Member, reason: str
) -> None:
    """The member marked by the KSz or the chair is told, through the outbox."""
    data, by = context.bot_data, context.caller.standing.name
    rows = queued_rows(
        f"ballot:{ballot.id}:affected:{subject.id}",
        await recipients(uow, [subject]),
        translator_for(data.translations),
        lambda t: (views.affected_notice(t, ballot, by, reason), None),
        context.clock.now(),
    )
    await courier.enqueue(uow, rows)


COMMANDS = [
    CommandSpec(
        "erintett", N_("declare that you are affected in a decision (no vote on it)"),
        Permission.MEMBER, cmd_affected, english="affected", private_only=True,
        usage=N_(
            "Usage: <code>{command} 12 reason</code> (the number of the ballot and why you are "
            "affected); the KSz or the chair marks another member: "
            "<code>{command} 12 Name: reason</code>"
        ),
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    add_commands(app, COMMANDS)
