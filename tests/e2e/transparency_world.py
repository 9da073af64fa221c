"""A cluster with something to show on the transparency page: a closed secret ballot in the
register, a closed open-vote ballot, an open ballot half voted, a work plan; shared by the API
test and the browser test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.clock import FakeClock
from bot.services.initdata import sign, user_fields
from bot.services.roles import standing_of
from fakeapi import FakeUser
from storage.db import Database
from storage.models.ballots import Ballot
from tests.e2e.harness import TOKEN
from tests.e2e.people import Cast
from tests.workplans import import_plan

PLAN = (
    "cím;felelős;határidő;állapot;készültség;leírás\n"
    "Piackutatás;Innováció;2026.12.08;folyamatban;40;Kérdőív a <tagoknak>\n"
    "Pályázatfigyelés;KSz;2027.01.15;;;\n"
    "Honlap megújítása;Innováció;2027.03.31;folyamatban;80;\n"
    "Éves beszámoló;KSz;2026.11.20;folyamatban;10;\n"
)
LABELS = ("Igen", "Nem", "Tartózkodom")
VOTERS = ("internal", "founder", "chair", "catalyst")


@dataclass
class World:
    secret_adopted: Ballot
    open_ballot: Ballot
    rejected: Ballot


def init_data(user: FakeUser, clock: FakeClock, *, language: str | None = "hu") -> str:
    """initData as Telegram signs it for ``user`` at the clock's time."""
    return sign(user_fields(user.id, user.first_name, clock.now(), language), TOKEN)


async def _ballot(
    db: Database, clock: FakeClock, cast: Cast, question: str, votes: str, *, secret: bool = False
) -> Ballot:
    """A Közgyűlés yes/no ballot for a week, published by the KSz, with ``votes`` cast."""
    draft = BallotDraft(question=question, secret=secret, deadline=clock.now() + timedelta(days=7))
    async with db.unit() as uow:
        author = await uow.members.by_telegram_id(cast.ksz.id)
        ballot = await ballots.publish(
            uow, draft, standing_of(author), clock.now(),
            yes_no_labels=LABELS, abstain_label=LABELS[2],
        )  # fmt: skip
    await _vote(db, clock, cast, ballot, votes)
    return ballot


async def _vote(db: Database, clock: FakeClock, cast: Cast, ballot: Ballot, choices: str) -> None:
    """``choices``: one letter per voter of ``VOTERS`` (y, n, a; '-' does not vote)."""
    for role, choice in zip(VOTERS, choices, strict=True):
        if choice == "-":
            continue
        async with db.unit() as uow:
            member = await uow.members.by_telegram_id(getattr(cast, role).id)
            assert member is not None
            option = ballot.options["yna".index(choice)].id
            await ballots.cast_vote(uow, ballot.id, member.id, [option], clock.now())


async def _close(db: Database, clock: FakeClock, ballot: Ballot) -> None:
    async with db.unit() as uow:
        await ballots.close(uow, ballot.id, clock.now(), "KSz", ZoneInfo("Europe/Budapest"))


async def build(db: Database, clock: FakeClock, cast: Cast) -> World:
    """The ballots and the plan (the clock does not move)."""
    secret = await _ballot(
        db, clock, cast, "Elfogadja a Közgyűlés a 2027. évi költségvetést?", "yyyn", secret=True
    )
    rejected = await _ballot(db, clock, cast, "Költözzön a klaszter irodája Győrbe?", "nny-")
    await _close(db, clock, secret)
    await _close(db, clock, rejected)
    opened = await _ballot(
        db, clock, cast, "Csatlakozzon a klaszter a regionális innovációs hálózathoz?", "y---"
    )
    await import_plan(db, clock, PLAN)
    return World(secret, opened, rejected)
