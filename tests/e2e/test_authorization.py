"""The authorisation matrix: every command by every kind of caller, through the real bot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.services import ballots
from bot.services.roles import standing_of
from fakeapi import FakeTelegram
from storage.models.ballots import Body
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast

REFUSAL = "Elnézést, ez csak a következők számára elérhető"
EVERYONE = {"stranger", "external", "internal", "founder", "chair", "catalyst", "ksz"}
MEMBERS = EVERYONE - {"stranger"}
DAYS_3 = timedelta(days=3)

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
    # its creator (a meeting's elected chair may be any member) or the ST chair: the service
    # refuses the others by that rule
    "szavazas_lezaras": MEMBERS,
    "hatarozatok": MEMBERS,
    "erintett": MEMBERS,
    "ules_uj": {"ksz", "chair", "founder"},
    "ules_megismetelt": {"ksz", "chair", "founder"},
    "ulesek": MEMBERS,
    "jelen": MEMBERS,
    "tavozom": MEMBERS,
    "meghatalmazas": {"internal", "founder", "chair", "catalyst"},  # members with the vote
    # the meeting's chair, who may be any member it elected: the service decides
    "ules_szavazas": MEMBERS,
    "ules_zaras": MEMBERS,
    "ules_napirend": MEMBERS,
    "ules_tisztsegviselok": {"ksz", "chair", "founder"},
    "jegyzokonyv": MEMBERS,
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
    # one's own data: anyone the bot has met (members, former members, applicants) may have it
    "adataim": EVERYONE,
    "adatvedelem": EVERYONE,
    "atlathatosag": MEMBERS,
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


# --- buttons, by chat type ---------------------------------------------------------------------

KGY_ROLL = {"internal", "founder", "chair", "catalyst"}  # the active internal members
ST_ROLL = {"founder", "chair"}  # the active internal founders
NO_VOTE = "nincs szavazati joga"

#: The ballots' buttons: (button, body) -> who may use it in a private chat. In a group nobody
#: may: nothing in the group changes, and the ballot goes to the presser's private chat (with
#: the voting buttons to those on the roll, for information to the others in the debate).
BUTTONS: dict[tuple[str, str], set[str]] = {
    **{(f"vote:{a}", "kgy"): KGY_ROLL for a in "ctskbrw"},
    **{(f"vote:{a}", "st"): ST_ROLL for a in "ctskbrw"},
    ("vote:o", "kgy"): MEMBERS,
    ("vote:o", "st"): MEMBERS,
    ("deb:add", "kgy"): MEMBERS,
    ("deb:show", "kgy"): MEMBERS,
    ("deb:add", "st"): ST_ROLL,
    ("deb:show", "st"): ST_ROLL,
}
#: Who takes part in the debate of a body's ballot (and so gets its copy without the vote).
DEBATERS = {"kgy": MEMBERS, "st": ST_ROLL}


def _data(button: str, ballot: Any) -> str:
    feature, action = button.split(":")
    option = ballot.options[0].id
    args = {"c": [option], "t": [option], "k": [0]}.get(action, [])
    return ":".join([feature, action, str(ballot.id), *map(str, args)])


async def _publish(harness: BotHarness, cast: Cast, body: str) -> Any:
    """A yes/no ballot of the body, published through the service (no deliveries, no jobs)."""
    db = harness.app.bot_data.db
    author = cast.ksz if body == "kgy" else cast.founder
    async with db.unit() as uow:
        member = await uow.members.by_telegram_id(author.id)
        ballot = await ballots.publish(
            uow,
            ballots.BallotDraft(
                question="Elfogadja?", body=Body(body), deadline=harness_now(harness) + DAYS_3
            ),
            standing_of(member),
            harness_now(harness),
            yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )
    return ballot


def harness_now(harness: BotHarness) -> Any:
    return harness.app.bot_data.clock.now()


def _sent_to(calls: list[Any], chat_id: int, methods: set[str]) -> list[Any]:
    return [c for c in calls if c.method in methods and c.params.get("chat_id") == chat_id]


def _voting_keyboard(call: Any) -> bool:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any(str(b.get("callback_data", "")).startswith("vote:c:") for r in rows for b in r)


@pytest.mark.parametrize("body", ["kgy", "st"])
@pytest.mark.parametrize("chat_type", ["private", "group"])
async def test_button_matrix(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, body: str, chat_type: str
) -> None:
    ballot = await _publish(harness, cast, body)
    people = cast.all()
    group = tg.add_group(title="Fő csoport", members=list(people.values()), bot_is_admin=True)
    edits = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}
    await harness.send(cast.ksz, "/szavazasok", chat=group)
    in_group = harness.last(group)
    for (button, button_body), allowed in BUTTONS.items():
        if button_body != body:
            continue
        for role, user in people.items():
            where = in_group
            if chat_type == "private":  # a fresh message to press (an edit must change it)
                await harness.send(user, "/szavazasok")
                where = harness.last(user)
            calls = await harness.press(user, where, _data(button, ballot), forge=True)
            said = " | ".join(answers(calls) + texts(calls))
            refused = REFUSAL in said or NO_VOTE in said
            label = f"{button} ({body}) by {role} in a {chat_type} chat: {said}"
            if chat_type == "private":
                assert refused == (role not in allowed), label
                continue
            assert not _sent_to(calls, group.id, edits), label  # the group never changes
            private = _sent_to(calls, user.id, {"sendMessage"})
            on_roll = role in (KGY_ROLL if body == "kgy" else ST_ROLL)
            assert any(_voting_keyboard(c) for c in private) == on_roll, label
            assert bool(private) == (on_roll or role in DEBATERS[body]), label
            assert refused == (role not in DEBATERS[body]), label
    if chat_type == "group":  # and nobody voted
        async with harness.app.bot_data.db.unit() as uow:
            assert await uow.ballots.turnout(ballot.id) == 0
