"""Typed application data and the custom callback context handlers receive."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update, User
from telegram.ext import CallbackContext, ExtBot

from bot.dialogues import Dialogues
from bot.i18n import Translations, Translator
from bot.services.clock import Clock, SystemClock
from bot.services.roles import STRANGER, Standing, standing_of
from bot.settings import Settings
from storage.db import Database, IdentityGeneration, IdSuperset
from storage.models import Member, TelegramUser
from storage.replica import Replica

if TYPE_CHECKING:
    from bot.commands import CommandRegistry
    from bot.courier import Courier
    from bot.services.announcements import Draft as AnnouncementDraft
    from bot.services.ballots import BallotDraft

log = logging.getLogger(__name__)


def profile_of(user: User) -> dict[str, str | None]:
    """What we keep of a Telegram account's public profile."""
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "language_code": user.language_code,
    }


class BotData:
    """Long-lived objects of one running bot; filled in by ``build_application``."""

    settings: Settings
    db: Database
    translations: Translations
    commands: CommandRegistry
    clock: Clock = SystemClock()
    courier: Courier
    #: This process among the replicas on a PostgreSQL database (``storage.replica``).
    replica: Replica
    bot_username: str = ""
    #: Every kind of dialogue that waits for a person's next message (``bot.dialogues``).
    dialogues: Dialogues

    def __init__(self) -> None:
        self.dialogues = Dialogues()
        self.background: set[asyncio.Task[Any]] = set()
        self.callers = CallerCache()
        #: Ballots whose main-group copy will be refreshed soon (``bot.jobs.ballots``).
        self.pending_group_updates: set[int] = set()
        #: One flush of a chat's routed deliveries at a time (``bot.jobs.routing``).
        self.flush_locks: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, holders + waiters
        #: Deliveries their recorder sends itself, unless a flush that read them took them over.
        self.claimed_deliveries: set[int] = set()
        #: What reacts to a closed ballot, in order: ``react(app, closing)`` (``bot.jobs``).
        #: The last identity epoch seen in the database (``bot.jobs.identity``).
        self.identity_epoch: str | None = None
        self.identity_files: tuple[int, ...] | None = None
        self.ballot_closed: tuple[Callable[[Any, Any], Awaitable[None]], ...] = ()
        #: The operations endpoints' own server in polling mode (``bot.ops.OpsServer``).
        self.ops_server: Any = None

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the background (deliveries); ``settle`` and shutdown wait for it."""
        task = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def settle(self, grace: float | None = None) -> None:
        """Wait until every background task has finished and nothing due waits in the outbox
        (cancel the tasks left after ``grace``; the outbox keeps its rows)."""
        await self._settle_tasks(grace)
        courier = getattr(self, "courier", None)
        if courier is None:
            return
        while True:
            try:
                async with asyncio.timeout(grace):
                    await courier.settle()
            except TimeoutError:
                return
            if not self.background:
                return
            await self._settle_tasks(grace)

    async def _settle_tasks(self, grace: float | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if grace is None else loop.time() + grace
        while self.background:
            pending = list(self.background)
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            _, still = await asyncio.wait(pending, timeout=remaining)
            if still and deadline is not None and loop.time() >= deadline:
                log.warning("stopping %d background deliveries that did not finish", len(still))
                for task in still:
                    task.cancel()
                await asyncio.gather(*still, return_exceptions=True)
                return


class CallerCache:
    """Who each recent caller is, so most updates need no database query.

    An entry is valid while no identity change was committed since it was read: in this process
    (``IdentityGeneration``, at once) or in another one (the command line, a replica: the
    epoch ``bot.jobs.identity`` looks at every second). ``ttl`` only bounds how long a caller
    whose account details changed on Telegram's side keeps its old language and name.
    """

    def __init__(self, ttl: float = 1800.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[int, tuple[int, float, Any]] = OrderedDict()

    def get(self, telegram_id: int) -> Any:
        entry = self._entries.get(telegram_id)
        if entry is None:
            return None
        generation, stamp, value = entry
        if generation != IdentityGeneration.value or time.monotonic() - stamp > self.ttl:
            del self._entries[telegram_id]
            return None
        return value

    def put(self, telegram_id: int, value: Any, generation: int) -> None:
        if generation != IdentityGeneration.value:
            return  # something changed while it was being read
        self._entries[telegram_id] = (generation, time.monotonic(), value)
        self._entries.move_to_end(telegram_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


class UserData:
    """Per-user state of multi-step conversations (kept in memory: a restart forgets drafts)."""

    def __init__(self) -> None:
        self.ballot_draft: BallotDraft | None = None
        self.comment_ballot_id: int | None = None
        self.comment_proposal_id: int | None = None
        self.announcement_draft: AnnouncementDraft | None = None
        #: The progress report (task event id) whose note the user is writing.
        self.progress_note_event_id: int | None = None


@dataclass(slots=True)
class Caller:
    """Who sent the update, as the cluster knows them, and the language to answer in."""

    telegram_id: int | None
    member: Member | None
    standing: Standing
    t: Translator
    #: True when this update is the first private message since the account was new or blocked.
    just_started: bool = False


def _stale(account: Any, user: User) -> bool:
    """Whether the stored account (a ``TelegramUser`` or its row) must be written: new, never
    started, blocked since, or its Telegram profile changed."""
    return (
        account is None
        or account.started_at is None
        or account.blocked_at is not None
        or (account.first_name, account.last_name, account.username, account.language_code)
        != (user.first_name, user.last_name, user.username, user.language_code)
    )


class BotContext(CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]):
    """Handlers get ``context.db``, ``context.settings``, ``context.caller`` and ``context.t``."""

    def __init__(self, application: Any, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application, chat_id, user_id)
        self._caller: Caller | None = None
        #: How many handlers took this update (``access.gate`` counts; a handler that finds
        #: the update is not its own calls ``decline``). The fallback answers when it is 0.
        self.handled = 0

    def decline(self) -> None:
        """This (gated) handler did nothing with the update: let the fallback answer it."""
        self.handled -= 1

    @property
    def db(self) -> Database:
        return self.bot_data.db

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock

    @property
    def caller(self) -> Caller:
        """The caller loaded by ``load_caller`` (the access layer does it for every handler)."""
        if self._caller is None:
            raise RuntimeError("caller not loaded yet")
        return self._caller

    @property
    def known_caller(self) -> Caller | None:
        """The caller if already loaded for this update."""
        return self._caller

    @property
    def t(self) -> Translator:
        """The caller's translator, or the default one before the caller is known."""
        if self._caller is not None:
            return self._caller.t
        return self.bot_data.translations.get(None)

    async def load_caller(self, update: Update, *, refresh: bool = False) -> Caller:
        """Load (once per update) the member behind the update and their language."""
        if self._caller is not None and not refresh:
            return self._caller
        user = update.effective_user
        translations = self.bot_data.translations
        if user is None or user.is_bot:
            self._caller = Caller(None, None, STRANGER, translations.get(None))
            return self._caller
        private = update.effective_chat is not None and update.effective_chat.type == "private"
        cached = None if refresh else self.bot_data.callers.get(user.id)
        if cached is not None:
            member, standing, language = cached
            t = translations.pick(language, user.language_code)
            self._caller = Caller(user.id, member, standing, t)
            return self._caller
        if not refresh and self._known_stranger(user.id):
            # Neither an account nor a member: what the database would say, without asking it.
            self._caller = Caller(
                user.id, None, STRANGER, translations.pick(None, user.language_code)
            )
            return self._caller
        generation = IdentityGeneration.value
        account: Any
        async with self.db.read() as uow:
            found = await uow.telegram_users.identity(user.id)
        account, member = found.account, found.member
        standing = standing_of(member, found.catalyst_of)
        just_started = False
        # A stranger's first contact writes nothing (``/start`` and joining remember them).
        if private and (account is not None or member is not None) and _stale(account, user):
            account, just_started = await self.remember(user)
        language = account.language if account else None
        t = translations.pick(language, user.language_code)
        self._caller = Caller(user.id, member, standing, t, just_started)
        if account is not None and account.started_at is not None and account.blocked_at is None:
            # Only settled accounts are cached: a new or blocked one must reach the DB again.
            self.bot_data.callers.put(user.id, (member, standing, language), generation)
        return self._caller

    def _known_stranger(self, telegram_id: int) -> bool:
        """Whether the database surely knows nothing of ``telegram_id`` (``KnownIds``)."""
        return self.surely_not_in(self.db.known_ids, telegram_id)

    def surely_not_in(self, ids: IdSuperset, value: int) -> bool:
        """Whether ``value`` is surely not among ``ids`` (no query); if the set cannot tell
        now, it is read again in the background."""
        found = ids.knows(value)
        if found is None and ids.begin_load():
            self.bot_data.spawn(ids.load(self.db), type(ids).__name__)
        return found is False

    async def remember(self, user: User) -> tuple[TelegramUser, bool]:
        """Store the account as it is now and mark it started (it wrote to the bot privately);
        also whether it is new or came back after blocking the bot."""
        async with self.db.unit() as uow:
            account = await uow.telegram_users.get(user.id)
            if not _stale(account, user):
                assert account is not None
                return account, False
            account = uow.telegram_users.refresh(account, user.id, **profile_of(user))
            just_started = account.started_at is None or account.blocked_at is not None
            account.started_at = account.started_at or self.clock.now()
            account.blocked_at = None
        return account, just_started
