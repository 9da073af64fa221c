"""The ``klaszterbot`` command line: run the bot, upgrade the database, manage members."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("klaszterbot")


def _setup_logging(settings: Settings) -> None:
    from bot import logs

    logs.configure(*settings.logging_args())


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Upgrade the database, then serve Telegram until SIGINT/SIGTERM: by long polling, or on
    the webhook server when WEBHOOK_URL is set."""
    from bot.app import build_application
    from bot.cli.upgrade import UpgradeFailed, upgrade_apart
    from storage.single import AlreadyRunning, hold_sqlite

    settings.token()
    webhook = settings.webhook()
    _setup_logging(settings)
    try:
        hold_sqlite(settings.database_url)
    except AlreadyRunning as exc:
        print(f"klaszterbot: {exc}", file=sys.stderr)
        return 2
    try:
        upgrade_apart(settings)
    except UpgradeFailed:
        return 2
    app = build_application(settings)
    if webhook is None:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        return 0
    log.info("webhook mode: listening on %s:%d%s", webhook.host, webhook.port, webhook.path)
    app.run_webhook(
        listen=webhook.host,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=webhook.url,
        secret_token=webhook.secret,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )
    return 0


ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "chat_join_request",
    "my_chat_member",
]


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """Create or upgrade the schema."""
    from storage.migrate import upgrade

    _setup_logging(settings)
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def cmd_demo(_settings: Settings, args: argparse.Namespace) -> int:
    """Run the real bot against the fake Bot API in the terminal (or play a script)."""
    from pathlib import Path

    from bot import demo

    # The bot's log lines would interleave with the dialogue: they go to a file.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        filename=demo.LOG_FILE,
    )
    script = Path(args.script) if args.script else None
    if script is not None and not script.is_file():
        print(f"klaszterbot: no such script: {script}", file=sys.stderr)
        return 2
    return asyncio.run(demo.run(script))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="klaszterbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve Telegram (long polling, or a webhook: WEBHOOK_URL)")
    run.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema").set_defaults(
        func=cmd_db_upgrade
    )

    from bot.cli import members, privacy, workplan

    privacy.add_parsers(members.add_parsers(sub))
    workplan.add_parsers(sub)

    demo = sub.add_parser("demo", help="try the bot in the terminal, no token or network needed")
    demo.add_argument("--script", metavar="FILE", help="play a transcript instead of typing")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m bot``."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.func(settings, args))
    except SettingsError as exc:
        print(f"klaszterbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_async(coro: object) -> object:
    """Run a coroutine from a synchronous subcommand."""
    return asyncio.run(coro)  # type: ignore[arg-type]
