"""Announcements: /kozlemeny composes, previews and sends (KSz, ST chair); /kozlemenyek lists.

Composing is a conversation: text (or a photo or document with a caption), then the audience
(several at once), then the kind if the author may send both, then a preview that is the exact
message, with the number of recipients and the confirm button. Nothing is sent before that.
The draft lives in ``UserData.announcement_draft``; buttons carry its serial, so buttons of an
older draft are refused. Delivery runs in the background: see ``bot.outbox``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import outbox
from bot.access import add_buttons, add_commands, add_conversation, gate, on_buttons, paged_list
from bot.callbacks import Callback, Feature, ForgedCallback, decode, pattern
from bot.commands import CommandSpec
from bot.context import BotContext, UserData
from bot.delivery import edit_from_button
from bot.i18n import N_, Translator
from bot.services import announcements, cluster
from bot.services.announcements import (
    AnnouncementKind,
    AudienceGroup,
    Content,
    Draft,
    MediaKind,
    Stage,
    utf16_length,
)
from bot.services.errors import InvalidInput
from bot.services.roles import Permission
from bot.views import announcements as views
from bot.views import dialogues as dialogue_views
from bot.views.split import visible_length

#: A draft left alone this long is dropped (so later free text is not taken for it).
DRAFT_TIMEOUT = timedelta(minutes=30)
ACTIONS = frozenset({"aud", "wg", "next", "kind", "main", "send", "cancel"})
CONTENT = (filters.TEXT | filters.PHOTO | filters.Document.ALL) & ~filters.COMMAND
PRIVATE_MESSAGE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def _draft(context: BotContext) -> Draft | None:
    return context.user_data.announcement_draft if context.user_data is not None else None


def _set_draft(context: BotContext, draft: Draft | None) -> None:
    assert context.user_data is not None
    context.user_data.announcement_draft = draft


def _draft_of(context: BotContext, data: Callback) -> Draft:
    """The draft a button belongs to; a button of another (older) draft is stale."""
    draft = _draft(context)
    if draft is None or draft.serial != data.int_arg(0):
        raise ForgedCallback("not the current announcement draft")
    return draft


def _recipient_t(context: BotContext) -> Translator:
    """Announcements speak the cluster's default language, to everyone alike."""
    return context.bot_data.translations.get(None)


def _message_html(context: BotContext, draft: Draft) -> str:
    assert draft.kind is not None
    return views.message(
        _recipient_t(context), draft.kind, context.caller.standing.name, draft.body_html
    )


async def _drop_buttons(update: Update) -> None:
    """Keep a finished step's text but take its buttons away."""
    query = update.callback_query
    assert query is not None
    if isinstance(query.message, Message) and query.message.text:
        await edit_from_button(update, query.message.text_html, None)


# --- composing -------------------------------------------------------------------------------


async def cmd_announce(update: Update, context: BotContext) -> Stage:
    """Start a new announcement (any earlier draft is dropped)."""
    message = update.effective_message
    assert message is not None
    draft = Draft(serial=secrets.randbelow(10**9))
    _set_draft(context, draft)
    text, keyboard = views.content_prompt(context.t, draft.serial)
    await message.reply_html(text, reply_markup=keyboard)
    return Stage.CONTENT


async def msg_content(update: Update, context: BotContext) -> None:
    """The announcement's text, or a photo or document with the text as its caption."""
    message = update.effective_message
    draft = _draft(context)
    assert message is not None
    if draft is None or draft.stage is not Stage.CONTENT:
        raise ApplicationHandlerStop(ConversationHandler.END)
    media: MediaKind | None = None
    file_id: str | None = None
    if message.photo:
        media, file_id = MediaKind.PHOTO, message.photo[-1].file_id
    elif message.document is not None:
        media, file_id = MediaKind.DOCUMENT, message.document.file_id
    if media is None:
        text, html = message.text or "", message.text_html or ""
    else:
        text, html = message.caption or "", message.caption_html or ""
    length = utf16_length(text)
    standing = context.caller.standing
    overhead = views.overhead(
        _recipient_t(context), standing.name, announcements.kinds_for(standing)
    )
    try:
        announcements.check_length(length, has_media=media is not None, overhead=overhead)
    except InvalidInput as err:
        await message.reply_html(views.problem(context.t, err, length))
        raise ApplicationHandlerStop(Stage.CONTENT) from None
    draft.text, draft.body_html, draft.length = text, html, length
    draft.media_kind, draft.file_id = media, file_id
    draft.stage = Stage.AUDIENCE
    text, keyboard = await _audience_picker(context, draft)
    await message.reply_html(text, reply_markup=keyboard)
    raise ApplicationHandlerStop(Stage.AUDIENCE)


async def msg_unsupported(update: Update, context: BotContext) -> None:
    """Anything else while a text is expected."""
    assert update.effective_message is not None
    await update.effective_message.reply_html(views.unsupported(context.t))
    raise ApplicationHandlerStop(Stage.CONTENT)


async def _workgroups(context: BotContext) -> list[tuple[int, str]]:
    async with context.db.unit() as uow:
        return [(g.id, g.name) for g in await uow.workgroups.all()]


async def _audience_picker(context: BotContext, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    return views.audience_picker(context.t, draft, await _workgroups(context))


async def cb_announce(update: Update, context: BotContext) -> object:
    """Every button of the composing steps."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.ANNOUNCE, ACTIONS)
    draft = _draft_of(context, data)
    t = context.t
    if data.action == "cancel":
        _set_draft(context, None)
        await query.answer()
        await edit_from_button(update, views.cancelled(t), None)
        return ConversationHandler.END
    if data.action in {"aud", "wg", "next"}:
        if draft.stage is not Stage.AUDIENCE:
            raise ForgedCallback("not choosing the audience")
        return await _on_audience(update, context, draft, data)
    if data.action == "kind":
        if draft.stage not in (Stage.KIND, Stage.PREVIEW):
            raise ForgedCallback("not choosing the kind")
        kind = AnnouncementKind(data.arg(1, {k.value for k in AnnouncementKind}))
        announcements.check_kind(context.caller.standing, kind)
        draft.kind = kind
        await query.answer()
        await _drop_buttons(update)
        return await _preview(update, context, draft)
    if draft.stage is not Stage.PREVIEW:
        raise ForgedCallback("nothing to confirm yet")
    if data.action == "main":
        draft.to_main_group = not draft.to_main_group
        await query.answer()
        text, keyboard = await _panel(context, draft)
        await edit_from_button(update, text, keyboard)
        return Stage.PREVIEW
    return await _confirm(update, context, draft)


async def _on_audience(update: Update, context: BotContext, draft: Draft, data: Callback) -> object:
    query = update.callback_query
    assert query is not None
    if data.action == "aud":
        group = AudienceGroup(data.arg(1, {g.value for g in AudienceGroup}))
        draft.groups ^= {group}
    elif data.action == "wg":
        group_id = data.int_arg(1)
        if group_id not in {i for i, _ in await _workgroups(context)}:
            raise ForgedCallback(f"no workgroup {group_id}")
        draft.workgroup_ids ^= {group_id}
    else:
        if draft.audience.is_empty:
            await query.answer(
                views.problem(context.t, InvalidInput("audience", "empty")), show_alert=True
            )
            return Stage.AUDIENCE
        kinds = announcements.kinds_for(context.caller.standing)
        await query.answer()
        if len(kinds) == 1:
            draft.kind = kinds[0]
            await _drop_buttons(update)
            return await _preview(update, context, draft)
        draft.stage = Stage.KIND
        text, keyboard = views.kind_picker(context.t, draft.serial, kinds)
        await edit_from_button(update, text, keyboard)
        return Stage.KIND
    await query.answer()
    text, keyboard = await _audience_picker(context, draft)
    await edit_from_button(update, text, keyboard)
    return Stage.AUDIENCE


async def _panel(context: BotContext, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    async with context.db.unit() as uow:
        counted = await announcements.preview(uow, draft.audience)
        linked = await cluster.main_group(uow) is not None
        names = {g.id: g.name for g in await uow.workgroups.all()}
    if not linked:
        draft.to_main_group = False
    return views.preview_panel(
        context.t,
        draft,
        views.draft_audience_label(context.t, draft, names),
        counted,
        main_group_linked=linked,
        kinds=announcements.kinds_for(context.caller.standing),
    )


async def _preview(update: Update, context: BotContext, draft: Draft) -> Stage:
    """Send the author the exact message, then the panel with the count and the buttons."""
    chat = update.effective_chat
    assert chat is not None
    draft.stage = Stage.PREVIEW
    payload = outbox.Payload(_message_html(context, draft), draft.media_kind, draft.file_id)
    await outbox.send(context.bot, chat.id, payload)
    text, keyboard = await _panel(context, draft)
    await context.bot.send_message(chat.id, text, reply_markup=keyboard)
    return Stage.PREVIEW


async def _confirm(update: Update, context: BotContext, draft: Draft) -> object:
    """Create the announcement with its outbox (one transaction) and start the delivery."""
    query = update.callback_query
    assert query is not None and draft.kind is not None
    html = _message_html(context, draft)
    content = Content(
        text=draft.text,
        message_html=html,
        length=visible_length(html),
        media_kind=draft.media_kind,
        file_id=draft.file_id,
    )
    try:
        async with context.db.unit() as uow:
            counted = await announcements.preview(uow, draft.audience)
            created = await announcements.create(
                uow,
                context.caller.standing,
                draft.kind,
                content,
                draft.audience,
                context.clock.now(),
                to_main_group=draft.to_main_group,
            )
    except InvalidInput as err:
        await query.answer(views.problem(context.t, err), show_alert=True)
        return Stage.PREVIEW
    _set_draft(context, None)
    await query.answer()
    await edit_from_button(update, views.started(context.t, counted.recipients), None)
    outbox.schedule(context.application, created.id)
    return ConversationHandler.END


def _forget(data: UserData) -> None:
    data.announcement_draft = None


async def on_timeout(update: object, context: BotContext) -> None:
    """The author left the draft alone: forget it."""
    if context.user_data is not None:
        context.user_data.announcement_draft = None


async def cb_stale(update: Update, context: BotContext) -> None:
    """A composing button outside a conversation (already sent, cancelled or timed out)."""
    raise ForgedCallback("announcement draft is over")


# --- listing ---------------------------------------------------------------------------------


async def _history_page(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    size = views.PAGE_SIZE
    async with context.db.unit() as uow:
        items, total = await announcements.history(uow, context.caller.standing, page * size, size)
    pages = max(1, -(-total // size))
    if page >= pages and total:
        return await _history_page(context, pages - 1)
    return views.history(context.t, items, page, total)


#: Past announcements, newest first, a page at a time (/kozlemenyek).
cmd_announcements, cb_announcements = paged_list(Feature.ANNOUNCEMENTS, _history_page)


# --- wiring ----------------------------------------------------------------------------------


COMMANDS = [
    CommandSpec(
        "kozlemeny", N_("send an announcement to the members"), Permission.ANNOUNCER,
        cmd_announce, english="announce", private_only=True, own_handler=True,
    ),
    CommandSpec(
        "kozlemenyek", N_("past announcements"), Permission.MEMBER, cmd_announcements,
        english="announcements",
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The composing conversation (it owns the author's free text while active), a stale-button
    answer for composing buttons outside it, then the commands and the list's buttons."""
    announcer = Permission.ANNOUNCER
    compose = next(s for s in COMMANDS if s.own_handler)
    step = gate(announcer, private_only=True)
    add_conversation(
        app, "announcement",
        entry=CommandHandler(list(compose.names), step(cmd_announce)),
        states={
            Stage.CONTENT: [
                MessageHandler(PRIVATE_MESSAGE & CONTENT, step(msg_content)),
                MessageHandler(PRIVATE_MESSAGE & ~filters.COMMAND, step(msg_unsupported)),
            ],
            Stage.AUDIENCE: [],
            Stage.KIND: [],
            Stage.PREVIEW: [],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
        },
        fallbacks=[on_buttons(Feature.ANNOUNCE, announcer, cb_announce, private_only=True)],
        label=dialogue_views.ANNOUNCEMENT, forget=_forget, cancelled=views.cancelled,
        commands=compose.names, timeout=DRAFT_TIMEOUT, allow_reentry=True,
    )  # fmt: skip
    add_buttons(app, pattern(Feature.ANNOUNCE), announcer, cb_stale)
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.ANNOUNCEMENTS), Permission.MEMBER, cb_announcements)
