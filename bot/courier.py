"""The courier: sends the outbox's rows, records every outcome, retries what may succeed later.

One background task per application. It claims due rows (``sending``), sends them behind
``AIORateLimiter`` at the outbox's pace, and records each outcome in its own short transaction:
``sent`` (with the message id, and the row's ``purpose`` applied, e.g. a ballot remembers its
copy in the main group), ``blocked`` / ``never_started`` for a 403, ``failed`` for what Telegram
refuses, and back to ``queued`` with a later ``not_before`` for a transient failure (a timeout,
a network error, a 5xx or a flood limit), with backoff from seconds to minutes
(``services.outbox.BACKOFF``). The courier sleeps until a row is queued (``wake``) or the next
retry is due; that moment is a job of the JobQueue, so it follows the application's clock.

Stopping: a graceful stop lets the sends in flight finish. After a hard kill, the rows left
``sending`` are queued again at the next start, so each can arrive twice at most, and only
those whose send was on its way: ``Window`` keeps that number to what the measured latency and
the pace need (2 on a loopback Bot API).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.scheduler import every
from bot.services import outbox as rules
from bot.services.outbox import Failure
from bot.views.split import split_lines
from storage.db import UnitOfWork
from storage.models.outbox import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

#: The outbox's own pace, a little under Telegram's 30 messages a second.
RATE = 28.0
#: Messages that may go at once after a pause (Telegram's bucket holds 30).
BURST = 20
WAKE_JOB = "outbox:wake"
RECLAIM_JOB = "outbox:reclaim"
#: Replicas: how often each looks for rows a killed replica left ``sending``, in seconds.
RECLAIM_SECONDS = 15.0

#: Called in the transaction that records a sent row:
#: ``effect(uow, ref_id, chat_id, message_id, text)`` (the text as sent).
Effect = Callable[[UnitOfWork, int, int, int, str], Awaitable[None]]


def make_pacer(rate: float = RATE, burst: int = BURST) -> AsyncLimiter:
    """Spaces sends at ``rate`` a second after an initial ``burst``: a leaky bucket of
    ``burst`` sends that drains at ``rate`` (``aiolimiter``, installed with PTB's rate limiter),
    fair to concurrent callers. ``await pacer.acquire()`` returns when the next one may go."""
    return AsyncLimiter(burst, burst / rate)


class Window:
    """How many sends may be in flight: enough to keep ``rate`` going over the measured round
    trip (Little's law, plus one), and no more, since each one in flight at a hard kill may
    arrive twice. Starts small and follows an average of the latest send latencies."""

    def __init__(self, rate: float = RATE, *, least: int = 2, most: int = 20) -> None:
        self.rate = rate
        self.least = least
        self.most = most
        self.latency = 0.05  # seconds; refined by every send

    def observe(self, seconds: float) -> None:
        self.latency += 0.2 * (seconds - self.latency)

    @property
    def size(self) -> int:
        return max(self.least, min(self.most, math.ceil(self.rate * self.latency) + 1))


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asks to wait (PTB warns about the type of ``retry_after``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(exc: TelegramError) -> tuple[Failure, float | None]:
    """What a failed send means (both outboxes ask this)."""
    if isinstance(exc, Forbidden):
        text = exc.message.lower()
        if "blocked" in text:
            return Failure.BLOCKED, None
        if "initiate" in text:
            return Failure.NEVER_STARTED, None
        return Failure.REFUSED, None  # e.g. "user is deactivated"
    if isinstance(exc, RetryAfter):
        return Failure.TRANSIENT, retry_seconds(exc)
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return Failure.TRANSIENT, None  # timeouts, connection errors, 5xx
    return Failure.REFUSED, None


def markup_json(markup: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    """A keyboard as stored in an outbox row."""
    return markup.to_dict() if markup is not None else None


def row(
    batch: str,
    chat_id: int,
    text: str,
    now: datetime,
    *,
    markup: InlineKeyboardMarkup | None = None,
    member_id: int | None = None,
    purpose: str | None = None,
    ref_id: int | None = None,
    photo_key: str | None = None,
    caption: str | None = None,
) -> dict[str, Any]:
    """The column values of one queued message."""
    return {
        "batch": batch,
        "chat_id": chat_id,
        "member_id": member_id,
        "text": text,
        "photo_key": photo_key,
        "caption": caption,
        "markup": markup_json(markup),
        "purpose": purpose,
        "ref_id": ref_id,
        "state": OutboxState.QUEUED,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }


async def enqueue(uow: UnitOfWork, rows: Iterable[dict[str, Any]]) -> int:
    """Queue rows (a list, or a generator that makes them as they are inserted) in the caller's
    transaction; call ``Courier.wake`` after it commits."""
    return await uow.outbox.add(rows)


def _file_id(sent: Message) -> str | None:
    """The ``file_id`` Telegram gave an uploaded picture (its largest size) or document."""
    if sent.photo:
        return sent.photo[-1].file_id
    return sent.document.file_id if sent.document else None


class Courier:
    """The outbox worker of one application."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.effects: dict[str, Effect] = {}
        self.pacer = make_pacer()
        self.window = Window()
        self.idle = asyncio.Event()
        self.idle.set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._uploads: dict[str, asyncio.Lock] = {}
        self._file_ids: dict[str, tuple[str, str | None]] = {}

    def on_sent(self, purpose: str, effect: Effect) -> None:
        """Run ``effect`` when a row with this ``purpose`` has been sent."""
        self.effects[purpose] = effect

    # --- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Queue again what a hard kill left ``sending``, then start working. Replicas on
        PostgreSQL: only rows of a replica that is gone (``storage.replica``), now and every
        ``RECLAIM_SECONDS`` (a replica killed meanwhile), on every replica."""
        data = self.app.bot_data
        if data.replica.shared:
            every(self.app, self.reclaim, RECLAIM_SECONDS, RECLAIM_JOB)
        else:
            async with data.db.unit() as uow:
                again = await uow.outbox.requeue_sending()
            self._report_requeued(again)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox")
        self.wake()

    async def reclaim(self, app: Any) -> None:
        """Rows left ``sending`` by a replica that is gone go back to the queue."""
        async with app.bot_data.db.unit() as uow:
            again = await uow.outbox.requeue_orphans()
        self._report_requeued(again)
        if again:
            self.wake()

    @staticmethod
    def _report_requeued(again: int) -> None:
        if again:
            log.info("outbox: %d messages interrupted by a stop are queued again", again)

    def wake(self) -> None:
        """Something was queued, or a retry fell due: look at the queue now."""
        self.idle.clear()
        self._wakeup.set()

    async def settle(self) -> None:
        """Wait until nothing due is queued or in flight (tests, the demo)."""
        if self._task is None or self._task.done():
            return
        await self.idle.wait()

    async def stop(self, grace: float) -> None:
        """Finish the sends in flight (within ``grace`` seconds), then stop."""
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            async with asyncio.timeout(grace):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def halt(self) -> None:
        """Stop at once, as a hard kill would: claimed rows stay ``sending`` (tests)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # --- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                free = self.window.size - len(self._in_flight)
                claimed: list[OutboxMessage] = []
                if free > 0:
                    claimed = await self._claim(free)
                for message in claimed:
                    task = asyncio.create_task(self._deliver(message))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                if claimed:
                    continue
                if self._in_flight:
                    self._wakeup.clear()
                    waiter = asyncio.ensure_future(self._wakeup.wait())
                    await asyncio.wait(
                        {*self._in_flight, waiter}, return_when=asyncio.FIRST_COMPLETED
                    )
                    waiter.cancel()
                    continue
                self._wakeup.clear()
                await self._arm_retry()
                if not self._wakeup.is_set():
                    self.idle.set()
                await self._wakeup.wait()
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))
        except asyncio.CancelledError:
            for task in self._in_flight:
                task.cancel()
            raise
        except Exception:
            log.exception("outbox worker broke off; it starts again in 30 s")
            self._schedule_wake(self.app.bot_data.clock.now() + timedelta(seconds=30))
        finally:
            self.idle.set()

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        data = self.app.bot_data
        async with data.db.unit() as uow:
            return await uow.outbox.claim(limit, data.clock.now(), data.replica.key)

    async def _arm_retry(self) -> None:
        """Wake when the earliest waiting row may go (a JobQueue job: it follows the clock)."""
        async with self.app.bot_data.db.unit() as uow:
            due = await uow.outbox.next_due()
        if due is not None:
            self._schedule_wake(due)

    def _schedule_wake(self, when: datetime) -> None:
        queue = self.app.job_queue
        for job in queue.get_jobs_by_name(WAKE_JOB):
            job.schedule_removal()
        queue.run_once(self._job_wake, when=when, name=WAKE_JOB)

    async def _job_wake(self, _context: Any) -> None:
        idle = self._task is None or self._task.done()
        if idle and not self._stopping and self.app.running:
            self._task = asyncio.create_task(self._run(), name="outbox")
        self.wake()

    # --- one message ---------------------------------------------------------------------------

    async def _send(self, message: OutboxMessage) -> Message:
        """The picture (if any) with its caption, then the text in parts, the keyboard on the
        last part; returns the first message sent."""
        bot = self.app.bot
        first: Message | None = None
        if message.photo_key:
            first = await self._send_photo(message)
        parts = split_lines(message.text) if message.text else []
        markup = InlineKeyboardMarkup.de_json(message.markup, bot) if message.markup else None
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            sent = await bot.send_message(
                message.chat_id, part, reply_markup=markup if last else None
            )
            first = first or sent
        assert first is not None, "an outbox row with nothing to send"
        return first

    async def _send_photo(self, message: OutboxMessage) -> Message:
        """The stored picture or document of ``photo_key``: uploaded by the first message that
        carries it, then sent by its Telegram ``file_id``."""
        key = message.photo_key
        assert key is not None
        if key not in self._file_ids:
            async with self._uploads.setdefault(key, asyncio.Lock()):  # one upload per file
                if key not in self._file_ids:
                    async with self.app.bot_data.db.unit() as uow:
                        stored = await uow.outbox.file(key)
                    assert stored is not None, f"outbox file {key} is missing"
                    if stored.file_id is not None:
                        self._file_ids[key] = (stored.file_id, stored.filename)
                    else:
                        sent = await self._upload(message, stored.content, stored.filename)
                        file_id = _file_id(sent)
                        if file_id is not None:
                            self._file_ids[key] = (file_id, stored.filename)
                            async with self.app.bot_data.db.unit() as uow:
                                await uow.outbox.set_file_id(key, file_id)
                        return sent
        file_id, filename = self._file_ids[key]
        return await self._upload(message, file_id, filename)

    async def _upload(
        self, message: OutboxMessage, content: bytes | str, filename: str | None
    ) -> Message:
        """A picture, or (with a file name) a document, by its bytes or its ``file_id``."""
        bot = self.app.bot
        if filename is None:
            return await bot.send_photo(  # type: ignore[no-any-return]
                message.chat_id, photo=content, caption=message.caption
            )
        return await bot.send_document(  # type: ignore[no-any-return]
            message.chat_id, document=content, filename=filename, caption=message.caption
        )

    async def _deliver(self, message: OutboxMessage) -> None:
        data = self.app.bot_data
        await self.pacer.acquire()
        started = time.monotonic()
        sent: Message | None = None
        failure: tuple[Failure, float | None] | None = None
        try:
            sent = await self._send(message)
        except TelegramError as exc:
            failure = classify(exc)
            error = exc.message
        else:
            error = None
        self.window.observe(time.monotonic() - started)
        now = data.clock.now()
        for attempt in range(3):
            try:
                async with data.db.unit() as uow:
                    repo = uow.outbox
                    if sent is not None:
                        await repo.record(
                            message.id, OutboxState.SENT, now, message_id=sent.message_id
                        )
                        effect = self.effects.get(message.purpose or "")
                        if effect is not None and message.ref_id is not None:
                            await effect(
                                uow, message.ref_id, message.chat_id, sent.message_id, message.text
                            )
                    else:
                        assert failure is not None
                        state, later = rules.after_failure(
                            failure[0], message.attempts, now, failure[1]
                        )
                        if state is OutboxState.QUEUED:
                            log.info(
                                "outbox: %s to chat %s retried at %s after: %s",
                                message.batch, message.chat_id, later, error,
                            )  # fmt: skip
                        else:
                            log.warning(
                                "outbox: %s to chat %s ended %s: %s",
                                message.batch, message.chat_id, state.value, error,
                            )  # fmt: skip
                        await repo.record(message.id, state, now, error=error, not_before=later)
                return
            except Exception:
                log.exception("could not record outbox row %s (try %d)", message.id, attempt + 1)
                await asyncio.sleep(0.5 * (attempt + 1))
