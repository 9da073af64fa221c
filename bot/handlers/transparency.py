"""/atlathatosag (/transparency): the button that opens the transparency Mini App (issue 20).

The page itself and its API live in ``bot.webapp``; the bot's menu button is set in
``bot.app.set_menus`` when ``WEBAPP_URL`` is set.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.access import add_commands
from bot.commands import CommandSpec
from bot.context import BotContext
from bot.i18n import N_
from bot.services.roles import Permission
from bot.views import transparency as views


async def cmd_transparency(update: Update, context: BotContext) -> None:
    """In a private chat the Mini App's button; in a group, the way to the private chat
    (Telegram allows web_app buttons in private chats only)."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    url = context.settings.webapp_url
    if url is None:
        await message.reply_html(views.not_set_up(context.t))
        return
    if chat.type == ChatType.PRIVATE:
        text, keyboard = views.open_page(context.t, url)
    else:
        text, keyboard = views.open_privately(context.t, context.bot_data.bot_username)
    await message.reply_html(text, reply_markup=keyboard)


COMMANDS = [
    CommandSpec(
        "atlathatosag", N_("the transparency page: resolutions, ballots, work plan"),
        Permission.MEMBER, cmd_transparency, english="transparency",
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this feature's command."""
    add_commands(app, COMMANDS)
