"""What the subcommands share: a database for one piece of work, the clock, plain text for the
terminal, and one way to report a refused change (one line each, no traceback)."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from html import unescape
from typing import Any

from bot.i18n import Translations
from bot.services.clock import SystemClock
from bot.services.errors import DomainError
from bot.services.member_import import ImportRuleFailed
from bot.settings import Settings
from bot.views.common import describe_error
from storage.db import Database, UnitOfWork


def plain(text: str) -> str:
    """Strip the HTML the bot uses, for the terminal."""
    return unescape(re.sub(r"<[^>]+>", "", text))


async def with_db(settings: Settings, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    """Run ``work`` in one unit of work on the configured database."""
    db = Database(settings.database_url)
    db.open()
    try:
        async with db.unit() as uow:
            return await work(uow)
    finally:
        await db.close()


def clock_now() -> datetime:
    """The command line's clock: the system's."""
    return SystemClock().now()


def report(settings: Settings, exc: DomainError) -> int:
    """Why a change was refused, in the default language, one rule a line; exit status 1."""
    t = Translations(settings.bot_default_locale, settings.tz).get(None)
    if isinstance(exc, ImportRuleFailed):
        for row, error in exc.rules():
            print(f"{row}. sor / row {row}: {plain(describe_error(t, error))}", file=sys.stderr)
        print(plain(t.gettext("Nothing was imported.")), file=sys.stderr)
        return 1
    for line in plain(describe_error(t, exc)).splitlines():
        print(line, file=sys.stderr)
    return 1
