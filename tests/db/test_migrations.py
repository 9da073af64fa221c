"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.services.clock import FakeClock
from bot.services.collation import hu_collation_string
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from storage.db import Database
from storage.migrate import alembic_config
from storage.models import Base, Member, MemberKind


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


async def test_sort_keys_written_by_the_old_rule_are_recomputed(
    db: Database, clock: FakeClock
) -> None:
    """0012: keys stored before the doubled-digraph rule (issue 14) are rewritten."""
    names = ["Kassza Béla", "Kasza Anna", "Rosszné Kiss Ida", "Rosta Ödön"]
    async with db.unit() as uow:
        for name in names:
            await upsert_member(uow, MemberSpec(name, MemberKind.INTERNAL), CLI_ACTOR, clock.now())
    async with db.engine.begin() as conn:
        for stale, name in enumerate(names):  # the order the old rule gave
            await conn.execute(
                update(Member).where(Member.name == name).values(sort_key=f"2{stale}")
            )

    def again(connection: Connection) -> None:
        command.downgrade(alembic_config(connection=connection), "0011")
        command.upgrade(alembic_config(connection=connection), "head")

    async with db.engine.begin() as conn:
        await conn.run_sync(again)
    async with db.unit() as uow:
        rows = (await uow.session.execute(select(Member.name, Member.sort_key))).all()
        assert all(key == hu_collation_string(name) for name, key in rows)
        listed = [m.name for m in await uow.members.all()]
    assert listed == ["Kasza Anna", "Kassza Béla", "Rosta Ödön", "Rosszné Kiss Ida"]
