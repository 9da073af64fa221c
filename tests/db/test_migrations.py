"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrate import alembic_config
from storage.models import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    def cycle(connection: Connection) -> None:
        command.downgrade(alembic_config(connection=connection), "base")
        command.upgrade(alembic_config(connection=connection), "head")

    async with db.engine.begin() as conn:
        await conn.run_sync(cycle)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
