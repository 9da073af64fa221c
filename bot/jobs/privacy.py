"""Privacy's background work: the retention job, which deletes routed messages and join requests
older than ``RETENTION_DAYS``, and what follows an erasure outside the database (the account
leaves the linked groups, the bot forgets it in memory).

The retention runs on the JobQueue, so it follows the app's ``Clock``: every hour
(``privacy:retention``) and once at start (what fell due while the bot was down). A run deletes
what is due at the clock's time in one transaction; an item is deleted by the first run after it
falls due, and the next run no longer finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram.error import TelegramError

from bot.scheduler import every
from bot.services import privacy

log = logging.getLogger(__name__)

JOB_NAME = "privacy:retention"
INTERVAL = timedelta(hours=1)


async def retention(app: Any) -> privacy.Retained:
    """Delete what the retention period has passed; logs the numbers when anything went."""
    data = app.bot_data
    async with data.db.unit() as uow:
        done = await privacy.apply_retention(
            uow, data.clock.now(), timedelta(days=data.settings.retention_days)
        )
    if done:
        log.info(
            "retention: deleted %d routed messages, %d empty threads, %d join requests",
            done.messages, done.threads, done.join_requests,
        )  # fmt: skip
    return done


async def startup(app: Any) -> None:
    """Start the hourly job, and run it once now."""
    every(app, retention, INTERVAL, JOB_NAME)


async def remove_from_groups(bot: Any, chat_ids: Sequence[int], telegram_id: int) -> int:
    """Remove an erased member's account from linked groups (ban, then unban so that it could
    join again as someone new); returns in how many it failed. The log names the group only:
    nothing written after an erasure names the person."""
    failed = 0
    for chat_id in chat_ids:
        try:
            await bot.ban_chat_member(chat_id, telegram_id)
            await bot.unban_chat_member(chat_id, telegram_id, only_if_banned=True)
        except TelegramError as exc:
            failed += 1
            log.warning("could not remove an erased member from group %s: %s", chat_id, exc)
    return failed


async def after_erasure(app: Any, done: privacy.Erased) -> int:
    """After the erasure's commit: the account leaves the linked groups, and the running bot
    forgets what it kept of it in memory (drafts, a pending retry). Returns the groups it could
    not leave."""
    if done.telegram_id is None:
        return 0
    failed = await remove_from_groups(app.bot, done.leave_chats, done.telegram_id)
    app.drop_user_data(done.telegram_id)
    app.drop_chat_data(done.telegram_id)
    for job in app.job_queue.get_jobs_by_name(f"routing:retry:{done.telegram_id}"):
        job.schedule_removal()
    log.info("member %s erased", done.member_id)
    return failed
