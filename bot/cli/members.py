"""`klaszterbot members ...` and `klaszterbot workgroups ...`: identity from the CLI."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot import logs
from bot.cli.common import (
    TelegramUnavailable,
    clock_now,
    read_input,
    report,
    run_work,
    with_db,
)
from bot.delivery import remove_from_chats
from bot.services import cluster, identity
from bot.services.errors import DomainError
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.member_import import (
    import_members,
    parse_kind,
    parse_members_csv,
)
from bot.settings import Settings
from storage.db import UnitOfWork
from storage.migrate import upgrade
from storage.models import Member

#: Replaced in tests with a factory that talks to the fake Bot API.
BotFactory = Callable[[Settings], Bot]


def make_bot(settings: Settings) -> Bot:
    """A Bot for the CLI's few calls (getMe for the username in links, removing from groups)."""
    return Bot(settings.token(), base_url=settings.telegram_api_base_url)


bot_factory: BotFactory = make_bot


def invite_link(username: str, token: str) -> str:
    """The deep link that binds an account."""
    return f"https://t.me/{username}?start={token}"


async def _username(settings: Settings) -> str:
    """The bot's username for invitation links: as stored at its last start, else from getMe.

    Raises TelegramUnavailable (before anything is changed) if neither is possible.
    """
    stored = await with_db(settings, cluster.bot_username)
    if stored:
        return str(stored)
    try:
        bot = bot_factory(settings)
        async with bot:
            me = await bot.get_me()
    except InvalidToken:
        raise TelegramUnavailable(
            "Telegram refused TELEGRAM_BOT_TOKEN, so the bot's username for the invitation "
            "links is unknown"
        ) from None
    except (TelegramError, OSError) as exc:
        raise TelegramUnavailable(
            f"could not reach Telegram to learn the bot's username for the invitation links "
            f"({logs.redact(str(exc)) or type(exc).__name__})"
        ) from None

    async def remember(uow: UnitOfWork) -> None:
        await cluster.remember_bot_username(uow, me.username)

    await with_db(settings, remember)
    return me.username


def _print_outcome(outcome: identity.Outcome) -> None:
    member = outcome.member
    verb = "created" if outcome.created else "updated"
    print(
        f"{verb}: {member.name} ({member.kind.value}{', founder' if member.is_founder else ''}"
        f"{', KSz' if member.is_ksz else ''}{', ST chair' if member.is_st_chair else ''})"
    )
    for group in outcome.created_workgroups:
        print(f"  new workgroup: {group}")
    if outcome.previous_st_chair:
        print(f"  previous ST chair: {outcome.previous_st_chair}")
    for group in outcome.cleared_catalyst_of:
        print(f"  no longer catalyst of: {group}")


def cmd_members_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create or update a member and print an invitation link."""
    upgrade(settings.database_url)
    kind = parse_kind(args.kind) if args.kind else None
    spec = MemberSpec(
        name=args.name,
        kind=kind,
        organisation=args.org,
        founder=args.founder,
        ksz=args.ksz,
        st_chair=args.st_chair,
        workgroups=[args.workgroup] if args.workgroup and not args.catalyst else [],
        catalyst_of=[args.workgroup] if args.workgroup and args.catalyst else [],
    )
    if args.catalyst and not args.workgroup:
        print("klaszterbot: --catalyst needs --workgroup NAME", file=sys.stderr)
        return 2

    async def work() -> int:
        username = await _username(settings)

        async def apply(uow: UnitOfWork) -> tuple[identity.Outcome, str | None]:
            now = clock_now()
            outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, now)
            token = None
            if outcome.member.telegram_id is None or args.invite:
                token = await identity.issue_invitation(
                    uow, outcome.member, CLI_ACTOR, now, _ttl(settings)
                )
            return outcome, token

        outcome, token = await with_db(settings, apply)
        _print_outcome(outcome)
        if token:
            print(f"  invitation: {invite_link(username, token)}")
        else:
            print("  account already connected (use --invite for a new link)")
        return 0

    return run_work(settings, work, "nothing was changed")


def cmd_members_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a CSV of members; any error imports nothing."""
    rows = read_input(settings, Path(args.file), parse_members_csv)
    if isinstance(rows, int):
        return rows
    upgrade(settings.database_url)

    async def work() -> int:
        username = await _username(settings)

        async def apply(uow: UnitOfWork) -> list[tuple[identity.Outcome, str | None]]:
            now = clock_now()
            results = []
            for outcome in await import_members(uow, rows, CLI_ACTOR, now):
                token = None
                if outcome.member.telegram_id is None:
                    token = await identity.issue_invitation(
                        uow, outcome.member, CLI_ACTOR, now, _ttl(settings)
                    )
                results.append((outcome, token))
            return results

        results = await with_db(settings, apply)
        for outcome, token in results:
            _print_outcome(outcome)
            if token:
                print(f"  invitation: {invite_link(username, token)}")
        print(f"imported {len(results)} member(s)")
        return 0

    return run_work(settings, work, "nothing was imported")


def cmd_members_invite(settings: Settings, args: argparse.Namespace) -> int:
    """Issue a fresh invitation link (older unused links stop working)."""
    upgrade(settings.database_url)

    async def work() -> int:
        username = await _username(settings)

        async def apply(uow: UnitOfWork) -> tuple[Member, str]:
            member = await identity.find_member(uow, args.name)
            token = await identity.issue_invitation(
                uow, member, CLI_ACTOR, clock_now(), _ttl(settings)
            )
            return member, token

        member, token = await with_db(settings, apply)
        print(f"{member.name}: {invite_link(username, token)}")
        return 0

    return run_work(settings, work, "no link was made")


def cmd_members_list(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the member directory."""
    upgrade(settings.database_url)
    from bot.services.collation import hu_sort_key

    async def apply(uow: UnitOfWork) -> list[Member]:
        return list(await uow.members.all())

    members = asyncio.run(with_db(settings, apply))
    for m in sorted(members, key=lambda m: hu_sort_key(m.name)):
        flags = [m.kind.value]
        flags += [
            f
            for f, on in (
                ("founder", m.is_founder),
                ("KSz", m.is_ksz),
                ("ST chair", m.is_st_chair),
                ("inactive", not m.is_active),
                ("bound", m.telegram_id is not None),
            )
            if on
        ]
        groups = ", ".join(link.workgroup.name for link in m.memberships)
        print(f"{m.name}\t{m.organisation or ''}\t{', '.join(flags)}\t{groups}")
    print(f"{len(members)} member(s)")
    return 0


def cmd_members_set(settings: Settings, args: argparse.Namespace) -> int:
    """Change a member's kind, flags, offices or workgroups."""
    upgrade(settings.database_url)

    async def apply(uow: UnitOfWork) -> identity.Outcome:
        now = clock_now()
        member = await identity.find_member(uow, args.name)
        outcome = identity.Outcome(member=member)
        if args.founder is False:  # before the kind: a founder cannot become external
            await identity.set_flag(uow, member, "founder", False, CLI_ACTOR, now, outcome)
        if args.kind:
            await identity.set_kind(uow, member, parse_kind(args.kind), CLI_ACTOR, now, outcome)
        for flag in ("founder", "ksz", "st_chair", "active"):
            value = getattr(args, flag)
            if value is not None:
                await identity.set_flag(uow, member, flag, value, CLI_ACTOR, now, outcome)
        for name in args.add_workgroup or []:
            group = await identity.find_workgroup(uow, name)
            await identity.join_workgroup(uow, group, member, CLI_ACTOR, now)
        for name in args.remove_workgroup or []:
            group = await identity.find_workgroup(uow, name)
            await identity.leave_workgroup(uow, group, member, CLI_ACTOR, now, outcome)
        for name in args.catalyst_of or []:
            group = await identity.find_workgroup(uow, name)
            await identity.set_catalyst(uow, group, member, CLI_ACTOR, now)
        return outcome

    try:
        outcome = asyncio.run(with_db(settings, apply))
    except DomainError as exc:
        return report(settings, exc)
    _print_outcome(outcome)
    telegram_id = outcome.member.telegram_id
    if outcome.leave_chats and telegram_id is not None:
        asyncio.run(_remove_from_chats(settings, outcome.leave_chats, telegram_id))
        print(f"  removed from {len(outcome.leave_chats)} linked group(s)")
    return 0


async def _remove_from_chats(settings: Settings, chat_ids: list[int], telegram_id: int) -> None:
    bot = bot_factory(settings)
    async with bot:
        await remove_from_chats(bot, chat_ids, telegram_id)


def cmd_workgroups_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create a workgroup."""
    upgrade(settings.database_url)

    async def apply(uow: UnitOfWork) -> str:
        group = await identity.create_workgroup(
            uow, args.name, args.description or "", CLI_ACTOR, clock_now()
        )
        return group.name

    try:
        name = asyncio.run(with_db(settings, apply))
    except DomainError as exc:
        return report(settings, exc)
    print(f"created workgroup: {name}")
    return 0


def cmd_workgroups_list(settings: Settings, _args: argparse.Namespace) -> int:
    """Print workgroups with their catalyst and members."""
    upgrade(settings.database_url)
    from bot.services.collation import hu_sort_key

    async def apply(uow: UnitOfWork) -> list[str]:
        lines = []
        for group in sorted(await uow.workgroups.all(), key=lambda g: hu_sort_key(g.name)):
            names = {link.member_id: link.member.name for link in group.memberships}
            catalyst = names.get(group.catalyst_id or -1, "-")
            lines.append(f"{group.name}\tcatalyst: {catalyst}\tmembers: {len(names)}")
        return lines

    for line in asyncio.run(with_db(settings, apply)):
        print(line)
    return 0


def _ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.invite_ttl_hours)


def add_parsers(sub: Any) -> Any:
    """Add ``members`` and ``workgroups`` to the main parser; returns the ``members``
    subcommands (other features add theirs)."""
    members = sub.add_parser("members", help="members of the cluster")
    msub = members.add_subparsers(dest="members_command", required=True)

    add = msub.add_parser("add", help="create or update a member and print an invitation link")
    add.add_argument("name", metavar="NAME", help='full name, family name first ("Kovács Anna")')
    add.add_argument("--kind", choices=["internal", "external"], help="required for a new member")
    add.add_argument("--org", help="organisation")
    add.add_argument("--founder", action="store_const", const=True, help="founding member")
    add.add_argument("--ksz", action="store_const", const=True, help="KSz staff")
    add.add_argument("--st-chair", action="store_const", const=True, help="chair of the ST")
    add.add_argument("--workgroup", metavar="NAME", help="add to this workgroup")
    add.add_argument("--catalyst", action="store_true", help="as the workgroup's catalyst")
    add.add_argument("--invite", action="store_true", help="new link even if already bound")
    add.set_defaults(func=cmd_members_add)

    imp = msub.add_parser("import", help="create or update members from a CSV file")
    imp.add_argument("file", metavar="FILE.csv")
    imp.set_defaults(func=cmd_members_import)

    inv = msub.add_parser("invite", help="issue a fresh invitation link")
    inv.add_argument("name", metavar="NAME")
    inv.set_defaults(func=cmd_members_invite)

    lst = msub.add_parser("list", help="list members")
    lst.set_defaults(func=cmd_members_list)

    st = msub.add_parser("set", help="change a member's kind, flags, offices or workgroups")
    st.add_argument("name", metavar="NAME")
    st.add_argument("--kind", choices=["internal", "external"])
    for flag in ("founder", "ksz", "st-chair", "active"):
        st.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, default=None)
    st.add_argument("--inactive", dest="active", action="store_false", help="= --no-active")
    st.add_argument("--add-workgroup", action="append", metavar="NAME")
    st.add_argument("--remove-workgroup", action="append", metavar="NAME")
    st.add_argument("--catalyst-of", action="append", metavar="NAME")
    st.set_defaults(func=cmd_members_set)

    groups = sub.add_parser("workgroups", help="workgroups")
    gsub = groups.add_subparsers(dest="workgroups_command", required=True)
    gadd = gsub.add_parser("add", help="create a workgroup")
    gadd.add_argument("name", metavar="NAME")
    gadd.add_argument("--description")
    gadd.set_defaults(func=cmd_workgroups_add)
    gsub.add_parser("list", help="list workgroups").set_defaults(func=cmd_workgroups_list)
    return msub
