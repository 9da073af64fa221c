"""The last word: a short hint for a message no other handler took (issue 21: no silence).

In a private chat every message gets an answer: an unknown command, a bare slash, free text
nothing waited for, text where a dialogue expects a button, a sticker. In a group the bot stays
quiet unless the message is addressed to it (a command with ``@bot``, a mention, a reply).
These handlers run in ``Group.FALLBACK``, after everything else; ``context.handled`` tells
whether a feature (through ``access.gate``) took the update.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import dialogues
from bot.commands import Group
from bot.context import BotContext
from bot.views import dialogues as views

_MESSAGES = filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL


def _addressed(message: Message, bot_id: int, username: str) -> bool:
    """A command for this bot, a mention of it, or a reply to it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    mention = "@" + username.casefold()
    for entity, text in {**message.parse_entities(), **message.parse_caption_entities()}.items():
        if entity.type == MessageEntityType.MENTION and text.casefold() == mention:
            return True
        if entity.type == MessageEntityType.BOT_COMMAND and text.casefold().endswith(mention):
            return True
    return False


async def on_unanswered(update: Update, context: BotContext) -> None:
    """Answer what nobody answered, with a hint and /sugo."""
    message = update.effective_message
    chat = update.effective_chat
    if context.handled > 0 or message is None or chat is None:
        return
    if message.from_user is None or message.from_user.is_bot:
        return
    private = chat.type == ChatType.PRIVATE
    if not private and not _addressed(message, context.bot.id, context.bot.username):
        return
    t = (await context.load_caller(update)).t
    text = message.text
    if text is not None and text.startswith("/") and _taken(update, context):
        return  # a command some (ungated) handler took, even if it failed
    if text is not None and text.startswith("/"):
        answer = views.unknown_command(t, dialogues.command_of(text, context.bot.username))
    elif not private:
        answer = views.addressed_hint(t)
    elif await _dialogue_pending(update, context):
        answer = views.use_buttons(t)
    elif text is not None:
        answer = views.unexpected_text(t)
    else:
        answer = views.unsupported(t)
    await message.reply_html(answer)


def _taken(update: Update, context: BotContext) -> bool:
    """Some handler of the command and conversation groups matches this update."""
    for group, handlers in context.application.handlers.items():
        if group == Group.FALLBACK:
            continue
        for handler in handlers:
            if isinstance(handler, CommandHandler | ConversationHandler) and handler.check_update(
                update
            ):
                return True
    return False


async def _dialogue_pending(update: Update, context: BotContext) -> bool:
    for dialogue in dialogues.registry(context.application).kinds:
        if dialogue.may_wait_for_buttons and await dialogue.pending(update, context):
            return True
    return False


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """One catch-all message handler, in the last group."""
    app.add_handler(MessageHandler(_MESSAGES, on_unanswered), group=Group.FALLBACK)
