"""Announcement rules and the outbox against a real database (SQLite, or PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.services import announcements, identity
from bot.services.announcements import (
    Audience,
    AudienceGroup,
    Content,
    DeliveryState,
    MediaKind,
)
from bot.services.clock import FakeClock
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.roles import Permission, Standing, standing_of
from storage.db import Database
from storage.models import MemberKind
from storage.models.announcements import AnnouncementDelivery, AnnouncementKind

OPERATIONAL = AnnouncementKind.OPERATIONAL
STRATEGIC = AnnouncementKind.STRATEGIC


async def member(
    db: Database, clock: FakeClock, name: str, telegram_id: int | None, **kw: object
) -> Standing:
    async with db.unit() as uow:
        outcome = await identity.upsert_member(
            uow,
            MemberSpec(name, kw.pop("kind", MemberKind.INTERNAL), **kw),  # type: ignore[arg-type]
            CLI_ACTOR,
            clock.now(),
        )
        outcome.member.telegram_id = telegram_id
        await uow.flush()
        fresh = await uow.members.get(outcome.member.id)
        return standing_of(fresh, await uow.workgroups.led_ids(outcome.member.id))


def content(text: str = "Holnap 10-kor közgyűlés.") -> Content:
    html = f"<b>Közlemény</b>\n\n{text}"
    return Content(text=text, message_html=html, length=len(html) - 7)


@pytest.fixture
async def cluster(db: Database, clock: FakeClock) -> dict[str, Standing]:
    """KSz, chair, a founder, voters, externals, a catalyst, one without an account, one
    inactive."""
    people = {
        "ksz": await member(db, clock, "Menedzser Márta", 501, kind=MemberKind.EXTERNAL, ksz=True),
        "chair": await member(db, clock, "Elnök Emese", 502, founder=True, st_chair=True),
        "founder": await member(db, clock, "Alapító Aladár", 503, founder=True),
        "voter": await member(db, clock, "Belső Béla", 504, workgroups=["Export"]),
        "external": await member(
            db, clock, "Külső Kata", 505, kind=MemberKind.EXTERNAL, workgroups=["Export"]
        ),
        "catalyst": await member(db, clock, "Katalizátor Kálmán", 506, catalyst_of=["Innováció"]),
        "offline": await member(db, clock, "Fiók Nélküli Ferenc", None, workgroups=["Export"]),
        "gone": await member(db, clock, "Inaktív Ildikó", 508),
    }
    async with db.unit() as uow:
        gone = await uow.members.get(people["gone"].member_id or 0)
        assert gone is not None
        gone.is_active = False
    return people


async def workgroup_id(db: Database, name: str) -> int:
    async with db.unit() as uow:
        group = await uow.workgroups.by_name(name)
        assert group is not None
        return group.id


async def rows(db: Database, announcement_id: int) -> dict[str, DeliveryState]:
    async with db.unit() as uow:
        result = await uow.session.execute(
            select(AnnouncementDelivery.member_name, AnnouncementDelivery.state).where(
                AnnouncementDelivery.announcement_id == announcement_id
            )
        )
        return {name: DeliveryState(state) for name, state in result.all()}


def test_kinds_follow_the_offices(cluster: dict[str, Standing]) -> None:
    assert announcements.kinds_for(cluster["ksz"]) == [OPERATIONAL]
    assert announcements.kinds_for(cluster["chair"]) == [STRATEGIC]
    assert announcements.kinds_for(cluster["voter"]) == []
    both = Standing(member_id=1, is_active=True, is_ksz=True, is_st_chair=True)
    assert announcements.kinds_for(both) == [OPERATIONAL, STRATEGIC]
    with pytest.raises(NotAllowed) as refused:
        announcements.check_kind(cluster["ksz"], STRATEGIC)
    assert refused.value.permission == Permission.ST_CHAIR
    with pytest.raises(NotAllowed) as refused:
        announcements.check_kind(cluster["chair"], OPERATIONAL)
    assert refused.value.permission == Permission.KSZ


def test_length_limits() -> None:
    announcements.check_length(4096, has_media=False)
    announcements.check_length(1024, has_media=True)
    with pytest.raises(InvalidInput) as err:
        announcements.check_length(0, has_media=False)
    assert (err.value.field, err.value.reason) == ("text", "empty")
    with pytest.raises(InvalidInput) as err:
        announcements.check_length(1025, has_media=True)
    assert (err.value.field, err.value.reason, err.value.limit) == ("caption", "too_long", 1024)
    with pytest.raises(InvalidInput) as err:
        announcements.check_length(4000, has_media=False, overhead=100)
    assert err.value.limit == 3996
    assert announcements.utf16_length("😀é") == 3


async def test_audiences_are_deduplicated_and_active_only(
    db: Database, cluster: dict[str, Standing]
) -> None:
    export = await workgroup_id(db, "Export")
    cases = {
        Audience(frozenset({AudienceGroup.ALL})): (6, 1),
        Audience(frozenset({AudienceGroup.VOTERS})): (4, 1),
        Audience(frozenset({AudienceGroup.EXTERNAL})): (2, 0),
        Audience(frozenset({AudienceGroup.ST})): (2, 0),
        Audience(frozenset({AudienceGroup.CATALYSTS})): (1, 0),
        Audience(workgroup_ids=frozenset({export})): (2, 1),
        # Külső Kata is external and in Export: counted once
        Audience(frozenset({AudienceGroup.EXTERNAL}), frozenset({export})): (3, 1),
        Audience(frozenset(AudienceGroup), frozenset({export})): (6, 1),
    }
    async with db.unit() as uow:
        for audience, expected in cases.items():
            counted = await announcements.preview(uow, audience)
            assert (counted.recipients, counted.without_account) == expected, audience
    assert counted.names_without_account == ["Fiók Nélküli Ferenc"]


async def test_create_fills_the_outbox_in_one_go(
    db: Database, clock: FakeClock, cluster: dict[str, Standing]
) -> None:
    export = await workgroup_id(db, "Export")
    audience = Audience(frozenset({AudienceGroup.ST}), frozenset({export}))
    async with db.unit() as uow:
        created = await announcements.create(
            uow, cluster["ksz"], OPERATIONAL, content(), audience, clock.now()
        )
    assert await rows(db, created.id) == {
        "Elnök Emese": DeliveryState.QUEUED,
        "Alapító Aladár": DeliveryState.QUEUED,
        "Belső Béla": DeliveryState.QUEUED,
        "Külső Kata": DeliveryState.QUEUED,
        "Fiók Nélküli Ferenc": DeliveryState.NO_ACCOUNT,
    }
    assert created.audience == {
        "groups": ["st"],
        "workgroups": [{"id": export, "name": "Export"}],
    }
    assert created.author_name == "Menedzser Márta"


async def test_who_may_send_what(
    db: Database, clock: FakeClock, cluster: dict[str, Standing]
) -> None:
    everyone = Audience(frozenset({AudienceGroup.ALL}))
    async with db.unit() as uow:
        with pytest.raises(NotAllowed):
            await announcements.create(
                uow, cluster["ksz"], STRATEGIC, content(), everyone, clock.now()
            )
        with pytest.raises(NotAllowed):
            await announcements.create(
                uow, cluster["chair"], OPERATIONAL, content(), everyone, clock.now()
            )
        with pytest.raises(NotAllowed):
            await announcements.create(
                uow, cluster["founder"], OPERATIONAL, content(), everyone, clock.now()
            )
        with pytest.raises(InvalidInput) as err:
            await announcements.create(
                uow, cluster["ksz"], OPERATIONAL, content(), Audience(), clock.now()
            )
        assert (err.value.field, err.value.reason) == ("audience", "empty")
        with pytest.raises(InvalidInput) as err:
            await announcements.create(
                uow, cluster["ksz"], OPERATIONAL, content("   "), everyone, clock.now()
            )
        assert err.value.reason == "empty"
        long = Content(
            text="x" * 1100,
            message_html="x" * 1100,
            length=1100,
            media_kind=MediaKind.PHOTO,
            file_id="AgACfake",
        )
        with pytest.raises(InvalidInput) as err:
            await announcements.create(
                uow, cluster["ksz"], OPERATIONAL, long, everyone, clock.now()
            )
        assert (err.value.field, err.value.reason) == ("caption", "too_long")
        created = await announcements.create(
            uow, cluster["chair"], STRATEGIC, content(), everyone, clock.now()
        )
    assert created.kind is STRATEGIC
    async with db.unit() as uow:
        total = await uow.session.scalar(select(func.count()).select_from(AnnouncementDelivery))
    assert total == 7  # nothing half-saved from the refused ones


async def test_claim_record_resume_finish(
    db: Database, clock: FakeClock, cluster: dict[str, Standing]
) -> None:
    everyone = Audience(frozenset({AudienceGroup.ALL}))
    async with db.unit() as uow:
        created = await announcements.create(
            uow, cluster["ksz"], OPERATIONAL, content(), everyone, clock.now()
        )
    aid = created.id
    async with db.unit() as uow:
        first = await announcements.claim(uow, aid, 4, clock.now())
    async with db.unit() as uow:
        second = await announcements.claim(uow, aid, 4, clock.now())
    assert len(first) == 4 and len(second) == 2
    assert not {c.delivery_id for c in first} & {c.delivery_id for c in second}
    assert all(c.telegram_id for c in first + second)
    async with db.unit() as uow:
        assert await announcements.claim(uow, aid, 4, clock.now()) == []
        assert not await announcements.finish(uow, aid, clock.now())
    # two results are recorded, then the process "dies": the other four stay "sending"
    async with db.unit() as uow:
        await announcements.record(uow, first[0], DeliveryState.SENT, None, clock.now())
        await announcements.record(
            uow, first[1], DeliveryState.BLOCKED, "Forbidden: bot was blocked", clock.now()
        )
    async with db.unit() as uow:
        account = await uow.telegram_users.get(first[1].telegram_id)
        assert account is not None and account.blocked_at == clock.now()
    async with db.unit() as uow:
        assert await announcements.resume(uow) == [aid]
    async with db.unit() as uow:
        again = await announcements.claim(uow, aid, 10, clock.now())
    assert {c.delivery_id for c in again} == {c.delivery_id for c in first[2:] + second}
    async with db.unit() as uow:
        for claimed in again:
            await announcements.record(uow, claimed, DeliveryState.SENT, None, clock.now())
        assert await announcements.finish(uow, aid, clock.now())
        rep = await announcements.report(uow, aid)
    assert rep.counts == {
        DeliveryState.SENT: 5,
        DeliveryState.BLOCKED: 1,
        DeliveryState.NO_ACCOUNT: 1,
    }
    assert [(name, state) for name, state, _ in rep.unreachable] == [
        (n, s)
        for n, s in sorted(
            [
                (name, state)
                for name, state in (await rows(db, aid)).items()
                if state in (DeliveryState.BLOCKED, DeliveryState.NO_ACCOUNT)
            ],
            key=lambda p: p[0],
        )
    ]
    assert rep.unreachable_total == 2
    async with db.unit() as uow:
        await announcements.mark_reported(uow, aid, clock.now())
        assert await announcements.resume(uow) == []


async def test_release_gives_unsent_claims_back(
    db: Database, clock: FakeClock, cluster: dict[str, Standing]
) -> None:
    async with db.unit() as uow:
        created = await announcements.create(
            uow,
            cluster["ksz"],
            OPERATIONAL,
            content(),
            Audience(frozenset({AudienceGroup.ST})),
            clock.now(),
        )
        claims = await announcements.claim(uow, created.id, 10, clock.now())
        await announcements.release(uow, claims)
    assert set((await rows(db, created.id)).values()) == {DeliveryState.QUEUED}


async def test_history_shows_members_what_was_addressed_to_them(
    db: Database, clock: FakeClock, cluster: dict[str, Standing]
) -> None:
    async with db.unit() as uow:
        to_st = await announcements.create(
            uow,
            cluster["chair"],
            STRATEGIC,
            content("Csak az ST-nek."),
            Audience(frozenset({AudienceGroup.ST})),
            clock.now(),
        )
        clock.advance(minutes=5)
        to_all = await announcements.create(
            uow,
            cluster["ksz"],
            OPERATIONAL,
            content("Mindenkinek."),
            Audience(frozenset({AudienceGroup.ALL})),
            clock.now(),
        )
    async with db.unit() as uow:
        seen, total = await announcements.history(uow, cluster["voter"], 0, 10)
        assert [s.announcement.id for s in seen] == [to_all.id] and total == 1
        seen, total = await announcements.history(uow, cluster["founder"], 0, 10)
        assert [s.announcement.id for s in seen] == [to_all.id, to_st.id]
        seen, total = await announcements.history(uow, cluster["ksz"], 0, 1)
        assert [s.announcement.id for s in seen] == [to_all.id] and total == 2
        assert seen[0].counts == {DeliveryState.QUEUED: 6, DeliveryState.NO_ACCOUNT: 1}
        with pytest.raises(NotAllowed):
            await announcements.history(uow, replace(cluster["gone"], is_active=False), 0, 10)
