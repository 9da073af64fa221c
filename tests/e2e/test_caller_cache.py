"""The caller cache trusts a caller for long, yet a change made by another process (the
command line, another replica) holds within a second (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.context import CallerCache
from bot.services.clock import FakeClock
from fakeapi import FakeTelegram
from storage.db import IDENTITY_EPOCH, Database
from tests.e2e.harness import BotHarness, statements, texts
from tests.e2e.people import Cast


async def test_a_change_made_by_another_process_holds_within_a_second(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL: replicas hear of a change by NOTIFY (tests/db/test_replicas.py)")
    [profile] = texts(await harness.send(cast.internal, "/profil"))
    assert "Belső" in profile  # the caller is cached now
    # Another process deactivates her: plain SQL, so nothing in this process notices by itself;
    # what it leaves is the identity epoch, as every committed identity change does.
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE members SET is_active = :no WHERE telegram_id = :id"),
                           {"no": False, "id": cast.internal.id})  # fmt: skip
        await conn.execute(
            text("UPDATE cluster_settings SET value = :v WHERE key = :k"),
            {"v": '"elsewhere"', "k": IDENTITY_EPOCH},
        )
        if (await conn.execute(text("SELECT 1 FROM cluster_settings WHERE key = :k"),
                               {"k": IDENTITY_EPOCH})).first() is None:  # fmt: skip
            await conn.execute(
                text("INSERT INTO cluster_settings (key, value) VALUES (:k, :v)"),
                {"v": '"elsewhere"', "k": IDENTITY_EPOCH},
            )
    [still] = texts(await harness.send(cast.internal, "/profil"))
    assert "Belső" in still  # cached: nothing has looked at the epoch yet
    clock.advance(seconds=1)
    await harness.run_due_jobs()  # the watcher looks every second
    [answer] = texts(await harness.send(cast.internal, "/profil"))
    assert answer.startswith("Elnézést, ez csak"), answer  # an inactive member is refused


async def test_a_stranger_costs_no_query_until_the_database_knows_them(
    harness: BotHarness, tg: FakeTelegram
) -> None:
    db = harness.app.bot_data.db
    first, second = tg.add_user(first_name="Idegen"), tg.add_user(first_name="Másik")
    await harness.send(first, "/help")  # the ids the database knows are read meanwhile
    await harness.settle()
    with statements(db) as seen:
        [again] = texts(await harness.send(first, "/help"))
        [new] = texts(await harness.send(second, "/sugo"))
    assert seen == [] and again == new and "/csatlakozas" in new
    # Choosing a language stores the account: from then on it is read, and its language holds.
    await harness.send(second, "/nyelv")
    await harness.press_label(second, harness.last(second), "English")
    with statements(db) as seen:
        [english] = texts(await harness.send(second, "/help"))
    assert seen and "/join" in english


async def test_a_member_the_cache_does_not_hold_is_read_in_one_statement(
    harness: BotHarness, cast: Cast
) -> None:
    """A miss (a member's first update in half an hour: most presses of a ballot burst) reads
    the member, their workgroups and account and what they lead in one statement."""
    db = harness.app.bot_data.db
    await harness.send(cast.catalyst, "/start")
    await harness.settle()
    harness.app.bot_data.callers = CallerCache(ttl=0)  # every caller has been away too long
    with statements(db) as seen:
        [help_text] = texts(await harness.send(cast.catalyst, "/help"))
    assert len(seen) == 1 and "FROM members" in seen[0]
    assert "/elorehaladas" in help_text  # a katalizátor: what they lead was read with them
