"""Ballots: creation wizard, voting buttons, debate, reminders, closing, results, register."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import warnings
from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
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

from bot import courier, dialogues
from bot.access import CommandSpec, add_buttons, add_commands, gate
from bot.callbacks import Feature, ForgedCallback, decode, pattern
from bot.context import BotContext, UserData
from bot.delivery import (
    active_recipients,
    answer_sent,
    edit_from_button,
    queued_rows,
    recipients,
    translator_for,
)
from bot.i18n import N_, Translator
from bot.services import ballots, cluster
from bot.services.ballots import BallotDraft, BodyDefaults
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.roles import Permission
from bot.views import ballots as views
from bot.views import dialogues as dialogue_views
from bot.views.csv_export import csv_document, delimiter_for, register_header
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models import MemberKind
from storage.models_ballots import (
    Ballot,
    BallotKind,
    BallotStatus,
    Body,
    Majority,
    QuorumRule,
)
from storage.repositories_ballots import (
    BallotRepository,
    ProposalRepository,
    ResolutionRepository,
)

log = logging.getLogger(__name__)

QUESTION, BODY, KIND, OPTIONS, MAX, SECRET, DEADLINE, PREVIEW = range(8)
COMMENT = 20
CONVERSATION_TIMEOUT = 30 * 60
#: The outbox purpose of the main group's copy of a ballot (its message id is remembered).
GROUP_COPY = "ballot_group_copy"
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
        draft = ballots.parse_form(form, context.clock.now(), context.settings.tz, defaults, bodies)
        ballots.check_may_create(standing, draft.body)
        context.user_data.ballot_draft = draft
        return await _show_preview(update, context)
    body = bodies[0]
    context.user_data.ballot_draft = BallotDraft(
        body=body, quorum=defaults[body].quorum, majority=defaults[body].majority
    )
    if inline:  # the question came with the command: straight to the next step
        return await _after_question(update, context, ballots.inline_question(inline))
    await message.reply_html(
        t.gettext(
            "<b>New ballot</b>\nWrite the question or the text of the draft resolution. "
            "(/megse cancels.)\n\nTip: /help shows how to give everything in one message."
        )
    )
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
        await message.reply_html(
            t.gettext("Which body decides?"),
            reply_markup=views.choice_keyboard([(views.body_name(t, b), b.value) for b in bodies]),
        )
        return BODY
    await _ask_kind(update, context)
    return KIND


async def _ask_kind(update: Update, context: BotContext, *, edit: bool = False) -> None:
    t = context.t
    text = t.gettext("What kind of ballot?")
    keyboard = views.choice_keyboard(
        [
            (t.gettext("Yes / No / Abstain"), BallotKind.YES_NO.value),
            (t.gettext("One choice of several"), BallotKind.SINGLE.value),
            (t.gettext("Several choices"), BallotKind.MULTI.value),
        ]
    )
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
    await edit_from_button(
        update,
        t.gettext(
            "Send the options in one message, separated by semicolons, e.g. "
            "<code>Budapest; Debrecen; Szeged</code> (2 to 10 options)."
        ),
        None,
    )
    return OPTIONS


async def msg_options(update: Update, context: BotContext) -> int:
    """The options; multi-choice then asks the limit."""
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    draft.options = ballots.clean_options(message.text or "")
    t = context.t
    if draft.kind is BallotKind.MULTI:
        await message.reply_html(
            t.gettext("At most how many options may a voter choose?"),
            reply_markup=views.choice_keyboard(
                [(str(n), str(n)) for n in range(2, len(draft.options) + 1)]
            ),
        )
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
    t = context.t
    text = t.gettext("Open or secret ballot?")
    keyboard = views.choice_keyboard(
        [(t.gettext("Open (nyílt)"), "open"), (t.gettext("Secret (titkos)"), "secret")]
    )
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
    t = context.t
    await edit_from_button(
        update,
        t.gettext(
            "Deadline? Choose, or write a date and time such as <code>2026.12.05 18:00</code>."
        ),
        views.choice_keyboard(
            [(t.ngettext("{n} day", "{n} days", d).format(n=d), str(d)) for d in ballots.QUICK_DAYS]
        ),
    )
    return DEADLINE


async def cb_deadline(update: Update, context: BotContext) -> int:
    """A quick deadline: 1, 3 or 8 days."""
    days = int(_choice(update, {str(d) for d in ballots.QUICK_DAYS}))
    _draft(context).deadline = ballots.deadline_in(context.clock.now(), days=days)
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await _show_preview(update, context, edit=True)


async def msg_deadline(update: Update, context: BotContext) -> int:
    """A typed deadline."""
    message = update.effective_message
    assert message is not None
    _draft(context).deadline = ballots.parse_deadline(
        message.text or "", context.clock.now(), context.settings.tz
    )
    raise ApplicationHandlerStop(await _show_preview(update, context))


_CYCLE_MAJORITY = list(Majority)
_CYCLE_QUORUM = list(QuorumRule)


async def cb_preview(update: Update, context: BotContext) -> int | None:
    """Change the rules, publish, or cancel."""
    query = update.callback_query
    assert query is not None
    action = decode(query.data, Feature.NEW_BALLOT, {"maj", "quo", "sec", "chg", "pub", "cancel"})
    draft = _draft(context)
    if action.action == "maj":
        draft.majority = _CYCLE_MAJORITY[(_CYCLE_MAJORITY.index(draft.majority) + 1) % 4]
    elif action.action == "quo":
        draft.quorum = _CYCLE_QUORUM[(_CYCLE_QUORUM.index(draft.quorum) + 1) % 3]
    elif action.action == "sec":
        draft.secret = not draft.secret
    elif action.action == "chg":
        draft.changeable = not draft.changeable
    elif action.action == "cancel":
        await query.answer()
        await edit_from_button(update, context.t.gettext("The ballot was not published."), None)
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
        )
        await queue_ballot(uow, context.bot_data, ballot)
    assert update.callback_query is not None
    await update.callback_query.answer(t.gettext("Published."))
    await edit_from_button(
        update,
        t.gettext(
            "Ballot #{id} is published; the members with the vote are getting it now."
        ).format(id=ballot.id),
        None,
    )
    schedule(context.application, ballot)
    context.bot_data.courier.wake()


async def cmd_cancel(update: Update, context: BotContext) -> int:
    """Leave a conversation (creation or comment)."""
    assert update.effective_message is not None
    _forget(context)
    if context.user_data is not None:
        context.user_data.comment_ballot_id = None
    await update.effective_message.reply_html(context.t.gettext("Cancelled."))
    return ConversationHandler.END


async def cmd_cancel_idle(update: Update, context: BotContext) -> None:
    """/megse outside a conversation."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(context.t.gettext("There is nothing to cancel."))


# --- delivery --------------------------------------------------------------------------------


async def queue_ballot(uow: UnitOfWork, data: Any, ballot: Ballot) -> int:
    """Queue the ballot in the outbox, in the caller's transaction (the one that published it):
    buttons to the voters, information to the external supporters of a Közgyűlés ballot, a
    copy for the main group (its message id is kept for the live turnout)."""
    now = data.clock.now()
    repo = uow.repo(BallotRepository)
    voters = await repo.roll_members(ballot.id)
    voter_ids = {m.id for m in voters}
    others = []
    if ballot.body is Body.KGY:
        others = [
            m for m in await uow.members.active(kind=MemberKind.EXTERNAL) if m.id not in voter_ids
        ]
    translate = translator_for(data.translations)
    batch = f"ballot:{ballot.id}:publish"
    # a proposal's ballot names the proposal and carries its discussion's comments
    proposal = await uow.repo(ProposalRepository).by_ballot(ballot.id)
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
    group = await cluster.main_group(uow)
    if group is not None:
        text = text_of(data.translations.get(None), turnout=0)
        rows.append(courier.row(batch, group, text, now, purpose=GROUP_COPY, ref_id=ballot.id))
    return await courier.enqueue(uow, rows)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _remember_group_copy(data: Any) -> courier.Effect:
    """The courier's effect for a sent group copy: keep its id and what it shows."""

    async def effect(
        uow: UnitOfWork, ballot_id: int, chat_id: int, message_id: int, text: str
    ) -> None:
        stored = await uow.repo(BallotRepository).get(ballot_id)
        if stored is not None:
            stored.group_chat_id, stored.group_message_id = chat_id, message_id
            stored.group_shown = _digest(text)

    return effect


_pending_group_updates: set[int] = set()


def schedule_group_update(app: Any, ballot_id: int) -> None:
    """Refresh the main group's copy (turnout) soon; many votes make one edit."""
    if ballot_id in _pending_group_updates:
        return
    _pending_group_updates.add(ballot_id)
    app.bot_data.spawn(_update_group_copy(app, ballot_id), name=f"ballot:{ballot_id}:group")


async def _update_group_copy(app: Any, ballot_id: int) -> None:
    await asyncio.sleep(app.bot_data.settings.group_update_seconds)
    _pending_group_updates.discard(ballot_id)
    data = app.bot_data
    async with data.db.unit() as uow:
        repo = uow.repo(BallotRepository)
        ballot = await repo.get(ballot_id)
        if ballot is None or ballot.group_message_id is None:
            return
        turnout = await repo.turnout(ballot_id)
        comments = await repo.comment_count(ballot_id)
        proposal = await uow.repo(ProposalRepository).by_ballot(ballot_id)
    text = views.ballot_text(
        data.translations.get(None), ballot, turnout=turnout, comments=comments, proposal=proposal
    )
    if _digest(text) == ballot.group_shown:
        return  # a changed vote, say: the copy already shows this, and Telegram would refuse
    try:
        await app.bot.edit_message_text(
            text, chat_id=ballot.group_chat_id, message_id=ballot.group_message_id
        )
    except BadRequest as exc:
        if "not modified" not in exc.message:
            log.warning("could not update the group copy of ballot %s: %s", ballot_id, exc)
            return
    async with data.db.unit() as uow:
        stored = await uow.repo(BallotRepository).get(ballot_id)
        if stored is not None:
            stored.group_shown = _digest(text)


# --- voting ----------------------------------------------------------------------------------

_VOTE_ACTIONS = {"c", "t", "s", "k", "b", "r", "w", "o"}


_CASTING = {"c", "s", "k", "w"}


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
    """Every vote button: cast, toggle, submit, confirm (secret), back, change, withdraw, open.

    Voting is personal: pressed in a group, nothing there changes and the ballot goes to the
    presser's private chat. Every action but "open" reads the ballot under the lock that keeps
    a concurrent close waiting (``ballots.voting_booth``), in the unit that records the vote.
    """
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.VOTE, _VOTE_ACTIONS)
    ballot_id = data.int_arg(0)
    if not _in_private(update):
        await _ballot_to_private(update, context, ballot_id)
        return
    member = context.caller.member
    assert member is not None
    t = context.t
    now = context.clock.now()
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    result: ballots.CastResult | None = None
    chosen: list[int] = []
    async with context.db.unit() as uow:
        if data.action == "o":
            ballot, on_roll = await ballots.ballot_for(uow, ballot_id, member.id)
            final = on_roll and not await ballots.may_vote_again(uow, ballot, member.id)
        else:
            booth = await ballots.voting_booth(uow, ballot_id, member.id, now)
            ballot, on_roll = booth.ballot, booth.on_roll
            if not on_roll:
                raise ballots.NotOnRoll(ballot_id)
            if data.action == "w":
                await ballots.withdraw_vote(uow, booth, member.id, now)
            elif data.action in _CASTING:
                chosen = _chosen(data, ballot, markup)
                if chosen and ballot.secret and data.action == "s":
                    ballots.check_choice(ballot, chosen)  # before asking to confirm it
                if chosen and not (ballot.secret and data.action != "k"):
                    result = await ballots.cast_vote(uow, booth, member.id, chosen, now)
    if data.action == "o":
        assert update.effective_chat is not None
        await query.answer()
        await _send_ballot_to(
            context, update.effective_chat.id, ballot, on_roll=on_roll, voted=final
        )
    elif data.action in {"b", "r"}:
        await query.answer()
        await edit_from_button(
            update, views.ballot_text(t, ballot), views.voter_keyboard(t, ballot)
        )
    elif data.action == "t":
        option = data.int_arg(1)
        ticked = views.selected_in(markup, ballot)
        ticked = [o for o in ticked if o != option] if option in ticked else [*ticked, option]
        ballots.check_ticks(ballot, ticked)  # refused at the tick: an alert, the keyboard kept
        await query.answer()
        await edit_from_button(
            update, views.ballot_text(t, ballot), views.voter_keyboard(t, ballot, ticked)
        )
    elif data.action == "w":
        await query.answer(views.withdrawn(t)[:200])
        await edit_from_button(
            update,
            views.ballot_text(t, ballot) + "\n\n" + views.withdrawn(t),
            views.voter_keyboard(t, ballot),
        )
        _refresh_group(context, ballot)
    elif not chosen:
        await query.answer(t.gettext("Choose at least one option first."), show_alert=True)
    elif result is None:  # a secret ballot: confirm first
        text, keyboard = views.secret_confirm(t, ballot, chosen)
        await query.answer()
        await edit_from_button(update, text, keyboard)
    elif ballot.secret:
        await query.answer(t.gettext("Vote recorded."))
        await edit_from_button(
            update,
            views.ballot_text(t, ballot) + "\n\n" + views.secret_recorded(t),
            views.info_keyboard(t, ballot),
        )
        _refresh_group(context, ballot)
    else:
        confirmation = views.vote_recorded(t, ballot, chosen, result.changed)
        await query.answer(t.gettext("Vote recorded."))
        await edit_from_button(
            update,
            views.ballot_text(t, ballot) + "\n\n" + confirmation,
            views.after_vote_keyboard(t, ballot),
        )
        _refresh_group(context, ballot)


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
        ballot = await uow.repo(BallotRepository).get(ballot_id)
        group = await cluster.main_group(uow)
    context.user_data.comment_ballot_id = None
    t = context.t
    await message.reply_html(t.gettext("Thank you, your comment is published in the debate."))
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
        repo = uow.repo(BallotRepository)
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


#: Called after a ballot closed (e.g. to move a strategy proposal on): ``hook(app, closing)``.
closed_hooks: list[Any] = []


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
            text = views.result_text(t, ballot, tally, resolution)
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
    for hook in closed_hooks:
        await hook(app, closing)
    return closing


async def startup(app: Any) -> None:
    """Close ballots whose deadline passed while the bot was down; schedule the others."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        open_ballots = list(await uow.repo(BallotRepository).open_ballots())
    for ballot in open_ballots:
        if ballot.deadline <= now:
            await close_and_announce(app, ballot.id, "")
            continue
        schedule(app, ballot)
        for hours in data.settings.reminder_hours:
            if ballot.deadline - timedelta(hours=hours) <= now:
                await remind(app, ballot.id, hours)


# --- commands ----------------------------------------------------------------------------------


def _ballot_id(context: BotContext) -> int:
    text = (context.args or [""])[0].lstrip("#")
    if not text.isdigit():
        raise InvalidInput("ballot", "empty")
    return int(text)


async def cmd_ballots(update: Update, context: BotContext) -> None:
    """Open and recent ballots."""
    assert update.effective_message is not None
    async with context.db.unit() as uow:
        repo = uow.repo(BallotRepository)
        recent = await repo.recent(RECENT)
        turnouts = {b.id: await repo.turnout(b.id) for b in recent}
    text, keyboard = views.ballots_list(context.t, recent, turnouts)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def cmd_details(update: Update, context: BotContext) -> None:
    """Who voted how in an open ballot."""
    assert update.effective_message is not None
    if not context.args:
        await update.effective_message.reply_html(
            context.t.gettext("Usage: <code>/ballotdetails 12</code> (the number of the ballot)")
        )
        return
    async with context.db.unit() as uow:
        ballot, votes = await ballots.details(uow, _ballot_id(context))
    for part in split_lines(views.details_text(context.t, ballot, votes)):
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
        await edit_from_button(
            update, t.gettext("Ballot #{id} stays open.").format(id=ballot_id), None
        )
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
        t.gettext("Ballot #{id} is closed; the result is being sent to every member.").format(
            id=ballot_id
        ),
        None,
    )


async def _register_page(
    context: BotContext, page: int, query: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        found, total = await uow.repo(ResolutionRepository).search(
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
    parts = split_lines(text)
    for part in parts[:-1]:
        await update.effective_message.reply_html(part)
    await update.effective_message.reply_html(parts[-1], reply_markup=keyboard)


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
        resolutions = await uow.repo(ResolutionRepository).all()
    t = context.t
    if data.action == "csv":
        header = register_header(t)
        rows = []
        for r in resolutions:
            votes = "; ".join(f"{label}: {n}" for label, n in r.counts.get("options", []))
            decision = "\n".join(views.resolution_decision(t, r, esc=views.plain))
            rows.append(
                [views.resolution_label(t, r), r.body.value, r.adopted_on.isoformat(), r.text,
                 r.counts.get("turnout", ""), r.counts.get("electorate", ""), votes, decision]
            )  # fmt: skip
        payload = csv_document(header, rows, delimiter=delimiter_for(t))
        name = "hatarozatok.csv"
    else:
        title = t.gettext("Register of resolutions")
        lines = [f"# {title}", ""]
        for r in resolutions:
            votes = ", ".join(f"{label}: {n}" for label, n in r.counts.get("options", []))
            lines += [f"## {views.resolution_label(t, r)}", "", r.text, "", f"*{votes}*", ""]
            decision = views.resolution_decision(t, r, esc=views.plain)
            for line in decision:  # "• " items become a Markdown list
                lines += ["- " + line[2:]] if line.startswith("• ") else [line, ""]
            if decision:
                lines.append("")
        payload, name = "\n".join(lines).encode(), "hatarozatok.md"
    assert update.effective_user is not None  # the export goes to the private chat, never a group
    await context.bot.send_document(update.effective_user.id, document=payload, filename=name)
    await answer_sent(update, context)


COMMANDS = [
    CommandSpec(
        "szavazas_uj", N_("new ballot, step by step or in one message"),
        Permission.BALLOT_CREATOR, cmd_new_ballot, english="newpoll", private_only=True,
        own_handler=True,
        help_note=N_(
            "In one message: the command, then one line each: <code>Kérdés: …</code>, "
            "<code>Határidő: 2026.12.05 18:00</code> (or a number of days), optionally "
            "<code>Titkos: igen</code>, <code>Opciók: a; b; c</code>, <code>Választható: 2</code>, "
            "<code>Testület: Kgy</code> or <code>ST</code>, <code>Többség: egyszerű</code>, "
            "<code>abszolút</code>, <code>kétharmad</code> or <code>háromnegyed</code>, "
            "<code>Határozatképesség: 50%+1</code>, <code>kétharmad</code> or <code>nincs</code>, "
            "<code>Módosítható: nem</code>."
        ),
    ),
    CommandSpec(
        "szavazasok", N_("open and recent ballots"), Permission.MEMBER, cmd_ballots,
        english="ballots",
    ),
    CommandSpec(
        "szavazas_reszletek", N_("who voted how in an open ballot"), Permission.MEMBER,
        cmd_details, english="ballotdetails",
    ),
    CommandSpec(
        "szavazas_lezaras", N_("close a ballot early (its creator or the ST chair)"),
        Permission.BALLOT_CREATOR, cmd_close, english="closeballot",
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


def _text(callback: Any) -> MessageHandler[Any, Any]:
    return MessageHandler(filters.TEXT & ~filters.COMMAND, callback)


def _buttons(callback: Any, permission: Permission = Permission.BALLOT_CREATOR) -> Any:
    return CallbackQueryHandler(gate(permission)(callback), pattern=pattern(Feature.NEW_BALLOT))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the conversations first (they own free text while active), then the commands."""
    app.bot_data.courier.on_sent(GROUP_COPY, _remember_group_copy(app.bot_data))
    creator = Permission.BALLOT_CREATOR
    new_ballot = next(s for s in COMMANDS if s.name == "szavazas_uj")
    cancel = CommandHandler(["megse", "cancel"], gate(Permission.PUBLIC)(cmd_cancel))
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, which is what a wizard needs.
        warnings.simplefilter("ignore", PTBUserWarning)
        dialogues.add_conversation(
            app,
            ConversationHandler(
                entry_points=[
                    CommandHandler(
                        list(new_ballot.names),
                        gate(creator, private_only=True)(cmd_new_ballot),
                    )
                ],
                states={
                    QUESTION: [_text(gate(creator)(msg_question))],
                    BODY: [_buttons(cb_body)],
                    KIND: [_buttons(cb_kind)],
                    OPTIONS: [_text(gate(creator)(msg_options))],
                    MAX: [_buttons(cb_max)],
                    SECRET: [_buttons(cb_secret)],
                    DEADLINE: [_buttons(cb_deadline), _text(gate(creator)(msg_deadline))],
                    PREVIEW: [_buttons(cb_preview)],
                },
                fallbacks=[cancel],
                conversation_timeout=CONVERSATION_TIMEOUT,
                allow_reentry=True,
                name="new_ballot",
            ),
            dialogue_views.NEW_BALLOT,
            _forget_draft,
            new_ballot.names,
        )
        dialogues.add_conversation(
            app,
            ConversationHandler(
                entry_points=[
                    CallbackQueryHandler(
                        gate(Permission.MEMBER)(cb_debate), pattern=pattern(Feature.DEBATE)
                    )
                ],
                states={COMMENT: [_text(gate(Permission.MEMBER)(msg_comment))]},
                fallbacks=[cancel],
                conversation_timeout=CONVERSATION_TIMEOUT,
                name="ballot_comment",
            ),
            dialogue_views.BALLOT_COMMENT,
            _forget_comment,
        )
    add_buttons(app, pattern(Feature.NEW_BALLOT), creator, cb_wizard_over)
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.VOTE), Permission.MEMBER, cb_vote)
    add_buttons(app, pattern(Feature.REGISTER), Permission.MEMBER, cb_register)
    add_buttons(
        app, pattern(Feature.CLOSE_BALLOT), Permission.BALLOT_CREATOR, cb_close, private_only=True
    )
