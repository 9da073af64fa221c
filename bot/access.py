"""The command registry and the one gate every command and button passes through."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import dialogues
from bot.callbacks import Feature, ForgedCallback, decode, pattern
from bot.commands import Callback, CommandRegistry, CommandSpec, ShowUsage
from bot.context import BotContext, UserData
from bot.delivery import edit_from_button
from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.roles import Permission, allows
from bot.views.common import (
    describe_error,
    private_button_text,
    private_only_text,
    refusal,
    stale_button,
    usage_text,
)

log = logging.getLogger(__name__)


async def _reply(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(text)


def gate(
    permission: Permission,
    *,
    private_only: bool = False,
    group_only: bool = False,
    spec: CommandSpec | None = None,
) -> Callable[[Callable[[Update, BotContext], Awaitable[Any]]], Callback]:
    """Load the caller, check the right, translate domain errors; the one place that does so.

    The wrapped callback's return value is passed on (conversation states); a refusal or a
    domain error returns None, which keeps a conversation where it was.
    """

    def decorate(func: Callable[[Update, BotContext], Awaitable[Any]]) -> Callback:
        @wraps(func)
        async def wrapper(update: Update, context: BotContext) -> Any:
            context.handled += 1
            caller = await context.load_caller(update)
            if not allows(permission, caller.standing):
                log.warning(
                    "refused %s for telegram user %s (roles: %s; needs %s)",
                    func.__name__,
                    caller.telegram_id,
                    ",".join(sorted(caller.standing.roles())),
                    permission,
                )
                await _reply(update, refusal(caller.t, permission))
                return
            chat = update.effective_chat
            is_private = chat is not None and chat.type == ChatType.PRIVATE
            if (private_only and not is_private) or (group_only and is_private):
                if update.callback_query is not None and private_only:
                    await _reply(update, private_button_text(caller.t))
                else:
                    await _reply(update, private_only_text(caller.t, private=private_only))
                return
            try:
                return await func(update, context)
            except ShowUsage:
                await _reply(update, usage_text(caller.t, spec))
            except ForgedCallback as exc:
                log.warning(
                    "refused a forged or stale button from telegram user %s: %s",
                    caller.telegram_id,
                    exc,
                )
                await _reply(update, stale_button(caller.t))
            except DomainError as exc:
                log.info("%s: %r", func.__name__, exc)
                await _reply(update, describe_error(caller.t, exc))
            return None

        return wrapper

    return decorate


def add_commands(
    app: Application[Any, Any, Any, Any, Any, Any], specs: Iterable[CommandSpec]
) -> None:
    """Register commands (name and aliases) behind the gate and into the registry."""
    registry: CommandRegistry = app.bot_data.commands
    for spec in specs:
        registry.add(spec)
        if spec.own_handler:
            continue
        handler = gate(
            spec.permission, private_only=spec.private_only, group_only=spec.group_only, spec=spec
        )(spec.callback)
        app.add_handler(CommandHandler(list(spec.names), handler))


def add_buttons(
    app: Application[Any, Any, Any, Any, Any, Any],
    pattern: str,
    permission: Permission,
    callback: Callback,
    *,
    private_only: bool = False,
) -> None:
    """Register a callback-query handler behind the gate (``private_only``: the buttons of a
    personal or privileged action, refused with an alert when pressed in a group)."""
    handler = gate(permission, private_only=private_only)(callback)
    app.add_handler(CallbackQueryHandler(handler, pattern=pattern))


#: A dialogue nobody answers for this long ends by itself.
CONVERSATION_TIMEOUT = 30 * 60
#: The commands that leave a dialogue.
CANCEL = ("megse", "cancel")


def on_text(permission: Permission, callback: Callback) -> MessageHandler[Any, Any]:
    """A dialogue step that takes the person's next text (not a command), behind the gate."""
    return MessageHandler(filters.TEXT & ~filters.COMMAND, gate(permission)(callback))


def on_buttons(
    feature: Feature, permission: Permission, callback: Callback, *, private_only: bool = False
) -> CallbackQueryHandler[Any, Any]:
    """A dialogue step that takes a press of one of ``feature``'s buttons, behind the gate."""
    return CallbackQueryHandler(
        gate(permission, private_only=private_only)(callback), pattern=pattern(feature)
    )


def add_conversation(
    app: Application[Any, Any, Any, Any, Any, Any],
    name: str,
    *,
    entry: BaseHandler[Any, Any, Any],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
    label: str,
    forget: Callable[[UserData], None],
    cancelled: Callable[[Translator], str] = lambda t: t.gettext("Cancelled."),
    commands: Iterable[str] = (),
    fallbacks: Iterable[BaseHandler[Any, Any, Any]] = (),
    timeout: float | timedelta = CONVERSATION_TIMEOUT,
    allow_reentry: bool = False,
) -> None:
    """A dialogue (``bot.dialogues``) as a ``ConversationHandler``: ``entry`` opens it, ``states``
    are its steps, /megse (/cancel) forgets what it collected and says ``cancelled``, silence
    for ``timeout`` ends it, and another command ends it too (``forget``)."""

    async def cancel(update: Update, context: BotContext) -> object:
        if context.user_data is not None:
            forget(context.user_data)
        assert update.effective_message is not None
        await update.effective_message.reply_html(cancelled(context.t))
        return ConversationHandler.END

    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, which is what a dialogue needs.
        warnings.simplefilter("ignore", PTBUserWarning)
        handler: ConversationHandler[Any] = ConversationHandler(
            entry_points=[entry],
            states=states,
            fallbacks=[*fallbacks, CommandHandler(list(CANCEL), gate(Permission.PUBLIC)(cancel))],
            conversation_timeout=timeout,
            allow_reentry=allow_reentry,
            name=name,
        )
    dialogues.add_conversation(app, handler, label, forget, commands)


Page = Callable[[BotContext, int], Awaitable[tuple[str, InlineKeyboardMarkup | None]]]
PAGE_ACTIONS = frozenset({"page"})


def paged_list(feature: Feature, page: Page) -> tuple[Callback, Callback]:
    """A list shown a page at a time: the command's callback (the first page) and the callback
    of its page buttons (``feature:page:N``, which edit the list in place). ``page(context, n)``
    renders page ``n`` (clamped to the last one)."""

    async def first(update: Update, context: BotContext) -> None:
        assert update.effective_message is not None
        text, keyboard = await page(context, 0)
        await update.effective_message.reply_html(text, reply_markup=keyboard)

    async def turn(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        number = decode(query.data, feature, PAGE_ACTIONS).int_arg(0)
        text, keyboard = await page(context, number)
        await query.answer()
        await edit_from_button(update, text, keyboard)

    return first, turn
