"""Member identity: profile, directory, workgroups, log, invitations, joining, KSz management."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ChatJoinRequestHandler

from bot import courier
from bot.access import add_buttons, add_commands, gate, paged_list
from bot.callbacks import Callback, Feature, ForgedCallback, decode, pattern
from bot.commands import CommandSpec, ShowUsage
from bot.context import BotContext
from bot.delivery import (
    answer_sent,
    edit_from_button,
    queued_rows,
    recipients,
    remove_from_chats,
    translator_for,
)
from bot.i18n import N_
from bot.services import identity
from bot.services.collation import hu_sort_key
from bot.services.errors import NotFound
from bot.services.identity import Actor, Outcome
from bot.services.roles import Permission
from bot.views import members as views
from bot.views.common import refusal
from bot.views.csv_export import csv_document, delimiter_for, member_header
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models import JoinRequest, Member, MemberKind

log = logging.getLogger(__name__)


def _actor(context: BotContext) -> Actor:
    member = context.caller.member
    assert member is not None
    return Actor(member.id, member.name)


async def _catalyst_names(uow: UnitOfWork, member: Member) -> list[str]:
    return [g.name for g in await uow.workgroups.catalyst_of(member.id)]


# --- everyone / members ----------------------------------------------------------------------


async def cmd_profile(update: Update, context: BotContext) -> None:
    """My name, kind, rights, offices and workgroups."""
    assert update.effective_message is not None
    member = context.caller.member
    assert member is not None
    async with context.db.unit() as uow:
        catalyst_of = await _catalyst_names(uow, member)
    text = views.profile(context.t, member, catalyst_of)
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_html(text)
        return
    # own data stays private: in a group the profile goes to the private chat
    assert update.effective_user is not None
    try:
        await context.bot.send_message(update.effective_user.id, text)
    except Forbidden:
        await update.effective_message.reply_html(views.profile_needs_private_chat(context.t))
        return
    await update.effective_message.reply_html(views.profile_sent_privately(context.t))


async def _directory_page(
    context: BotContext, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        members, total = await uow.members.page(page * views.PAGE_SIZE, views.PAGE_SIZE)
    pages = max(1, -(-total // views.PAGE_SIZE))
    if page >= pages and total:
        return await _directory_page(context, pages - 1)
    return views.directory(
        context.t, members, page, total, can_export=context.caller.standing.is_ksz_staff
    )


#: The member directory, a page at a time (/tagok).
cmd_directory, _turn_directory = paged_list(Feature.DIRECTORY, _directory_page)


async def cb_directory(update: Update, context: BotContext) -> None:
    """Turn a directory page, or (KSz) export the directory as CSV."""
    query = update.callback_query
    assert query is not None
    if decode(query.data, Feature.DIRECTORY, {"page", "csv"}).action == "page":
        await _turn_directory(update, context)
        return
    if not context.caller.standing.is_ksz_staff:
        log.warning("refused directory export for telegram user %s", context.caller.telegram_id)
        await query.answer(refusal(context.t, Permission.KSZ), show_alert=True)
        return
    await _send_directory_csv(update, context)
    await answer_sent(update, context)


async def _send_directory_csv(update: Update, context: BotContext) -> None:
    """tagok.csv, to the presser's private chat (never into a group): the directory is read as
    plain rows in partitions (in Hungarian order, by the stored collation key) and the file is
    built in a thread, so 100,000 members do not hold the event loop."""
    async with context.db.unit() as uow:
        members = await uow.members.directory_rows()
        memberships = await uow.members.membership_names()
        catalysts: dict[int, list[str]] = {}
        for group in await uow.workgroups.all():
            if group.catalyst_id is not None:
                catalysts.setdefault(group.catalyst_id, []).append(group.name)
    header = member_header(context.t)
    delimiter = delimiter_for(context.t)

    def build() -> bytes:
        rows = (
            [m.name, m.kind.value, m.organisation or "", _yn(m.is_founder), _yn(m.is_ksz),
             _yn(m.is_st_chair), _yn(m.is_active), m.joined_on.isoformat(),
             _yn(m.telegram_id is not None),
             ";".join(sorted(memberships.get(m.id, ()), key=hu_sort_key)),
             ";".join(sorted(catalysts.get(m.id, ()), key=hu_sort_key))]
            for m in members
        )  # fmt: skip
        return csv_document(header, rows, delimiter=delimiter)

    document = await asyncio.to_thread(build)
    assert update.effective_user is not None
    await context.bot.send_document(
        update.effective_user.id,
        document=document,
        filename="tagok.csv",
        caption=views.directory_caption(
            context.t, context.clock.now().astimezone(context.settings.tz).date()
        ),
    )


def _yn(value: bool) -> str:
    return "yes" if value else "no"


async def cmd_workgroups(update: Update, context: BotContext) -> None:
    """Workgroups with their catalyst and members."""
    assert update.effective_message is not None
    async with context.db.unit() as uow:
        groups = await uow.workgroups.all()
    for part in split_lines(views.workgroups(context.t, groups)):
        await update.effective_message.reply_html(part)


async def _log_page(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        entries, total = await uow.audit.recent(page * views.LOG_PAGE_SIZE, views.LOG_PAGE_SIZE)
    return views.audit_log(context.t, entries, page, total)


#: The audit log of identity and role changes, a page at a time (/naplo).
cmd_log, cb_log = paged_list(Feature.AUDIT, _log_page)


# --- strangers: asking to join ---------------------------------------------------------------


async def cmd_join(update: Update, context: BotContext) -> None:
    """A stranger asks to join; every KSz member gets the request with decision buttons."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    t = context.t
    if context.caller.member is not None:
        await message.reply_html(views.already_member(t, name=context.caller.member.name))
        return
    if not context.args:
        await message.reply_html(views.join_usage(t))
        return
    full_name = " ".join(p for p in (user.last_name, user.first_name) if p)
    if message.chat.type == "private":
        await context.remember(user)  # the KSz's answer, and later deliveries, must reach them
    async with context.db.unit() as uow:
        request = await identity.request_join(
            uow, user.id, full_name, user.username, " ".join(context.args), context.clock.now()
        )
        reached = await _queue_join_card(uow, context, request)
    context.bot_data.courier.wake()
    if not reached:
        log.error("join request %s reached no KSz member", request.id)
    await message.reply_html(views.join_requested(t))


async def _queue_join_card(uow: UnitOfWork, context: BotContext, request: JoinRequest) -> int:
    """The request's card for every KSz member, through the outbox in the request's own
    transaction: retried on a passing failure, not lost if the bot stops now. A name that
    matches a member is pointed out on the card."""
    collision = await identity.join_collision(uow, request)
    catalyst_of = await _catalyst_names(uow, collision) if collision else []
    if collision is not None:
        log.warning("join request %s: the name matches member %s", request.id, collision.id)
    rows = queued_rows(
        f"join:{request.id}", await recipients(uow, await uow.members.ksz()),
        translator_for(context.bot_data.translations),
        lambda kt: views.join_request_for_ksz(kt, request, collision, catalyst_of),
        context.clock.now(),
    )  # fmt: skip
    return await courier.enqueue(uow, rows)


async def cb_join(update: Update, context: BotContext) -> None:
    """KSz decides a join request."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.JOIN, {"ok", "no"})
    request_id = data.int_arg(0)
    kind: MemberKind | None = None
    if data.action == "ok":
        kind = MemberKind.INTERNAL if data.arg(1, {"i", "e"}) == "i" else MemberKind.EXTERNAL
    async with context.db.unit() as uow:
        request, member = await identity.decide_join(
            uow, request_id, kind, _actor(context), context.clock.now()
        )
        account = await uow.telegram_users.get(request.telegram_id)
    t = context.t
    applicant_t = context.bot_data.translations.for_account(account)
    summary = views.join_decided(t, context.caller.standing.name, request, member)
    notice = views.join_decision_notice(applicant_t, member)
    await query.answer()
    await edit_from_button(update, summary, None)
    try:
        await context.bot.send_message(request.telegram_id, notice)
    except Forbidden:
        log.info("applicant %s blocked the bot; decision not delivered", request.telegram_id)


# --- KSz: invitations and member management --------------------------------------------------


async def cmd_invite(update: Update, context: BotContext) -> None:
    """Make an invitation link for a member (KSz)."""
    message = update.effective_message
    assert message is not None
    t = context.t
    if not context.args:
        raise ShowUsage
    hours = context.settings.invite_ttl_hours
    async with context.db.unit() as uow:
        member = await _find_or_explain(uow, context, message, " ".join(context.args))
        if member is None:
            return
        token = await identity.issue_invitation(
            uow, member, _actor(context), context.clock.now(), timedelta(hours=hours)
        )
    link = f"https://t.me/{context.bot_data.bot_username}?start={token}"
    await message.reply_html(views.invitation(t, member.name, link, hours))


async def _find_or_explain(
    uow: UnitOfWork, context: BotContext, message: Message, name: str
) -> Member | None:
    """The member of that name, or None after telling the KSz how a new member is added."""
    try:
        return await identity.find_member(uow, name)
    except NotFound as exc:
        await message.reply_html(views.member_not_found(context.t, exc.key))
        return None


async def _card(context: BotContext, member_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        member = await uow.members.get(member_id)
        if member is None:
            raise NotFound("member", str(member_id))
        return views.member_card(context.t, member, await _catalyst_names(uow, member))


async def cmd_member(update: Update, context: BotContext) -> None:
    """Show a member's card with management buttons (KSz)."""
    message = update.effective_message
    assert message is not None
    if not context.args:
        raise ShowUsage
    async with context.db.unit() as uow:
        member = await _find_or_explain(uow, context, message, " ".join(context.args))
    if member is None:
        return
    text, keyboard = await _card(context, member.id)
    await message.reply_html(text, reply_markup=keyboard)


_CARD_ACTIONS = {"kind", "founder", "ksz", "chair", "active", "groups", "invite", "do", "card"}


async def cb_member(update: Update, context: BotContext) -> None:
    """A button of the member card (KSz); the action names its handler in ``_CARD_HANDLERS``."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.MEMBER, _CARD_ACTIONS)
    handler = _CARD_HANDLERS.get(data.action, _card_ask)
    await handler(update, context, data)


async def _member(uow: UnitOfWork, member_id: int) -> Member:
    member = await uow.members.get(member_id)
    if member is None:
        raise NotFound("member", str(member_id))
    return member


async def _answer_and_edit(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None, answer: str | None = None
) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(answer)
    await edit_from_button(update, text, keyboard)


async def _card_groups(update: Update, context: BotContext, data: Callback) -> None:
    """The member's workgroups, as toggles."""
    async with context.db.unit() as uow:
        member = await _member(uow, data.int_arg(0))
        text, keyboard = views.member_groups(context.t, member, await uow.workgroups.all())
    await _answer_and_edit(update, text, keyboard)


async def _card_invite(update: Update, context: BotContext, data: Callback) -> None:
    """A new invitation link for the member, sent to the KSz's chat."""
    hours = context.settings.invite_ttl_hours
    async with context.db.unit() as uow:
        member = await _member(uow, data.int_arg(0))
        token = await identity.issue_invitation(
            uow, member, _actor(context), context.clock.now(), timedelta(hours=hours)
        )
    link = f"https://t.me/{context.bot_data.bot_username}?start={token}"
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await context.bot.send_message(
        update.effective_chat.id, views.invitation(context.t, member.name, link, hours)
    )


async def _card_show(update: Update, context: BotContext, data: Callback) -> None:
    """Back to the card."""
    await _answer_and_edit(update, *await _card(context, data.int_arg(0)))


async def _card_ask(update: Update, context: BotContext, data: Callback) -> None:
    """First press of a change: check the rules and ask, changing nothing."""
    field_name, value = _card_change(data.action, data.args[1:])
    async with context.db.unit() as uow:
        member = await _member(uow, data.int_arg(0))
        preview = await identity.preview_change(uow, member, field_name, value)
    question = views.change_question(context.t, preview)
    await _answer_and_edit(update, question, views.change_keyboard(context.t, preview, data.action))


async def _card_do(update: Update, context: BotContext, data: Callback) -> None:
    """The confirmed change: saved, the member removed from chats they may no longer be in."""
    member_id = data.int_arg(0)
    field_name, value = _card_change(data.arg(1, set(_CARD_CHANGES)), data.args[2:])
    actor, now = _actor(context), context.clock.now()
    async with context.db.unit() as uow:
        member = await _member(uow, member_id)
        outcome = Outcome(member=member)
        if isinstance(value, MemberKind):
            await identity.set_kind(uow, member, value, actor, now, outcome)
        else:
            await identity.set_flag(uow, member, field_name, value, actor, now, outcome)
        telegram_id = member.telegram_id
    if telegram_id is not None:
        await remove_from_chats(context.bot, outcome.leave_chats, telegram_id)
    text, keyboard = await _card(context, member_id)
    notes = views.change_notes(context.t, outcome)
    text += "\n\n" + "\n".join(notes) if notes else ""
    await _answer_and_edit(update, text, keyboard, views.saved(context.t))


_CARD_HANDLERS: dict[str, Callable[[Update, BotContext, Callback], Awaitable[None]]] = {
    "groups": _card_groups,
    "invite": _card_invite,
    "card": _card_show,
    "do": _card_do,
}


#: The changes of the member card that need a confirmation: button action → field.
_CARD_CHANGES = {
    "kind": "kind",
    "founder": "founder",
    "ksz": "ksz",
    "chair": "st_chair",
    "active": "active",
}


def _card_change(action: str, args: tuple[str, ...]) -> tuple[str, bool | MemberKind]:
    """The field and the new value a card button asks for (forged data is refused)."""
    if not args:
        raise ForgedCallback("missing value")
    if action == "kind":
        if args[0] not in {"i", "e"}:
            raise ForgedCallback("unexpected kind")
        return "kind", MemberKind.EXTERNAL if args[0] == "e" else MemberKind.INTERNAL
    if args[0] not in {"0", "1"}:
        raise ForgedCallback("unexpected value")
    return _CARD_CHANGES[action], args[0] == "1"


async def cb_member_groups(update: Update, context: BotContext) -> None:
    """Toggle a workgroup membership or catalyst office from the card (KSz)."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.MEMBER_GROUPS, {"join", "leave", "cat", "uncat", "back"})
    member_id = data.int_arg(0)
    if data.action == "back":
        text, keyboard = await _card(context, member_id)
        await query.answer()
        await edit_from_button(update, text, keyboard)
        return
    group_id = data.int_arg(1)
    actor = _actor(context)
    now = context.clock.now()
    outcome: Outcome | None = None
    async with context.db.unit() as uow:
        member = await uow.members.get(member_id)
        group = await uow.workgroups.get(group_id)
        if member is None or group is None:
            raise NotFound("member" if member is None else "workgroup", "")
        if data.action == "join":
            await identity.join_workgroup(uow, group, member, actor, now)
        elif data.action == "leave":
            outcome = Outcome(member=member)
            await identity.leave_workgroup(uow, group, member, actor, now, outcome)
        elif data.action == "cat":
            await identity.set_catalyst(uow, group, member, actor, now)
        else:
            await identity.clear_catalyst(uow, group, member, actor, now)
    if outcome is not None and outcome.member.telegram_id is not None:
        await remove_from_chats(context.bot, outcome.leave_chats, outcome.member.telegram_id)
    async with context.db.unit() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        text, keyboard = views.member_groups(context.t, member, await uow.workgroups.all())
    await query.answer(views.saved(context.t))
    await edit_from_button(update, text, keyboard)


async def cmd_new_workgroup(update: Update, context: BotContext) -> None:
    """Create a workgroup: ``/munkacsoport_uj Name | description`` (KSz)."""
    message = update.effective_message
    assert message is not None
    t = context.t
    raw = " ".join(context.args or [])
    if not raw:
        raise ShowUsage
    name, _, description = raw.partition("|")
    async with context.db.unit() as uow:
        group = await identity.create_workgroup(
            uow, name, description, _actor(context), context.clock.now()
        )
    await message.reply_html(views.workgroup_created(t, name=group.name))


# --- linked Telegram groups ------------------------------------------------------------------


async def cmd_link_group(update: Update, context: BotContext) -> None:
    """Link this Telegram group to a workgroup (KSz, in the group; the bot must be admin)."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    t = context.t
    if not context.args:
        raise ShowUsage
    me = await context.bot.get_chat_member(chat.id, context.bot.id)
    if me.status != ChatMemberStatus.ADMINISTRATOR or not (
        getattr(me, "can_invite_users", False) and getattr(me, "can_restrict_members", False)
    ):
        await message.reply_html(views.needs_admin_rights(t))
        return
    async with context.db.unit() as uow:
        group = await identity.find_workgroup(uow, " ".join(context.args))
        await identity.link_group(uow, group, chat.id, _actor(context), context.clock.now())
    await message.reply_html(views.group_linked(t, name=group.name))


async def on_join_request(update: Update, context: BotContext) -> None:
    """Approve join requests of the workgroup's members to its linked group; decline others."""
    request = update.chat_join_request
    assert request is not None
    async with context.db.unit() as uow:
        group = await uow.workgroups.by_chat(request.chat.id)
        if group is None:
            return
        member = await uow.members.by_telegram_id(request.from_user.id)
        allowed = (
            member is not None
            and member.is_active
            and any(link.workgroup_id == group.id for link in member.memberships)
        )
        group_name = group.name
    if allowed:
        await request.approve()
        return
    await request.decline()
    caller = await context.load_caller(update)
    text = views.group_join_declined(caller.t, name=group_name)
    try:
        await context.bot.send_message(request.user_chat_id, text)
    except TelegramError:
        log.info("could not explain the declined join request to %s", request.from_user.id)


COMMANDS = [
    CommandSpec(
        "csatlakozas", N_("ask to join the cluster"), Permission.PUBLIC, cmd_join,
        english="join", private_only=True,
    ),
    CommandSpec(
        "profil", N_("your membership, rights, offices and workgroups"), Permission.MEMBER,
        cmd_profile, english="profile",
    ),
    CommandSpec(
        "tagok", N_("the member directory"), Permission.MEMBER, cmd_directory, english="members"
    ),
    CommandSpec(
        "munkacsoportok", N_("workgroups with their catalyst and members"), Permission.MEMBER,
        cmd_workgroups, english="workgroups",
    ),
    CommandSpec(
        "naplo", N_("log of membership and role changes"), Permission.MEMBER, cmd_log,
        english="log",
    ),
    CommandSpec(
        "meghivo", N_("invitation link for a member"), Permission.KSZ, cmd_invite,
        english="invite", private_only=True,
        usage=N_("Usage: <code>{command} Name of the member</code>"),
    ),
    CommandSpec(
        "tag", N_("manage a member: kind, offices, workgroups, status"), Permission.KSZ,
        cmd_member, english="member", private_only=True,
        usage=N_("Usage: <code>{command} Name of the member</code>"),
    ),
    CommandSpec(
        "munkacsoport_uj", N_("create a workgroup"), Permission.KSZ, cmd_new_workgroup,
        english="newworkgroup",
        usage=N_("Usage: <code>{command} Name | short description</code>"),
    ),
    CommandSpec(
        "csoport_osszekotes", N_("link this Telegram group to a workgroup"), Permission.KSZ,
        cmd_link_group, english="linkgroup", group_only=True,
        usage=N_("Usage: <code>{command} Name of the workgroup</code>"),
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this feature's commands, buttons and the join-request handler."""
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.DIRECTORY), Permission.MEMBER, cb_directory)
    add_buttons(app, pattern(Feature.AUDIT), Permission.MEMBER, cb_log)
    add_buttons(app, pattern(Feature.JOIN), Permission.KSZ, cb_join, private_only=True)
    add_buttons(app, pattern(Feature.MEMBER), Permission.KSZ, cb_member, private_only=True)
    add_buttons(
        app, pattern(Feature.MEMBER_GROUPS), Permission.KSZ, cb_member_groups, private_only=True
    )
    app.add_handler(ChatJoinRequestHandler(gate(Permission.PUBLIC)(on_join_request)))
