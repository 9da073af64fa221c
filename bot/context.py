"""Typed application data and the custom callback context handlers receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.i18n import Translations, Translator
from bot.services.clock import Clock, SystemClock
from bot.services.roles import STRANGER, Standing, standing_of
from bot.settings import Settings
from storage.db import Database
from storage.models import Member

if TYPE_CHECKING:
    from bot.access import CommandRegistry


class BotData:
    """Long-lived objects of one running bot; filled in by ``build_application``."""

    settings: Settings
    db: Database
    translations: Translations
    commands: CommandRegistry
    clock: Clock = SystemClock()
    bot_username: str = ""


@dataclass(slots=True)
class Caller:
    """Who sent the update, as the cluster knows them, and the language to answer in."""

    telegram_id: int | None
    member: Member | None
    standing: Standing
    t: Translator
    #: True when this update is the first private message since the account was new or blocked.
    just_started: bool = False


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Handlers get ``context.db``, ``context.settings``, ``context.caller`` and ``context.t``."""

    def __init__(self, application: Any, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application, chat_id, user_id)
        self._caller: Caller | None = None

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
        just_started = False
        async with self.db.unit() as uow:
            account = await uow.telegram_users.get(user.id)
            if private and (
                account is None
                or account.started_at is None
                or account.blocked_at is not None
                or (account.first_name, account.last_name, account.username, account.language_code)
                != (user.first_name, user.last_name, user.username, user.language_code)
            ):
                account = await uow.telegram_users.upsert(
                    user.id,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                    language_code=user.language_code,
                )
                just_started = account.started_at is None or account.blocked_at is not None
                account.started_at = account.started_at or self.clock.now()
                account.blocked_at = None
            member = await uow.members.by_telegram_id(user.id)
            catalyst_of = await uow.workgroups.catalyst_of(member.id) if member else ()
            standing = standing_of(member, catalyst_of)
        t = translations.pick(account.language if account else None, user.language_code)
        self._caller = Caller(user.id, member, standing, t, just_started)
        return self._caller
