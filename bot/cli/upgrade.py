"""``klaszterbot run`` upgrades the database in a child process.

Alembic and the migration scripts cost the process that runs them about 12 MiB, kept for its
whole life; the bot's own process never loads them. The child gets what it needs (the URL and
the logging set-up) as JSON on its standard input, never on a command line where ``ps`` would
show a password; it logs to the same standard error and prints the head revision it reached,
which ``/readyz`` compares the database with. A failure is one line from the child and
``UpgradeFailed`` here.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bot.settings import Settings


class UpgradeFailed(Exception):
    """The child said why on standard error."""


def upgrade_apart(settings: Settings) -> None:
    """Bring the database to the migrations' head in a child process (blocking)."""
    from storage import migrate

    request = {"url": settings.database_url, "log": settings.logging_args()}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.upgrade"],
        input=json.dumps(request),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UpgradeFailed
    migrate.known_heads[:] = [done.stdout.strip() or None]


def _child() -> int:
    from bot import logs
    from storage.migrate import head_revision, upgrade

    request = json.loads(sys.stdin.read())
    logs.configure(*request["log"])
    try:
        upgrade(request["url"])
    except Exception as exc:  # one line for the operator, whatever went wrong
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"klaszterbot: the database upgrade failed: {type(exc).__name__}: {reason}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(head_revision() or "")
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
