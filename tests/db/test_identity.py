"""Identity rules against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.services import identity
from bot.services.clock import FakeClock
from bot.services.errors import (
    AccountAlreadyBound,
    AlreadyDecided,
    AlreadyMember,
    AlreadyPending,
    Ambiguous,
    InvalidInput,
    InvitationProblem,
    NotFound,
    RuleViolation,
)
from bot.services.identity import CLI_ACTOR, MemberSpec
from storage.db import Database
from storage.models import AuditEntry, Invitation, Member, MemberKind

TTL = timedelta(hours=72)


async def add(db: Database, clock: FakeClock, **kw: object) -> Member:
    async with db.unit() as uow:
        outcome = await identity.upsert_member(uow, MemberSpec(**kw), CLI_ACTOR, clock.now())  # type: ignore[arg-type]
        return outcome.member


async def test_create_then_update_keeps_unspecified_fields(db: Database, clock: FakeClock) -> None:
    await add(
        db,
        clock,
        name="Kovács  Anna",
        kind=MemberKind.INTERNAL,
        organisation="Példa Kft.",
        founder=True,
    )
    member = await add(db, clock, name="kovács anna", ksz=True)
    assert member.name == "Kovács Anna"
    assert member.is_founder and member.is_ksz
    assert member.organisation == "Példa Kft."
    async with db.unit() as uow:
        assert len(await uow.members.all()) == 1


async def test_new_member_needs_a_kind(db: Database, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput) as err:
        await add(db, clock, name="Név Nélküli")
    assert err.value.field == "kind"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("   ", "empty"), ("x" * 201, "too_long"), ("Bad\x00Name", "control_chars")],
)
async def test_bad_names_are_refused(
    db: Database, clock: FakeClock, name: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        await add(db, clock, name=name, kind=MemberKind.INTERNAL)
    assert err.value.reason == reason


async def test_st_chair_must_be_a_founder_and_is_unique(db: Database, clock: FakeClock) -> None:
    with pytest.raises(RuleViolation, match="st_chair_not_founder"):
        await add(db, clock, name="Nem Alapító", kind=MemberKind.INTERNAL, st_chair=True)
    async with db.unit() as uow:
        assert await uow.members.by_name("Nem Alapító") is None  # nothing half-saved
    await add(db, clock, name="Első Elnök", kind=MemberKind.INTERNAL, founder=True, st_chair=True)
    async with db.unit() as uow:
        second = await identity.upsert_member(
            uow,
            MemberSpec(name="Második Elnök", kind=MemberKind.INTERNAL, founder=True, st_chair=True),
            CLI_ACTOR,
            clock.now(),
        )
    assert second.previous_st_chair == "Első Elnök"
    async with db.unit() as uow:
        chair = await uow.members.st_chair()
        assert chair is not None and chair.name == "Második Elnök"


async def test_database_enforces_a_single_st_chair(db: Database, clock: FakeClock) -> None:
    await add(db, clock, name="A Elnök", kind=MemberKind.INTERNAL, founder=True, st_chair=True)
    other = await add(db, clock, name="B Alapító", kind=MemberKind.INTERNAL, founder=True)

    async def crown() -> None:
        async with db.unit() as uow:
            member = await uow.members.get(other.id)
            assert member is not None
            member.is_st_chair = True

    with pytest.raises(IntegrityError):
        await crown()


async def test_chair_cannot_stop_being_founder(db: Database, clock: FakeClock) -> None:
    chair = await add(
        db, clock, name="Elnök Éva", kind=MemberKind.INTERNAL, founder=True, st_chair=True
    )
    async with db.unit() as uow:
        member = await uow.members.get(chair.id)
        assert member is not None
        with pytest.raises(RuleViolation, match="st_chair_must_be_founder"):
            await identity.set_flag(uow, member, "founder", False, CLI_ACTOR, clock.now())


async def test_catalyst_rules(db: Database, clock: FakeClock) -> None:
    ext = await add(db, clock, name="Külső Kata", kind=MemberKind.EXTERNAL)
    internal = await add(
        db, clock, name="Belső Béla", kind=MemberKind.INTERNAL, catalyst_of=["Innováció"]
    )
    async with db.unit() as uow:
        group = await identity.find_workgroup(uow, "innováció")
        assert group.catalyst_id == internal.id
        assert {link.member_id for link in group.memberships} == {internal.id}
        member = await uow.members.get(ext.id)
        assert member is not None
        with pytest.raises(RuleViolation, match="catalyst_not_internal"):
            await identity.set_catalyst(uow, group, member, CLI_ACTOR, clock.now())
    # turning the catalyst external clears the office
    async with db.unit() as uow:
        member = await uow.members.get(internal.id)
        assert member is not None
        outcome = await identity.set_kind(uow, member, MemberKind.EXTERNAL, CLI_ACTOR, clock.now())
        assert outcome.cleared_catalyst_of == ["Innováció"]
    async with db.unit() as uow:
        group = await identity.find_workgroup(uow, "Innováció")
        assert group.catalyst_id is None


async def test_deactivation_clears_offices(db: Database, clock: FakeClock) -> None:
    chair = await add(
        db, clock, name="Távozó Tamás", kind=MemberKind.INTERNAL, founder=True, st_chair=True,
        catalyst_of=["Export"],
    )  # fmt: skip
    async with db.unit() as uow:
        member = await uow.members.get(chair.id)
        assert member is not None
        outcome = await identity.set_flag(uow, member, "active", False, CLI_ACTOR, clock.now())
        assert outcome.cleared_catalyst_of == ["Export"]
    async with db.unit() as uow:
        member = await uow.members.get(chair.id)
        assert member is not None
        assert not member.is_active and not member.is_st_chair
        assert await uow.members.st_chair() is None


async def test_invitation_binds_once(db: Database, clock: FakeClock) -> None:
    member = await add(db, clock, name="Meghívott Mária", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        token = await identity.issue_invitation(uow, member, CLI_ACTOR, clock.now(), TTL)
    async with db.unit() as uow:
        bound = await identity.redeem_invitation(uow, token, 5001, clock.now())
        assert bound.telegram_id == 5001
    with pytest.raises(InvitationProblem) as err:
        async with db.unit() as uow:
            await identity.redeem_invitation(uow, token, 5002, clock.now())
    assert err.value.reason == "used"
    async with db.unit() as uow:
        stored = (await uow.session.execute(select(Invitation))).scalar_one()
        assert stored.token_hash != token and len(stored.token_hash) == 64


async def test_expired_and_unknown_tokens_bind_nothing(db: Database, clock: FakeClock) -> None:
    member = await add(db, clock, name="Késő Kálmán", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        token = await identity.issue_invitation(uow, member, CLI_ACTOR, clock.now(), TTL)
    clock.advance(hours=73)
    for bad, reason in ((token, "expired"), ("nincs-ilyen", "unknown"), ("x" * 100, "unknown")):
        with pytest.raises(InvitationProblem) as err:
            async with db.unit() as uow:
                await identity.redeem_invitation(uow, bad, 6001, clock.now())
        assert err.value.reason == reason
    async with db.unit() as uow:
        assert (await uow.members.get(member.id)).telegram_id is None  # type: ignore[union-attr]


async def test_fresh_invitation_revokes_the_old_one(db: Database, clock: FakeClock) -> None:
    member = await add(db, clock, name="Új Link", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        old = await identity.issue_invitation(uow, member, CLI_ACTOR, clock.now(), TTL)
    clock.advance(minutes=1)
    async with db.unit() as uow:
        new = await identity.issue_invitation(uow, member, CLI_ACTOR, clock.now(), TTL)
    with pytest.raises(InvitationProblem):
        async with db.unit() as uow:
            await identity.redeem_invitation(uow, old, 7001, clock.now())
    async with db.unit() as uow:
        await identity.redeem_invitation(uow, new, 7001, clock.now())


async def test_one_account_one_member(db: Database, clock: FakeClock) -> None:
    first = await add(db, clock, name="Első Egyed", kind=MemberKind.INTERNAL)
    second = await add(db, clock, name="Második Mihály", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        t1 = await identity.issue_invitation(uow, first, CLI_ACTOR, clock.now(), TTL)
        t2 = await identity.issue_invitation(uow, second, CLI_ACTOR, clock.now(), TTL)
    async with db.unit() as uow:
        await identity.redeem_invitation(uow, t1, 8001, clock.now())
    with pytest.raises(AccountAlreadyBound):
        async with db.unit() as uow:
            await identity.redeem_invitation(uow, t2, 8001, clock.now())
    async with db.unit() as uow:  # the refused token is still usable by the right person
        await identity.redeem_invitation(uow, t2, 8002, clock.now())


async def test_join_request_flow(db: Database, clock: FakeClock) -> None:
    ksz = await add(db, clock, name="Kész Zsófia", kind=MemberKind.INTERNAL, ksz=True)
    async with db.unit() as uow:
        request = await identity.request_join(
            uow, 9001, "Jelentkező János", "janos", "Példa Bt.", clock.now()
        )
    with pytest.raises(AlreadyPending):
        async with db.unit() as uow:
            await identity.request_join(uow, 9001, "Jelentkező János", None, "", clock.now())
    actor = identity.Actor(ksz.id, ksz.name)
    async with db.unit() as uow:
        _, member = await identity.decide_join(
            uow, request.id, MemberKind.EXTERNAL, actor, clock.now()
        )
        assert member is not None and member.telegram_id == 9001
    with pytest.raises(AlreadyDecided):
        async with db.unit() as uow:
            await identity.decide_join(uow, request.id, None, actor, clock.now())
    with pytest.raises(AlreadyMember):
        async with db.unit() as uow:
            await identity.request_join(uow, 9001, "Jelentkező János", None, "x", clock.now())


async def test_join_request_never_takes_an_existing_members_seat(
    db: Database, clock: FakeClock
) -> None:
    """A stranger named like an unbound founder + KSz member is refused, not bound to her."""
    ksz = await add(db, clock, name="Kész Zsófia", kind=MemberKind.INTERNAL, ksz=True)
    founder = await add(
        db, clock, name="Alapító Anna", kind=MemberKind.INTERNAL, founder=True, ksz=True
    )
    actor = identity.Actor(ksz.id, ksz.name)
    async with db.unit() as uow:
        request = await identity.request_join(uow, 9002, "alapító  anna", None, "", clock.now())
    for kind in (MemberKind.EXTERNAL, MemberKind.INTERNAL):
        with pytest.raises(RuleViolation) as refused:
            async with db.unit() as uow:
                await identity.decide_join(uow, request.id, kind, actor, clock.now())
        assert refused.value.rule == "join_name_taken"
        assert refused.value.subject == "Alapító Anna"
    async with db.unit() as uow:
        seat = await uow.members.get(founder.id)
        assert seat is not None and seat.telegram_id is None
        assert seat.is_founder and seat.is_ksz and seat.kind is MemberKind.INTERNAL
        assert await uow.members.by_telegram_id(9002) is None
        pending = await uow.join_requests.get(request.id)
        assert pending is not None and pending.status.value == "pending"
        collision = await identity.join_collision(uow, pending)  # what the KSz's card warns of
        assert collision is not None and collision.id == founder.id
    # the KSz may still reject it; the founder binds only through her own invitation link
    async with db.unit() as uow:
        await identity.decide_join(uow, request.id, None, actor, clock.now())
        token = await identity.issue_invitation(uow, founder, CLI_ACTOR, clock.now(), TTL)
    async with db.unit() as uow:
        assert (await identity.redeem_invitation(uow, token, 7001, clock.now())).id == founder.id


async def test_join_request_creates_a_new_member_of_the_chosen_kind(
    db: Database, clock: FakeClock
) -> None:
    ksz = await add(db, clock, name="Kész Zsófia", kind=MemberKind.INTERNAL, ksz=True)
    actor = identity.Actor(ksz.id, ksz.name)
    async with db.unit() as uow:
        request = await identity.request_join(uow, 9003, "Új Ödön", None, "", clock.now())
        assert await identity.join_collision(uow, request) is None
    async with db.unit() as uow:
        _, member = await identity.decide_join(
            uow, request.id, MemberKind.INTERNAL, actor, clock.now()
        )
        assert member is not None and member.telegram_id == 9003
        assert member.kind is MemberKind.INTERNAL
        assert not (member.is_founder or member.is_ksz or member.is_st_chair)


async def test_find_member_by_partial_name(db: Database, clock: FakeClock) -> None:
    await add(
        db, clock, name="Kovács Anna", kind=MemberKind.INTERNAL, organisation="Alfa 100% Kft."
    )
    await add(db, clock, name="Kovács Béla", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        assert (await identity.find_member(uow, "béla")).name == "Kovács Béla"
        assert (await identity.find_member(uow, "100%")).name == "Kovács Anna"
        with pytest.raises(Ambiguous):
            await identity.find_member(uow, "kovács")
        with pytest.raises(NotFound):
            await identity.find_member(uow, "_")


async def test_every_change_is_audited(db: Database, clock: FakeClock) -> None:
    await add(
        db,
        clock,
        name="Napló Nándor",
        kind=MemberKind.INTERNAL,
        founder=True,
        workgroups=["Digitális"],
    )
    async with db.unit() as uow:
        actions = [
            e.action
            for e in (
                await uow.session.execute(select(AuditEntry).order_by(AuditEntry.id))
            ).scalars()
        ]
    assert actions == ["member_created", "member_changed", "workgroup_created", "workgroup_joined"]


async def test_directory_is_in_hungarian_order(db: Database, clock: FakeClock) -> None:
    for name in ["Szabó Anna", "Sánta Béla", "Csonka Pál", "Cukor Ida"]:
        await add(db, clock, name=name, kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        page, total = await uow.members.page(0, 10)
    assert total == 4
    assert [m.name for m in page] == ["Cukor Ida", "Csonka Pál", "Sánta Béla", "Szabó Anna"]


async def test_who_an_account_is_is_read_whole(db: Database, clock: FakeClock) -> None:
    """The caller cache's read: the member with their workgroups, their account and the
    workgroups they lead, for a member with or without an account and for a plain account."""
    lead = await add(db, clock, name="Vezető Vera", kind=MemberKind.INTERNAL,
                     workgroups=["Export"], catalyst_of=["Innováció", "Digitális"])  # fmt: skip
    plain = await add(db, clock, name="Tag Tamás", kind=MemberKind.INTERNAL)
    async with db.unit() as uow:
        for member, telegram_id in ((lead, 501), (plain, 502)):
            (await uow.members.get(member.id)).telegram_id = telegram_id  # type: ignore[union-attr]
        account = uow.telegram_users.refresh(None, 501, first_name="Vera", last_name=None,
                                             username="vera", language_code="de")  # fmt: skip
        account.language, account.started_at = "en", clock.now()
        uow.telegram_users.refresh(None, 503, first_name="Idegen", last_name=None,
                                   username=None, language_code="hu")  # fmt: skip
    async with db.read() as uow:
        led = {g.id for g in await uow.workgroups.all() if g.name != "Export"}
        vera = await uow.telegram_users.identity(501)
        tamas = await uow.telegram_users.identity(502)
        stranger = await uow.telegram_users.identity(503)
        nobody = await uow.telegram_users.identity(504)
    assert vera.member is not None and vera.member.name == "Vezető Vera"
    assert sorted(link.workgroup.name for link in vera.member.memberships) == [
        "Digitális", "Export", "Innováció"]  # fmt: skip
    assert vera.catalyst_of == led and len(led) == 2
    assert vera.account is not None
    assert (vera.account.language, vera.account.username, vera.account.started_at) == (
        "en", "vera", clock.now())  # fmt: skip
    assert tamas.member is not None and tamas.account is None and tamas.catalyst_of == frozenset()
    assert stranger.member is None and stranger.account is not None
    assert stranger.account.first_name == "Idegen" and stranger.catalyst_of == frozenset()
    assert nobody.member is None and nobody.account is None
