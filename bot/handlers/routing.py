"""Routing workgroup chat to the katalizátor: /katalizator, /kesz, /nyitott_kerdesek, replies.

A member writes from the private chat (after /katalizator) or from the workgroup's linked group
(mentioning the bot, with #katalizator, replying to the bot, or /katalizator with the question);
the katalizátor (or the KSz) gets each message with a header and answers by replying to it.
Every message goes through a delivery stored in the database: what cannot be sent now (403)
waits and is sent when the recipient starts the bot, or at the next start of the bot.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ChatMemberHandler, MessageHandler, TypeHandler, filters

from bot import dialogues
from bot.access import add_buttons, add_commands, gate
from bot.callbacks import Feature, decode, pattern
from bot.commands import CommandSpec, Group
from bot.context import BotContext
from bot.delivery import edit_unless_unmodified, reply_parts
from bot.i18n import N_, Translator
from bot.jobs.routing import (
    Flushed,
    Ready,
    alert_ksz,
    flush_chat,
    ready_to_send,
    release,
    send_ready,
    translator_for_chat,
)
from bot.services import routing
from bot.services.collation import hu_sort_key
from bot.services.errors import DomainError, RoutingRefused
from bot.services.roles import Permission
from bot.views import dialogues as dialogue_views
from bot.views import routing as views
from bot.views.split import split_lines
from storage.models.routing import Audience

log = logging.getLogger(__name__)

#: PTB runs one handler per group, so this feature's "see every update" hook gets a group of
#: its own just after ``Group.EARLY``: another feature's early hook cannot shadow it.
EARLY_GROUP = int(Group.EARLY) + 1
#: Kinds a caption can be added to when copying (a round video message has none).
HASHTAGS = frozenset({"#katalizator", "#katalizátor", "#catalyst"})
ACK = "👍"
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
ADMIN = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


# --- message content -------------------------------------------------------------------------


def content_kind(message: Message) -> str | None:
    """``text``, ``photo``, ``document``, ``voice``, ``video``...; None for what we refuse."""
    if message.text is not None:
        return "text"
    if message.animation is not None:
        return "animation"
    for kind in ("photo", "document", "voice", "video", "video_note", "audio"):
        if getattr(message, kind):
            return kind
    return None


def body_of(message: Message, kind: str) -> str:
    """The text or the caption, as Telegram HTML (escaped, formatting kept)."""
    if kind == "text":
        return message.text_html
    return message.caption_html if message.caption else ""


async def _react(message: Message) -> None:
    """A quiet "received and passed on"."""
    try:
        await message.set_reaction(ACK)
    except TelegramError as exc:
        log.debug("could not react to message %s: %s", message.message_id, exc)


# --- deliveries ------------------------------------------------------------------------------


# --- questions -------------------------------------------------------------------------------


@dataclass
class _Question:
    """Where a routed question went, for the acknowledgement."""

    thread_id: int
    destination: routing.Destination
    first_in_session: bool
    group_name: str
    member_name: str
    deliveries: dict[int, int]  # delivery id -> chat id
    ready: dict[int, Ready]  # chat id -> what this handler sends itself (nothing older waits)


class _NoSession(enum.Enum):
    """Why a private message found no session to route it in."""

    NONE = "none"  # not ours: another handler may want it
    EXPIRED = "expired"  # it ended after a while without messages (and is removed now)
    INACTIVE = "inactive"  # the member is inactive (the session is closed now)


async def _route_question(
    update: Update,
    context: BotContext,
    workgroup_id: int | None,
    *,
    in_group: bool,
    thread_id: int | None = None,
    reply_to: dict[int, int] | None = None,
    body: str | None = None,
) -> None:
    """Route the member's message to the workgroup's katalizátor (or the KSz); without a
    ``workgroup_id``, to the one of the member's session (``/katalizator``)."""
    message = update.effective_message
    assert message is not None
    kind = content_kind(message)
    if body is None and kind is not None:
        body = body_of(message, kind)
    try:
        question = await _record_question(
            update, context, workgroup_id, kind, body or "",
            in_group=in_group, thread_id=thread_id, reply_to=reply_to,
        )  # fmt: skip
    except RoutingRefused as err:
        await message.reply_html(views.refused(context.t, err))
        return
    if isinstance(question, _Question):
        await _deliver_question(update, context, question, in_group=in_group)
    elif question is routing.Admission.SLOW_DOWN:  # over the flood limit: told once, dropped
        await message.reply_html(
            views.slow_down(context.t, context.settings.routing_max_per_minute)
        )
    elif question is routing.Admission.OK:  # counted, but a kind we do not route
        await message.reply_html(views.unsupported(context.t))
    elif question is _NoSession.EXPIRED:
        minutes = int(routing.SESSION_IDLE.total_seconds() // 60)
        await message.reply_html(views.session_expired(context.t, minutes))
    elif question is _NoSession.INACTIVE:
        await message.reply_html(views.refused(context.t, RoutingRefused("inactive")))
    elif question is _NoSession.NONE:
        context.decline()


async def _record_question(
    update: Update,
    context: BotContext,
    workgroup_id: int | None,
    kind: str | None,
    body_html: str,
    **where: Any,
) -> _Question | routing.Admission | _NoSession:
    """One unit: find the session (without ``workgroup_id``), count the message against the
    flood limit and, if admitted and of a kind we route, record it and read back what to send.
    A refusal keeps the count, as before, and records nothing."""
    caller, now = context.caller.member, context.clock.now()
    assert caller is not None
    ready: dict[int, Ready] = {}
    try:
        async with context.db.unit() as uow:
            if workgroup_id is None:
                # Held until the unit ends: recording the question updates it without a read,
                # finds the workgroup and katalizátor it brought, and continues the open thread.
                found = await _live_session(uow, update, caller, now)
                if isinstance(found, _NoSession):
                    return found
                session, where["known"] = found
                workgroup_id = session.workgroup_id
            limit = context.settings.routing_max_per_minute
            admission = await routing.admit(uow, caller.id, now, limit)
            if admission is not routing.Admission.OK or kind is None:
                return admission
            try:
                where.update(kind=kind, body_html=body_html, now=now)
                return await _record(update, context, uow, workgroup_id, where, ready)
            except DomainError as err:  # raised before anything of the question was written
                refused = err
    except BaseException:
        release(context.application, ready.values())
        raise
    raise refused  # after the unit, which keeps the flood count


async def _record(
    update: Update,
    context: BotContext,
    uow: Any,
    workgroup_id: int,
    fields: dict[str, Any],
    ready: dict[int, Ready],
) -> _Question:
    """Record the question (``fields``: ``record_question``'s keywords but the origin) and
    claim into ``ready`` what this handler may send itself."""
    message, chat, caller = update.effective_message, update.effective_chat, context.caller
    assert message is not None and chat is not None and caller.member is not None
    # The caller as loaded for this update (with its memberships; the cache of callers is
    # dropped at every change of who someone is), as the access check used it.
    member = caller.member
    group = await routing.find_workgroup(uow, workgroup_id)
    routed = await routing.record_question(
        uow, member, group, origin_chat_id=chat.id, origin_message_id=message.message_id,
        **fields,
    )  # fmt: skip
    assert routed.destination is not None
    _claim_ready(context.application, routed, ready)
    return _Question(
        routed.thread.id, routed.destination, routed.first_in_session, group.name,
        member.name, {d.id: d.chat_id for d in routed.deliveries}, ready,
    )  # fmt: skip


async def _live_session(
    uow: Any, update: Update, member: Any, now: Any
) -> tuple[Any, routing.OpenThread] | _NoSession:
    """The member's session and their open thread with its workgroup from this chat, or why
    there is none: an expired session is removed, and an inactive member's closed."""
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    session, expired, known = await routing.session_to_write(uow, member.id, chat_id, now)
    if session is None or known is None:
        return _NoSession.EXPIRED if expired else _NoSession.NONE
    if not member.is_active:
        await routing.close_session(uow, member.id)
        return _NoSession.INACTIVE
    return session, known


def _claim_ready(app: Any, routed: routing.Routed, ready: dict[int, Ready]) -> None:
    """Into ``ready``: each recipient chat whose deliveries this handler may send itself."""
    chats: dict[int, list[Any]] = {}
    for delivery in routed.deliveries:
        chats.setdefault(delivery.chat_id, []).append(delivery)
    for chat_id, mine in chats.items():
        if (found := ready_to_send(app, chat_id, mine, routed.chats[chat_id])) is not None:
            ready[chat_id] = found


async def _outcome(
    context: BotContext, delivery_ids: Iterable[int], flushed: Iterable[Flushed]
) -> tuple[set[int], set[int]]:
    """Which deliveries were sent and which Telegram refused: from the flushes when they
    settled every one, else read (a flush running for another update may have sent them)."""
    wanted = set(delivery_ids)
    delivered = {d for f in flushed for d in f.delivered} & wanted
    failed = {d for f in flushed for d in f.failed} & wanted
    if delivered | failed == wanted:
        return delivered, failed
    async with context.db.read() as uow:
        return await routing.outcome(uow, wanted)


async def _deliver_question(
    update: Update, context: BotContext, question: _Question, *, in_group: bool
) -> None:
    """Send it now where possible, tell the asker (``routing.acknowledgement``), and alert the
    KSz once when the katalizátor cannot be reached."""
    message, t, where = update.effective_message, context.t, question.destination
    assert message is not None
    app, flushed = context.application, []
    try:
        for chat in dict.fromkeys(question.deliveries.values()):
            found = question.ready.get(chat)
            flushed.append(await (send_ready(app, found) if found else flush_chat(app, chat)))
    finally:
        release(app, question.ready.values())
    delivered, failed = await _outcome(context, question.deliveries, flushed)
    ack = routing.acknowledgement(
        question.deliveries, delivered, failed, in_group=in_group, audience=where.audience,
        first_in_session=question.first_in_session,
    )  # fmt: skip
    if ack is routing.Ack.REACT:
        await _react(message)
        return
    if ack is not routing.Ack.PENDING:
        await message.reply_html(
            views.sent(t, where) if ack is routing.Ack.SENT else views.not_delivered(t)
        )
        return
    await message.reply_html(views.pending_notice(t, where))
    async with context.db.unit() as uow:
        catalyst = await routing.unreachable_catalyst(uow, where, question.thread_id)
    if catalyst is not None:
        await alert_ksz(
            context.application,
            lambda kt: views.unreachable_alert(
                kt, catalyst.name, question.group_name, question.member_name, question.thread_id
            ),
            exclude=catalyst.member_id,
        )


async def _route_answer(update: Update, context: BotContext, copy_message_id: int) -> None:
    """The katalizátor (or the KSz) replied to a question: send the answer back, signed."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    t = context.t
    kind = content_kind(message)
    if kind is None:
        await message.reply_html(views.unsupported(t))
        return
    try:
        async with context.db.unit() as uow:
            copy = await routing.find_copy(uow, chat.id, copy_message_id)
            if copy is None:
                return
            caller = context.caller.member
            replier = await uow.members.get(caller.id) if caller is not None else None
            routed = await routing.record_answer(
                uow, copy, replier, origin_chat_id=chat.id, origin_message_id=message.message_id,
                kind=kind, body_html=body_of(message, kind), now=context.clock.now(),
            )  # fmt: skip
            [delivery] = routed.deliveries
            delivery_id, target, in_group = delivery.id, delivery.chat_id, routed.thread.in_group
            asker = await uow.members.get(routed.thread.member_id)
            asker_name = asker.name if asker is not None else ""
    except RoutingRefused as err:
        await message.reply_html(views.refused(t, err))
        return
    flushed = await flush_chat(context.application, target)
    delivered, failed = await _outcome(context, [delivery_id], [flushed])
    if delivery_id in delivered:
        await message.reply_html(views.answer_sent(t, name=asker_name))
    elif delivery_id in failed:
        await message.reply_html(views.not_delivered(t))
    else:
        await message.reply_html(views.answer_pending(t, in_group=in_group))


async def msg_private(update: Update, context: BotContext) -> None:
    """A message in a private chat: an answer, a follow-up, or a question in an open session."""
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    sender = replied.from_user if replied is not None else None
    if replied is not None and sender is not None and sender.id == context.bot.id:
        await _reply_to_copy(update, context, replied.message_id)
        return
    await _in_session(update, context)  # a reply to someone else's message is ordinary


async def _reply_to_copy(update: Update, context: BotContext, copy_message_id: int) -> None:
    """A reply to a message the bot sent: the katalizátor's (or the KSz's) answer to a
    question, or the member's follow-up to an answer, in the same thread."""
    assert update.effective_chat is not None
    async with context.db.unit() as uow:
        copy = await routing.find_copy(uow, update.effective_chat.id, copy_message_id)
        if copy is None:
            context.decline()  # somebody else's prompt: not ours to answer
            return
        audience = copy.delivery.audience
        routed = copy.delivery.message
        thread_id, workgroup_id = routed.thread_id, routed.thread.workgroup_id
        answer_at = {routed.origin_chat_id: routed.origin_message_id}
    if audience in (Audience.CATALYST, Audience.KSZ):
        await _route_answer(update, context, copy_message_id)
    elif context.caller.member is not None:
        await _route_question(
            update, context, workgroup_id, in_group=False, thread_id=thread_id,
            reply_to=answer_at,
        )  # fmt: skip
    else:
        context.decline()


async def _in_session(update: Update, context: BotContext) -> None:
    """A message while the member writes to a katalizátor (``/katalizator``)."""
    if context.caller.member is None:
        context.decline()
        return
    await _route_question(update, context, None, in_group=False)


def _addresses_bot(message: Message, bot_id: int, username: str) -> bool:
    """A mention of the bot, the #katalizator tag, or a reply to the bot."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    mention = "@" + username.lower()
    found = {**message.parse_entities(), **message.parse_caption_entities()}
    for entity, text in found.items():
        if entity.type == MessageEntityType.MENTION and text.lower() == mention:
            return True
        if entity.type == MessageEntityType.HASHTAG and text.lower() in HASHTAGS:
            return True
        if (
            entity.type == MessageEntityType.TEXT_MENTION
            and entity.user
            and entity.user.id == bot_id
        ):
            return True
    return False


async def msg_group(update: Update, context: BotContext) -> None:
    """A group message: routed when it is meant for the katalizátor (cheap check first)."""
    message = update.effective_message
    if message is None or not _addresses_bot(message, context.bot.id, context.bot.username):
        return
    await _gated_group_question(update, context)


async def _group_question(update: Update, context: BotContext, body: str | None = None) -> None:
    """Route a question asked in a linked group; elsewhere only the command gets an answer."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    async with context.db.unit() as uow:
        group = await uow.workgroups.by_chat(chat.id)
        workgroup_id, name = (group.id, group.name) if group is not None else (0, "")
    if group is None:
        if body is not None:  # /katalizator in a group that is not a workgroup's
            await message.reply_html(views.refused(context.t, RoutingRefused("no_workgroup")))
        return
    if context.caller.member is None:
        await message.reply_html(views.refused(context.t, RoutingRefused("not_in_workgroup", name)))
        return
    await _route_question(update, context, workgroup_id, in_group=True, body=body)


_gated_group_question = gate(Permission.PUBLIC)(_group_question)


# --- commands --------------------------------------------------------------------------------


async def cmd_catalyst(update: Update, context: BotContext) -> None:
    """Choose the workgroup whose katalizátor to write to (in a group: route the question)."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    t = context.t
    if chat.type != ChatType.PRIVATE:
        parts = message.text_html.split(None, 1)
        if len(parts) < 2:
            await message.reply_html(views.group_usage(t))
            return
        await _group_question(update, context, body=parts[1])
        return
    member = context.caller.member
    assert member is not None
    async with context.db.unit() as uow:
        catalyst_of = await uow.workgroups.catalyst_of(member.id)
        loaded = await uow.members.get(member.id)
        assert loaded is not None
        groups = routing.writable_workgroups(loaded, [g.id for g in catalyst_of])
        own = [g.name for g in catalyst_of]
    if not groups:
        await message.reply_html(views.no_workgroup(t, own))
        return
    wanted = " ".join(context.args or []).casefold()
    chosen = [g for g in groups if g.name.casefold() == wanted] if wanted else []
    if len(groups) == 1:
        chosen = groups
    if len(chosen) == 1:
        await message.reply_html(await _open(context, chosen[0].id))
        return
    text, keyboard = views.choose_workgroup(t, groups)
    await message.reply_html(text, reply_markup=keyboard)


async def _open(context: BotContext, workgroup_id: int) -> str:
    member = context.caller.member
    assert member is not None
    try:
        async with context.db.unit() as uow:
            loaded = await uow.members.get(member.id)
            assert loaded is not None
            group, where = await routing.open_session(
                uow, loaded, workgroup_id, context.clock.now()
            )
            return views.session_opened(context.t, group, where)
    except RoutingRefused as err:
        return views.refused(context.t, err)


async def cmd_done(update: Update, context: BotContext) -> None:
    """Stop writing to the katalizátor."""
    message = update.effective_message
    member = context.caller.member
    assert message is not None and member is not None
    async with context.db.unit() as uow:
        group = await routing.close_session(uow, member.id)
        text = views.session_closed(context.t, group)
    await message.reply_html(text)


async def _group_problem(context: BotContext, chat_id: int) -> str | None:
    """Why #katalizator messages of a linked group would not reach the bot (None: they do)."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return "absent"
    return _problem_of(context, me.status)


def _problem_of(context: Any, status: str) -> str | None:
    if status in GONE:
        return "absent"
    if status in ADMIN or context.bot.can_read_all_group_messages:
        return None
    return "privacy"


async def _open_threads_view(context: BotContext) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.db.unit() as uow:
        items = await routing.open_threads(uow, context.clock.now())
        linked = [
            (g.name, g.telegram_chat_id)
            for g in sorted(await uow.workgroups.all(), key=lambda g: hu_sort_key(g.name))
            if g.telegram_chat_id is not None
        ]
    problems = []
    for name, chat_id in linked:  # asked outside the unit of work: no transaction held open
        problem = await _group_problem(context, chat_id)
        if problem is not None:
            problems.append(views.group_problem(context.t, name, problem))
    return views.open_threads(context.t, items, problems)


async def cmd_open_questions(update: Update, context: BotContext) -> None:
    """The KSz's view of open threads, their age, and buttons to mark them resolved."""
    message = update.effective_message
    assert message is not None
    text, keyboard = await _open_threads_view(context)
    await reply_parts(context.bot, message.chat_id, text, keyboard)


# --- buttons ---------------------------------------------------------------------------------


_ROUTING_ACTIONS = {"wg", "ksz", "ok"}


async def cb_routing(update: Update, context: BotContext) -> None:
    """Choose a workgroup, hand a thread to the KSz, or mark it resolved."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.ROUTING, _ROUTING_ACTIONS)
    if data.action == "wg":
        await dialogues.begin(update, context, SESSION)
        text = await _open(context, data.int_arg(0))
        await query.answer()
        await query.edit_message_text(text)
        return
    try:
        thread, chats, notice = await _close_thread(context, data.action, data.int_arg(0))
    except RoutingRefused as err:
        await query.answer(views.refused(context.t, err)[:200], show_alert=True)
        return
    if data.action == "ksz":
        await _handed_over(update, context, thread.id, chats, notice)
    else:
        await _resolved(update, context, thread.id, notice, from_list=data.args[1:2] == ("list",))


async def _close_thread(
    context: BotContext, action: str, thread_id: int
) -> tuple[Any, list[int], _MemberNotice]:
    """Hand the thread to the KSz ("ksz") or mark it resolved ("ok"); returns the thread, the
    chats whose deliveries to flush, and where to tell the member."""
    member = context.caller.member
    assert member is not None
    now = context.clock.now()
    async with context.db.unit() as uow:
        actor = await uow.members.get(member.id)
        assert actor is not None
        chats: list[int] = []
        if action == "ksz":
            handed = await routing.hand_to_ksz(uow, thread_id, actor, now)
            thread = handed.thread
            chats = list(dict.fromkeys(d.chat_id for d in handed.deliveries))
        else:
            thread = await routing.resolve(uow, thread_id, actor, now)
        notice = _MemberNotice.of(thread)
        last = await routing.last_question(uow, thread.id)
        notice.reply_to = last.origin_message_id if last is not None else None
    return thread, chats, notice


async def _handed_over(
    update: Update, context: BotContext, thread_id: int, chats: list[int], notice: _MemberNotice
) -> None:
    query, t = update.callback_query, context.t
    assert query is not None
    await query.answer(views.handed_over(t))
    await _drop_button(query, t, thread_id, keep_resolve=True)
    for chat_id in chats:
        await flush_chat(context.application, chat_id)
    await notice.send(
        context.application, lambda mt: views.handed_notice(mt, workgroup=notice.workgroup)
    )


async def _resolved(
    update: Update, context: BotContext, thread_id: int, notice: _MemberNotice, *, from_list: bool
) -> None:
    query, t = update.callback_query, context.t
    assert query is not None
    await query.answer(views.marked_resolved(t))
    if from_list:  # the list of open questions, without this one
        text, keyboard = await _open_threads_view(context)
        await edit_unless_unmodified(
            query.edit_message_text(split_lines(text)[-1], reply_markup=keyboard)
        )
    else:
        await _drop_button(query, t, thread_id, keep_resolve=False)
    await notice.send(
        context.application,
        lambda mt: views.resolved_notice(mt, notice.workgroup, in_group=notice.in_group),
    )


async def _drop_button(query: Any, t: Translator, thread_id: int, *, keep_resolve: bool) -> None:
    """Take the used button(s) off the message (an old message may refuse: that is fine)."""
    markup = views.handler_keyboard(t, thread_id, Audience.KSZ) if keep_resolve else None
    message = query.message
    try:
        # Re-sending the text (or caption) with the new keyboard: PTB's editMessageReplyMarkup
        # carries the default parse_mode, which the Bot API does not define for that method.
        if message is not None and message.text is not None:
            await query.edit_message_text(message.text_html, reply_markup=markup)
        elif message is not None and message.caption is not None:
            await query.edit_message_caption(message.caption_html, reply_markup=markup)
    except BadRequest as exc:
        log.debug("could not update the buttons: %s", exc)


@dataclass
class _MemberNotice:
    """Where to tell the member about their thread: their private chat or the group."""

    chat_id: int
    in_group: bool
    workgroup: str
    reply_to: int | None = None

    @classmethod
    def of(cls, thread: Any) -> _MemberNotice:
        return cls(thread.origin_chat_id, thread.in_group, thread.workgroup.name)

    async def send(self, app: Any, render: Callable[[Translator], str]) -> None:
        data = app.bot_data
        async with data.db.unit() as uow:
            t = await translator_for_chat(app, uow, self.chat_id)
        reply = (
            ReplyParameters(self.reply_to, allow_sending_without_reply=True)
            if self.in_group and self.reply_to
            else None
        )
        try:
            await app.bot.send_message(self.chat_id, render(t), reply_parameters=reply)
        except Forbidden:
            async with data.db.unit() as uow:
                await routing.mark_unreachable(uow, self.chat_id, data.clock.now())
        except TelegramError as exc:
            log.warning("could not tell chat %s about its thread: %s", self.chat_id, exc)


# --- bookkeeping: starts, blocks, group settings ---------------------------------------------


async def on_update(update: Update, context: BotContext) -> None:
    """Every private update: note blocks; deliver what waited when someone (re)starts the bot."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or user is None or user.is_bot:
        return
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in GONE:
        # Load (and cache) the caller first: whoever loads it later in this update must not
        # take the block for a start.
        await context.load_caller(update)
        async with context.db.unit() as uow:
            await routing.mark_unreachable(uow, chat.id, context.clock.now())
        return
    caller = await context.load_caller(update)
    if caller.just_started and caller.member is not None:  # only members' chats get deliveries
        await flush_chat(context.application, chat.id, intro=True)


async def on_bot_membership(update: Update, context: BotContext) -> None:
    """The bot's status changed in a group: resume deliveries, tell the KSz what it can't see."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    async with context.db.unit() as uow:
        group = await uow.workgroups.by_chat(change.chat.id)
        name = group.name if group is not None else ""
    if group is None:
        return
    new = _problem_of(context, change.new_chat_member.status)
    old = _problem_of(context, change.old_chat_member.status)
    if change.new_chat_member.status not in GONE:
        await flush_chat(context.application, change.chat.id)
    if new is not None and new != old:
        await alert_ksz(context.application, lambda kt: (views.group_alert(kt, name, new), None))


COMMANDS = [
    CommandSpec(
        "katalizator", N_("write to the catalyst of your workgroup"), Permission.MEMBER,
        cmd_catalyst, english="catalyst",
    ),
    CommandSpec(
        "kesz", N_("stop writing to the catalyst"), Permission.MEMBER, cmd_done, english="done",
        private_only=True,
    ),
    CommandSpec(
        "nyitott_kerdesek", N_("open questions to the catalysts"), Permission.KSZ,
        cmd_open_questions, english="openquestions", private_only=True,
    ),
]  # fmt: skip

_PRIVATE = (
    filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    & ~filters.StatusUpdate.ALL
)  # fmt: skip
_GROUPS = (
    filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & ~filters.COMMAND
    & ~filters.StatusUpdate.ALL
)  # fmt: skip


SESSION = "catalyst_session"


async def _session_pending(update: Update, context: BotContext) -> bool:
    """The person writes to a katalizátor (a session that has not expired)."""
    member = context.caller.member
    if member is None or context.surely_not_in(context.db.session_members, member.id):
        return False  # on every command of a member: most have no session, and cost no query
    async with context.db.read() as uow:
        return await routing.session_live(uow, member.id, context.clock.now())


async def _session_end(update: Update, context: BotContext) -> None:
    member = context.caller.member
    assert member is not None
    async with context.db.unit() as uow:
        await routing.close_session(uow, member.id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Commands, buttons, the free-text handlers (``Group.ROUTING``) and the early hook."""
    add_commands(app, COMMANDS)
    session_commands = {n for s in COMMANDS if s.name in {"katalizator", "kesz"} for n in s.names}
    dialogues.add(
        app,
        dialogues.Dialogue(
            SESSION,
            dialogue_views.CATALYST_SESSION,
            _session_pending,
            _session_end,
            frozenset(session_commands),
            may_wait_for_buttons=False,
        ),
    )
    add_buttons(app, pattern(Feature.ROUTING), Permission.MEMBER, cb_routing, private_only=True)
    app.add_handler(TypeHandler(Update, on_update), group=EARLY_GROUP)
    app.add_handler(
        MessageHandler(_PRIVATE, gate(Permission.PUBLIC)(msg_private)), group=Group.ROUTING
    )
    app.add_handler(MessageHandler(_GROUPS, msg_group), group=Group.ROUTING)
    app.add_handler(ChatMemberHandler(on_bot_membership), group=Group.ROUTING)
