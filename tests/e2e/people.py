"""A small cluster with one member of every kind, bound to fake Telegram users."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import identity
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec
from fakeapi import FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind


@dataclass
class Cast:
    """One Telegram user for every kind of caller (the stranger has no member)."""

    stranger: FakeUser
    external: FakeUser
    internal: FakeUser
    founder: FakeUser
    chair: FakeUser
    catalyst: FakeUser
    ksz: FakeUser

    def all(self) -> dict[str, FakeUser]:
        return dict(vars(self))


SPECS = {
    "external": MemberSpec("Külső Kata", MemberKind.EXTERNAL, organisation="Gamma Bt."),
    "internal": MemberSpec("Belső Béla", MemberKind.INTERNAL, organisation="Béta Zrt."),
    "founder": MemberSpec("Alapító Aladár", MemberKind.INTERNAL, founder=True),
    "chair": MemberSpec("Elnök Emese", MemberKind.INTERNAL, founder=True, st_chair=True),
    "catalyst": MemberSpec("Katalizátor Kálmán", MemberKind.INTERNAL, catalyst_of=["Innováció"]),
    "ksz": MemberSpec("Menedzser Márta", MemberKind.EXTERNAL, ksz=True),
}


async def bind(db: Database, clock: FakeClock, user: FakeUser, spec: MemberSpec) -> int:
    """Create the member and bind the user's account to it; returns the member id."""
    async with db.unit() as uow:
        outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, clock.now())
        outcome.member.telegram_id = user.id
        return outcome.member.id


async def make_cast(db: Database, clock: FakeClock, tg: FakeTelegram) -> Cast:
    users: dict[str, FakeUser] = {"stranger": tg.add_user(first_name="Idegen", last_name="Ida")}
    for role, spec in SPECS.items():
        family, given = spec.name.split(" ", 1)
        user = tg.add_user(first_name=given, last_name=family, language_code="hu")
        await bind(db, clock, user, spec)
        users[role] = user
    for user in users.values():
        tg.message(user, "/start")  # every cast member has started the bot
    return Cast(**users)
