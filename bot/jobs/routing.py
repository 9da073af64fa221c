"""Routed messages' deliveries: sending what waits for a chat, retrying after a timeout or a
5xx, alerting the KSz, and resuming after a stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import Translator
from bot.services import routing
from bot.views import routing as views
from bot.views.common import nothing
from bot.views.split import visible_length
from storage.db import UnitOfWork
from storage.models.routing import Audience, RoutingDelivery

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CAPTIONED = frozenset({"photo", "document", "voice", "video", "audio", "animation"})


async def translator_for_chat(app: Any, uow: UnitOfWork, chat_id: int) -> Translator:
    """The language of a private chat's person; a group's is the default."""
    account = await uow.telegram_users.get(chat_id) if chat_id > 0 else None
    return app.bot_data.translations.for_account(account)  # type: ignore[no-any-return]


@dataclass
class Flushed:
    """What happened to the deliveries waiting for one chat."""

    delivered: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    blocked: bool = False


async def _send_one(bot: Any, delivery: RoutingDelivery, t: Translator) -> list[int]:
    """Send one delivery; returns the ids of the messages it took (all are mapped)."""
    message = delivery.message
    thread = message.thread
    top = bottom = ""
    markup: InlineKeyboardMarkup | None = None
    if delivery.audience in (Audience.CATALYST, Audience.KSZ):
        top = views.question_header(t, thread, delivery.audience)
        markup = views.handler_keyboard(t, thread.id, delivery.audience)
    else:
        author = message.author.name if message.author is not None else nothing(t)
        bottom = views.signature(t, message.signer, author, thread.workgroup.name)
    reply = (
        ReplyParameters(delivery.reply_to_message_id, allow_sending_without_reply=True)
        if delivery.reply_to_message_id
        else None
    )
    chat_id = delivery.chat_id
    combined = "\n\n".join(p for p in (top, message.body_html, bottom) if p)
    if message.kind == "text" and visible_length(combined) <= TEXT_LIMIT:
        sent = await bot.send_message(
            chat_id, combined, reply_markup=markup, reply_parameters=reply
        )
        return [sent.message_id]
    if message.kind in CAPTIONED and visible_length(combined) <= CAPTION_LIMIT:
        copied = await bot.copy_message(
            chat_id,
            message.origin_chat_id,
            message.origin_message_id,
            caption=combined,
            reply_markup=markup,
            reply_parameters=reply,
        )
        return [copied.message_id]
    # Too long for one message, or a kind without a caption: header, copy, signature.
    ids: list[int] = []
    if top:
        head = await bot.send_message(chat_id, top, reply_markup=markup, reply_parameters=reply)
        ids.append(head.message_id)
        reply = ReplyParameters(head.message_id)
    copied = await bot.copy_message(
        chat_id, message.origin_chat_id, message.origin_message_id, reply_parameters=reply
    )
    ids.append(copied.message_id)
    if bottom:
        sign = await bot.send_message(
            chat_id, bottom, reply_parameters=ReplyParameters(copied.message_id)
        )
        ids.append(sign.message_id)
    return ids


@dataclass
class Ready:
    """Deliveries recorded for one chat, whole as their recorder holds them, with the chat's
    account: nothing older waited, so the recorder sends them itself (``send_ready``) instead
    of a flush reading them again. They are claimed until then: a flush of the same chat that
    reads them meanwhile sends them, in their place among what came after them, and takes the
    claim, so that the recorder reads the chat again instead."""

    chat_id: int
    account: Any
    deliveries: list[RoutingDelivery]


def ready_to_send(
    app: Any, chat_id: int, deliveries: list[RoutingDelivery], chat: routing.ChatState
) -> Ready | None:
    """For the unit that recorded ``deliveries`` (whole: ``routing.record_question``) for
    ``chat_id``, as their insert found the chat: a claimed ``Ready`` when nothing else waits
    there and the chat is not known to block the bot; None when a flush must send them (after
    what waits before them). The caller releases the claim when its unit fails (``release``)."""
    if chat.others_wait or (chat.account is not None and chat.account.blocked_at is not None):
        return None
    mine = sorted(deliveries, key=lambda d: d.id)
    app.bot_data.claimed_deliveries.update(d.id for d in mine)
    return Ready(chat_id, chat.account, mine)


def release(app: Any, ready: Iterable[Ready]) -> None:
    """Forget the claims (idempotent)."""
    claimed = app.bot_data.claimed_deliveries
    for each in ready:
        claimed.difference_update(d.id for d in each.deliveries)


async def send_ready(app: Any, ready: Ready) -> Flushed:
    """Send what ``ready`` holds, in the chat's turn among its flushes; when a flush took them
    over meanwhile (``_flush``), send what waits now instead."""
    claimed = app.bot_data.claimed_deliveries
    try:
        async with _chat_turn(app, ready.chat_id):
            kept = all(d.id in claimed for d in ready.deliveries)
            preread = ready if kept else None
            return await _flush(app, ready.chat_id, intro=False, attempt=0, preread=preread)
    finally:
        release(app, [ready])


async def flush_chat(app: Any, chat_id: int, *, intro: bool = False, attempt: int = 0) -> Flushed:
    """Send what waits for ``chat_id``, oldest first; stop at a 403 (the rest keeps waiting).

    One flush of a chat at a time: many members asking one katalizátor at once start many
    flushes of the katalizátor's chat, and each would send every question waiting there."""
    async with _chat_turn(app, chat_id):
        return await _flush(app, chat_id, intro=intro, attempt=attempt)


@asynccontextmanager
async def _chat_turn(app: Any, chat_id: int) -> AsyncIterator[None]:
    """The chat's flush lock, kept in the table only while someone holds or waits for it."""
    locks = app.bot_data.flush_locks
    lock, users = locks.get(chat_id, (asyncio.Lock(), 0))
    locks[chat_id] = (lock, users + 1)
    try:
        async with lock:
            yield
    finally:
        # Dropped only when nobody holds or waits for it: a released lock whose waiter has not
        # run yet still looks free, and a new lock then would let two flushes run at once.
        lock, users = locks[chat_id]
        if users == 1:
            del locks[chat_id]
        else:
            locks[chat_id] = (lock, users - 1)


async def _flush(
    app: Any, chat_id: int, *, intro: bool, attempt: int, preread: Ready | None = None
) -> Flushed:
    data = app.bot_data
    out = Flushed()
    if preread is not None:
        account, pending = preread.account, preread.deliveries
    else:
        async with data.db.read() as uow:
            account, pending = await routing.waiting_for(uow, chat_id)
        if account is not None and account.blocked_at is not None:
            out.blocked = True
            return out
        # Claimed ones are sent here, oldest first with the rest: skipping them would send what
        # came after them first (their recorder may still be sending to another chat).
        data.claimed_deliveries.difference_update(d.id for d in pending)
    if not pending:
        return out
    t = data.translations.for_account(account)
    try:
        if intro:
            await app.bot.send_message(chat_id, views.waiting_intro(t, len(pending)))
        for delivery in pending:
            try:
                ids = await _send_one(app.bot, delivery, t)
            except BadRequest as exc:
                log.warning("delivery %s refused by Telegram: %s", delivery.id, exc)
                async with data.db.unit() as uow:
                    await routing.mark_failed(uow, delivery.id)
                out.failed.add(delivery.id)
                continue
            # Marked at once, in its own transaction: a stop after the send may send it again,
            # never lose it; Core statements only, no ORM session.
            async with data.db.statements() as statements:
                await routing.mark_delivered(
                    statements, delivery.id, chat_id, ids, data.clock.now()
                )
            out.delivered.add(delivery.id)
    except Forbidden:
        log.info("chat %s cannot be reached; its deliveries wait", chat_id)
        async with data.db.unit() as uow:
            await routing.mark_unreachable(uow, chat_id, data.clock.now())
        out.blocked = True
    except TelegramError as exc:
        log.warning("delivering to chat %s stopped, will retry: %s", chat_id, exc)
        retry_later(app, chat_id, attempt)
    return out


#: Seconds before the n-th retry of a chat whose delivery met a timeout, 5xx or network error.
RETRY_BACKOFF = (5.0, 15.0, 45.0, 120.0, 300.0, 600.0)


def retry_later(app: Any, chat_id: int, attempt: int) -> None:
    """Flush the chat again after a backoff (a JobQueue job: it follows the app's clock)."""
    name = f"routing:retry:{chat_id}"
    queue = app.job_queue
    for job in queue.get_jobs_by_name(name):
        job.schedule_removal()
    delay = RETRY_BACKOFF[min(attempt, len(RETRY_BACKOFF) - 1)]
    queue.run_once(job_retry, when=delay, name=name, data=attempt + 1, chat_id=chat_id)


async def job_retry(context: BotContext) -> None:
    """Try a chat's waiting deliveries again."""
    assert context.job is not None and context.job.chat_id is not None
    await flush_chat(context.application, context.job.chat_id, attempt=int(context.job.data or 0))


async def alert_ksz(
    app: Any,
    render: Callable[[Translator], tuple[str, InlineKeyboardMarkup | None]],
    exclude: int | None = None,
) -> None:
    """Tell every reachable KSz member (each in their language)."""
    data = app.bot_data
    async with data.db.unit() as uow:
        staff = await routing.ksz_recipients(uow, exclude)
        translators = {
            r.telegram_id: await translator_for_chat(app, uow, r.telegram_id) for r in staff
        }
    for recipient in staff:
        text, keyboard = render(translators[recipient.telegram_id])
        try:
            await app.bot.send_message(recipient.telegram_id, text, reply_markup=keyboard)
        except Forbidden:
            async with data.db.unit() as uow:
                await routing.mark_unreachable(uow, recipient.telegram_id, data.clock.now())
        except TelegramError as exc:
            log.warning("could not alert KSz member %s: %s", recipient.member_id, exc)


async def startup(app: Any) -> None:
    """Resume deliveries interrupted by a stop (recipients known to block the bot still wait)."""
    async with app.bot_data.db.unit() as uow:
        chats = await routing.chats_with_pending(uow)
    for chat_id in chats:
        await flush_chat(app, chat_id)
