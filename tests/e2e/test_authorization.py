"""The authorisation matrix: every command by every kind of caller, through the real bot."""

from __future__ import annotations

import pytest

from fakeapi import FakeTelegram
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast

REFUSAL = "Elnézést, ez csak a következők számára elérhető"
EVERYONE = {"stranger", "external", "internal", "founder", "chair", "catalyst", "ksz"}
MEMBERS = EVERYONE - {"stranger"}

#: command -> who may use it. Written out by hand: this is the specification, not the registry.
EXPECTED: dict[str, set[str]] = {
    "start": EVERYONE,
    "help": EVERYONE,
    "nyelv": EVERYONE,
    "csatlakozas": EVERYONE,
    "profil": MEMBERS,
    "tagok": MEMBERS,
    "munkacsoportok": MEMBERS,
    "naplo": MEMBERS,
    "meghivo": {"ksz"},
    "tag": {"ksz"},
    "munkacsoport_uj": {"ksz"},
    "csoport_osszekotes": {"ksz"},
    "fo_csoport": {"ksz"},
    "katalizator": MEMBERS,
    "kesz": MEMBERS,
    "nyitott_kerdesek": {"ksz"},
    "kozlemeny": {"chair", "ksz"},
    "kozlemenyek": MEMBERS,
    "szavazas_uj": {"ksz", "chair", "founder"},
    "szavazasok": MEMBERS,
    "szavazas_reszletek": MEMBERS,
    "szavazas_lezaras": {"ksz", "chair", "founder"},
    "hatarozatok": MEMBERS,
    "megse": EVERYONE,
    "javaslat": {"founder", "chair"},
    "javaslatok": MEMBERS,
    "munkaterv": MEMBERS,
    "elorehaladas": {"catalyst", "ksz"},
    "feladat": MEMBERS,
    "munkaterv_verziok": MEMBERS,
    "munkaterv_uj": {"ksz"},
    "feladat_uj": {"ksz"},
    "feladat_modositas": {"ksz"},
    "munkaterv_szavazas": {"ksz"},
    "utemezes": {"ksz"},
}


def test_the_matrix_covers_every_command(harness: BotHarness) -> None:
    registered = {spec.name for spec in harness.app.bot_data.commands}
    assert registered == set(EXPECTED)


@pytest.mark.parametrize("command", sorted(EXPECTED))
async def test_matrix(harness: BotHarness, tg: FakeTelegram, cast: Cast, command: str) -> None:
    spec = next(s for s in harness.app.bot_data.commands if s.name == command)
    people = cast.all()
    group = tg.add_group(title="Teszt csoport", members=list(people.values()), bot_is_admin=True)
    for role, user in people.items():
        chat = group if spec.group_only else None
        for name in spec.names:
            sent = texts(await harness.send(user, f"/{name}", chat=chat))
            assert sent, f"/{name} by {role}: no answer"
            refused = any(REFUSAL in text for text in sent)
            assert refused == (role not in EXPECTED[command]), f"/{name} by {role}: {sent}"


async def test_private_only_commands_refuse_groups(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group(title="Csoport", members=[cast.ksz], bot_is_admin=True)
    [text] = texts(await harness.send(cast.ksz, "/meghivo Belső Béla", chat=group))
    assert "privát beszélgetésben" in text
    [text] = texts(await harness.send(cast.ksz, "/csoport_osszekotes Innováció"))
    assert "csoportban használja" in text
