"""A cluster where one member, Torlendő Teréz, has left traces in every feature (a join request,
an invitation, a workgroup, open and secret votes, an election she stood in, comments, a
proposal comment, an announcement received, a question to the katalizátor, outbox rows), and the
others have left theirs beside hers. The privacy tests export and erase her."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import courier
from bot.services import announcements, ballots, identity, proposals, routing, workplan
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, Actor, MemberSpec
from bot.services.roles import standing_of
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from storage.db import Database, UnitOfWork
from storage.models import Member, MemberKind
from storage.models.announcements import AudienceGroup
from storage.models.ballots import BallotKind

TZ = ZoneInfo("Europe/Budapest")
LABELS = ("Igen", "Nem", "Tartózkodom")


@dataclass(frozen=True)
class Someone:
    """A member's identifying data, as the tests look for it."""

    name: str
    telegram_id: int
    first: str
    last: str
    username: str
    organisation: str
    #: texts only this person wrote
    texts: tuple[str, ...] = ()

    def strings(self) -> list[str]:
        return [self.name, f"{self.first} {self.last}", self.username, self.organisation]


TEREZ = Someone(
    "Torlendő Teréz", 735926481, "Teréz", "Torlendő", "teri_torlendo", "Titok Kft.",
    ("Teréz kérdése a piackutatásról", "Teréz hozzászólása a vitában",
     "Teréz megjegyzése a javaslathoz", "Teréz bemutatkozása"),
)  # fmt: skip
MARTON = Someone(
    "Marad Márton", 846031592, "Márton", "Marad", "marad_marton", "Megmarad Bt.",
    ("Márton kérdése a költségvetésről", "Márton hozzászólása a vitában",
     "Márton megjegyzése a javaslathoz"),
)  # fmt: skip
KALMAN = Someone(
    "Katalizátor Kálmán",
    957142603,
    "Kálmán",
    "Katalizátor",
    "kalman_kat",
    "Kat Kft.",
    ("Kálmán válasza Teréznek",),
)
EMESE = Someone("Elnök Emese", 168253714, "Emese", "Elnök", "elnok_emese", "Elnök Zrt.")
IDA = Someone("Idegen Ida", 279364825, "Ida", "Idegen", "idegen_ida", "", ("Ida bemutatkozása",))


@dataclass
class World:
    """Ids of what was made."""

    members: dict[str, int] = field(default_factory=dict)
    ballots: dict[str, int] = field(default_factory=dict)
    resolutions: dict[str, int] = field(default_factory=dict)
    workgroup: int = 0
    proposal: int = 0


async def _account(uow: UnitOfWork, who: Someone, clock: FakeClock) -> None:
    user = await uow.telegram_users.upsert(
        who.telegram_id, first_name=who.first, last_name=who.last, username=who.username,
        language_code="hu",
    )  # fmt: skip
    user.started_at = clock.now()


async def _member(uow: UnitOfWork, who: Someone, clock: FakeClock, **spec: object) -> Member:
    await _account(uow, who, clock)
    outcome = await identity.upsert_member(
        uow, MemberSpec(who.name, MemberKind.INTERNAL, organisation=who.organisation, **spec),  # type: ignore[arg-type]
        CLI_ACTOR, clock.now(),
    )  # fmt: skip
    outcome.member.telegram_id = who.telegram_id
    await uow.flush()
    return outcome.member


async def _ballot(
    uow: UnitOfWork, ksz: Member, clock: FakeClock, question: str, **draft: object
) -> int:
    ballot = await ballots.publish(
        uow,
        ballots.BallotDraft(question=question, deadline=clock.now() + timedelta(days=3), **draft),  # type: ignore[arg-type]
        standing_of(ksz), clock.now(), yes_no_labels=LABELS, abstain_label="Tartózkodom",
    )  # fmt: skip
    return ballot.id


async def _vote(uow: UnitOfWork, ballot_id: int, member_id: int, label: str, now: object) -> None:
    ballot = await uow.ballots.get(ballot_id)
    assert ballot is not None
    option = next(o.id for o in ballot.options if o.label == label)
    await ballots.cast_vote(uow, ballot_id, member_id, [option], now)  # type: ignore[arg-type]


async def build(db: Database, clock: FakeClock) -> World:
    """The cluster, with Teréz's traces everywhere."""
    world = World()
    now = clock.now()
    async with db.unit() as uow:
        marton = await _member(uow, MARTON, clock, ksz=True)
        kalman = await _member(uow, KALMAN, clock, catalyst_of=["Innováció"])
        emese = await _member(uow, EMESE, clock, founder=True, st_chair=True)
        group = await uow.workgroups.by_name("Innováció")
        assert group is not None
        world.workgroup = group.id
        # Teréz asks to join (a stranger), Márton approves; Ida is rejected
        for who in (TEREZ, IDA):
            await _account(uow, who, clock)
            await identity.request_join(
                uow, who.telegram_id, who.name, who.username, who.texts[-1], now
            )
        ksz = Actor(marton.id, marton.name)
        [terez_request] = [r for r in await _pending(uow) if r.telegram_id == TEREZ.telegram_id]
        [ida_request] = [r for r in await _pending(uow) if r.telegram_id == IDA.telegram_id]
        for request in (terez_request, ida_request):  # the KSz's cards, as the bot queues them
            await courier.enqueue(uow, [courier.row(
                f"join:{request.id}", marton.telegram_id or 0,
                f"Csatlakozási kérelem: {request.full_name}\n{request.note}", now,
                member_id=marton.id,
            )])  # fmt: skip
        _request, terez = await identity.decide_join(
            uow, terez_request.id, MemberKind.INTERNAL, ksz, now
        )
        await identity.decide_join(uow, ida_request.id, None, ksz, now)
        assert terez is not None
        await identity.upsert_member(
            uow, MemberSpec(TEREZ.name, organisation=TEREZ.organisation), ksz, now
        )
        await identity.issue_invitation(uow, terez, ksz, now, timedelta(hours=72))
        for member in (terez, marton):
            await identity.join_workgroup(uow, group, member, ksz, now)
        world.members = {
            "terez": terez.id, "marton": marton.id, "kalman": kalman.id, "emese": emese.id
        }  # fmt: skip
    await _ballots(db, clock, world)
    await _conversations(db, clock, world)
    return world


async def _pending(uow: UnitOfWork) -> list[object]:
    from sqlalchemy import select

    from storage.models import JoinRequest

    return list((await uow.session.execute(select(JoinRequest))).scalars())


async def _ballots(db: Database, clock: FakeClock, world: World) -> None:
    ids = world.members
    async with db.unit() as uow:
        marton = await uow.members.get(ids["marton"])
        assert marton is not None
        b = world.ballots
        b["open"] = await _ballot(uow, marton, clock, "Elfogadja a Közgyűlés a beszámolót?")
        b["secret"] = await _ballot(uow, marton, clock, "Titkos kérdés?", secret=True)
        b["election"] = await _ballot(
            uow, marton, clock, "Ki legyen a munkacsoport szóvivője?",
            kind=BallotKind.SINGLE, options=[TEREZ.name, MARTON.name],
        )  # fmt: skip
        b["still_open"] = await _ballot(uow, marton, clock, "Nyitva marad?")
        b["not_voted"] = await _ballot(uow, marton, clock, "Erre nem szavazott?")
        now = clock.now()
        votes = {
            "open": {"terez": "Igen", "marton": "Nem", "kalman": "Igen"},
            "secret": {"terez": "Nem", "marton": "Nem", "kalman": "Igen"},
            "election": {"terez": TEREZ.name, "marton": TEREZ.name, "kalman": MARTON.name},
            "still_open": {"terez": "Igen", "marton": "Igen"},
        }
        for ballot, choices in votes.items():
            for who, label in choices.items():
                await _vote(uow, b[ballot], ids[who], label, now)
        for who, author in (("terez", TEREZ), ("marton", MARTON)):
            member = await uow.members.get(ids[who])
            await ballots.add_comment(uow, b["open"], standing_of(member), author.texts[1], now)
        await ballots.add_comment(
            uow, b["open"], standing_of(marton), f"Egyetértek: {TEREZ.name} jól látja.", now
        )
    clock.advance(days=4)
    async with db.unit() as uow:
        for key in ("open", "secret", "election"):
            closing = await ballots.close(uow, b[key], clock.now(), "", TZ)
            assert closing is not None
            if closing.resolution is not None:
                world.resolutions[key] = closing.resolution.id
    assert set(world.resolutions) == {"open", "election"}


async def _conversations(db: Database, clock: FakeClock, world: World) -> None:
    ids = world.members
    now = clock.now()
    async with db.unit() as uow:
        terez, marton, kalman, emese = [
            await uow.members.get(ids[k]) for k in ("terez", "marton", "kalman", "emese")
        ]
        assert terez and marton and kalman and emese
        group = await uow.workgroups.get(world.workgroup)
        assert group is not None
        # questions to the katalizátor, and his answer to Teréz
        for member, author in ((terez, TEREZ), (marton, MARTON)):
            routed = await routing.record_question(
                uow, member, group, origin_chat_id=author.telegram_id, origin_message_id=7,
                in_group=False, kind="text", body_html=author.texts[0], now=now,
            )  # fmt: skip
            if member is terez:
                delivery = routed.deliveries[0]
                await routing.mark_delivered(uow, delivery.id, KALMAN.telegram_id, [70], now)
                copy = await uow.routing.copy(KALMAN.telegram_id, 70)
                assert copy is not None
                await routing.record_answer(
                    uow, copy, kalman, origin_chat_id=KALMAN.telegram_id, origin_message_id=9,
                    kind="text", body_html=KALMAN.texts[0], now=now,
                )  # fmt: skip
        # a proposal in discussion, with comments
        proposal = await proposals.draft(uow, standing_of(emese), "Stratégia | Szöveg", now)
        await proposals.submit(uow, proposal.id, standing_of(emese), now, 7)
        world.proposal = proposal.id
        for member, author in ((terez, TEREZ), (marton, MARTON)):
            await proposals.comment(
                uow, proposal.id, Actor(member.id, member.name), author.texts[2], now
            )
        # an announcement to everyone, and messages the bot queued for each
        await announcements.create(
            uow, standing_of(marton), announcements.AnnouncementKind.OPERATIONAL,
            announcements.Content("Közlemény", "<b>Közlemény</b>", 9),
            announcements.Audience(frozenset({AudienceGroup.ALL})), now,
        )  # fmt: skip
        for who in (TEREZ, MARTON):
            await courier.enqueue(
                uow, [courier.row("test:hello", who.telegram_id, f"Szia {who.first}!", now)]
            )
        # a work plan: Kálmán reports progress
        tasks = await import_tasks(
            uow, parse_tasks_csv("cím;felelős;határidő\nPiackutatás;Innováció;2027.01.15\n"
                                 .encode()),
            Actor(marton.id, marton.name), now, period="2027", title="Terv",
        )  # fmt: skip
        await workplan.report_progress(
            uow, tasks.tasks[0].id, standing_of(kalman, [group.id]), 30, "jól halad", now, TZ
        )
