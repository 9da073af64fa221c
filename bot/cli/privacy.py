"""`klaszterbot members erase NAME`: forget a member who left (see ``bot.services.privacy``).

Without ``--yes`` it only checks: an office holder or an erased member is refused with the
reason, anyone else is told what would happen. Every answer is one line; nothing prints a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from telegram.error import TelegramError

from bot import logs
from bot.cli import members as member_cli
from bot.cli.common import clock_now, report, with_db
from bot.i18n import Translations
from bot.jobs.privacy import remove_from_groups
from bot.services import identity, privacy
from bot.services.errors import DomainError
from bot.services.identity import CLI_ACTOR
from bot.settings import Settings
from bot.views import privacy as views  # also registers the privacy errors' texts
from storage.db import UnitOfWork
from storage.migrate import upgrade


def _counts(settings: Settings, counts: dict[str, int]) -> str:
    """``routed messages received: 2, ...`` in English, the language of the command line."""
    t = Translations(settings.bot_default_locale, settings.tz).get("en")
    return ", ".join(f"{views.table_label(t, name)}: {n}" for name, n in counts.items()) or "-"


def cmd_members_erase(settings: Settings, args: argparse.Namespace) -> int:
    """Erase a member's data, keeping the records the cluster must keep under a pseudonym."""
    upgrade(settings.database_url)

    async def apply(uow: UnitOfWork) -> tuple[str, privacy.ErasurePlan | privacy.Erased]:
        member = await identity.find_member(uow, args.name)
        name = member.name
        if not args.yes:
            return name, await privacy.plan_erasure(uow, member)
        return name, await privacy.erase(uow, member.id, CLI_ACTOR, clock_now())

    try:
        name, outcome = asyncio.run(with_db(settings, apply))
    except DomainError as exc:
        return report(settings, exc)
    if isinstance(outcome, privacy.ErasurePlan):
        print(
            f"klaszterbot: erasing {name} cannot be undone. It would delete "
            f"({_counts(settings, outcome.deleted)}) and keep as {outcome.pseudonym} "
            f"({_counts(settings, outcome.kept)}). Run again with --yes to erase.",
            file=sys.stderr,
        )
        return 1
    groups = asyncio.run(_leave_groups(settings, outcome))
    print(f"erased: {name} is now {outcome.pseudonym} in the records that stay{groups}")
    return 0


async def _leave_groups(settings: Settings, done: privacy.Erased) -> str:
    """Remove the account from the linked groups; the end of the answer's line."""
    if not done.leave_chats or done.telegram_id is None:
        return ""
    try:
        bot = member_cli.bot_factory(settings)
        async with bot:
            failed = await remove_from_groups(bot, done.leave_chats, done.telegram_id)
    except (TelegramError, OSError) as exc:
        reason = logs.redact(str(exc)) or type(exc).__name__
        return f"; could not reach Telegram to remove the account from its groups ({reason})"
    removed = len(done.leave_chats) - failed
    note = f"; removed from {removed} linked group(s)"
    if failed:
        note += f", could not remove from {failed}: remove the account there by hand"
    return note


def add_parsers(members: Any) -> None:
    """Add ``erase`` to the ``members`` subcommands."""
    erase = members.add_parser(
        "erase", help="erase a former member's data (records that must stay keep a pseudonym)"
    )
    erase.add_argument("name", metavar="NAME")
    erase.add_argument("--yes", action="store_true", help="really erase (cannot be undone)")
    erase.set_defaults(func=cmd_members_erase)
