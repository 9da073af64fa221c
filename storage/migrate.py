"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

#: The head revision as a child process that upgraded the database found it
#: (``bot.cli.upgrade``): the bot's process then never loads Alembic, not even for /readyz.
known_heads: list[str | None] = []


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, for a URL or an open sync connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` (blocking; call outside a running event loop)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Upgrade through an open connection (use with ``AsyncConnection.run_sync``)."""
    from alembic import command

    command.upgrade(alembic_config(connection=connection), revision)


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has never been migrated: read from
    Alembic's own table with plain SQL, so that ``/readyz`` does not load Alembic (7 MiB)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_head() -> str | None:
    """The head revision: as the upgrading child found it, else read from the scripts."""
    if not known_heads:
        known_heads.append(head_revision())
    return known_heads[0]


def head_revision() -> str | None:
    """The newest revision of the migrations (what ``upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def drop_everything(url: str) -> None:
    """Empty a PostgreSQL database to its bare ``public`` schema (tests and benchmarks start from
    it; never used on a cluster's database)."""
    from storage.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
