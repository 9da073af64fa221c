"""Routing rules against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.services import identity, routing
from bot.services.clock import FakeClock
from bot.services.errors import RoutingRefused
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.routing import Admission, KszReason
from storage.db import Database
from storage.models import Member, MemberKind, Workgroup
from storage.models.routing import Audience, Direction, Signer, ThreadStatus

MEMBER_CHAT, CATALYST_CHAT, KSZ_CHAT = 501, 502, 503


async def _member(db: Database, clock: FakeClock, spec: MemberSpec, chat: int | None) -> int:
    async with db.unit() as uow:
        outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())
        outcome.member.telegram_id = chat
        return outcome.member.id


@pytest.fixture
async def cluster(db: Database, clock: FakeClock) -> dict[str, int]:
    """Anna (member of Innováció and Export), Kálmán (catalyst of Innováció), Márta (KSz)."""
    ids = {
        "anna": await _member(
            db, clock,
            MemberSpec("Tag Anna", MemberKind.INTERNAL, organisation="Alfa Kft.",
                       workgroups=["Innováció", "Export"]),
            MEMBER_CHAT,
        ),
        "kalman": await _member(
            db, clock, MemberSpec("Katalizátor Kálmán", MemberKind.INTERNAL,
                                  catalyst_of=["Innováció"]), CATALYST_CHAT,
        ),
        "marta": await _member(
            db, clock, MemberSpec("Menedzser Márta", MemberKind.EXTERNAL, ksz=True), KSZ_CHAT
        ),
        "outsider": await _member(db, clock, MemberSpec("Kívül Kinga", MemberKind.EXTERNAL), 504),
    }  # fmt: skip
    return ids


async def _load(db: Database, member_id: int, group: str) -> tuple[Member, Workgroup]:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        workgroup = await uow.workgroups.by_name(group)
        assert member is not None and workgroup is not None
        return member, workgroup


async def _ask(
    db: Database, clock: FakeClock, member_id: int, group: str, message_id: int, **kw: object
) -> routing.Routed:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        workgroup = await uow.workgroups.by_name(group)
        assert member is not None and workgroup is not None
        return await routing.record_question(
            uow, member, workgroup,
            origin_chat_id=MEMBER_CHAT, origin_message_id=message_id, in_group=False,
            kind="text", body_html=f"kérdés {message_id}", now=clock.now(), **kw,  # type: ignore[arg-type]
        )  # fmt: skip


async def test_who_may_write_where(db: Database, clock: FakeClock, cluster: dict[str, int]) -> None:
    anna, innovation = await _load(db, cluster["anna"], "Innováció")
    assert [g.name for g in routing.writable_workgroups(anna, [])] == ["Export", "Innováció"]
    routing.ensure_may_write(anna, innovation)
    kalman, _ = await _load(db, cluster["kalman"], "Innováció")
    assert routing.writable_workgroups(kalman, [innovation.id]) == []
    with pytest.raises(RoutingRefused) as err:
        routing.ensure_may_write(kalman, innovation)
    assert err.value.reason == "own_workgroup"
    outsider, _ = await _load(db, cluster["outsider"], "Innováció")
    with pytest.raises(RoutingRefused) as err:
        routing.ensure_may_write(outsider, innovation)
    assert (err.value.reason, err.value.workgroup) == ("not_in_workgroup", "Innováció")
    anna.is_active = False
    assert routing.writable_workgroups(anna, []) == []
    with pytest.raises(RoutingRefused) as err:
        routing.ensure_may_write(anna, innovation)
    assert err.value.reason == "inactive"


async def test_destination_is_the_catalyst_else_the_ksz_saying_why(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    async with db.unit() as uow:
        innovation = await uow.workgroups.by_name("Innováció")
        export = await uow.workgroups.by_name("Export")
        assert innovation is not None and export is not None
        to_catalyst = await routing.destination(uow, innovation, ThreadStatus.OPEN, cluster["anna"])
        no_catalyst = await routing.destination(uow, export, ThreadStatus.OPEN, cluster["anna"])
        handed = await routing.destination(
            uow, innovation, ThreadStatus.HANDED_TO_KSZ, cluster["anna"]
        )
        kalman = await uow.members.get(cluster["kalman"])
        assert kalman is not None
        kalman.telegram_id = None
        await uow.flush()
        no_account = await routing.destination(uow, innovation, ThreadStatus.OPEN, None)
    assert to_catalyst.audience is Audience.CATALYST
    assert [r.telegram_id for r in to_catalyst.recipients] == [CATALYST_CHAT]
    assert (no_catalyst.audience, no_catalyst.reason) == (Audience.KSZ, KszReason.NO_CATALYST)
    assert [r.telegram_id for r in no_catalyst.recipients] == [KSZ_CHAT]
    assert handed.reason is KszReason.HANDED
    assert (no_account.reason, no_account.catalyst_name) == (
        KszReason.NO_ACCOUNT,
        "Katalizátor Kálmán",
    )


async def test_questions_continue_the_open_thread_and_answers_go_back(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    first = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    clock.advance(minutes=5)
    second = await _ask(db, clock, cluster["anna"], "Innováció", 11)
    assert first.thread.id == second.thread.id
    [delivery] = second.deliveries
    assert (delivery.chat_id, delivery.audience) == (CATALYST_CHAT, Audience.CATALYST)
    other = await _ask(db, clock, cluster["anna"], "Export", 12)
    assert other.thread.id != first.thread.id
    assert [d.chat_id for d in other.deliveries] == [KSZ_CHAT]

    async with db.unit() as uow:
        await routing.mark_delivered(uow, delivery.id, CATALYST_CHAT, [70, 71], clock.now())
    async with db.unit() as uow:
        copy = await routing.find_copy(uow, CATALYST_CHAT, 71)
        assert copy is not None and copy.delivery.message.origin_message_id == 11
        kalman = await uow.members.get(cluster["kalman"])
        answer = await routing.record_answer(
            uow, copy, kalman, origin_chat_id=CATALYST_CHAT, origin_message_id=80,
            kind="text", body_html="válasz", now=clock.now(),
        )  # fmt: skip
        [back] = answer.deliveries
        assert answer.message.direction is Direction.ANSWER
        assert answer.message.signer is Signer.CATALYST
        assert (back.chat_id, back.reply_to_message_id) == (MEMBER_CHAT, 11)
        # someone who is neither the katalizátor nor the KSz cannot answer
        outsider = await uow.members.get(cluster["outsider"])
        with pytest.raises(RoutingRefused) as err:
            await routing.record_answer(
                uow, copy, outsider, origin_chat_id=504, origin_message_id=1,
                kind="text", body_html="x", now=clock.now(),
            )  # fmt: skip
        assert err.value.reason == "not_handler"
        assert await routing.find_copy(uow, CATALYST_CHAT, 72) is None


async def test_pending_deliveries_wait_for_their_chat(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    routed = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    await _ask(db, clock, cluster["anna"], "Innováció", 11)
    async with db.unit() as uow:
        assert [
            d.message.origin_message_id
            for d in (await routing.waiting_for(uow, CATALYST_CHAT)).deliveries
        ] == [10, 11]
        assert list(await routing.chats_with_pending(uow)) == [CATALYST_CHAT]
        assert await routing.pending_in_thread(uow, routed.thread.id, CATALYST_CHAT) == 2
        await routing.mark_unreachable(uow, CATALYST_CHAT, clock.now())
    async with db.unit() as uow:
        # a blocked account's deliveries are not retried at start, only when it starts the bot
        assert list(await routing.chats_with_pending(uow)) == []
        assert not await uow.telegram_users.reachable(CATALYST_CHAT)
        [first, second] = (await routing.waiting_for(uow, CATALYST_CHAT)).deliveries
        await routing.mark_failed(uow, first.id)
    async with db.unit() as uow:
        assert [d.id for d in (await routing.waiting_for(uow, CATALYST_CHAT)).deliveries] == [
            second.id
        ]


async def test_a_question_learns_of_each_chat_as_it_is_written(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    """``Routed.chats``, from the deliveries' own insert: whether anything else waits for the
    chat (an older delivery, not the question's own), and the chat's account (language,
    block); no account is None."""
    first = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    assert first.chats == {CATALYST_CHAT: routing.ChatState(None, False)}
    async with db.unit() as uow:
        account = uow.telegram_users.refresh(
            None, CATALYST_CHAT, first_name="Kálmán", last_name=None, username=None,
            language_code="en-GB",
        )  # fmt: skip
        account.language = "hu"
    second = await _ask(db, clock, cluster["anna"], "Innováció", 11)  # the first still waits
    [(chat, state)] = second.chats.items()
    assert chat == CATALYST_CHAT and state.others_wait and state.account is not None
    assert (state.account.id, state.account.language, state.account.language_code) == (
        CATALYST_CHAT, "hu", "en-GB",
    )  # fmt: skip
    assert state.account.blocked_at is None
    async with db.unit() as uow:
        for delivery in first.deliveries + second.deliveries:
            await routing.mark_delivered(uow, delivery.id, CATALYST_CHAT, [], clock.now())
        await routing.mark_unreachable(uow, CATALYST_CHAT, clock.now())
    third = await _ask(db, clock, cluster["anna"], "Innováció", 12)
    state = third.chats[CATALYST_CHAT]
    assert not state.others_wait and state.account is not None
    assert state.account.blocked_at == clock.now()


async def test_a_delivered_mark_is_a_transaction_of_its_own(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    """The mark after a send runs in a unit of Core statements (``Database.statements``): the
    status and the copies commit together or not at all, and on SQLite it waits for the unit
    that holds the writer's turn, as a unit of work would."""
    [delivery] = (await _ask(db, clock, cluster["anna"], "Innováció", 10)).deliveries
    with pytest.raises(IntegrityError):  # the same message twice: a copy is unique
        async with db.statements() as statements:
            await routing.mark_delivered(
                statements, delivery.id, CATALYST_CHAT, [70, 70], clock.now()
            )
    async with db.read() as uow:
        assert await routing.outcome(uow, [delivery.id]) == (set(), set())  # still pending
        assert await routing.find_copy(uow, CATALYST_CHAT, 70) is None
    order: list[str] = []

    async def mark() -> None:
        async with db.statements() as statements:
            await routing.mark_delivered(statements, delivery.id, CATALYST_CHAT, [70], clock.now())
            order.append("marked")

    async with db.unit() as uow:
        await uow.cluster.put("probe", 1)
        await uow.flush()
        marking = asyncio.create_task(mark())
        await asyncio.sleep(0.05)
        order.append("unit")
    await marking
    if db.dialect == "sqlite":
        assert order == ["unit", "marked"]
    async with db.read() as uow:
        assert await routing.outcome(uow, [delivery.id]) == ({delivery.id}, set())
        copy = await routing.find_copy(uow, CATALYST_CHAT, 70)
        assert copy is not None and copy.delivery_id == delivery.id


async def test_hand_over_and_resolve(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    routed = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    async with db.unit() as uow:
        outsider = await uow.members.get(cluster["outsider"])
        assert outsider is not None
        with pytest.raises(RoutingRefused):
            await routing.hand_to_ksz(uow, routed.thread.id, outsider, clock.now())
    async with db.unit() as uow:
        kalman = await uow.members.get(cluster["kalman"])
        assert kalman is not None
        handed = await routing.hand_to_ksz(uow, routed.thread.id, kalman, clock.now())
        assert handed.thread.status is ThreadStatus.HANDED_TO_KSZ
        assert [(d.chat_id, d.audience) for d in handed.deliveries] == [(KSZ_CHAT, Audience.KSZ)]
    async with db.unit() as uow:
        kalman = await uow.members.get(cluster["kalman"])
        assert kalman is not None
        with pytest.raises(RoutingRefused) as err:
            await routing.hand_to_ksz(uow, routed.thread.id, kalman, clock.now())
        assert err.value.reason == "handed"
    follow = await _ask(db, clock, cluster["anna"], "Innováció", 11)
    assert [d.chat_id for d in follow.deliveries] == [KSZ_CHAT]
    clock.advance(hours=5)
    async with db.unit() as uow:
        [summary] = await routing.open_threads(uow, clock.now())
        assert (summary.messages, summary.pending, summary.age) == (2, 3, timedelta(hours=5))
        marta = await uow.members.get(cluster["marta"])
        assert marta is not None
        await routing.resolve(uow, routed.thread.id, marta, clock.now())
    async with db.unit() as uow:
        assert await routing.open_threads(uow, clock.now()) == []
        marta = await uow.members.get(cluster["marta"])
        assert marta is not None
        with pytest.raises(RoutingRefused) as err:
            await routing.resolve(uow, routed.thread.id, marta, clock.now())
        assert err.value.reason == "resolved"
    # a new question after resolution opens a new thread
    fresh = await _ask(db, clock, cluster["anna"], "Innováció", 12)
    assert fresh.thread.id != routed.thread.id


async def test_sessions_expire_after_idle_time(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    anna, innovation = await _load(db, cluster["anna"], "Innováció")
    async with db.unit() as uow:
        group, where = await routing.open_session(uow, anna, innovation.id, clock.now())
        assert group.name == "Innováció" and where.catalyst_name == "Katalizátor Kálmán"
    first = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    second = await _ask(db, clock, cluster["anna"], "Innováció", 11)
    assert (first.first_in_session, second.first_in_session) == (True, False)
    clock.advance(minutes=29)
    async with db.unit() as uow:
        session, expired = await routing.current_session(uow, anna.id, clock.now())
        assert session is not None and not expired
    clock.advance(minutes=31)
    async with db.unit() as uow:
        assert await routing.current_session(uow, anna.id, clock.now()) == (None, True)
    async with db.unit() as uow:
        assert await routing.current_session(uow, anna.id, clock.now()) == (None, False)
        assert await routing.close_session(uow, anna.id) is None


async def test_a_session_is_read_with_its_open_thread(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    """``session_to_write``: the session as ``current_session`` finds it, with the member's
    newest open thread with the session's workgroup from the chat (none from another chat, of
    another workgroup, or resolved); ``record_question`` continues that one."""
    anna, innovation = await _load(db, cluster["anna"], "Innováció")
    async with db.unit() as uow:
        assert await routing.session_to_write(uow, anna.id, MEMBER_CHAT, clock.now()) == (
            None, False, None,
        )  # fmt: skip
        await routing.open_session(uow, anna, innovation.id, clock.now())
    async with db.unit() as uow:
        session, expired, known = await routing.session_to_write(
            uow, anna.id, MEMBER_CHAT, clock.now()
        )
        assert session is not None and not expired and known is not None
        assert known.key == (innovation.id, anna.id, MEMBER_CHAT) and known.thread is None
    await _ask(db, clock, cluster["anna"], "Export", 9)  # another workgroup's thread
    first = await _ask(db, clock, cluster["anna"], "Innováció", 10)
    async with db.unit() as uow:
        _, _, known = await routing.session_to_write(uow, anna.id, MEMBER_CHAT, clock.now())
        assert known is not None and known.thread is not None
        assert known.thread.id == first.thread.id
        _, _, elsewhere = await routing.session_to_write(uow, anna.id, 999, clock.now())
        assert elsewhere is not None and elsewhere.thread is None
        member, workgroup = await uow.members.get(anna.id), await uow.workgroups.bare(innovation.id)
        assert member is not None and workgroup is not None
        routed = await routing.record_question(
            uow, member, workgroup, origin_chat_id=MEMBER_CHAT, origin_message_id=11,
            in_group=False, kind="text", body_html="még", now=clock.now(), known=known,
        )  # fmt: skip
        assert routed.thread.id == first.thread.id
    async with db.unit() as uow:
        kalman = await uow.members.get(cluster["kalman"])
        assert kalman is not None
        await routing.resolve(uow, first.thread.id, kalman, clock.now())
    async with db.unit() as uow:
        _, _, known = await routing.session_to_write(uow, anna.id, MEMBER_CHAT, clock.now())
        assert known is not None and known.thread is None
    clock.advance(minutes=31)
    async with db.unit() as uow:
        assert await routing.session_to_write(uow, anna.id, MEMBER_CHAT, clock.now()) == (
            None, True, None,
        )  # fmt: skip


async def test_flood_limit_per_minute_window(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    verdicts = []
    for _ in range(5):
        async with db.unit() as uow:
            verdicts.append(await routing.admit(uow, cluster["anna"], clock.now(), 3))
        clock.advance(seconds=5)
    assert verdicts == [Admission.OK] * 3 + [Admission.SLOW_DOWN, Admission.SILENT]
    clock.advance(seconds=40)
    async with db.unit() as uow:
        assert await routing.admit(uow, cluster["anna"], clock.now(), 3) is Admission.OK


async def test_flood_windows_edges_and_a_changed_limit(
    db: Database, clock: FakeClock, cluster: dict[str, int]
) -> None:
    """The count is one upsert: its window's edges, a clock set back, and a limit changed by a
    restart within the window behave as the read-then-write count did."""

    async def admit(limit: int, *, seconds: float = 0) -> Admission:
        clock.advance(seconds=seconds)
        async with db.unit() as uow:
            return await routing.admit(uow, cluster["anna"], clock.now(), limit)

    assert [await admit(2) for _ in range(3)] == [Admission.OK, Admission.OK, Admission.SLOW_DOWN]
    assert await admit(2, seconds=59.999) is Admission.SILENT  # still the same minute
    assert await admit(2, seconds=0.001) is Admission.OK  # a minute after the window began
    # A restart with a smaller limit within the window: told once, then silent.
    assert [await admit(3) for _ in range(2)] == [Admission.OK, Admission.OK]  # 3 this minute
    assert [await admit(1) for _ in range(3)] == [
        Admission.SLOW_DOWN, Admission.SILENT, Admission.SILENT,
    ]  # fmt: skip
    # A larger limit: admitted again; the member was told in this window already.
    assert [await admit(5) for _ in range(3)] == [Admission.OK, Admission.OK, Admission.SILENT]
    # The clock set back before the window's start: a new window.
    assert await admit(5, seconds=-30) is Admission.OK
