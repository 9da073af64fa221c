"""The announcement outbox worker: sends queued rows at Telegram's pace, records every outcome,
and carries on after a restart.

Every send goes through PTB's ``AIORateLimiter`` (30 messages a second overall; it also waits
out and retries ``RetryAfter``); a broadcast also paces itself at ``RATE``, a little under that
ceiling (see there why). Because every send waits on the network, up to ``WINDOW`` sends are in
flight at once; rows are claimed from the database a few at a time, so memory does not grow
with the audience. Each row is marked ``sending`` when claimed and gets its final state right
after its send, in its own short transaction.

Stopping:

* **Graceful** (the application stops): no new rows are claimed, the sends in flight finish and
  are recorded, a row waiting for a retry goes back to ``queued``. Nothing is lost or doubled.
* **Hard kill**: rows claimed at that moment stay ``sending``. At the next start
  ``services.announcements.resume`` puts them back in the queue and they are sent again. A
  recipient can therefore get the announcement twice only if their message was already on its
  way to Telegram when the process died (at most ``WINDOW`` such messages, one per sending slot).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import BotContext, BotData
from bot.courier import Window, classify, make_pacer, retry_seconds
from bot.i18n import Translations
from bot.services import announcements, cluster
from bot.services.announcements import Claim, DeliveryState, MediaKind
from bot.services.clock import Clock
from bot.services.outbox import Failure
from bot.views import announcements as views
from bot.views.split import split_lines
from storage.db import Database, UnitOfWork
from storage.locks import exclusive

log = logging.getLogger(__name__)

#: A broadcast's own pace, a little under Telegram's 30 messages a second: the rest is left to
#: the bot's other replies (answers to commands during a long broadcast), and a sender that
#: runs exactly at the ceiling meets 429s from the smallest timing jitter. AIORateLimiter stays
#: the hard limit for everything the bot sends.
RATE = 28.0
#: Sends in flight at once: ``courier.Window`` follows the measured round trip (Little's law:
#: 28 a second over a 5 ms loopback need 2; over a 0.7 s round trip, 20), never more than
#: ``WINDOW``, which stays under Telegram's burst. Each send in flight at a hard kill may
#: arrive twice, so the window is no larger than the pace needs.
WINDOW = 20
#: Claim new rows only when at least this many slots are free (fewer, larger transactions).
CLAIM_AT_LEAST = 10
#: Tries per message for errors worth retrying (RetryAfter, timeouts, network and 5xx errors).
ATTEMPTS = 4
BACKOFF = (1.0, 3.0, 9.0)
#: A delivery that crashed (say the database was away) is tried again after this many seconds.
RETRY_JOB = 30.0
JOB_PREFIX = "announcement:"


@dataclass(frozen=True, slots=True)
class Payload:
    """What every recipient gets."""

    html: str
    media_kind: MediaKind | None
    file_id: str | None


async def send(bot: Any, chat_id: int, payload: Payload) -> Message:
    """Send the announcement to one chat: a text, or a photo or document with the caption."""
    if payload.media_kind is MediaKind.PHOTO:
        return await bot.send_photo(chat_id, payload.file_id, caption=payload.html)  # type: ignore[no-any-return]
    if payload.media_kind is MediaKind.DOCUMENT:
        return await bot.send_document(chat_id, payload.file_id, caption=payload.html)  # type: ignore[no-any-return]
    return await bot.send_message(chat_id, payload.html)  # type: ignore[no-any-return]


def _forbidden(exc: Forbidden) -> DeliveryState:
    failure, _ = classify(exc)
    if failure is Failure.BLOCKED:
        return DeliveryState.BLOCKED
    if failure is Failure.NEVER_STARTED:
        return DeliveryState.NEVER_STARTED
    return DeliveryState.FAILED  # e.g. "user is deactivated"


Outcome = tuple[DeliveryState, str | None, Message | None]


class Delivery:
    """One run over one announcement's outbox (safe to run again: claims are atomic)."""

    def __init__(
        self,
        *,
        bot: Any,
        db: Database,
        clock: Clock,
        translations: Translations,
        announcement_id: int,
        running: Callable[[], bool] = lambda: True,
        lock: asyncio.Lock | None = None,
        pacer: AsyncLimiter | None = None,
        window: Window | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.translations = translations
        self.announcement_id = announcement_id
        self.running = running
        self.lock = lock or asyncio.Lock()
        self.pacer = pacer or make_pacer()
        self.window = window or Window(RATE, most=WINDOW)

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[UnitOfWork]:
        # One writer at a time: SQLite has a single write lock, and short serialized
        # transactions beat a pile of waiting connections.
        async with self.lock, self.db.unit() as uow:
            yield uow

    async def run(self) -> None:
        """Post to the main group if asked, deliver every queued row, then report."""
        async with self.db.unit() as uow:
            found = await uow.announcements.get(self.announcement_id)
            if found is None:
                return
            payload = Payload(found.message_html, found.media_kind, found.file_id)
            main_pending = found.to_main_group and found.main_state is None
            finished = found.finished_at is not None
            reported = found.reported_at is not None
        if main_pending:
            await self._post_main_group(payload)
        if not finished:
            for _ in range(3):
                await self._send_all(payload)
                if not self.running():
                    return
                async with self._unit() as uow:
                    finished = await announcements.finish(
                        uow, self.announcement_id, self.clock.now()
                    )
                    if not finished:
                        await announcements.requeue_orphans(uow, self.announcement_id)
                if finished:
                    break
            else:
                log.error("announcement %s: rows keep failing to record", self.announcement_id)
                return
        if not reported:
            await self._report()

    async def _send_all(self, payload: Payload) -> None:
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while self.running():
                size = self.window.size
                free = size - len(in_flight)
                if in_flight and free < min(CLAIM_AT_LEAST, max(1, size // 2)):
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                async with self._unit() as uow:
                    claims = await announcements.claim(
                        uow, self.announcement_id, free, self.clock.now()
                    )
                if not claims:
                    if not in_flight:
                        return
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                for claimed in claims:
                    task = asyncio.create_task(self._deliver(claimed, payload))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
            if in_flight:
                await asyncio.wait(in_flight)
        except BaseException:
            # Cancelled (a hard stop) or broken: the sends go down with us; their rows stay
            # "sending" and are queued again at the next start.
            for task in in_flight:
                task.cancel()
            raise

    async def _deliver(self, claimed: Claim, payload: Payload) -> None:
        outcome = await self._send_with_retries(claimed.telegram_id, payload)
        if outcome is None:  # stopping before a retry: it was never delivered
            async with self._unit() as uow:
                await announcements.release(uow, [claimed])
            return
        state, error, _message = outcome
        for attempt in range(3):
            try:
                async with self._unit() as uow:
                    await announcements.record(uow, claimed, state, error, self.clock.now())
                return
            except Exception:
                log.exception("could not record delivery %s (try %d)", claimed.delivery_id, attempt)
                await asyncio.sleep(0.5 * (attempt + 1))

    async def _send_with_retries(self, chat_id: int, payload: Payload) -> Outcome | None:
        """Send with bounded retries; None when the bot stopped before a retry."""
        error = ""
        for attempt in range(ATTEMPTS):
            await self.pacer.acquire()
            started = time.monotonic()
            try:
                sent = await send(self.bot, chat_id, payload)
            except Forbidden as exc:
                return _forbidden(exc), exc.message, None
            except RetryAfter as exc:  # the rate limiter already retried it
                error, delay = exc.message, retry_seconds(exc)
            except BadRequest as exc:
                return DeliveryState.FAILED, exc.message, None
            except NetworkError as exc:  # timeouts, connection errors, 5xx
                error, delay = exc.message, BACKOFF[min(attempt, len(BACKOFF) - 1)]
            except TelegramError as exc:
                return DeliveryState.FAILED, exc.message, None
            else:
                self.window.observe(time.monotonic() - started)
                return DeliveryState.SENT, None, sent
            if attempt + 1 == ATTEMPTS:
                break
            if not self.running():
                return None
            log.info("retrying chat %s in %.1f s after: %s", chat_id, delay, error)
            await asyncio.sleep(delay)
        return DeliveryState.FAILED, error, None

    async def _post_main_group(self, payload: Payload) -> None:
        async with self.db.unit() as uow:
            chat_id = await cluster.main_group(uow)
        message_id: int | None = None
        error: str | None = views.NOT_LINKED
        if chat_id is not None:
            outcome = await self._send_with_retries(chat_id, payload)
            if outcome is None:
                return  # stopping: tried again at the next start
            state, error, sent = outcome
            if state is DeliveryState.SENT and sent is not None:
                message_id = sent.message_id
                try:
                    await self.bot.pin_chat_message(chat_id, sent.message_id)
                except TelegramError as exc:
                    log.warning("could not pin announcement in the main group: %s", exc)
                    error = views.PIN_FAILED + exc.message
        async with self._unit() as uow:
            await announcements.record_main_group(
                uow, self.announcement_id, chat_id, message_id, error
            )

    async def _report(self) -> None:
        async with self.db.unit() as uow:
            rep = await announcements.report(uow, self.announcement_id)
            author_id = rep.announcement.author_id
            author = await uow.members.get(author_id) if author_id is not None else None
            chat_id = author.telegram_id if author is not None else None
            account = await uow.telegram_users.get(chat_id) if chat_id is not None else None
        t = self.translations.for_account(account)
        if chat_id is not None:
            try:
                for part in split_lines(views.report(t, rep)):
                    await self.bot.send_message(chat_id, part)
            except TelegramError as exc:
                log.warning("delivery report of %s not delivered: %s", self.announcement_id, exc)
        async with self._unit() as uow:
            await announcements.mark_reported(uow, self.announcement_id, self.clock.now())


# --- running deliveries in the application ---------------------------------------------------


@dataclass
class _Courier:
    """The deliveries of one application: at most one job per announcement."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pacer: AsyncLimiter = field(default_factory=make_pacer)
    active: set[int] = field(default_factory=set)
    tasks: dict[int, asyncio.Task[Any]] = field(default_factory=dict)
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


_COURIERS: weakref.WeakKeyDictionary[BotData, _Courier] = weakref.WeakKeyDictionary()


def _courier(app: Any) -> _Courier:
    data: BotData = app.bot_data
    found = _COURIERS.get(data)
    if found is None:
        found = _COURIERS[data] = _Courier()
    return found


def schedule(app: Any, announcement_id: int, *, delay: float = 0.0) -> None:
    """Deliver the announcement in a job named ``announcement:<id>`` (once per application)."""
    courier = _courier(app)
    if announcement_id in courier.active:
        return
    courier.active.add(announcement_id)
    courier.idle.clear()
    app.job_queue.run_once(
        job_deliver,
        when=delay,
        data=announcement_id,
        name=f"{JOB_PREFIX}{announcement_id}",
        # Scheduled in post_init, the job starts when the application does: never skip it.
        job_kwargs={"misfire_grace_time": None},
    )


async def job_deliver(context: BotContext) -> None:
    """The job: run the delivery until done or until the application stops."""
    assert context.job is not None
    announcement_id = context.job.data
    assert isinstance(announcement_id, int)
    app = context.application
    courier = _courier(app)
    task = asyncio.current_task()
    if task is not None:
        courier.tasks[announcement_id] = task
    data = context.bot_data
    again = False
    try:
        async with exclusive(data.db, f"{JOB_PREFIX}{announcement_id}") as mine:
            if not mine:  # another replica delivers it; "announcements:resume" looks again
                return
            async with data.db.unit() as uow:  # only we send it now: what is "sending" is ours
                await announcements.requeue_orphans(uow, announcement_id)
            await Delivery(
                bot=context.bot,
                db=data.db,
                clock=data.clock,
                translations=data.translations,
                announcement_id=announcement_id,
                running=lambda: bool(app.running),
                lock=courier.lock,
                pacer=courier.pacer,
            ).run()
    except Exception:
        log.exception("delivery of announcement %s broke off", announcement_id)
        again = bool(app.running)
    finally:
        courier.tasks.pop(announcement_id, None)
        courier.active.discard(announcement_id)
        if again:
            schedule(app, announcement_id, delay=RETRY_JOB)
        if not courier.active:
            courier.idle.set()


async def wait_idle(app: Any) -> None:
    """Wait until no delivery of this application is scheduled or running (callers bound it
    with ``asyncio.timeout``)."""
    await _courier(app).idle.wait()


async def halt(app: Any) -> None:
    """Cancel the running deliveries at once, as a hard kill would: claimed rows stay
    ``sending`` (the next start queues them again). For tests and emergencies."""
    courier = _courier(app)
    tasks = list(courier.tasks.values())
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task
