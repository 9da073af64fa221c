"""What empties the bot's caller cache (issue 16): who someone is changes it, a stranger's first
contact or a refreshed profile name does not."""

from __future__ import annotations

import asyncio

import pytest

from bot.services import identity, routing
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec
from storage.db import IDENTITY_EPOCH, Database, IdentityGeneration, UnitOfWork
from storage.models import MemberKind
from storage.models.routing import RoutingSession


async def _moves(db: Database, work) -> bool:  # type: ignore[no-untyped-def]
    before = IdentityGeneration.value
    async with db.unit() as uow:
        await work(uow)
    return IdentityGeneration.value != before


async def test_accounts_move_the_generation_only_when_who_they_are_changes(
    db: Database, clock: FakeClock
) -> None:
    profile = {"first_name": "Anna", "last_name": "Kovács", "username": None, "language_code": "hu"}

    async def first_contact(uow):  # type: ignore[no-untyped-def]
        await uow.telegram_users.upsert(777, **profile)

    async def renamed(uow):  # type: ignore[no-untyped-def]
        await uow.telegram_users.upsert(777, **{**profile, "first_name": "Annamária"})

    async def language(uow):  # type: ignore[no-untyped-def]
        (await uow.telegram_users.get(777)).language = "en"

    async def started(uow):  # type: ignore[no-untyped-def]
        (await uow.telegram_users.get(777)).started_at = clock.now()

    async def new_member(uow):  # type: ignore[no-untyped-def]
        await identity.upsert_member(
            uow, MemberSpec("Kovács Anna", MemberKind.INTERNAL), CLI_ACTOR, clock.now()
        )

    assert not await _moves(db, first_contact)
    assert not await _moves(db, renamed)
    assert await _moves(db, language)
    assert await _moves(db, started)
    assert await _moves(db, new_member)


async def test_an_identity_change_leaves_its_mark_for_other_processes(
    db: Database, clock: FakeClock
) -> None:
    """SQLite: the epoch row moves with who-is-who only, and a commit changes the files the
    bot's watcher looks at before it queries (so an idle bot queries nothing)."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL: replicas hear of a change by NOTIFY (tests/db/test_replicas.py)")
    before, mark = await db.identity_epoch(), db.file_mark()
    async with db.unit() as uow:
        await uow.telegram_users.upsert(778, first_name="Béla", last_name=None, username=None,
                                        language_code="hu")  # fmt: skip
    assert await db.identity_epoch() == before  # a first contact is not an identity change
    async with db.unit() as uow:
        await identity.upsert_member(
            uow, MemberSpec("Belső Béla", MemberKind.INTERNAL), CLI_ACTOR, clock.now()
        )
    assert await db.identity_epoch() not in (None, before)
    assert db.file_mark() != mark
    still = db.file_mark()
    await db.identity_epoch()  # reading changes nothing on disk
    assert db.file_mark() == still


async def test_the_known_ids_tell_a_stranger_without_a_query(
    db: Database, clock: FakeClock
) -> None:
    """``KnownIds``: read once; an account created since is added at its commit (not if the
    unit rolls back); a member's change makes the set untrusted until it is read again."""
    known = db.known_ids
    async with db.unit() as uow:
        await uow.telegram_users.upsert(801, first_name="Ági", last_name=None, username=None,
                                        language_code="hu")  # fmt: skip
    assert known.knows(801) is None  # never read yet
    assert known.begin_load() and not known.begin_load()  # one load at a time
    await known.load(db)
    assert known.knows(801) is True and known.knows(802) is False
    async with db.unit() as uow:
        await uow.telegram_users.upsert(802, first_name="Bea", last_name=None, username=None,
                                        language_code="hu")  # fmt: skip
    with pytest.raises(RuntimeError):
        await _add_then_fail(db, 803)
    assert known.knows(802) is True and known.knows(803) is False
    async with db.unit() as uow:
        member = await identity.upsert_member(
            uow, MemberSpec("Kötött Kata", MemberKind.INTERNAL), CLI_ACTOR, clock.now()
        )
        member.member.telegram_id = 804
    assert known.knows(804) is None  # who-is-who changed: read again
    assert known.begin_load()
    await known.load(db)
    assert known.knows(804) is True and known.knows(803) is False


async def _add_then_fail(db: Database, telegram_id: int) -> None:
    async with db.unit() as uow:  # rolled back: the id stays unknown
        await uow.telegram_users.upsert(telegram_id, first_name="Cili", last_name=None,
                                        username=None, language_code="hu")  # fmt: skip
        await uow.flush()
        raise RuntimeError


async def _open(db: Database, clock: FakeClock, member_id: int, group_id: int, fail: bool) -> None:
    async with db.unit() as uow:
        now = clock.now()
        uow.routing.add_session(RoutingSession(member_id=member_id, workgroup_id=group_id,
                                               opened_at=now, last_activity_at=now))  # fmt: skip
        await uow.flush()
        if fail:
            raise RuntimeError


async def test_the_session_members_tell_a_member_without_a_session_without_a_query(
    db: Database, clock: FakeClock
) -> None:
    """``SessionMembers``: read once; a session opened since is added at its commit (not if the
    unit rolls back); a closed one stays (the set is a superset) until it is read again."""
    async with db.unit() as uow:
        spec = MemberSpec("Író Irén", MemberKind.INTERNAL)
        member = (await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())).member
        group = await identity.create_workgroup(uow, "Export", "", CLI_ACTOR, clock.now())
    sessions = db.session_members
    assert sessions.knows(member.id) is None  # never read yet
    assert sessions.begin_load()
    await sessions.load(db)
    assert sessions.knows(member.id) is False
    with pytest.raises(RuntimeError):
        await _open(db, clock, member.id, group.id, fail=True)
    assert sessions.knows(member.id) is False
    await _open(db, clock, member.id, group.id, fail=False)
    assert sessions.knows(member.id) is True
    async with db.unit() as uow:
        assert await routing.close_session(uow, member.id) is not None
    assert sessions.knows(member.id) is True  # costs a query, which finds none
    assert sessions.begin_load()
    await sessions.load(db)
    assert sessions.knows(member.id) is False


async def _then_a_failed_savepoint(uow: UnitOfWork) -> None:
    await uow.flush()
    with pytest.raises(RuntimeError):
        async with uow.session.begin_nested():
            raise RuntimeError


async def test_a_failed_savepoint_keeps_what_the_rest_of_the_unit_noted(
    db: Database, clock: FakeClock
) -> None:
    """A savepoint rolled back inside a unit (an import's refused row) does not make the unit
    forget the session it opened or its identity change: both still count at its commit."""
    async with db.unit() as uow:
        spec = MemberSpec("Író Irén", MemberKind.INTERNAL)
        member = (await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())).member
        group = await identity.create_workgroup(uow, "Export", "", CLI_ACTOR, clock.now())
    sessions = db.session_members
    assert sessions.begin_load()
    await sessions.load(db)
    async with db.unit() as uow:
        now = clock.now()
        uow.routing.add_session(RoutingSession(member_id=member.id, workgroup_id=group.id,
                                               opened_at=now, last_activity_at=now))  # fmt: skip
        await _then_a_failed_savepoint(uow)
    assert sessions.knows(member.id) is True
    before = IdentityGeneration.value
    async with db.unit() as uow:
        other = MemberSpec("Más Máté", MemberKind.EXTERNAL)
        await identity.upsert_member(uow, other, CLI_ACTOR, clock.now())
        await _then_a_failed_savepoint(uow)
    assert IdentityGeneration.value != before  # the new member was announced


async def test_reading_the_identity_epoch_takes_no_writer_lock(db: Database) -> None:
    """The watcher reads the epoch every second after a commit (SQLite): a read, which must not
    queue behind (or hold up) a unit that writes."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's writer lock")
    before = await db.identity_epoch()
    async with db.unit() as uow:
        await uow.cluster.stamp(IDENTITY_EPOCH, "mark")
        await uow.flush()  # the writer lock is held from here to the commit
        # The committed epoch, at once (a writer's lock would keep it waiting 5 s, then fail).
        assert await asyncio.wait_for(db.identity_epoch(), 2) == before
    assert await db.identity_epoch() == "mark"
