"""The cluster's main Telegram group: where ballots and announcements are posted."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application

from bot.access import add_commands
from bot.commands import CommandSpec
from bot.context import BotContext
from bot.i18n import N_
from bot.services import cluster
from bot.services.identity import Actor
from bot.services.roles import Permission
from bot.views import cluster as views


async def cmd_main_group(update: Update, context: BotContext) -> None:
    """Link this group as the cluster's main group (KSz, in the group; the bot must be admin)."""
    message = update.effective_message
    chat = update.effective_chat
    member = context.caller.member
    assert message is not None and chat is not None and member is not None
    t = context.t
    me = await context.bot.get_chat_member(chat.id, context.bot.id)
    if me.status != ChatMemberStatus.ADMINISTRATOR or not getattr(me, "can_pin_messages", False):
        await message.reply_html(views.needs_pin_rights(t))
        return
    async with context.db.unit() as uow:
        await cluster.link_main_group(
            uow, chat.id, Actor(member.id, member.name), context.clock.now()
        )
    await message.reply_html(views.main_group_set(t))


COMMANDS = [
    CommandSpec(
        "fo_csoport", N_("make this group the cluster's main group"), Permission.KSZ,
        cmd_main_group, english="maingroup", group_only=True,
    ),
]  # fmt: skip


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this feature's command."""
    add_commands(app, COMMANDS)
