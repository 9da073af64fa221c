"""The command registry and the one gate every command and button passes through."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import wraps
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import ForgedCallback
from bot.commands import Callback, CommandRegistry, CommandSpec
from bot.context import BotContext
from bot.services.errors import DomainError
from bot.services.roles import Permission, allows
from bot.views.common import (
    describe_error,
    private_button_text,
    private_only_text,
    refusal,
    stale_button,
)

log = logging.getLogger(__name__)


async def _reply(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(text)


def gate(
    permission: Permission, *, private_only: bool = False, group_only: bool = False
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
        handler = gate(spec.permission, private_only=spec.private_only, group_only=spec.group_only)(
            spec.callback
        )
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
