"""The one error handler: log first, then apologise to the user in their language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception with its traceback and tell the user something went wrong."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    t = context.t
    try:
        if context.known_caller is None and update.effective_user is not None:
            t = (await context.load_caller(update)).t
    except Exception:
        log.exception("could not load the caller for the apology")
    text = t.gettext("Sorry, something went wrong on our side. Please try again later.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except (Forbidden, TelegramError):
        log.warning("could not send the apology to chat %s", update.effective_chat.id)
