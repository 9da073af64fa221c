"""/start (with invitation links), /help and /nyelv."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.access import add_buttons, add_commands
from bot.callbacks import Feature, decode, pattern
from bot.commands import CommandSpec
from bot.context import BotContext, profile_of
from bot.delivery import reply_parts
from bot.i18n import LANGUAGES, N_
from bot.services import identity
from bot.services.roles import Permission
from bot.views import start as views

log = logging.getLogger(__name__)


async def cmd_start(update: Update, context: BotContext) -> None:
    """Welcome the caller; a payload is an invitation token that binds the account."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    caller = context.caller
    if message.chat.type == "private":
        await context.remember(user)  # a stranger's first contact stored nothing
    if context.args:
        async with context.db.unit() as uow:
            member = await identity.redeem_invitation(
                uow, context.args[0], user.id, context.clock.now()
            )
        caller = await context.load_caller(update, refresh=True)
        await message.reply_html(views.bound(caller.t, name=member.name))
        return
    if caller.member is None:
        await message.reply_html(views.welcome_stranger(caller.t))
    elif not caller.member.is_active:
        await message.reply_html(views.welcome_inactive(caller.t, name=caller.member.name))
    else:
        await message.reply_html(views.welcome_member(caller.t, name=caller.member.name))


async def cmd_help(update: Update, context: BotContext) -> None:
    """List the commands this caller may use, by role."""
    assert update.effective_message is not None
    caller = context.caller
    specs = context.bot_data.commands.available_to(caller.standing)
    text = views.help_text(caller.t, specs, caller.standing)
    await reply_parts(context.bot, update.effective_message.chat_id, text)


async def cmd_language(update: Update, context: BotContext) -> None:
    """Offer the languages."""
    assert update.effective_message is not None
    text, keyboard = views.language_prompt(context.t)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def cb_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    choice = decode(query.data, Feature.LANGUAGE, {"set"}).arg(0, set(LANGUAGES))
    async with context.db.unit() as uow:
        account = await uow.telegram_users.upsert(user.id, **profile_of(user))
        account.language = choice
    t = context.bot_data.translations.get(choice)
    await query.answer()
    await query.edit_message_text(views.language_set(t))


COMMANDS = [
    CommandSpec("start", N_("start the bot, connect your account"), Permission.PUBLIC, cmd_start),
    CommandSpec("help", N_("what you can do here"), Permission.PUBLIC, cmd_help, aliases=("sugo",)),
    CommandSpec(
        "nyelv", N_("change the language"), Permission.PUBLIC, cmd_language, english="language"
    ),
]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this feature's commands and buttons."""
    add_commands(app, COMMANDS)
    add_buttons(app, pattern(Feature.LANGUAGE), Permission.PUBLIC, cb_language)
