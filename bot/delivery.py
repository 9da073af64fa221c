"""Sending one text to many members, each in their language, marking who cannot be reached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.courier import row
from bot.i18n import Translations, Translator
from bot.views.common import sent_privately
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models import Member, MemberKind

log = logging.getLogger(__name__)


Render = Callable[[Translator], tuple[str, InlineKeyboardMarkup | None]]


@dataclass(frozen=True, slots=True)
class Recipient:
    """A member's private chat and the language to write in."""

    member_id: int
    chat_id: int
    language: str | None
    language_code: str | None


def translator_for(translations: Translations) -> Callable[[Recipient], Translator]:
    """Each recipient's translator: their stored choice, else their Telegram language."""
    return lambda r: translations.pick(r.language, r.language_code)


async def recipients(uow: UnitOfWork, members: Sequence[Member]) -> list[Recipient]:
    """The members who have a Telegram account, with their language choice."""
    bound = [(m.id, m.telegram_id) for m in members if m.telegram_id is not None and m.is_active]
    languages = await uow.telegram_users.languages([chat for _, chat in bound])
    return [Recipient(m, chat, *languages.get(chat, (None, None))) for m, chat in bound]


async def active_recipients(uow: UnitOfWork, *, kind: MemberKind | None = None) -> list[Recipient]:
    """Every active member with an account (of ``kind``), read in partitions of plain rows; the
    event loop gets a turn between partitions, so 100,000 members do not stall it."""
    found: list[Recipient] = []
    async for part in uow.telegram_users.reachable_members(kind):
        found.extend(Recipient(*row) for row in part)
        await asyncio.sleep(0)
    return found


def queued_rows(
    batch: str,
    targets: Sequence[Recipient],
    translator: Callable[[Recipient], Translator],
    render: Render,
    now: datetime,
) -> list[dict[str, Any]]:
    """Outbox rows of ``render(t)`` for every recipient, rendered once per language."""
    rendered: dict[int, tuple[str, InlineKeyboardMarkup | None]] = {}
    rows = []
    for target in targets:
        t = translator(target)
        if id(t) not in rendered:
            rendered[id(t)] = render(t)
        text, markup = rendered[id(t)]
        rows.append(
            row(batch, target.chat_id, text, now, markup=markup, member_id=target.member_id)
        )
    return rows


async def remove_from_chats(bot: Any, chat_ids: Sequence[int], telegram_id: int) -> None:
    """Remove an account from linked groups (ban, then unban so it can be re-added later)."""
    for chat_id in chat_ids:
        try:
            await bot.ban_chat_member(chat_id, telegram_id)
            await bot.unban_chat_member(chat_id, telegram_id, only_if_banned=True)
        except TelegramError as exc:
            log.warning("could not remove %s from group %s: %s", telegram_id, chat_id, exc)


def shows(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> bool:
    """Whether ``message`` (as Telegram holds it) already shows this HTML text and keyboard.

    Both sides are compared as HTML with the entities unescaped, so that ``&quot;`` and ``"``
    count as the same; anything else that differs makes an edit.
    """
    if message.text is None:
        return False
    shown = message.reply_markup if message.reply_markup else None
    if (keyboard or None) != shown:
        return False
    return unescape(message.text_html) == unescape(text)


async def edit_from_button(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    """Edit the message behind a pressed button, unless it already shows exactly this (a
    double press, a stale keyboard): Telegram refuses such an edit ("message is not
    modified"), so none is sent. An unchanged message is not an error either way."""
    query = update.callback_query
    assert query is not None
    if isinstance(query.message, Message) and shows(query.message, text, keyboard):
        return
    await edit_unless_unmodified(query.edit_message_text(text, reply_markup=keyboard))


async def answer_sent(update: Update, context: Any) -> None:
    """Answer a button whose result went to the presser's private chat (in a group, say so)."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None
    if chat is not None and chat.type == ChatType.PRIVATE:
        await query.answer()
        return
    await query.answer(sent_privately(context.t)[:200], show_alert=True)


async def reply_parts(
    bot: Any, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send ``text`` in messages of at most 4096 characters, cut at line ends (a longer line at
    spaces), with the keyboard under the last one."""
    parts = split_lines(text)
    for part in parts[:-1]:
        await bot.send_message(chat_id, part)
    await bot.send_message(chat_id, parts[-1], reply_markup=keyboard)


async def edit_unless_unmodified(edit: Awaitable[Any]) -> None:
    """Run an edit; Telegram's "message is not modified" (the message already shows it) is no
    error. Anything else is raised."""
    try:
        await edit
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise
