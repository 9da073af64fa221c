"""What the subcommands share: a database for one piece of work, the clock, plain text for the
terminal, and one way to report a refused change (one line each, no traceback)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any, TypeVar

from bot.i18n import Translations
from bot.services.clock import SystemClock
from bot.services.errors import DomainError
from bot.services.member_import import ImportRuleFailed
from bot.settings import Settings
from bot.views.common import describe_error
from storage.db import Database, UnitOfWork

T = TypeVar("T")


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


class TelegramUnavailable(Exception):
    """The bot's username is not stored and Telegram could not tell it; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_work(settings: Settings, work: Callable[[], Awaitable[Any]], consequence: str) -> int:
    """Run a subcommand's work; a refused change or an unreachable Telegram becomes one line on
    standard error and exit status 1 (``consequence`` says what was not done)."""
    try:
        return int(asyncio.run(work()))  # type: ignore[arg-type]
    except DomainError as exc:
        return report(settings, exc)
    except TelegramUnavailable as exc:
        print(
            f"klaszterbot: {exc.reason}; {consequence}. Start the bot once (klaszterbot run: it "
            "remembers its username), or check TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL and the "
            "network.",
            file=sys.stderr,
        )
        return 1


def read_input(settings: Settings, path: Path, parse: Callable[[bytes], T]) -> T | int:
    """Read and parse an input file; a file that cannot be read (exit status 2) or parsed
    (status 1, every problem named) gives one line each and the status instead."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"klaszterbot: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        return parse(data)
    except DomainError as exc:
        return report(settings, exc)
