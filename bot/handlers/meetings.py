"""Meetings (ülés): /ules_uj, /ules_megismetelt, /ulesek, /jelen, /tavozom, /meghatalmazas,
/ules_tisztsegviselok, /ules_napirend, /ules_szavazas, /ules_zaras, /jegyzokonyv."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot import offload
from bot.access import add_buttons, add_commands
from bot.callbacks import Feature, decode, pattern
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext
from bot.delivery import edit_from_button
from bot.i18n import N_
from bot.jobs import ballots as ballot_jobs
from bot.jobs import meetings as jobs
from bot.services import meetings
from bot.services.identity import find_member
from bot.services.roles import Permission
from bot.services.text import parse_id
from bot.views import ballots as ballot_views
from bot.views import meetings as views
from bot.views import minutes as minutes_views
from storage.models.ballots import Body, QuorumRule


def _rest(update: Update) -> str:
    """The message's text after the command (its lines kept)."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _number(context: BotContext) -> int:
    """The meeting's number, the first argument; anything else (an over-long number too) gets
    the command's usage."""
    number = parse_id((context.args or [""])[0])
    if number is None:
        raise ShowUsage
    return number


async def cmd_new_meeting(update: Update, context: BotContext) -> None:
    """Convene a meeting from the one-message form; the invitation goes through the outbox."""
    message, form = update.effective_message, _rest(update)
    assert message is not None
    if not form.strip():
        raise ShowUsage
    settings, now = context.settings, context.clock.now()
    draft = meetings.parse_form(form, now, settings.tz, settings.meeting_notice_days)
    rule = QuorumRule(settings.kgy_quorum if draft.body is Body.KGY else settings.st_quorum)
    async with context.db.unit() as uow:
        meeting = await meetings.convene(uow, draft, context.caller.standing, rule, now)
        invited = len(await meetings.invitees(uow, meeting))
        await jobs.queue_invitation(uow, context.bot_data, meeting)
    context.bot_data.courier.wake()
    jobs.schedule(context.application, meeting)
    await message.reply_html(views.convened(context.t, meeting, invited))


async def cmd_reconvene(update: Update, context: BotContext) -> None:
    """Call the reconvened meeting of a not-quorate one: same agenda, its own quorum rule."""
    message = update.effective_message
    assert message is not None
    if len(context.args or []) < 2:
        raise ShowUsage
    settings, now = context.settings, context.clock.now()
    meeting_id, starts_at = meetings.parse_reconvene(list(context.args or []), now, settings.tz)
    rule = QuorumRule(settings.meeting_reconvened_quorum)
    async with context.db.unit() as uow:
        meeting = await meetings.reconvene(
            uow, meeting_id, starts_at, context.caller.standing, rule, now,
            settings.meeting_notice_days,
        )  # fmt: skip
        invited = len(await meetings.invitees(uow, meeting))
        await jobs.queue_invitation(uow, context.bot_data, meeting)
    context.bot_data.courier.wake()
    jobs.schedule(context.application, meeting)
    await message.reply_html(views.convened(context.t, meeting, invited))


async def cmd_meetings(update: Update, context: BotContext) -> None:
    """The meetings convened or running that the caller is invited to, with their agenda and
    proxies; in a group only those every member may see (``meetings.visible_in_group``)."""
    chat, standing = update.effective_chat, context.caller.standing
    assert update.effective_message is not None and chat is not None
    private = chat.type == ChatType.PRIVATE
    async with context.db.unit() as uow:
        found = [
            m for m in await uow.meetings.active()
            if meetings.visible_to(m, standing) and (private or meetings.visible_in_group(m))
        ]  # fmt: skip
        proxies = {m.id: await uow.meetings.proxies(m.id) for m in found}
    await update.effective_message.reply_html(views.meetings_text(context.t, found, proxies))


async def cmd_proxy(update: Update, context: BotContext) -> None:
    """``/meghatalmazas [ÜLÉS] NÉV``: authorise a member to represent the caller at the next
    meeting (or the one named); ``/meghatalmazas visszavonás [ÜLÉS]`` revokes it."""
    message, caller = update.effective_message, context.caller.member
    assert message is not None and caller is not None
    request = meetings.parse_proxy(_rest(update))
    if request is None:
        raise ShowUsage
    if request.revoke:
        await _revoke_proxy(update, context, request.meeting_id)
        return
    settings, data = context.settings, context.bot_data
    async with context.db.unit() as uow:
        holder = await find_member(uow, request.name)
        meeting = await meetings.give_proxy(
            uow, caller, holder, request.meeting_id, context.clock.now(),
            allowed=settings.meeting_proxies, per_holder=settings.meeting_proxies_per_holder,
        )  # fmt: skip
        await jobs.queue_proxy_notice(uow, data, meeting, caller, holder, given=True)
    data.courier.wake()
    text, keyboard = views.proxy_given(context.t, meeting, holder.name)
    await message.reply_html(text, reply_markup=keyboard)


async def _revoke_proxy(update: Update, context: BotContext, meeting_id: int | None) -> None:
    """The principal revokes their proxy (a command or the button under the confirmation)."""
    caller, data = context.caller.member, context.bot_data
    assert caller is not None
    async with context.db.unit() as uow:
        meeting, holder = await meetings.revoke_proxy(uow, caller, meeting_id, context.clock.now())
        if holder is not None:
            await jobs.queue_proxy_notice(uow, data, meeting, caller, holder, given=False)
    data.courier.wake()
    text = views.proxy_revoked(context.t, meeting, holder.name if holder else "")
    if update.callback_query is not None:
        await update.callback_query.answer()
        await edit_from_button(update, text, None)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(text)


async def cb_proxy(update: Update, context: BotContext) -> None:
    """The "Revoke the proxy" button under the confirmation."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.PROXY, {"rv"})
    await _revoke_proxy(update, context, data.int_arg(0))


async def cmd_present(update: Update, context: BotContext) -> None:
    """Check in (jelenléti ív); the chair records another member with ``/jelen Név``; a
    meeting's number first picks it when two overlap (``/jelen 3``, ``/jelen 3 Név``)."""
    message, caller = update.effective_message, context.caller.member
    assert message is not None and caller is not None
    request, now = meetings.parse_presence(_rest(update)), context.clock.now()
    async with context.db.unit() as uow:
        member = await find_member(uow, request.name) if request.name else caller
        done = await meetings.check_in(
            uow, member, context.caller.standing, now, request.meeting_id
        )
        if done.opened:
            await jobs.announce_quorate(uow, context.bot_data, done.meeting)
    context.bot_data.courier.wake()
    text = views.checked_in(
        context.t, done.meeting, member.name, done.quorum, self=member.id == caller.id
    )
    await message.reply_html(text)


async def cmd_leave(update: Update, context: BotContext) -> None:
    """Check out of the meeting the member is present at (or ``/tavozom 3``): the following
    votes count without them."""
    message, caller = update.effective_message, context.caller.member
    assert message is not None and caller is not None
    request = meetings.parse_presence(_rest(update))
    if request.name:
        raise ShowUsage
    async with context.db.unit() as uow:
        done = await meetings.check_out(uow, caller, context.clock.now(), request.meeting_id)
    await message.reply_html(views.checked_out(context.t, done.meeting, done.quorum))


async def cmd_item_vote(update: Update, context: BotContext) -> None:
    """The chair opens an agenda item's vote among the members with the vote present."""
    message = update.effective_message
    assert message is not None
    request = meetings.parse_item_vote(list(context.args or []))
    t, now = context.t, context.clock.now()
    async with context.db.unit() as uow:
        meeting, item, ballot = await meetings.open_item_vote(
            uow, request, context.caller.standing, now,
            yes_no_labels=ballot_views.yes_no_labels(t),
        )  # fmt: skip
        await ballot_jobs.queue_ballot(uow, context.bot_data, ballot)
    ballot_jobs.schedule(context.application, ballot)
    context.bot_data.courier.wake()
    await message.reply_html(views.vote_opened(t, meeting, item, ballot))


async def cmd_agenda(update: Update, context: BotContext) -> None:
    """The chair puts the agenda to an open vote of those present: ``/ules_napirend 3 [10]``."""
    message = update.effective_message
    assert message is not None
    if not context.args:
        raise ShowUsage
    meeting_id, minutes = meetings.parse_agenda_vote(list(context.args))
    t, now = context.t, context.clock.now()
    async with context.db.unit() as uow:
        meeting = await meetings.chaired_meeting(uow, meeting_id, context.caller.standing)
        meeting, ballot = await meetings.open_agenda_vote(
            uow, meeting.id, minutes, views.agenda_question(t, meeting), context.caller.standing,
            now, yes_no_labels=ballot_views.yes_no_labels(t),
        )  # fmt: skip
        await ballot_jobs.queue_ballot(uow, context.bot_data, ballot)
    ballot_jobs.schedule(context.application, ballot)
    context.bot_data.courier.wake()
    await message.reply_html(views.agenda_vote_opened(t, meeting, ballot.id))


async def cmd_officers(update: Update, context: BotContext) -> None:
    """The convener puts the chair, the minute-taker and the authenticators to an open vote of
    those present: ``/ules_tisztsegviselok 3 Levezető elnök: Név; Jegyzőkönyvvezető: Név;
    Hitelesítők: Név, Név`` (without the chair's line the convener is proposed)."""
    message = update.effective_message
    assert message is not None
    number, _sep, rest = _rest(update).partition(" ")
    meeting_id = parse_id(number)
    if meeting_id is None or not rest.strip():
        raise ShowUsage
    t, now = context.t, context.clock.now()
    async with context.db.unit() as uow:
        officers = await meetings.parse_officers(uow, rest)
        meeting = await meetings.officers_meeting(uow, meeting_id, context.caller.standing)
        question = views.officers_question(t, meeting, officers)
        meeting, ballot = await meetings.propose_officers(
            uow, meeting.id, officers, question, context.caller.standing, now,
            yes_no_labels=ballot_views.yes_no_labels(t),
        )  # fmt: skip
        await ballot_jobs.queue_ballot(uow, context.bot_data, ballot)
    ballot_jobs.schedule(context.application, ballot)
    context.bot_data.courier.wake()
    await message.reply_html(views.officers_vote_opened(t, meeting, ballot.id))


async def cb_minutes(update: Update, context: BotContext) -> None:
    """An elected authenticator confirms the minutes; the last confirmation sends them to
    every member."""
    query, member = update.callback_query, context.caller.member
    assert query is not None and member is not None
    data = decode(query.data, Feature.MINUTES, {"ok"})
    async with context.db.unit() as uow:
        meeting = await meetings.confirm_minutes(uow, data.int_arg(0), member, context.clock.now())
        await jobs.queue_minutes(uow, context.bot_data, meeting)
    context.bot_data.courier.wake()
    await query.answer()
    await edit_from_button(update, views.confirmed(context.t, meeting), None)


async def cmd_close_meeting(update: Update, context: BotContext) -> None:
    """The chair closes the meeting; every invitee is told where the minutes are."""
    message = update.effective_message
    assert message is not None
    async with context.db.unit() as uow:
        meeting = await meetings.close_meeting(
            uow, _number(context), context.caller.standing, context.clock.now()
        )
        await jobs.queue_closed(uow, context.bot_data, meeting)
    context.bot_data.courier.wake()
    await message.reply_html(views.meeting_closed(context.t, meeting))


async def cmd_minutes(update: Update, context: BotContext) -> None:
    """The minutes as a PDF, rendered in the worker process."""
    user = update.effective_user
    assert user is not None
    meeting_id, t = _number(context), context.t
    async with context.db.unit() as uow:
        record = await meetings.record(uow, meeting_id, context.caller.standing)
    doc = minutes_views.minutes_doc(t, record)
    pdf = await offload.run(minutes_views.render_pdf, doc, context.settings.minutes_font_dir)
    name = minutes_views.minutes_name(t, meeting_id)
    await context.bot.send_document(user.id, document=pdf, filename=name)


COMMANDS = [
    CommandSpec(
        "ules_uj", N_("convene a meeting (invitation, agenda)"), Permission.BALLOT_CREATOR,
        cmd_new_meeting, english="newmeeting", private_only=True,
        usage=N_(
            "Usage, in one message: <code>{command}</code>, then one line each: "
            "<code>Time: 2026.12.10 17:00</code>, <code>Place: …</code> and/or "
            "<code>Online: https://…</code>, one <code>Item: title | draft resolution</code> "
            "line per agenda item, optionally <code>Body: strategic council</code>."
        ),
    ),
    CommandSpec(
        "ules_megismetelt", N_("call the reconvened meeting of a meeting without a quorum"),
        Permission.BALLOT_CREATOR, cmd_reconvene, english="reconvene", private_only=True,
        usage=N_(
            "Usage: <code>{command} 3 2026.12.15 17:00</code> (the meeting that had no quorum, "
            "then the new start, 3 to 15 days after the original one)"
        ),
    ),
    CommandSpec(
        "ulesek", N_("meetings convened, with their agenda"), Permission.MEMBER, cmd_meetings,
        english="meetings",
    ),
    CommandSpec(
        "jelen", N_("check in at a meeting (the chair: another member, by name)"),
        Permission.MEMBER, cmd_present, english="present", private_only=True,
    ),
    CommandSpec(
        "tavozom", N_("check out of a meeting"), Permission.MEMBER, cmd_leave, english="leave",
        private_only=True,
        usage=N_(
            "Usage: <code>{command}</code> (you leave the meeting you are present at), or "
            "<code>{command} 3</code> for meeting #3"
        ),
    ),
    CommandSpec(
        "ules_napirend", N_("put the agenda to the vote (the chair)"), Permission.MEMBER,
        cmd_agenda, english="agenda", private_only=True,
        usage=N_(
            "Usage: <code>{command} 3 10</code> (the meeting, and the minutes the vote stays "
            "open; after the officers' election, before the items' votes)"
        ),
    ),
    CommandSpec(
        "ules_szavazas", N_("open the vote on an agenda item (the chair)"),
        Permission.MEMBER, cmd_item_vote, english="itemvote", private_only=True,
        usage=N_(
            "Usage: <code>{command} 3 2 10</code> (the meeting, the agenda item, and the "
            "minutes the vote stays open); add <code>secret</code> for a secret vote on a "
            "personnel matter: <code>{command} 3 2 10 secret</code>"
        ),
    ),
    CommandSpec(
        "ules_tisztsegviselok",
        N_("elect the chair, the minute-taker and the authenticators (the convener)"),
        Permission.BALLOT_CREATOR, cmd_officers, english="officers", private_only=True,
        usage=N_(
            "Usage: <code>{command} 3 Chair: Name; Minute-taker: Name; Authenticators: Name, "
            "Name</code> (the meeting, then the members proposed; those present vote on them; "
            "without the chair's line the convener is proposed as the chair)"
        ),
    ),
    CommandSpec(
        "meghatalmazas", N_("authorise a member to vote for you at a meeting (proxy)"),
        Permission.VOTER, cmd_proxy, english="proxy", private_only=True,
        usage=N_(
            "Usage: <code>{command} Name</code> (the member with the vote who represents you at "
            "the next meeting of your body; <code>{command} 3 Name</code> for meeting #3). "
            "Revoke it before the start: <code>{command} revoke</code> (or "
            "<code>{command} revoke 3</code>)."
        ),
    ),
    CommandSpec(
        "ules_zaras", N_("close a meeting (the chair)"), Permission.MEMBER,
        cmd_close_meeting, english="closemeeting", private_only=True,
        usage=N_("Usage: <code>{command} 3</code> (the number of the meeting)"),
    ),
    CommandSpec(
        "jegyzokonyv", N_("the minutes of a meeting as a PDF"), Permission.MEMBER, cmd_minutes,
        english="minutes", private_only=True,
        usage=N_("Usage: <code>{command} 3</code> (the number of the meeting)"),
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.MINUTES), Permission.MEMBER, cb_minutes, private_only=True)
    add_buttons(app, pattern(Feature.PROXY), Permission.VOTER, cb_proxy, private_only=True)
