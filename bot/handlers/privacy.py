"""A person's own data: /adataim (their data as files, privately), /adatvedelem (the privacy
notice), and the KSz's erasure of a member from the member card, with a confirmation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.access import add_buttons, add_commands
from bot.callbacks import Callback, Feature, decode, pattern
from bot.commands import CommandSpec
from bot.context import BotContext
from bot.delivery import edit_from_button, reply_parts
from bot.i18n import N_
from bot.jobs.privacy import after_erasure
from bot.services import privacy
from bot.services.errors import NotFound, OfficeHolder
from bot.services.identity import Actor
from bot.services.roles import Permission
from bot.views import privacy as views

log = logging.getLogger(__name__)


async def cmd_mydata(update: Update, context: BotContext) -> None:
    """Everything the bot stores about the caller, as two files in the private chat."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    async with context.db.unit() as uow:
        made = await privacy.export(uow, user.id, context.clock.now())
    t = context.t
    files = await asyncio.to_thread(
        views.export_files, t, made, context.settings.retention_days
    )  # built in a thread: a long history does not hold the other chats
    await message.reply_html(views.export_intro(t))
    for name, content, caption in files:
        await context.bot.send_document(user.id, document=content, filename=name, caption=caption)


async def cmd_privacy(update: Update, context: BotContext) -> None:
    """The privacy notice: the cluster's own file (``PRIVACY_NOTICE_FILE``), or the built-in."""
    assert update.effective_chat is not None
    t = context.t
    path = context.settings.privacy_notice_path(t.language)
    text = None
    if path is not None:
        try:
            text = views.notice_from_file(await asyncio.to_thread(path.read_text, "utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("privacy notice file unreadable, the built-in one is shown: %s", exc)
    text = text or views.default_notice(t, context.settings.retention_days)
    await reply_parts(context.bot, update.effective_chat.id, text)


async def cb_erase(update: Update, context: BotContext) -> None:
    """The member card's "Erase data…" (ask) and its confirmation (ok), KSz only."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data, Feature.ERASE, {"ask", "ok"})
    if data.action == "ask":
        await _erase_ask(update, context, data)
    else:
        await _erase_do(update, context, data)


async def _erase_ask(update: Update, context: BotContext, data: Callback) -> None:
    """What the erasure would delete and keep; an office holder is refused with the reason."""
    member_id = data.int_arg(0)
    async with context.db.unit() as uow:
        member = await uow.members.get(member_id)
        if member is None:
            raise NotFound("member", str(member_id))
        try:
            plan = await privacy.plan_erasure(uow, member)
        except OfficeHolder as refused:
            text, keyboard = views.erase_refused(context.t, refused, member_id)
        else:
            text, keyboard = views.erase_question(context.t, plan)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_from_button(update, text, keyboard)


async def _erase_do(update: Update, context: BotContext, data: Callback) -> None:
    """The confirmed erasure; then the account leaves the linked groups."""
    caller = context.caller.member
    assert caller is not None and update.callback_query is not None
    async with context.db.unit() as uow:
        done = await privacy.erase(
            uow, data.int_arg(0), Actor(caller.id, caller.name), context.clock.now()
        )
    unremoved = await after_erasure(context.application, done)
    await update.callback_query.answer()
    text = views.erased(context.t, done, unremoved)
    await edit_from_button(update, text, views.back_to_card(context.t, done.member_id))


COMMANDS = [
    CommandSpec(
        "adataim", N_("everything the bot stores about you, as a file"), Permission.PUBLIC,
        cmd_mydata, english="mydata", private_only=True,
    ),
    CommandSpec(
        "adatvedelem", N_("privacy notice: what is stored, why, how long, who sees it"),
        Permission.PUBLIC, cmd_privacy, english="privacy",
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The two commands and the erasure buttons of the member card."""
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.ERASE), Permission.KSZ, cb_erase, private_only=True)
