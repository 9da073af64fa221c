"""The authorisation matrix of every button: each (feature, action) by each kind of caller, in a
private chat and in a group chat, through the real bot.

The specification is written out by hand in ``BUTTONS``; ``test_the_matrix_covers_every_button``
reads the handlers' ``decode(..., Feature.X, {actions})`` calls, so a new feature or action
without an entry here fails the suite.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import bot.handlers
from bot.callbacks import Feature
from bot.services import ballots, identity, proposals, routing, workplan
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.roles import standing_of
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from fakeapi import ApiCall, FakeChat, FakeTelegram, FakeUser
from storage.models import Base, MemberKind
from storage.models.ballots import Body
from storage.models.routing import RoutingThread, ThreadStatus
from tests.e2e.harness import BotHarness
from tests.e2e.people import Cast

EVERYONE = frozenset({"stranger", "external", "internal", "founder", "chair", "catalyst", "ksz"})
MEMBERS = EVERYONE - {"stranger"}
KSZ = frozenset({"ksz"})
KGY_ROLL = frozenset({"internal", "founder", "chair", "catalyst"})
ST = frozenset({"founder", "chair"})
REPORTERS = frozenset({"catalyst", "ksz"})  # the Innováció task: its katalizátor, and the KSz
ANNOUNCERS = frozenset({"chair", "ksz"})
CREATORS = frozenset({"founder", "chair", "ksz"})
STALE = "Ez a gomb már nem érvényes."

#: Pressed in a group, the button acts there as in a private chat (paging a list the group sees).
SAME = "same"
#: Pressed in a group, nothing in the group (nor in the database) changes: a refusal as an alert,
#: or the answer in the presser's private chat.
PRIVATE = "private"


@dataclass(frozen=True)
class Button:
    """Who may press it in a private chat, what a group press does, and what "may" looks like."""

    private: frozenset[str]
    group: str = PRIVATE
    #: The answer of an allowed press: "ok" (it acted) or "stale" (no draft to act on, so a
    #: polite "no longer valid": the right was granted, the button was old).
    allowed: str = "ok"
    #: In a group, the allowed presser gets the answer in the private chat.
    to_private: bool = False
    #: In a group, who gets the answer privately (default: those allowed in a private chat).
    privately: frozenset[str] | None = None


#: (feature, action) -> the specification. Written out by hand: this is the rule, not the code.
BUTTONS: dict[tuple[Feature, str], Button] = {
    (Feature.LANGUAGE, "set"): Button(EVERYONE, SAME),
    (Feature.DIRECTORY, "page"): Button(MEMBERS, SAME),
    (Feature.DIRECTORY, "csv"): Button(KSZ, to_private=True),
    (Feature.AUDIT, "page"): Button(MEMBERS, SAME),
    (Feature.JOIN, "ok"): Button(KSZ),
    (Feature.JOIN, "no"): Button(KSZ),
    **{
        (Feature.MEMBER, a): Button(KSZ)
        for a in ("kind", "founder", "ksz", "chair", "active", "groups", "invite", "do", "card")
    },
    **{(Feature.MEMBER_GROUPS, a): Button(KSZ) for a in ("join", "leave", "cat", "uncat", "back")},
    # Writing to Innováció's katalizátor: its members (Belső Béla joined it) and its katalizátor.
    (Feature.ROUTING, "wg"): Button(frozenset({"internal", "catalyst"})),
    (Feature.ROUTING, "ksz"): Button(frozenset({"catalyst", "ksz"})),
    (Feature.ROUTING, "ok"): Button(frozenset({"catalyst", "ksz"})),
    # The ballot wizard's buttons act only inside a running /szavazas_uj, which starts only in a
    # private chat (its steps are tracked per chat): outside it, "no longer valid".
    **{
        (Feature.NEW_BALLOT, a): Button(CREATORS, allowed="stale")
        for a in ("set", "maj", "quo", "sec", "chg", "proc", "pub", "cancel")
    },
    # Voting (see also test_authorization.py::test_button_matrix for both bodies).
    # In a group every member gets the ballot privately (those on the roll with the buttons):
    # they all take part in a Közgyűlés ballot's debate.
    **{(Feature.VOTE, a): Button(KGY_ROLL, to_private=True, privately=MEMBERS) for a in "ctkbr"},
    # Submitting a multiple choice with nothing ticked, withdrawing with no vote: the voter gets
    # a polite rule answer (the roll is told from the rest in test_authorization.py).
    **{
        (Feature.VOTE, a): Button(KGY_ROLL, allowed="refused", to_private=True, privately=MEMBERS)
        for a in "sw"
    },
    # Asking for a meeting: only under a decision without a meeting (Ptk. 3:20); the world's
    # ballot is an ordinary one, so the roll gets the polite rule answer, the rest a refusal.
    **{
        (Feature.VOTE, a): Button(KGY_ROLL, allowed="refused", to_private=True, privately=MEMBERS)
        for a in "mq"
    },
    # A proxy holder's vote for the member they represent at a meeting: the world's ballot is
    # an ordinary one with nobody represented, so the roll gets the rule's answer (no vote for
    # another), the rest a refusal; test_meeting_proxies.py casts through it.
    (Feature.VOTE, "p"): Button(KGY_ROLL, allowed="refused", to_private=True, privately=MEMBERS),
    (Feature.VOTE, "o"): Button(MEMBERS, to_private=True),
    (Feature.DEBATE, "add"): Button(MEMBERS, to_private=True),
    (Feature.DEBATE, "show"): Button(MEMBERS, to_private=True),
    # Closing a ballot early: its creator (the KSz here) or the ST chair, never from a group.
    **{(Feature.CLOSE_BALLOT, a): Button(frozenset({"chair", "ksz"})) for a in ("ask", "ok", "no")},
    (Feature.REGISTER, "page"): Button(MEMBERS, SAME),
    (Feature.REGISTER, "csv"): Button(KSZ, to_private=True),
    (Feature.REGISTER, "md"): Button(KSZ, to_private=True),
    (Feature.PROPOSAL, "show"): Button(MEMBERS, SAME),
    (Feature.PROPOSAL, "st"): Button(ST, SAME),  # a decision of the ST, public anyway
    (Feature.PROPOSAL, "submit"): Button(frozenset({"chair"}), SAME),
    (Feature.PROPOSAL, "comment"): Button(MEMBERS),
    # The announcement wizard's buttons: outside a draft the announcers get "no longer valid".
    **{
        (Feature.ANNOUNCE, a): Button(ANNOUNCERS, allowed="stale")
        for a in ("aud", "wg", "next", "kind", "main", "send", "cancel")
    },
    (Feature.ANNOUNCEMENTS, "page"): Button(MEMBERS, SAME),
    (Feature.WORKPLAN, "f"): Button(MEMBERS, SAME),
    (Feature.PROGRESS, "t"): Button(REPORTERS),
    (Feature.PROGRESS, "s"): Button(REPORTERS),
    (Feature.PROGRESS_NOTE, "n"): Button(REPORTERS),
    # Erasing a member's data (Tag Tamás, a founder but no office holder): the KSz, privately.
    # Confirming the minutes: the service lets only the meeting's elected authenticators (the
    # world has no closed meeting, so every member gets the rule's answer; test_meetings.py
    # confirms through it).
    (Feature.MINUTES, "ok"): Button(MEMBERS, allowed="refused"),
    # Revoking one's proxy: the members with the vote, privately (the world has no proxy, so
    # they get the rule's answer; test_meeting_proxies.py revokes through it).
    (Feature.PROXY, "rv"): Button(KGY_ROLL, allowed="refused"),
    (Feature.ERASE, "ask"): Button(KSZ),
    (Feature.ERASE, "ok"): Button(KSZ),
}


# --- the coverage check ----------------------------------------------------------------------


def _set_literal(node: ast.AST, names: dict[str, ast.AST]) -> set[str]:
    if isinstance(node, ast.Name):
        node = names[node.id]
    if isinstance(node, ast.Call):  # frozenset({...})
        node = node.args[0]
    assert isinstance(node, ast.Set), ast.dump(node)
    return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def decoded_buttons() -> set[tuple[Feature, str]]:
    """Every (feature, action) a handler decodes, read from the handlers' source."""
    found: set[tuple[Feature, str]] = set()
    for path in Path(bot.handlers.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, ast.AST] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                if isinstance(stmt.targets[0], ast.Name):
                    names[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names[stmt.target.id] = stmt.value or stmt.target
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "paged_list":
                feature = node.args[0]  # access.paged_list decodes the page buttons
                assert isinstance(feature, ast.Attribute), f"{path.name}: paged_list without X"
                found.add((Feature[feature.attr], "page"))
                continue
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "decode"):
                continue
            _, feature, actions = node.args
            assert isinstance(feature, ast.Attribute), f"{path.name}: decode without Feature.X"
            found |= {(Feature[feature.attr], a) for a in _set_literal(actions, names)}
    return found


def test_the_matrix_covers_every_button() -> None:
    decoded = decoded_buttons()
    assert {f for f, _ in decoded} == set(Feature), "a Feature without a handler's decode()"
    assert set(BUTTONS) == decoded


# --- the world the buttons act on -------------------------------------------------------------

PLAN = (
    "cím;felelős;határidő;állapot;készültség;leírás\n"
    "Piackutatás;Innováció;2026.12.08;folyamatban;40;\n"
    "Pályázatfigyelés;KSz;2027.01.15;;;\n"
)


@dataclass
class World:
    harness: BotHarness
    cast: Cast
    group: FakeChat
    ids: dict[str, int]
    serial: itertools.count[int]

    @property
    def db(self) -> Any:
        return self.harness.app.bot_data.db

    def now(self) -> Any:
        return self.harness.app.bot_data.clock.now()

    async def member(self, role: str) -> Any:
        async with self.db.unit() as uow:
            return await uow.members.by_telegram_id(getattr(self.cast, role).id)

    async def standing(self, role: str) -> Any:
        async with self.db.unit() as uow:
            member = await uow.members.by_telegram_id(getattr(self.cast, role).id)
            return standing_of(member, await uow.workgroups.led_ids(member.id))


async def make_world(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> World:
    people = cast.all()
    group = tg.add_group(title="Fő csoport", members=list(people.values()), bot_is_admin=True)
    world = World(harness, cast, group, {}, itertools.count(1))
    now = world.now()
    async with world.db.unit() as uow:
        tamas = (
            await identity.upsert_member(
                uow, MemberSpec("Tag Tamás", MemberKind.INTERNAL, founder=True), CLI_ACTOR, now
            )
        ).member
        innovation = await uow.workgroups.by_name("Innováció")
        finance = await identity.create_workgroup(uow, "Pénzügy", "", CLI_ACTOR, now)
        internal = await uow.members.by_telegram_id(cast.internal.id)
        for member in (tamas, internal):
            await identity.join_workgroup(uow, innovation, member, CLI_ACTOR, now)
        catalyst = await uow.members.by_telegram_id(cast.catalyst.id)
        world.ids.update(
            tamas=tamas.id, catalyst=catalyst.id, innovation=innovation.id, finance=finance.id
        )
        tasks = await import_tasks(
            uow, parse_tasks_csv(PLAN.encode()), CLI_ACTOR, now, period="2027", title="Terv"
        )
        world.ids["task"] = tasks.tasks[0].id
    async with world.db.unit() as uow:
        ksz = await uow.members.by_telegram_id(cast.ksz.id)
        ballot = await ballots.publish(
            uow,
            ballots.BallotDraft(question="Elfogadja?", body=Body.KGY, deadline=now + timedelta(3)),
            standing_of(ksz),
            now,
            yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )
        world.ids["ballot"] = ballot.id
        world.ids["option"] = ballot.options[0].id
    return world


async def _join_request(w: World, role: str) -> int:
    applicant = w.harness.tg.add_user(first_name="János", last_name="Jelentkező")
    w.harness.tg.message(applicant, "/start")  # the applicant has the bot's private chat
    async with w.db.unit() as uow:
        request = await identity.request_join(
            uow, applicant.id, "Jelentkező János", None, "Példa Kft.", w.now()
        )
        return request.id


async def _proposal(w: World, role: str, *, submitted: bool = False) -> int:
    async with w.db.unit() as uow:
        founder = await uow.members.by_telegram_id(w.cast.founder.id)
        proposal = await proposals.draft(uow, standing_of(founder), "Cím | Szöveg", w.now())
        if submitted:
            chair = await uow.members.by_telegram_id(w.cast.chair.id)
            await proposals.submit(uow, proposal.id, standing_of(chair), w.now(), 7)
        return proposal.id


async def _open_ballot(w: World, role: str) -> int:
    """A fresh Közgyűlés ballot of the KSz's (closing one must not spoil the next press)."""
    async with w.db.unit() as uow:
        ksz = await uow.members.by_telegram_id(w.cast.ksz.id)
        ballot = await ballots.publish(
            uow,
            ballots.BallotDraft(question="Zárjuk?", body=Body.KGY, deadline=w.now() + timedelta(3)),
            standing_of(ksz),
            w.now(),
            yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )
        return ballot.id


async def _thread(w: World, role: str) -> int:
    """A fresh open thread: Belső Béla's question to Innováció (older threads resolved)."""
    async with w.db.unit() as uow:
        await uow.session.execute(update(RoutingThread).values(status=ThreadStatus.RESOLVED))
        member = await uow.members.by_telegram_id(w.cast.internal.id)
        group = await uow.workgroups.get(w.ids["innovation"])
        routed = await routing.record_question(
            uow, member, group, origin_chat_id=w.cast.internal.id,
            origin_message_id=next(w.serial), in_group=False, kind="text",
            body_html="Kérdés", now=w.now(),
        )  # fmt: skip
        return routed.thread.id


async def _progress_event(w: World, role: str) -> int:
    """A report of the Innováció task by the presser (by the KSz if they may not report)."""
    standing = await w.standing(role if role in REPORTERS else "ksz")
    async with w.db.unit() as uow:
        report = await workplan.report_progress(
            uow, w.ids["task"], standing, 50, "", w.now(), w.harness.app.bot_data.settings.tz
        )
        return report.event.id


Data = Callable[[World, str], Awaitable[str]]


def _fixed(text: str) -> Data:
    async def build(w: World, role: str) -> str:
        return text.format(**w.ids)

    return build


DATA: dict[tuple[Feature, str], Data] = {
    (Feature.LANGUAGE, "set"): _fixed("lang:set:hu"),
    (Feature.DIRECTORY, "page"): _fixed("dir:page:0"),
    (Feature.DIRECTORY, "csv"): _fixed("dir:csv"),
    (Feature.AUDIT, "page"): _fixed("log:page:0"),
    (Feature.MEMBER, "kind"): _fixed("mem:kind:{catalyst}:e"),  # a founder stays internal
    (Feature.MEMBER, "founder"): _fixed("mem:founder:{tamas}:0"),
    (Feature.MEMBER, "ksz"): _fixed("mem:ksz:{tamas}:1"),
    (Feature.MEMBER, "chair"): _fixed("mem:chair:{tamas}:1"),
    (Feature.MEMBER, "active"): _fixed("mem:active:{tamas}:0"),
    (Feature.MEMBER, "groups"): _fixed("mem:groups:{tamas}"),
    (Feature.MEMBER, "invite"): _fixed("mem:invite:{tamas}"),
    (Feature.MEMBER, "do"): _fixed("mem:do:{tamas}:founder:0"),  # the confirmed change
    (Feature.MEMBER, "card"): _fixed("mem:card:{tamas}"),  # "Mégse": back to the card
    (Feature.MEMBER_GROUPS, "join"): _fixed("mwg:join:{tamas}:{finance}"),
    (Feature.MEMBER_GROUPS, "leave"): _fixed("mwg:leave:{tamas}:{innovation}"),
    (Feature.MEMBER_GROUPS, "cat"): _fixed("mwg:cat:{tamas}:{innovation}"),
    (Feature.MEMBER_GROUPS, "uncat"): _fixed("mwg:uncat:{catalyst}:{innovation}"),
    (Feature.MEMBER_GROUPS, "back"): _fixed("mwg:back:{tamas}"),
    (Feature.ROUTING, "wg"): _fixed("rt:wg:{innovation}"),
    **{
        (Feature.NEW_BALLOT, a): _fixed(f"nb:{a}")
        for a in ("maj", "quo", "sec", "chg", "proc", "pub")
    },
    (Feature.NEW_BALLOT, "cancel"): _fixed("nb:cancel"),
    (Feature.NEW_BALLOT, "set"): _fixed("nb:set:kgy"),
    (Feature.VOTE, "c"): _fixed("vote:c:{ballot}:{option}"),
    (Feature.VOTE, "t"): _fixed("vote:t:{ballot}:{option}"),
    (Feature.VOTE, "k"): _fixed("vote:k:{ballot}:0"),
    (Feature.VOTE, "p"): _fixed("vote:p:{ballot}:{option}:{catalyst}"),
    **{(Feature.VOTE, a): _fixed(f"vote:{a}:{{ballot}}") for a in "sbrwomq"},
    (Feature.DEBATE, "add"): _fixed("deb:add:{ballot}"),
    (Feature.DEBATE, "show"): _fixed("deb:show:{ballot}"),
    (Feature.REGISTER, "page"): _fixed("reg:page:0"),
    (Feature.REGISTER, "csv"): _fixed("reg:csv"),
    (Feature.REGISTER, "md"): _fixed("reg:md"),
    (Feature.ANNOUNCE, "aud"): _fixed("ann:aud:1:all"),
    (Feature.ANNOUNCE, "wg"): _fixed("ann:wg:1:{innovation}"),
    (Feature.ANNOUNCE, "kind"): _fixed("ann:kind:1:info"),
    **{(Feature.ANNOUNCE, a): _fixed(f"ann:{a}:1") for a in ("next", "main", "send", "cancel")},
    (Feature.ANNOUNCEMENTS, "page"): _fixed("anl:page:0"),
    (Feature.WORKPLAN, "f"): _fixed("wp:f:a:a"),
    (Feature.PROGRESS, "t"): _fixed("wpp:t:{task}"),
    (Feature.PROGRESS, "s"): _fixed("wpp:s:{task}:60"),
    (Feature.MINUTES, "ok"): _fixed("min:ok:999"),
    (Feature.PROXY, "rv"): _fixed("mgh:rv:999"),
    (Feature.ERASE, "ask"): _fixed("era:ask:{tamas}"),
    (Feature.ERASE, "ok"): _fixed("era:ok:{tamas}"),
}


async def _data(w: World, button: tuple[Feature, str], role: str) -> str:
    feature, action = button
    if feature is Feature.JOIN:
        request = await _join_request(w, role)
        return f"join:ok:{request}:i" if action == "ok" else f"join:no:{request}"
    if feature is Feature.PROPOSAL:
        return f"prop:{action}:{await _proposal(w, role, submitted=action == 'comment')}"
    if feature is Feature.ROUTING and action in {"ksz", "ok"}:
        return f"rt:{action}:{await _thread(w, role)}"
    if feature is Feature.CLOSE_BALLOT:
        return f"cls:{action}:{await _open_ballot(w, role)}"
    if feature is Feature.PROGRESS_NOTE:
        return f"wpn:n:{await _progress_event(w, role)}"
    return await DATA[button](w, role)


# --- judging a press --------------------------------------------------------------------------

_QUIET = {"answerCallbackQuery", "getChatMember", "getChat"}
#: Refusals that replace the pressed message instead of an alert (the routing picker's).
REFUSED_IN_PLACE = ("csak a munkacsoport tagjai írhatnak",)


def outcome(calls: list[ApiCall]) -> str:
    """ok (it acted), refused (only an alert), stale (only "no longer valid"), silent."""
    if not calls:
        return "silent"
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    acted = [c for c in calls if c.method not in _QUIET]
    edits = [str(c.params.get("text", "")) for c in acted if c.method == "editMessageText"]
    if (
        acted
        and len(edits) == len(acted)
        and all(any(marker in text for marker in REFUSED_IN_PLACE) for text in edits)
    ):
        return "refused"
    if acted or any(a.params.get("text") and not a.params.get("show_alert") for a in answers):
        return "ok"
    texts = [str(a.params.get("text", "")) for a in answers]
    if any(text == STALE for text in texts):
        return "stale"
    if any(texts):
        return "refused"
    return "ok"  # a plain answer and nothing else: the press was taken


def _to(calls: list[ApiCall], chat_id: int) -> list[ApiCall]:
    return [c for c in calls if c.method not in _QUIET and c.params.get("chat_id") == chat_id]


async def fingerprint(w: World) -> dict[str, str]:
    """A digest per table of its rows, but the bookkeeping a group press may do (accounts,
    the outbox)."""
    found: dict[str, str] = {}
    async with w.db.unit() as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in {"telegram_users", "outbox_messages", "outbox_files"}:
                continue
            rows = (await uow.session.execute(select(table))).all()
            found[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return found


def _carrier(tg: FakeTelegram, chat: FakeUser | FakeChat, serial: int) -> Any:
    """A fresh bot message to press a button under (every edit then changes it)."""
    where = tg.private_chat(chat) if isinstance(chat, FakeUser) else chat
    keyboard = {"inline_keyboard": [[{"text": "…", "callback_data": "x"}]]}
    return tg.new_message(where, tg.bot, text=f"Gombok #{serial}", reply_markup=keyboard)


@pytest.mark.parametrize("chat_type", ["private", "group"])
@pytest.mark.parametrize(
    "button", sorted(BUTTONS, key=lambda b: (b[0].value, b[1])), ids=lambda b: f"{b[0]}:{b[1]}"
)
async def test_button_by_everyone(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, button: tuple[Feature, str], chat_type: str
) -> None:
    spec = BUTTONS[button]
    w = await make_world(harness, tg, cast)
    observed: dict[str, str] = {}
    problems: list[str] = []
    for role, user in cast.all().items():
        data = await _data(w, button, role)
        where = user if chat_type == "private" else w.group
        before = None
        if chat_type == "group" and spec.group == PRIVATE:
            await harness.catch_up()  # what earlier presses and the set-up started is done
            before = await fingerprint(w)
        calls = await harness.press(user, _carrier(tg, where, next(w.serial)), data, forge=True)
        got = observed[role] = outcome(calls)
        expected = spec.allowed if role in spec.private else "refused"
        label = f"{data} by {role} in a {chat_type} chat: {got} {[c.method for c in calls]}"
        if chat_type == "private" or spec.group == SAME:
            if got != expected:
                problems.append(f"{label}; expected {expected}")
            continue
        # A personal or privileged button pressed in a group: the group does not change, nor
        # anything stored; the answer is an alert, or (to_private) a message in the private chat.
        if _to(calls, w.group.id):
            problems.append(f"{label}; it changed the group")
        if before is not None and (after := await fingerprint(w)) != before:
            changed = sorted(name for name in after if after[name] != before.get(name))
            problems.append(f"{label}; it changed the database: {changed}")
        if spec.to_private and role in (spec.private if spec.privately is None else spec.privately):
            if not _to(calls, user.id):
                problems.append(f"{label}; expected an answer in the private chat")
        elif got not in {"refused", "stale", "silent"}:
            problems.append(f"{label}; expected a refusal")
    assert not problems, "\n".join(problems)
