"""Rules of the outbox, Telegram-free: what a failed send means and when to try again."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from storage.models.outbox import OutboxState

#: Seconds to wait before the n-th retry of a transient failure (then the last, repeated).
BACKOFF = (5.0, 15.0, 45.0, 120.0, 300.0, 600.0)
#: Sends of one row before it is given up as failed (about an hour and a half of retries).
MAX_ATTEMPTS = 15


class Failure(enum.Enum):
    """What went wrong with one send."""

    TRANSIENT = "transient"  # a timeout, a network error, a 5xx, a flood limit
    BLOCKED = "blocked"  # 403: the member blocked the bot
    NEVER_STARTED = "never_started"  # 403: the member never started the bot
    REFUSED = "refused"  # 400 and the like: sending it again will not help


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed send (1-based)."""
    return timedelta(seconds=BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1])


def after_failure(
    failure: Failure, attempts: int, now: datetime, retry_after: float | None = None
) -> tuple[OutboxState, datetime | None]:
    """The row's next state, and for a retry when it may go again."""
    if failure is Failure.BLOCKED:
        return OutboxState.BLOCKED, None
    if failure is Failure.NEVER_STARTED:
        return OutboxState.NEVER_STARTED, None
    if failure is Failure.REFUSED or attempts >= MAX_ATTEMPTS:
        return OutboxState.FAILED, None
    wait = retry_delay(attempts)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return OutboxState.QUEUED, now + wait
