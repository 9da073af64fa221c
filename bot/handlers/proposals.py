"""Strategy proposals: /javaslat, /javaslatok, the ST's decision, the discussion, the vote."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ConversationHandler,
)

from bot import dialogues
from bot.access import add_commands, add_conversation, on_buttons, on_text
from bot.callbacks import Feature, decode
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext, UserData
from bot.delivery import reply_parts
from bot.i18n import N_
from bot.jobs.ballots import queue_ballot, schedule
from bot.jobs.proposals import open_discussion
from bot.services import proposals
from bot.services.errors import NotFound
from bot.services.identity import Actor
from bot.services.roles import Permission
from bot.views import ballots as ballot_views
from bot.views import dialogues as dialogue_views
from bot.views import proposals as views
from bot.views.common import private_button_text
from storage.db import UnitOfWork
from storage.models.proposals import Proposal, ProposalStage

log = logging.getLogger(__name__)

COMMENT = 30
LIST_LIMIT = 20


async def cmd_propose(update: Update, context: BotContext) -> None:
    """A founder drafts a strategy proposal: ``/javaslat Cím | szöveg``."""
    message = update.effective_message
    assert message is not None
    raw = (message.text or "").split(maxsplit=1)[1] if len((message.text or "").split()) > 1 else ""
    if not raw.strip():
        raise ShowUsage
    async with context.db.unit() as uow:
        proposal = await proposals.draft(uow, context.caller.standing, raw, context.clock.now())
    await message.reply_html(
        views.card(context.t, proposal, []), reply_markup=views.card_keyboard(context.t, proposal)
    )


async def cmd_proposals(update: Update, context: BotContext) -> None:
    """Every proposal with its stage."""
    assert update.effective_message is not None
    async with context.db.unit() as uow:
        items = await uow.proposals.recent(LIST_LIMIT)
    text, keyboard = views.listing(context.t, items)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


_PROPOSAL_ACTIONS = {"show", "st", "submit", "comment"}


async def cb_proposal(update: Update, context: BotContext) -> int | None:
    """A proposal's button; the action names its handler in ``_PROPOSAL_HANDLERS``. Every
    action but a comment ends by showing the proposal."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.PROPOSAL, _PROPOSAL_ACTIONS)
    if data.action == "comment":
        return await _comment(update, context, data.int_arg(0))
    answer = await _PROPOSAL_HANDLERS[data.action](context, data.int_arg(0))
    await query.answer(answer)
    await _show(update, context, data.int_arg(0))
    return None


async def _start_st_ballot(context: BotContext, proposal_id: int) -> str:
    """The ST votes on the proposal."""
    t = context.t
    async with context.db.unit() as uow:
        ballot = await proposals.start_st_ballot(
            uow, proposal_id, context.caller.standing, context.clock.now(),
            context.settings.proposal_ballot_days, ballot_views.yes_no_labels(t),
        )  # fmt: skip
        await queue_ballot(uow, context.bot_data, ballot)
    schedule(context.application, ballot)
    context.bot_data.courier.wake()
    return views.st_ballot_started(t)


async def _submit(context: BotContext, proposal_id: int) -> str:
    """The ST chair puts the proposal to the members' discussion."""
    async with context.db.unit() as uow:
        proposal = await proposals.submit(
            uow, proposal_id, context.caller.standing, context.clock.now(),
            context.settings.proposal_discussion_days,
        )  # fmt: skip
    await open_discussion(context.application, proposal.id)
    return views.discussion_started(context.t)


async def _nothing(context: BotContext, proposal_id: int) -> None:
    return None


_PROPOSAL_HANDLERS: dict[str, Callable[[BotContext, int], Awaitable[str | None]]] = {
    "show": _nothing,
    "st": _start_st_ballot,
    "submit": _submit,
}


async def _comment(update: Update, context: BotContext, proposal_id: int) -> int | None:
    """Start writing a comment (privately, during the discussion)."""
    query, t = update.callback_query, context.t
    assert query is not None and update.effective_chat is not None
    if update.effective_chat.type != ChatType.PRIVATE:  # a comment is written privately
        await query.answer(private_button_text(t)[:200], show_alert=True)
        return None
    async with context.db.unit() as uow:
        proposal = await _proposal(uow, proposal_id)
    if proposal.stage is not ProposalStage.DISCUSSION:
        raise proposals.WrongStage(proposal.stage.value)
    assert context.user_data is not None
    await dialogues.begin(update, context, "proposal_comment")
    context.user_data.comment_proposal_id = proposal_id
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, views.comment_prompt(t))
    return COMMENT


async def _proposal(uow: UnitOfWork, proposal_id: int) -> Proposal:
    proposal = await uow.proposals.get(proposal_id)
    if proposal is None:
        raise NotFound("proposal", str(proposal_id))
    return proposal


async def _show(update: Update, context: BotContext, proposal_id: int) -> None:
    """The proposal with its discussion, and the buttons the caller may press."""
    assert update.effective_chat is not None
    async with context.db.unit() as uow:
        proposal = await _proposal(uow, proposal_id)
        comments = await uow.proposals.comments(proposal_id)
    t = context.t
    await reply_parts(
        context.bot, update.effective_chat.id, views.card(t, proposal, comments),
        views.card_keyboard(t, proposal),
    )  # fmt: skip


async def msg_comment(update: Update, context: BotContext) -> int:
    """Save a discussion comment."""
    message = update.effective_message
    member = context.caller.member
    assert message is not None and member is not None and context.user_data is not None
    proposal_id = context.user_data.comment_proposal_id
    if proposal_id is None:
        raise ApplicationHandlerStop(ConversationHandler.END)
    async with context.db.unit() as uow:
        await proposals.comment(
            uow, proposal_id, Actor(member.id, member.name), message.text or "", context.clock.now()
        )
    context.user_data.comment_proposal_id = None
    await message.reply_html(ballot_views.comment_published(context.t))
    raise ApplicationHandlerStop(ConversationHandler.END)


COMMANDS = [
    CommandSpec(
        "javaslat", N_("draft a strategy proposal (title | text)"), Permission.FOUNDER,
        cmd_propose, english="proposal",
        usage=N_(
            "Usage: <code>{command} Title | text of the proposal</code> (or the title in the "
            "first line and the text below it)."
        ),
    ),
    CommandSpec(
        "javaslatok", N_("strategy proposals and their stage"), Permission.MEMBER,
        cmd_proposals, english="proposals",
    ),
]  # fmt: skip


def _forget_comment(data: UserData) -> None:
    data.comment_proposal_id = None


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The proposal buttons and comments (one conversation), then the commands."""
    add_conversation(
        app, "proposal_comment",
        entry=on_buttons(Feature.PROPOSAL, Permission.MEMBER, cb_proposal),
        states={COMMENT: [on_text(Permission.MEMBER, msg_comment)]},
        label=dialogue_views.PROPOSAL_COMMENT, forget=_forget_comment,
    )  # fmt: skip
    add_commands(app, COMMANDS)
