"""Ballots: creation wizard, voting buttons, debate, reminders, closing, results, register."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ConversationHandler,
)

from bot import dialogues
from bot.access import add_buttons, add_commands, add_conversation, gate, on_buttons, on_text
from bot.callbacks import Callback, Feature, ForgedCallback, decode, pattern
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext, UserData
from bot.delivery import (
    answer_sent,
    edit_from_button,
    reply_parts,
)
from bot.i18n import N_
from bot.jobs.ballots import (
    close_and_announce,
    close_if_everyone_voted,
    queue_ballot,
    schedule,
    schedule_group_update,
    stop_for_meeting,
)
from bot.services import ballots, cluster
from bot.services.ballots import BallotDraft, BodyDefaults
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.roles import Permission
from bot.services.text import parse_id
from bot.views import ballots as views
from bot.views import dialogues as dialogue_views
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models.ballots import (
    Ballot,
    BallotKind,
    BallotStatus,
    Body,
    Majority,
    Procedure,
    QuorumRule,
)

log = logging.getLogger(__name__)

QUESTION, BODY, KIND, OPTIONS, MAX, SECRET, DEADLINE, PREVIEW = range(8)
COMMENT = 20
CONVERSATION_TIMEOUT = 30 * 60
RECENT = 10


# --- small helpers ---------------------------------------------------------------------------


def _defaults(context: BotContext) -> dict[Body, BodyDefaults]:
    s = context.settings
    return {
        Body.KGY: BodyDefaults(QuorumRule(s.kgy_quorum), Majority(s.kgy_majority)),
        Body.ST: BodyDefaults(QuorumRule(s.st_quorum), Majority(s.st_majority)),
    }


def _draft(context: BotContext) -> BallotDraft:
    draft = context.user_data.ballot_draft if context.user_data else None
    if draft is None:
        raise NotFound("draft")
    return draft


async def _electorate(context: BotContext, body: Body) -> int:
    async with context.db.unit() as uow:
        return len(await uow.members.voter_ids(founders=body is Body.ST))


async def _show_preview(update: Update, context: BotContext, *, edit: bool = False) -> int:
    draft = _draft(context)
    text = views.draft_preview(context.t, draft, await _electorate(context, draft.body))
    keyboard = views.preview_keyboard(context.t, draft)
    if edit:
        await edit_from_button(update, text, keyboard)
    else:
        assert update.effective_message is not None
        await update.effective_message.reply_html(text, reply_markup=keyboard)
    return PREVIEW


# --- the creation wizard ---------------------------------------------------------------------


async def cmd_new_ballot(update: Update, context: BotContext) -> int:
    """Start a ballot: a form in the same message leads straight to the preview."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    t = context.t
    standing = context.caller.standing
    bodies = ballots.bodies_for(standing)
    if not bodies:
        raise NotAllowed(Permission.BALLOT_CREATOR)
    defaults = _defaults(context)
    first_line, _, form = (message.text or "").partition("\n")
    inline = first_line.partition(" ")[2].strip()  # "/szavazas_uj Kérdés?" on one line
    if inline and form.strip():  # the first line of the form: a question, labelled or not
        form = "question: " + ballots.inline_question(inline) + "\n" + form
    if form.strip():
        draft = ballots.parse_form(
            form, context.clock.now(), context.settings.tz, defaults, bodies,
            no_meeting_days=context.settings.no_meeting_days,
        )  # fmt: skip
        ballots.check_may_create(standing, draft.body)
        context.user_data.ballot_draft = draft
        return await _show_preview(update, context)
    body = bodies[0]
    context.user_data.ballot_draft = BallotDraft(
        body=body, quorum=defaults[body].quorum, majority=defaults[body].majority
    )
    if inline:  # the question came with the command: straight to the next step
        return await _after_question(update, context, ballots.inline_question(inline))
    await message.reply_html(views.question_prompt(t))
    return QUESTION


async def msg_question(update: Update, context: BotContext) -> int:
    """The question; then the body (if the creator may choose) or the kind."""
    message = update.effective_message
    assert message is not None
    raise ApplicationHandlerStop(await _after_question(update, context, message.text or ""))


async def _after_question(update: Update, context: BotContext, question: str) -> int:
    """Record the question; ask the body (if the creator may choose) or the kind."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    draft.question = ballots.clean_question(question)
    t = context.t
    bodies = ballots.bodies_for(context.caller.standing)
    if len(bodies) > 1:
        text, keyboard = views.body_prompt(t, bodies)
        await message.reply_html(text, reply_markup=keyboard)
        return BODY
    await _ask_kind(update, context)
    return KIND


async def _ask_kind(update: Update, context: BotContext, *, edit: bool = False) -> None:
    text, keyboard = views.kind_prompt(context.t)
    if edit:
        await edit_from_button(update, text, keyboard)
    else:
        assert update.effective_message is not None
        await update.effective_message.reply_html(text, reply_markup=keyboard)


def _choice(update: Update, allowed: set[str]) -> str:
    assert update.callback_query is not None
    return decode(update.callback_query.data, Feature.NEW_BALLOT, {"set"}).arg(0, allowed)


async def cb_body(update: Update, context: BotContext) -> int:
    """The deciding body."""
    body = Body(_choice(update, {b.value for b in Body}))
    ballots.check_may_create(context.caller.standing, body)
    draft = _draft(context)
    defaults = _defaults(context)[body]
    draft.body, draft.quorum, draft.majority = body, defaults.quorum, defaults.majority
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _ask_kind(update, context, edit=True)
    return KIND


async def cb_kind(update: Update, context: BotContext) -> int:
    """Yes/no, single or multiple choice."""
    draft = _draft(context)
    draft.kind = BallotKind(_choice(update, {k.value for k in BallotKind}))
    query = update.callback_query
    assert query is not None
    await query.answer()
    t = context.t
    if draft.kind is BallotKind.YES_NO:
        draft.options = []
        await _ask_secret(update, context)
        return SECRET
    await edit_from_button(update, views.options_prompt(t), None)
    return OPTIONS


async def msg_options(update: Update, context: BotContext) -> int:
    """The options; multi-choice then asks the limit."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    draft.options = ballots.clean_options(message.text or "")
    t = context.t
    if draft.kind is BallotKind.MULTI:
        text, keyboard = views.max_prompt(t, len(draft.options))
        await message.reply_html(text, reply_markup=keyboard)
        raise ApplicationHandlerStop(MAX)
    await _ask_secret(update, context, new=True)
    raise ApplicationHandlerStop(SECRET)


async def cb_max(update: Update, context: BotContext) -> int:
    """The multi-choice limit."""
    draft = _draft(context)
    draft.max_choices = int(_choice(update, {str(n) for n in range(2, len(draft.options) + 1)}))
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _ask_secret(update, context)
    return SECRET


async def _ask_secret(update: Update, context: BotContext, *, new: bool = False) -> None:
    text, keyboard = views.secret_prompt(context.t)
    if new:
        assert update.effective_message is not None
        await update.effective_message.reply_html(text, reply_markup=keyboard)
    else:
        await edit_from_button(update, text, keyboard)


async def cb_secret(update: Update, context: BotContext) -> int:
    """Open or secret; then the deadline."""
    draft = _draft(context)
    draft.secret = _choice(update, {"open", "secret"}) == "secret"
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_from_button(update, *views.deadline_prompt(context.t, ballots.QUICK_DAYS))
    return DEADLINE


async def cb_deadline(update: Update, context: BotContext) -> int:
    """A quick deadline: 1, 3 or 8 days."""
    days = int(_choice(update, {str(d) for d in ballots.QUICK_DAYS}))
    ballots.set_deadline(_draft(context), str(days), context.clock.now(), context.settings.tz)
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await _show_preview(update, context, edit=True)


async def msg_deadline(update: Update, context: BotContext) -> int:
    """A typed deadline."""
    message = update.effective_message
    assert message is not None
    ballots.set_deadline(
        _draft(context), message.text or "", context.clock.now(), context.settings.tz
    )
    raise ApplicationHandlerStop(await _show_preview(update, context))


_CYCLE_MAJORITY = list(Majority)


_PREVIEW_ACTIONS = {"maj", "quo", "sec", "chg", "proc", "pub", "cancel"}


async def cb_preview(update: Update, context: BotContext) -> int | None:
    """Change the rules, publish, or cancel."""
    query = update.callback_query
    assert query is not None
    action = decode(query.data, Feature.NEW_BALLOT, _PREVIEW_ACTIONS)
    draft = _draft(context)
    if action.action == "proc":
        ballots.toggle_procedure(
            draft, context.clock.now(), context.settings.no_meeting_days,
            _defaults(context)[draft.body].quorum,
        )  # fmt: skip
    elif action.action == "maj":
        draft.majority = _CYCLE_MAJORITY[(_CYCLE_MAJORITY.index(draft.majority) + 1) % 4]
    elif action.action == "quo":
        ballots.change_quorum(draft)
    elif action.action == "sec":
        draft.secret = not draft.secret
    elif action.action == "chg":
        draft.changeable = not draft.changeable
    elif action.action == "cancel":
        await query.answer()
        await edit_from_button(update, views.not_published(context.t), None)
        _forget(context)
        return ConversationHandler.END
    else:
        await _publish(update, context, draft)
        _forget(context)
        return ConversationHandler.END
    await query.answer()
    return await _show_preview(update, context, edit=True)


async def cb_wizard_over(update: Update, context: BotContext) -> None:
    """A wizard button outside a running /szavazas_uj (finished, timed out, or in a group)."""
    raise ForgedCallback("no ballot draft in this chat")


def _forget(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.ballot_draft = None


async def _publish(update: Update, context: BotContext, draft: BallotDraft) -> None:
    t = context.t
    async with context.db.unit() as uow:
        ballot = await ballots.publish(
            uow,
            draft,
            context.caller.standing,
            context.clock.now(),
            yes_no_labels=views.yes_no_labels(t),
            abstain_label=views.abstain_label(t),
            no_meeting_days=context.settings.no_meeting_days,
            meeting_quorum=_defaults(context)[draft.body].quorum,
        )
        await queue_ballot(uow, context.bot_data, ballot)
    assert update.callback_query is not None
    await update.callback_query.answer(views.published_short(t))
    await edit_from_button(
        update,
        views.published(t, id=ballot.id),
        None,
    )
    schedule(context.application, ballot)
    context.bot_data.courier.wake()


async def cmd_cancel_idle(update: Update, context: BotContext) -> None:
    """/megse outside a conversation."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(views.nothing_to_cancel(context.t))


# --- delivery --------------------------------------------------------------------------------


# --- voting ----------------------------------------------------------------------------------

_VOTE_ACTIONS = {"c", "t", "s", "k", "b", "r", "w", "o", "m", "q", "p"}


def _chosen(data: Any, ballot: Ballot, markup: InlineKeyboardMarkup | None) -> list[int]:
    """The options a cast/submit/confirm press chose (never trusted: the service checks them)."""
    if data.action == "c":
        return [data.int_arg(1)]
    if data.action == "s":
        return views.selected_in(markup, ballot)
    positions = data.args[1].split("-") if len(data.args) > 1 else []  # "k": secret confirm
    by_position = {str(o.position): o.id for o in ballot.options}
    if not positions or any(p not in by_position for p in positions):
        raise InvalidInput("choice", "unknown_option")
    return [by_position[p] for p in positions]


def _in_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def cb_vote(update: Update, context: BotContext) -> None:
    """Every vote button; the action names its handler in ``_VOTE_HANDLERS``.

    Voting is personal: pressed in a group, nothing there changes and the ballot goes to the
    presser's private chat. Every action but "open" reads the ballot under the lock that keeps
    a concurrent close waiting (``ballots.voting_booth``), in the unit that records the vote.
    """
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.VOTE, _VOTE_ACTIONS)
    if not _in_private(update):
        await _ballot_to_private(update, context, data.int_arg(0))
        return
    await _VOTE_HANDLERS[data.action](update, context, data)


def _voter(context: BotContext) -> int:
    member = context.caller.member
    assert member is not None
    return member.id


def _markup(update: Update) -> InlineKeyboardMarkup | None:
    query = update.callback_query
    assert query is not None
    return query.message.reply_markup if isinstance(query.message, Message) else None


async def _booth(uow: UnitOfWork, context: BotContext, ballot_id: int) -> ballots.Booth:
    """The ballot under the close lock; refused to whoever is not on its roll or is affected."""
    booth = await ballots.voting_booth(uow, ballot_id, _voter(context), context.clock.now())
    booth.check_voter()
    return booth


async def _vote_open(update: Update, context: BotContext, data: Callback) -> None:
    """ "Open" under a listed ballot: the ballot in this chat, with buttons if a vote is due."""
    async with context.db.unit() as uow:
        ballot, on_roll = await ballots.ballot_for(uow, data.int_arg(0), _voter(context))
        final = on_roll and not await ballots.may_vote_again(uow, ballot, _voter(context))
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await _send_ballot_to(context, update.effective_chat.id, ballot, on_roll=on_roll, voted=final)


async def _vote_buttons(update: Update, context: BotContext, data: Callback) -> None:
    """ "Back" from a confirmation, or "change my vote": the voting buttons again."""
    async with context.db.unit() as uow:
        ballot = (await _booth(uow, context, data.int_arg(0))).ballot
    assert update.callback_query is not None
    await update.callback_query.answer()
    t = context.t
    await edit_from_button(update, views.ballot_text(t, ballot), views.voter_keyboard(t, ballot))


async def _vote_tick(update: Update, context: BotContext, data: Callback) -> None:
    """Tick or untick an option of a multiple choice; too many is refused at the tick."""
    async with context.db.unit() as uow:
        ballot = (await _booth(uow, context, data.int_arg(0))).ballot
    option = data.int_arg(1)
    ticked = views.selected_in(_markup(update), ballot)
    ticked = [o for o in ticked if o != option] if option in ticked else [*ticked, option]
    ballots.check_ticks(ballot, ticked)  # refused: an alert, the keyboard kept
    assert update.callback_query is not None
    await update.callback_query.answer()
    t = context.t
    await edit_from_button(
        update, views.ballot_text(t, ballot), views.voter_keyboard(t, ballot, ticked)
    )


async def _vote_withdraw(update: Update, context: BotContext, data: Callback) -> None:
    """Withdraw an open vote while the ballot is open."""
    async with context.db.unit() as uow:
        booth = await _booth(uow, context, data.int_arg(0))
        await ballots.withdraw_vote(uow, booth, _voter(context), context.clock.now())
    t = context.t
    assert update.callback_query is not None
    await update.callback_query.answer(views.withdrawn(t)[:200])
    text = views.ballot_text(t, booth.ballot) + "\n\n" + views.withdrawn(t)
    await edit_from_button(update, text, views.voter_keyboard(t, booth.ballot))
    _refresh_group(context, booth.ballot)


async def _vote_cast(update: Update, context: BotContext, data: Callback) -> None:
    """Cast (one option), submit (the ticked ones) or confirm (a secret vote). A secret vote is
    confirmed first: only "k" records it."""
    result: ballots.CastResult | None = None
    async with context.db.unit() as uow:
        booth = await _booth(uow, context, data.int_arg(0))
        ballot = booth.ballot
        chosen = _chosen(data, ballot, _markup(update))
        if chosen and ballot.secret and data.action == "s":
            ballots.check_choice(ballot, chosen)  # before asking to confirm it
        if chosen and not (ballot.secret and data.action != "k"):
            now = context.clock.now()
            result = await ballots.cast_vote(uow, booth, _voter(context), chosen, now)
    await _after_cast(update, context, ballot, chosen, result)


async def _vote_proxy(update: Update, context: BotContext, data: Callback) -> None:
    """A proxy holder's press at a meeting's vote (``vote:p:BALLOT:OPTION:MEMBER``): the vote
    of the member they represent, cast as that member's through the same booth, so the roll,
    the tally and ``/erintett`` treat it as theirs."""
    principal_id, chosen = data.int_arg(2), [data.int_arg(1)]
    async with context.db.unit() as uow:
        now = context.clock.now()
        booth = await ballots.voting_booth(uow, data.int_arg(0), principal_id, now)
        result = await ballots.cast_vote(uow, booth, principal_id, chosen, now, by=_voter(context))
        principal = await uow.members.get(principal_id)
    query, t, ballot = update.callback_query, context.t, result.ballot
    assert query is not None and principal is not None
    await query.answer(views.vote_recorded_short(t))
    note = views.proxy_vote_recorded(t, ballot, chosen, principal.name, result.changed)
    keyboard = views.proxy_keyboard(t, ballot, principal_id) if ballot.changeable else None
    await edit_from_button(update, views.proxy_text(t, ballot, principal.name, note), keyboard)
    _refresh_group(context, ballot)


async def _after_cast(
    update: Update,
    context: BotContext,
    ballot: Ballot,
    chosen: list[int],
    result: ballots.CastResult | None,
) -> None:
    query, t = update.callback_query, context.t
    assert query is not None
    if not chosen:
        await query.answer(views.choose_first(t), show_alert=True)
        return
    if result is None:  # a secret ballot: confirm first
        await query.answer()
        await edit_from_button(update, *views.secret_confirm(t, ballot, chosen))
        return
    await query.answer(views.vote_recorded_short(t))
    if ballot.secret:
        note, keyboard = views.secret_recorded(t), views.info_keyboard(t, ballot)
    else:
        note = views.vote_recorded(t, ballot, chosen, result.changed)
        keyboard = views.after_vote_keyboard(t, ballot)
    await edit_from_button(update, views.ballot_text(t, ballot) + "\n\n" + note, keyboard)
    _refresh_group(context, ballot)
    if ballot.procedure is Procedure.NO_MEETING:
        await close_if_everyone_voted(context.application, ballot.id)


async def _vote_meeting_ask(update: Update, context: BotContext, data: Callback) -> None:
    """ "Ülést kérek" under a decision without a meeting: ask before it stops the procedure."""
    async with context.db.unit() as uow:
        booth = await ballots.voting_booth(
            uow, data.int_arg(0), _voter(context), context.clock.now()
        )
    if not booth.on_roll:
        raise ballots.NotOnRoll(booth.ballot.id)
    if booth.ballot.procedure is not Procedure.NO_MEETING:
        raise ballots.NotNoMeeting(booth.ballot.id)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_from_button(update, *views.meeting_request_confirm(context.t, booth.ballot))


async def _vote_meeting(update: Update, context: BotContext, data: Callback) -> None:
    """The request for a meeting, confirmed: the procedure stops, the KSz is told."""
    member = context.caller.member
    assert member is not None and update.callback_query is not None
    ballot = await stop_for_meeting(context.application, data.int_arg(0), member.id, member.name)
    await update.callback_query.answer()
    await edit_from_button(update, views.meeting_requested(context.t, ballot), None)
    _refresh_group(context, ballot)


_VOTE_HANDLERS: dict[str, Callable[[Update, BotContext, Callback], Awaitable[None]]] = {
    "o": _vote_open,
    "b": _vote_buttons,
    "r": _vote_buttons,
    "t": _vote_tick,
    "w": _vote_withdraw,
    "c": _vote_cast,
    "s": _vote_cast,
    "k": _vote_cast,
    "m": _vote_meeting_ask,
    "q": _vote_meeting,
    "p": _vote_proxy,
}


def _refresh_group(context: BotContext, ballot: Ballot) -> None:
    if ballot.group_message_id is not None:
        schedule_group_update(context.application, ballot.id)


async def _ballot_to_private(update: Update, context: BotContext, ballot_id: int) -> None:
    """A ballot's button pressed in a group: the ballot goes to the presser's private chat.

    Nothing in the group changes. On the roll, the presser gets the voting buttons; taking
    part in the debate without the vote, the copy for information; otherwise only a refusal.
    """
    query = update.callback_query
    member = context.caller.member
    assert query is not None and member is not None and update.effective_user is not None
    t = context.t
    async with context.db.unit() as uow:
        ballot, on_roll = await ballots.ballot_for(uow, ballot_id, member.id)
        final = on_roll and not await ballots.may_vote_again(uow, ballot, member.id)
    if not on_roll and not ballots.may_comment(context.caller.standing, ballot.body):
        raise NotAllowed(Permission.FOUNDER if ballot.body is Body.ST else Permission.MEMBER)
    try:
        await _send_ballot_to(
            context, update.effective_user.id, ballot, on_roll=on_roll, voted=final
        )
    except Forbidden:
        await query.answer(views.start_private_first(t)[:200], show_alert=True)
        return
    await query.answer(views.sent_privately(t)[:200], show_alert=True)


async def _send_ballot_to(
    context: BotContext, chat_id: int, ballot: Ballot, *, on_roll: bool, voted: bool = False
) -> None:
    """The ballot in a private chat: voting buttons for a voter who may still vote; a voter
    whose vote is final is told so at once (no buttons to press in vain)."""
    t = context.t
    if ballot.status is BallotStatus.OPEN and on_roll and voted:
        await context.bot.send_message(
            chat_id,
            views.ballot_text(t, ballot) + "\n\n" + views.already_voted(t),
            reply_markup=views.info_keyboard(t, ballot),
        )
        return
    if ballot.status is BallotStatus.OPEN and on_roll:
        await context.bot.send_message(
            chat_id,
            views.ballot_text(t, ballot),
            reply_markup=views.voter_keyboard(t, ballot),
        )
        return
    debater = ballots.may_comment(context.caller.standing, ballot.body)
    note = "" if on_roll or not debater else "\n\n" + views.info_note(t)
    await context.bot.send_message(
        chat_id,
        views.ballot_text(t, ballot) + note,
        reply_markup=views.info_keyboard(t, ballot) if debater else None,
    )


# --- debate ----------------------------------------------------------------------------------


async def cb_debate(update: Update, context: BotContext) -> int | None:
    """Show the debate, or start writing a comment (in a private chat, by those who take part
    in the debate of the ballot's body)."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.DEBATE, {"add", "show"})
    ballot_id = data.int_arg(0)
    if not _in_private(update):
        await _ballot_to_private(update, context, ballot_id)
        return None
    assert update.effective_chat is not None
    t = context.t
    standing = context.caller.standing
    async with context.db.unit() as uow:
        if data.action == "show":
            ballot, comments = await ballots.debate(uow, ballot_id, standing)
        else:
            ballot = await ballots.check_may_comment(uow, ballot_id, standing)
    await query.answer()
    if data.action == "show":
        for part in split_lines(views.debate_text(t, ballot, comments)):
            await context.bot.send_message(update.effective_chat.id, part)
        return None
    assert context.user_data is not None
    await dialogues.begin(update, context, "ballot_comment")
    context.user_data.comment_ballot_id = ballot_id
    await context.bot.send_message(update.effective_chat.id, views.comment_prompt(t, ballot))
    return COMMENT


async def msg_comment(update: Update, context: BotContext) -> int:
    """Save the comment; a Közgyűlés ballot's comment is also posted to the main group."""
    message = update.effective_message
    member = context.caller.member
    assert message is not None and member is not None and context.user_data is not None
    ballot_id = context.user_data.comment_ballot_id
    if ballot_id is None or not _in_private(update):
        raise ApplicationHandlerStop(ConversationHandler.END)
    async with context.db.unit() as uow:
        comment = await ballots.add_comment(
            uow, ballot_id, context.caller.standing, message.text or "", context.clock.now()
        )
        ballot = await uow.ballots.get(ballot_id)
        group = await cluster.main_group(uow)
    context.user_data.comment_ballot_id = None
    t = context.t
    await message.reply_html(views.comment_published(t))
    assert ballot is not None
    if group is not None and ballot.body is Body.KGY:
        try:
            await context.bot.send_message(
                group, views.new_comment(context.bot_data.translations.get(None), ballot, comment)
            )
        except TelegramError as exc:
            log.warning("could not post a comment to the main group: %s", exc)
    schedule_group_update(context.application, ballot_id)
    raise ApplicationHandlerStop(ConversationHandler.END)


# --- reminders and closing -------------------------------------------------------------------


# --- commands ----------------------------------------------------------------------------------


def _ballot_id(context: BotContext) -> int:
    number = parse_id((context.args or [""])[0])
    if number is None:
        raise InvalidInput("ballot", "empty")
    return number


async def cmd_ballots(update: Update, context: BotContext) -> None:
    """Open and recent ballots."""
    assert update.effective_message is not None
    async with context.db.unit() as uow:
        repo = uow.ballots
        recent = await repo.recent(RECENT)
        turnouts = {b.id: await repo.turnout(b.id) for b in recent}
    text, keyboard = views.ballots_list(context.t, recent, turnouts)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def cmd_details(update: Update, context: BotContext) -> None:
    """Who voted how in an open ballot."""
    assert update.effective_message is not None
    if not context.args:
        raise ShowUsage
    async with context.db.unit() as uow:
        ballot, votes = await ballots.details(uow, _ballot_id(context))
        by_proxy = await uow.ballots.represented(ballot.id)
    for part in split_lines(views.details_text(context.t, ballot, votes, by_proxy)):
        await update.effective_message.reply_html(part)


async def cmd_close(update: Update, context: BotContext) -> None:
    """Close a ballot before its deadline (its creator or the ST chair): ask first; without a
    number, list the caller's ballots that can be closed."""
    message = update.effective_message
    assert message is not None
    standing = context.caller.standing
    if not context.args:
        async with context.db.unit() as uow:
            found = await ballots.closable(uow, standing)
        text, keyboard = views.closable_list(context.t, found)
        await message.reply_html(text, reply_markup=keyboard)
        return
    ballot_id = _ballot_id(context)
    async with context.db.unit() as uow:
        ballot = await ballots.check_may_close(uow, ballot_id, standing)
    if ballot.status is not BallotStatus.OPEN:
        raise ballots.BallotClosed(ballot_id)
    text, keyboard = views.close_question(context.t, ballot)
    await message.reply_html(text, reply_markup=keyboard)


async def cb_close(update: Update, context: BotContext) -> None:
    """The close buttons: pick a ballot (ask), confirm (ok) or keep it open (no)."""
    query = update.callback_query
    member = context.caller.member
    assert query is not None and member is not None
    data = decode(query.data, Feature.CLOSE_BALLOT, {"ask", "ok", "no"})
    ballot_id = data.int_arg(0)
    t = context.t
    async with context.db.unit() as uow:
        ballot = await ballots.check_may_close(uow, ballot_id, context.caller.standing)
    if data.action == "no":
        await query.answer()
        await edit_from_button(update, views.stays_open(t, id=ballot_id), None)
        return
    if ballot.status is not BallotStatus.OPEN:
        raise ballots.BallotClosed(ballot_id)
    if data.action == "ask":
        await query.answer()
        await edit_from_button(update, *views.close_question(t, ballot))
        return
    closing = await close_and_announce(context.application, ballot_id, member.name)
    if closing is None:
        raise ballots.BallotClosed(ballot_id)
    await query.answer()
    await edit_from_button(
        update,
        views.closed_early(t, id=ballot_id),
        None,
    )


async def _register_page(
    context: BotContext, page: int, query: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        found, total = await uow.resolutions.search(
            query, page * views.REGISTER_PAGE, views.REGISTER_PAGE
        )
    return views.register_text(
        context.t, found, page, total, query, can_export=context.caller.standing.is_ksz_staff
    )


async def cmd_resolutions(update: Update, context: BotContext) -> None:
    """The register of resolutions; words after the command search it."""
    assert update.effective_message is not None
    query = " ".join(context.args or []).strip() or None
    text, keyboard = await _register_page(context, 0, query)
    await reply_parts(context.bot, update.effective_message.chat_id, text, keyboard)


async def cb_register(update: Update, context: BotContext) -> None:
    """Page the register, or (KSz) export it."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    data = decode(query.data, Feature.REGISTER, {"page", "csv", "md"})
    if data.action == "page":
        text, keyboard = await _register_page(context, data.int_arg(0), None)
        await query.answer()
        await edit_from_button(update, split_lines(text)[0], keyboard)
        return
    if not context.caller.standing.is_ksz_staff:
        raise NotAllowed(Permission.KSZ)
    async with context.db.unit() as uow:
        resolutions = await uow.resolutions.all()
    render = views.register_csv if data.action == "csv" else views.register_markdown
    payload, name = await asyncio.to_thread(render, context.t, resolutions)
    assert update.effective_user is not None  # the export goes to the private chat, never a group
    await context.bot.send_document(update.effective_user.id, document=payload, filename=name)
    await answer_sent(update, context)


COMMANDS = [
    CommandSpec(
        "szavazas_uj", N_("new ballot, step by step or in one message"),
        Permission.BALLOT_CREATOR, cmd_new_ballot, english="newpoll", private_only=True,
        own_handler=True,
        help_note=N_(
            "In one message: the command, then one line each: <code>Question: …</code>, "
            "<code>Deadline: 2026.12.05 18:00</code> (or a number of days), optionally "
            "<code>Secret: yes</code>, <code>Options: a; b; c</code>, <code>Max: 2</code>, "
            "<code>Body: general assembly</code> or <code>strategic council</code>, "
            "<code>Majority: simple</code>, <code>absolute</code>, <code>2/3</code> or "
            "<code>3/4</code>, <code>Quorum: 50%+1</code>, <code>2/3</code> or <code>none</code>, "
            "<code>Changeable: no</code>."
        ),
    ),
    CommandSpec(
        "szavazasok", N_("open and recent ballots"), Permission.MEMBER, cmd_ballots,
        english="ballots",
    ),
    CommandSpec(
        "szavazas_reszletek", N_("who voted how in an open ballot"), Permission.MEMBER,
        cmd_details, english="ballotdetails",
        usage=N_("Usage: <code>{command} 12</code> (the number of the ballot)"),
    ),
    CommandSpec(
        "szavazas_lezaras", N_("close a ballot early (its creator or the ST chair)"),
        Permission.MEMBER, cmd_close, english="closeballot",
    ),
    CommandSpec(
        "hatarozatok", N_("the register of resolutions (add words to search)"), Permission.MEMBER,
        cmd_resolutions, english="resolutions",
    ),
    CommandSpec(
        "megse", N_("cancel what you are doing"), Permission.PUBLIC, cmd_cancel_idle,
        english="cancel",
    ),
]  # fmt: skip


def _forget_draft(data: UserData) -> None:
    data.ballot_draft = None


def _forget_comment(data: UserData) -> None:
    data.comment_ballot_id = None


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the conversations first (they own free text while active), then the commands."""
    creator = Permission.BALLOT_CREATOR
    new_ballot = next(s for s in COMMANDS if s.name == "szavazas_uj")

    def step(callback: Any) -> Any:
        return on_buttons(Feature.NEW_BALLOT, creator, callback)

    add_conversation(
        app, "new_ballot",
        entry=CommandHandler(
            list(new_ballot.names), gate(creator, private_only=True)(cmd_new_ballot)
        ),
        states={
            QUESTION: [on_text(creator, msg_question)],
            BODY: [step(cb_body)],
            KIND: [step(cb_kind)],
            OPTIONS: [on_text(creator, msg_options)],
            MAX: [step(cb_max)],
            SECRET: [step(cb_secret)],
            DEADLINE: [step(cb_deadline), on_text(creator, msg_deadline)],
            PREVIEW: [step(cb_preview)],
        },
        label=dialogue_views.NEW_BALLOT, forget=_forget_draft, commands=new_ballot.names,
        allow_reentry=True,
    )  # fmt: skip
    add_conversation(
        app, "ballot_comment",
        entry=on_buttons(Feature.DEBATE, Permission.MEMBER, cb_debate),
        states={COMMENT: [on_text(Permission.MEMBER, msg_comment)]},
        label=dialogue_views.BALLOT_COMMENT, forget=_forget_comment,
    )  # fmt: skip
    add_buttons(app, pattern(Feature.NEW_BALLOT), creator, cb_wizard_over)
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.VOTE), Permission.MEMBER, cb_vote)
    add_buttons(app, pattern(Feature.REGISTER), Permission.MEMBER, cb_register)
    add_buttons(app, pattern(Feature.CLOSE_BALLOT), Permission.MEMBER, cb_close, private_only=True)
