"""A member's own data against a real database: the export holds every table's rows about them
and nothing about others; an erasure leaves no trace of them in any table while the records the
cluster keeps stay readable; an office holder is not erased; the retention deletes exactly what
is due, once. The tables are walked from ``Base.metadata``, so a new table or column that refers
to a person fails here until the privacy rules name it."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Table, func, select

from bot import courier
from bot.i18n import Translations
from bot.services import ballots, identity, privacy, routing
from bot.services.clock import FakeClock
from bot.services.errors import MemberErased, OfficeHolder, ReservedName
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.privacy import NOT_PERSONAL, PERSONAL_DATA, Fate
from bot.services.roles import standing_of
from bot.views import ballots as ballot_views
from storage.db import Database
from storage.models import Base, JoinRequest, MemberKind
from storage.models.ballots import BallotComment, BallotKind, BallotOption, Resolution
from storage.models.outbox import OutboxMessage
from storage.models.routing import RoutedMessage, RoutingThread
from tests.db.privacy_world import EMESE, IDA, KALMAN, MARTON, TEREZ, TZ, Someone, World, build

# --- what looks like a reference to a person ---------------------------------------------------

LABEL_NAMES = {"name", "username", "organisation", "full_name", "note"}


def refers_to_member(column: Column[Any]) -> bool:
    return any(fk.column.table.name == "members" for fk in column.foreign_keys)


def refers_to_account(column: Column[Any]) -> bool:
    table = column.table
    if table.name == "telegram_users" and column.primary_key:
        return True
    return "telegram" in column.name or column.name.endswith("chat_id")


def names_someone(column: Column[Any]) -> bool:
    return column.name.endswith(("_label", "_name")) or column.name in LABEL_NAMES


def looks_personal(column: Column[Any]) -> bool:
    return refers_to_member(column) or refers_to_account(column) or names_someone(column)


def test_every_table_is_classified() -> None:
    tables = set(Base.metadata.tables)
    assert set(PERSONAL_DATA) | set(NOT_PERSONAL) == tables, "classify the new table"
    assert not set(PERSONAL_DATA) & set(NOT_PERSONAL)


def test_every_reference_to_a_person_is_named_by_its_rule() -> None:
    problems = []
    for source in Base.metadata.sorted_tables:
        personal = [c.name for c in source.columns if looks_personal(c)]
        if source.name in NOT_PERSONAL:
            if personal:
                problems.append(f"{source.name} is NOT_PERSONAL but has {personal}")
            continue
        rule = PERSONAL_DATA[source.name]
        missing = set(personal) - rule.named()
        if missing:
            problems.append(f"{source.name}: say what {sorted(missing)} are")
        unknown = rule.named() - set(source.columns.keys())
        if unknown:
            problems.append(f"{source.name}: no columns {sorted(unknown)}")
        if rule.fate is Fate.KEEP:  # a kept row loses the account id: it must be nullable
            fixed = [c for c in rule.accounts if not source.c[c].nullable and c != "id"]
            if fixed and source.name != "members":
                problems.append(f"{source.name}: kept rows cannot clear {fixed}")
        if rule.parent is not None:
            column, parent = rule.parent
            targets = {fk.column.table.name for fk in source.c[column].foreign_keys}
            if targets != {parent}:
                problems.append(f"{source.name}.{column} does not point to {parent}")
        pointers = (rule.subject, rule.actor, rule.accounts, rule.labels, rule.actor_labels)
        if not any(pointers) and rule.parent is None:
            problems.append(f"{source.name}: nothing points to a person")
    assert not problems, "\n".join(problems)


# --- the export ----------------------------------------------------------------------------------


def _key(source: Table, row: Any) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in source.primary_key.columns)


async def _all_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    found = {}
    async with db.unit() as uow:
        for source in Base.metadata.sorted_tables:
            result = await uow.session.execute(select(source).order_by(*source.primary_key))
            found[source.name] = [dict(r) for r in result.mappings()]
    return found


def _about(source: Table, row: dict[str, Any], member_id: int, who: Someone) -> bool:
    """Whether a row refers to the person directly, judged from the schema alone."""
    for column in source.columns:
        value = row[column.name]
        if value is None:
            continue
        if refers_to_member(column) and value == member_id:
            return True
        if source.name == "members" and column.name == "id" and value == member_id:
            return True
        if refers_to_account(column) and value == who.telegram_id:
            return True
        if names_someone(column) and value == who.name:
            return True
    return False


@pytest.fixture
async def world(db: Database, clock: FakeClock) -> World:
    return await build(db, clock)


async def test_the_export_holds_every_row_about_the_member(
    db: Database, clock: FakeClock, world: World
) -> None:
    everything = await _all_rows(db)
    async with db.unit() as uow:
        made = await privacy.export(uow, TEREZ.telegram_id, clock.now())
    problems = []
    for source in Base.metadata.sorted_tables:
        rule = PERSONAL_DATA.get(source.name)
        rows = everything[source.name]
        exported = {_key(source, r) for r in made.tables.get(source.name, [])}
        if rule is not None and rule.parent is not None:
            column, parent = rule.parent
            parents = {r["id"] for r in made.tables.get(parent, [])}
            expected = {_key(source, r) for r in rows if r[column] in parents}
        else:
            expected = {
                _key(source, r) for r in rows if _about(source, r, world.members["terez"], TEREZ)
            }
        if exported != expected:
            problems.append(
                f"{source.name}: missing {expected - exported}, not hers {exported - expected}"
            )
    assert not problems, "\n".join(problems)
    # something of hers in every feature
    for name in (
        "members",
        "telegram_users",
        "join_requests",
        "invitations",
        "audit_log",
        "workgroup_members",
        "ballot_roll",
        "ballot_votes",
        "ballot_vote_choices",
        "ballot_comments",
        "proposal_comments",
        "announcement_deliveries",
        "outbox_messages",
        "routing_threads",
        "routing_messages",
        "routing_deliveries",
    ):
        assert made.tables.get(name), name  # fmt: skip


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{path}/{k}")]
    if isinstance(value, list | tuple):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}/{i}")]
    return []


def _plain(made: privacy.Export) -> dict[str, Any]:
    return json.loads(json.dumps({"tables": made.tables, "context": made.context}, default=str))


async def test_the_export_holds_nothing_about_others(
    db: Database, clock: FakeClock, world: World
) -> None:
    async with db.unit() as uow:
        made = await privacy.export(uow, TEREZ.telegram_id, clock.now())
    plain = _plain(made)
    numbers = json.dumps(plain)
    audit = {
        f"/tables/audit_log/{i}/actor_label"
        for i, row in enumerate(plain["tables"]["audit_log"])
        if row["subject_id"] == world.members["terez"]
    }
    for other in (MARTON, KALMAN, EMESE, IDA):
        assert not re.search(rf"(?<!\d){other.telegram_id}(?!\d)", numbers), other.name
        for path, text in _strings(plain):
            for needle in (other.username, other.organisation or "\0", *other.texts):
                assert needle not in text, f"{needle!r} of {other.name} at {path}"
            if other.name in text:  # only as who changed her record (the log's source)
                assert path in audit, f"{other.name} at {path}"
    # and hers is there
    strings = [text for _path, text in _strings(plain)]
    for needle in (TEREZ.name, TEREZ.username, TEREZ.organisation, *TEREZ.texts):
        assert any(needle in text for text in strings), needle
    # a secret vote: on the roll and voted, nothing more (not affected in the decision)
    secret = world.ballots["secret"]
    assert {
        "ballot_id": secret,
        "member_id": world.members["terez"],
        "has_voted": True,
        "affected_reason": None,
        "affected_by_label": None,
        "proxy_id": None,
    } in plain["tables"]["ballot_roll"]
    assert secret not in {v["ballot_id"] for v in plain["tables"]["ballot_votes"]}
    # the invitation is there, its token's hash is not
    assert all("token_hash" not in row for row in plain["tables"]["invitations"])
    assert made.omitted["invitations"] == ["token_hash"]


async def test_a_stranger_gets_their_account_and_requests(db: Database, clock: FakeClock) -> None:
    async with db.unit() as uow:
        user = await uow.telegram_users.upsert(
            IDA.telegram_id, first_name=IDA.first, last_name=IDA.last, username=IDA.username,
            language_code="hu",
        )  # fmt: skip
        user.started_at = clock.now()
        await identity.request_join(
            uow, IDA.telegram_id, IDA.name, IDA.username, "Szia", clock.now()
        )
    async with db.unit() as uow:
        made = await privacy.export(uow, IDA.telegram_id, clock.now())
    assert made.member is None
    assert [r["id"] for r in made.tables["telegram_users"]] == [IDA.telegram_id]
    assert [r["full_name"] for r in made.tables["join_requests"]] == [IDA.name]
    assert set(made.tables) == {"telegram_users", "join_requests"}


# --- erasure -------------------------------------------------------------------------------------


def _traces(everything: dict[str, list[dict[str, Any]]], who: Someone) -> list[str]:
    """Where any table still holds the person: their id, name, username, organisation or a
    text only they wrote."""
    found = []
    needles = [who.name, f"{who.first} {who.last}", who.username, who.organisation, *who.texts]
    digits = re.compile(rf"(?<!\d){who.telegram_id}(?!\d)")
    for table_name, rows in everything.items():
        for row in rows:
            for column, value in row.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    if value == who.telegram_id:
                        found.append(f"{table_name}.{column} = {value}")
                    continue
                if not isinstance(value, str | dict | list):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for needle in needles:
                    if needle and needle in text:
                        found.append(f"{table_name}.{column} holds {needle!r}")
                if digits.search(text):
                    found.append(f"{table_name}.{column} holds the Telegram id")
    return found


async def test_after_erasure_no_table_holds_the_member(
    db: Database, clock: FakeClock, world: World
) -> None:
    before = await _all_rows(db)
    assert _traces(before, TEREZ)  # the check finds her while she is there
    terez = world.members["terez"]
    alias = identity.pseudonym(terez)
    async with db.unit() as uow:
        done = await privacy.erase(uow, terez, identity.Actor(None, "CLI"), clock.now())
    assert done.pseudonym == alias == f"Volt tag #{terez}"
    after = await _all_rows(db)
    assert _traces(after, TEREZ) == []
    # the others keep everything but what was part of her own: the KSz's card about her join
    # request, and her conversation with the katalizátor (his answer in it, his copy of it)
    lost = {
        MARTON: [f"outbox_messages.chat_id = {MARTON.telegram_id}"],
        KALMAN: [f"routing_copies.chat_id = {KALMAN.telegram_id}",
                 f"routing_deliveries.chat_id = {KALMAN.telegram_id}",
                 f"routing_messages.origin_chat_id = {KALMAN.telegram_id}",
                 f"routing_messages.body_html holds {KALMAN.texts[0]!r}"],
        EMESE: [],
    }  # fmt: skip
    for other, expected in lost.items():
        gone = Counter(_traces(before, other)) - Counter(_traces(after, other))
        assert gone == Counter(expected), other.name
    # what was hers is gone
    for name in ("telegram_users", "invitations", "workgroup_members"):
        assert not [
            r for r in after[name] if terez in r.values() or TEREZ.telegram_id in r.values()
        ]
    assert done.deleted["ballot_comments"] == 1 and done.deleted["proposal_comments"] == 1
    assert done.deleted["routing_threads"] == 1 and done.deleted["join_requests"] == 1
    # the member row stays, as the pseudonym, without anything that identifies her
    [member] = [m for m in after["members"] if m["id"] == terez]
    assert member["name"] == alias and member["organisation"] is None
    assert member["telegram_id"] is None and member["is_active"] is False
    # votes of the closed open ballots stay, under the pseudonym, and count as before
    assert (
        _votes(after, terez)
        == _votes(before, terez)
        == {world.ballots["open"], world.ballots["election"], world.ballots["still_open"]}
    )
    assert after["ballot_vote_choices"] == before["ballot_vote_choices"]
    assert after["ballot_secret_tallies"] == before["ballot_secret_tallies"]
    # she is struck from the roll of the open ballot she had not voted in, and only there
    rolls = {
        (r["ballot_id"], r["has_voted"]) for r in after["ballot_roll"] if r["member_id"] == terez
    }
    assert (world.ballots["not_voted"], False) not in rolls
    assert (world.ballots["still_open"], True) in rolls and (world.ballots["secret"], True) in rolls
    # resolutions stay, readable: the election's winner is the pseudonym, the counts as they were
    resolutions = {r["id"]: r for r in after["resolutions"]}
    old = {r["id"]: r for r in before["resolutions"]}
    election = resolutions[world.resolutions["election"]]
    assert election["counts"]["winners"] == [alias]
    assert [n for _l, n in election["counts"]["options"]] == [
        n for _l, n in old[world.resolutions["election"]]["counts"]["options"]
    ]
    assert resolutions[world.resolutions["open"]] == old[world.resolutions["open"]]
    # another member's words about her now name the pseudonym
    comments = {r["text"] for r in after["ballot_comments"]}
    assert f"Egyetértek: {alias} jól látja." in comments and MARTON.texts[1] in comments
    # the audit log keeps its lines, names her by the pseudonym, and records the erasure
    lines = [r for r in after["audit_log"] if r["subject_id"] == terez]
    earlier = len([r for r in before["audit_log"] if r["subject_id"] == terez])
    assert [r["action"] for r in lines[earlier:]] == [
        "member_changed",
        "struck_from_roll",
        "member_erased",  # deactivated, struck, erased
    ]
    assert {r["subject_label"] for r in lines} == {alias}
    assert lines[-1]["action"] == "member_erased" and lines[-1]["actor_label"] == "CLI"


def _votes(everything: dict[str, list[dict[str, Any]]], member_id: int) -> set[int]:
    return {r["ballot_id"] for r in everything["ballot_votes"] if r["member_id"] == member_id}


async def test_an_erased_record_changes_no_more(
    db: Database, clock: FakeClock, world: World
) -> None:
    terez = world.members["terez"]
    async with db.unit() as uow:
        await privacy.erase(uow, terez, CLI_ACTOR, clock.now())
    alias = identity.pseudonym(terez)
    with pytest.raises(MemberErased):
        async with db.unit() as uow:
            await privacy.erase(uow, terez, CLI_ACTOR, clock.now())
    async with db.unit() as uow:
        member = await identity.find_member(uow, alias)
        for flag, value in (("active", True), ("founder", True), ("ksz", True)):
            with pytest.raises(MemberErased):
                await identity.set_flag(uow, member, flag, value, CLI_ACTOR, clock.now())
        with pytest.raises(MemberErased):
            await identity.upsert_member(
                uow, MemberSpec(alias, organisation="X"), CLI_ACTOR, clock.now()
            )
    with pytest.raises(ReservedName):  # nobody can be called like an erased member
        async with db.unit() as uow:
            await identity.upsert_member(
                uow, MemberSpec("volt tag #999", MemberKind.INTERNAL), CLI_ACTOR, clock.now()
            )


async def _fingerprint(db: Database) -> str:
    return hashlib.sha256(repr(await _all_rows(db)).encode()).hexdigest()


@pytest.mark.parametrize(
    ("who", "offices", "groups"),
    [("marton", ["ksz"], []), ("kalman", ["catalyst"], ["Innováció"]), ("emese", ["st_chair"], [])],
)
async def test_an_office_holder_is_not_erased(
    db: Database, clock: FakeClock, world: World, who: str, offices: list[str], groups: list[str]
) -> None:
    before = await _fingerprint(db)
    with pytest.raises(OfficeHolder) as refused:
        async with db.unit() as uow:
            await privacy.erase(uow, world.members[who], CLI_ACTOR, clock.now())
    assert (refused.value.offices, refused.value.workgroups) == (offices, groups)
    async with db.unit() as uow:
        member = await uow.members.get(world.members[who])
        assert member is not None
        with pytest.raises(OfficeHolder):
            await privacy.plan_erasure(uow, member)
    assert await _fingerprint(db) == before


async def test_the_plan_counts_what_goes_and_what_stays(
    db: Database, clock: FakeClock, world: World
) -> None:
    async with db.unit() as uow:
        member = await uow.members.get(world.members["terez"])
        assert member is not None
        plan = await privacy.plan_erasure(uow, member)
    async with db.unit() as uow:
        done = await privacy.erase(uow, world.members["terez"], CLI_ACTOR, clock.now())
    assert (plan.deleted, plan.kept, plan.pseudonym) == (done.deleted, done.kept, done.pseudonym)
    assert plan.kept["ballot_votes"] == 3 and plan.deleted["routing_messages"] == 1
    assert plan.kept["ballot_roll"] == 4  # the fifth goes: she had not voted in that open one


# --- retention -----------------------------------------------------------------------------------


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.unit() as uow:
        found = [
            int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (RoutedMessage, RoutingThread, JoinRequest, OutboxMessage)
        ]
    return found[0], found[1], found[2], found[3]


async def _innovation(db: Database, clock: FakeClock) -> tuple[int, int]:
    """Tag Anna (Telegram 501) in the Innováció workgroup, whose katalizátor has an account:
    her id and the workgroup's."""
    async with db.unit() as uow:
        anna = (await identity.upsert_member(
            uow, MemberSpec("Tag Anna", MemberKind.INTERNAL, workgroups=["Innováció"]),
            CLI_ACTOR, clock.now(),
        )).member  # fmt: skip
        anna.telegram_id = 501
        catalyst = (await identity.upsert_member(
            uow, MemberSpec("Katalizátor Kálmán", MemberKind.INTERNAL, catalyst_of=["Innováció"]),
            CLI_ACTOR, clock.now(),
        )).member  # fmt: skip
        catalyst.telegram_id = 502
        group = await uow.workgroups.by_name("Innováció")
        assert group is not None
        return anna.id, group.id


async def _anna_asks(uow: Any, ids: tuple[int, int], text: str, clock: FakeClock) -> None:
    """Anna's question to the katalizátor, from her private chat."""
    member, group = await uow.members.get(ids[0]), await uow.workgroups.get(ids[1])
    assert member is not None and group is not None
    await routing.record_question(
        uow, member, group, origin_chat_id=501, origin_message_id=1, in_group=False,
        kind="text", body_html=text, now=clock.now(),
    )  # fmt: skip


async def test_retention_deletes_exactly_what_is_due_once(db: Database, clock: FakeClock) -> None:
    keep = timedelta(days=365)
    anna = await _innovation(db, clock)

    async def ask(text: str, telegram_id: int) -> None:
        async with db.unit() as uow:
            await _anna_asks(uow, anna, text, clock)
            request = await identity.request_join(
                uow, telegram_id, f"Jelentkező {telegram_id}", None, text, clock.now()
            )
            await courier.enqueue(uow, [courier.row(f"join:{request.id}", 9, text, clock.now())])

    start = clock.now()
    await ask("első", 601)  # day 0
    clock.advance(days=100)
    await ask("második", 602)  # day 100
    assert await _counts(db) == (2, 1, 2, 2)

    async def run(at: timedelta) -> privacy.Retained:
        clock.current = start + at
        async with db.unit() as uow:
            return await privacy.apply_retention(uow, clock.now(), keep)

    assert not await run(keep - timedelta(seconds=1))  # nothing is due yet
    assert await _counts(db) == (2, 1, 2, 2)
    assert await run(keep + timedelta(seconds=1)) == privacy.Retained(1, 0, 1)
    assert await _counts(db) == (1, 1, 1, 1)
    assert not await run(keep + timedelta(days=99))  # once: a second run finds nothing
    assert await run(keep + timedelta(days=101)) == privacy.Retained(1, 1, 1)
    assert await _counts(db) == (0, 0, 0, 0)


async def test_retention_keeps_a_thread_a_message_is_being_written_to(
    db: Database, clock: FakeClock
) -> None:
    """Retention runs while Anna's follow-up is being written to a thread whose only message
    is past the cutoff: the old message goes, the thread and the new message stay. (A follow-up
    does not write its thread; on PostgreSQL retention waits for the lock the new message holds
    on it, then must see the message.)"""
    keep = timedelta(days=365)
    anna = await _innovation(db, clock)
    async with db.unit() as uow:
        await _anna_asks(uow, anna, "első", clock)
    clock.advance(days=400)

    async def retention() -> privacy.Retained:
        async with db.unit() as uow:
            return await privacy.apply_retention(uow, clock.now(), keep)

    async with db.unit() as uow:
        await _anna_asks(uow, anna, "második", clock)
        running = asyncio.create_task(retention(), context=contextvars.Context())
        await asyncio.sleep(0.3)  # PostgreSQL: it deletes the old message, then waits
    assert await running == privacy.Retained(1, 0, 0)
    assert await _counts(db) == (1, 1, 0, 0)


async def test_the_register_and_the_open_votes_read_well_after_the_erasure(
    db: Database, clock: FakeClock, world: World
) -> None:
    t = Translations("hu", TZ).get("hu")
    terez = world.members["terez"]
    alias = identity.pseudonym(terez)
    async with db.unit() as uow:
        before = ballot_views.register_text(
            t, await uow.resolutions.all(), 0, 2, None, can_export=False
        )[0]
    async with db.unit() as uow:
        await privacy.erase(uow, terez, CLI_ACTOR, clock.now())
    async with db.unit() as uow:
        register = ballot_views.register_text(
            t, await uow.resolutions.all(), 0, 2, None, can_export=False
        )[0]
        ballot, votes = await ballots.details(uow, world.ballots["election"])
        details = ballot_views.details_text(t, ballot, votes)
    assert register == before.replace(TEREZ.name, alias)
    assert f"{alias}: 2" in register and f"{MARTON.name}: 1" in register
    assert f"• {alias}: {alias}" in details and f"• {KALMAN.name}: {MARTON.name}" in details


# --- the sweep of the texts that name the erased member ------------------------------------------


async def _erased_after_a_resolution(
    db: Database,
    clock: FakeClock,
    question: str,
    options: tuple[str, ...] = (),
    comment: str | None = None,
    others: tuple[str, ...] = (),
) -> int:
    """Kovács Anna (and ``others``) vote for the first choice of a ballot that becomes a
    resolution, a KSz member comments on it, then Anna is erased; her member id."""
    now = clock.now()
    async with db.unit() as uow:
        people = []
        for name in ("Marad Márton", "Kovács Anna", *others):
            spec = MemberSpec(name, MemberKind.INTERNAL, ksz=name == "Marad Márton")
            people.append((await identity.upsert_member(uow, spec, CLI_ACTOR, now)).member)
        kind = BallotKind.SINGLE if options else BallotKind.YES_NO
        ballot = await ballots.publish(
            uow,
            ballots.BallotDraft(question=question, kind=kind, options=list(options),
                                deadline=now + timedelta(days=3)),
            standing_of(people[0]), now, yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )  # fmt: skip
        for member in people:
            await ballots.cast_vote(uow, ballot.id, member.id, [ballot.options[0].id], now)
        if comment is not None:
            await ballots.add_comment(uow, ballot.id, standing_of(people[0]), comment, now)
        ballot_id, anna_id = ballot.id, people[1].id
    clock.advance(days=4)
    async with db.unit() as uow:
        closing = await ballots.close(uow, ballot_id, clock.now(), "", TZ)
        assert closing is not None and closing.resolution is not None
    async with db.unit() as uow:
        await privacy.erase(uow, anna_id, CLI_ACTOR, clock.now())
    return anna_id


async def test_the_register_search_does_not_tie_the_pseudonym_to_the_name(
    db: Database, clock: FakeClock
) -> None:
    anna = await _erased_after_a_resolution(db, clock, "Kovács Anna legyen a szóvivő?")
    alias = identity.pseudonym(anna)
    async with db.unit() as uow:
        [resolution] = await uow.resolutions.all()
        assert resolution.text == f"{alias} legyen a szóvivő?"
        assert resolution.text_key == f"{alias} legyen a szóvivő?".casefold()
        assert await uow.resolutions.search("kovács anna", 0, 20) == ([], 0)
        assert (await uow.resolutions.search(alias, 0, 20))[1] == 1


async def _kept(db: Database) -> tuple[Resolution, Sequence[str], Sequence[str]]:
    """The one resolution, the ballot's option labels and its comments, as erasure left them."""
    async with db.unit() as uow:
        [resolution] = await uow.resolutions.all()
        labels = (await uow.session.execute(select(BallotOption.label))).scalars().all()
        comments = (await uow.session.execute(select(BallotComment.text))).scalars().all()
    return resolution, labels, comments


async def test_a_mention_in_another_letter_case_is_erased_too(
    db: Database, clock: FakeClock
) -> None:
    anna = await _erased_after_a_resolution(
        db, clock, "Ki legyen a szóvivő?", options=("KOVÁCS ANNA", "Marad Márton"),
        comment="Szerintem kovács anna jó szóvivő.",
    )  # fmt: skip
    alias = identity.pseudonym(anna)
    resolution, labels, comments = await _kept(db)
    assert resolution.counts["winners"] == [alias]  # JSON, where "Á" is stored escaped
    assert alias in labels and "KOVÁCS ANNA" not in labels and "Marad Márton" in labels
    assert comments == [f"Szerintem {alias} jó szóvivő."]


async def test_a_namesakes_longer_name_is_kept(db: Database, clock: FakeClock) -> None:
    anna = await _erased_after_a_resolution(
        db, clock, "Ki legyen a szóvivő?", options=("Kovács Anna Mária", "Marad Márton"),
        comment="Kovács Anna Mária jó szóvivő lenne, kovács anna is ezt mondta.",
        others=("Kovács Anna Mária",),
    )  # fmt: skip
    alias = identity.pseudonym(anna)
    resolution, labels, comments = await _kept(db)
    assert resolution.counts["winners"] == ["Kovács Anna Mária"]
    assert "Kovács Anna Mária" in labels
    assert comments == [f"Kovács Anna Mária jó szóvivő lenne, {alias} is ezt mondta."]


async def test_a_namesake_known_by_a_telegram_name_is_kept(db: Database, clock: FakeClock) -> None:
    async with db.unit() as uow:
        await uow.telegram_users.upsert(
            555000111, first_name="Anna Mária", last_name="Kovács", username=None,
            language_code="hu",
        )  # fmt: skip
        outcome = await identity.upsert_member(
            uow, MemberSpec("Szabó Mária", MemberKind.INTERNAL), CLI_ACTOR, clock.now()
        )
        outcome.member.telegram_id = 555000111
    anna = await _erased_after_a_resolution(
        db, clock, "KOVÁCS ANNA MÁRIA legyen a szóvivő, ne Kovács Anna?"
    )
    alias = identity.pseudonym(anna)
    async with db.unit() as uow:
        [resolution] = await uow.resolutions.all()
    assert resolution.text == f"KOVÁCS ANNA MÁRIA legyen a szóvivő, ne {alias}?"
    assert resolution.text_key == resolution.text.casefold()
