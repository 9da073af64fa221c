"""Replicas on PostgreSQL (skipped on SQLite): one replica's outbox rows in flight are left
alone while it lives and queued again once it is gone; a change of who someone is reaches the
other replicas by NOTIFY; work under ``exclusive`` runs in one process at a time."""

from __future__ import annotations

import asyncio

import pytest

from bot import courier
from bot.services import identity
from bot.services.clock import FakeClock, SystemClock
from bot.services.identity import CLI_ACTOR, MemberSpec
from storage.db import Database
from storage.locks import exclusive
from storage.models import MemberKind
from storage.models.outbox import OutboxState
from storage.models.routing import RoutingSession
from storage.replica import Replica
from tests.e2e.processes import until


@pytest.fixture(autouse=True)
def _postgres_only(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("replicas share a PostgreSQL database; SQLite serves one process")


async def test_orphans_of_a_gone_replica_only_are_requeued(db: Database, clock: FakeClock) -> None:
    one, two = Replica(db.url), Replica(db.url)
    await one.start(lambda: None)
    await two.start(lambda: None)
    try:
        now = clock.now()
        async with db.unit() as uow:
            rows = [courier.row("test:replicas", chat, f"szia {chat}", now) for chat in range(6)]
            await courier.enqueue(uow, rows)
        async with db.unit() as uow:
            mine = await uow.outbox.claim(3, now, one.key)
        async with db.unit() as uow:
            theirs = await uow.outbox.claim(10, now, two.key)
        assert len(mine) == 3 and len(theirs) == 3
        assert not {m.id for m in mine} & {m.id for m in theirs}
        async with db.unit() as uow:
            assert await uow.outbox.requeue_orphans() == 0  # both alive
        await one.stop()  # as a kill would: its connection, and so its lock, is gone
        async with db.unit() as uow:
            assert await uow.outbox.requeue_orphans() == 3
            counts = await uow.outbox.counts("test:replicas")
        assert counts == {OutboxState.QUEUED: 3, OutboxState.SENDING: 3}
    finally:
        await one.stop()
        await two.stop()


async def test_a_change_of_identity_is_announced_to_every_replica(
    db: Database, clock: FakeClock
) -> None:
    heard: list[int] = []
    other = Replica(db.url)
    await other.start(lambda: heard.append(1))
    try:
        async with db.unit() as uow:
            await uow.outbox.depth()  # a unit that changes nobody says nothing
        spec = MemberSpec("Replika Réka", MemberKind.INTERNAL)
        async with db.unit() as uow:
            await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())
        await until(lambda: bool(heard), 2)
        await asyncio.sleep(0.2)
        assert heard == [1]
        with pytest.raises(RuntimeError):
            await _change_then_fail(db, clock)
        await asyncio.sleep(0.3)
        assert heard == [1]
    finally:
        await other.stop()
    await other.stop()  # twice is harmless


async def test_new_accounts_are_named_to_every_replica(db: Database) -> None:
    """A new account changes nobody's standing: the other replicas only learn its id (their
    ``KnownIds`` then no longer take it for a stranger)."""
    changes: list[int] = []
    accounts: list[list[int]] = []
    other = Replica(db.url)
    await other.start(lambda: changes.append(1), accounts.append)
    try:
        async with db.unit() as uow:
            await uow.telegram_users.upsert(
                9001, first_name="Új", last_name=None, username=None, language_code="hu"
            )
        await until(lambda: bool(accounts), 2)
        await asyncio.sleep(0.2)
        assert accounts == [[9001]] and changes == []
    finally:
        await other.stop()


async def test_opened_sessions_are_named_to_every_replica(db: Database, clock: FakeClock) -> None:
    """A session of writing to a katalizátor changes nobody's standing: the other replicas only
    learn who may have one (their ``SessionMembers``)."""
    async with db.unit() as uow:
        spec = MemberSpec("Író Irén", MemberKind.INTERNAL)
        member = (await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())).member
        group = await identity.create_workgroup(uow, "Export", "", CLI_ACTOR, clock.now())
    changes: list[int] = []
    sessions: list[list[int]] = []
    other = Replica(db.url)
    await other.start(lambda: changes.append(1), None, sessions.append)
    try:
        async with db.unit() as uow:
            now = clock.now()
            uow.routing.add_session(RoutingSession(member_id=member.id, workgroup_id=group.id,
                                                   opened_at=now, last_activity_at=now))  # fmt: skip
        await until(lambda: bool(sessions), 2)
        await asyncio.sleep(0.2)
        assert sessions == [[member.id]] and changes == []
    finally:
        await other.stop()


async def _change_then_fail(db: Database, clock: FakeClock) -> None:
    async with db.unit() as uow:  # rolled back: nothing announced
        other_spec = MemberSpec("Más Máté", MemberKind.EXTERNAL)
        await identity.upsert_member(uow, other_spec, CLI_ACTOR, clock.now())
        raise RuntimeError


async def test_exclusive_work_runs_in_one_process_at_a_time(db: Database) -> None:
    entered = asyncio.Event()
    leave = asyncio.Event()

    async def holder() -> bool:
        async with exclusive(db, "job:test") as mine:
            entered.set()
            await leave.wait()
            return mine

    first = asyncio.create_task(holder())
    await entered.wait()
    async with exclusive(db, "job:test") as second:
        assert second is False
    async with exclusive(db, "job:other") as other:
        assert other is True
    leave.set()
    assert await first is True
    async with exclusive(db, "job:test") as again:
        assert again is True


async def test_a_replica_reconnects_when_its_connection_breaks(db: Database) -> None:
    from sqlalchemy import text

    heard: list[int] = []
    replica = Replica(db.url)
    await replica.start(lambda: heard.append(1))
    try:
        async with db.unit() as uow:
            backend = replica._conn.get_server_pid()
            await uow.session.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend})
        await until(lambda: len(heard) >= 2, 10)  # forgot at the loss, and at the reconnection
        await until(lambda: replica._conn is not None, 10)
        assert replica._conn.get_server_pid() != backend
        heard.clear()
        async with db.unit() as uow:
            await identity.upsert_member(
                uow, MemberSpec("Visszatérő Vilma", MemberKind.INTERNAL), CLI_ACTOR,
                SystemClock().now(),
            )  # fmt: skip
        await until(lambda: bool(heard), 5)
    finally:
        await replica.stop()
    assert replica._conn is None and replica._reconnecting is None
