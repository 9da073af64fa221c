"""Cluster-wide settings kept in the database (the linked main group, the bot's username)."""

from __future__ import annotations

from datetime import datetime

from bot.services.identity import Actor, audit
from storage.db import UnitOfWork

MAIN_GROUP = "main_group_chat_id"
BOT_USERNAME = "bot_username"


async def main_group(uow: UnitOfWork) -> int | None:
    """The chat id of the cluster's main Telegram group, if one is linked."""
    value = await uow.cluster.get(MAIN_GROUP)
    return int(value) if value is not None else None


async def link_main_group(uow: UnitOfWork, chat_id: int, actor: Actor, now: datetime) -> None:
    """Make ``chat_id`` the main group: ballots and announcements are posted there."""
    await uow.cluster.put(MAIN_GROUP, chat_id)
    audit(uow, actor, "main_group_linked", now)


async def bot_username(uow: UnitOfWork) -> str | None:
    """The bot's username as of its last start (for invitation links made without Telegram)."""
    value = await uow.cluster.get(BOT_USERNAME)
    return str(value) if value else None


async def remember_bot_username(uow: UnitOfWork, username: str) -> None:
    """Keep the username Telegram gave at start, so the command line need not ask again."""
    if await uow.cluster.get(BOT_USERNAME) != username:
        await uow.cluster.put(BOT_USERNAME, username)
