"""A person's own data: everything the bot stores about them (the export), forgetting a member
who leaves (erasure), and forgetting old messages (retention). Telegram-free.

``PERSONAL_DATA`` says, for every table that holds something about a person, which columns
point to them and what an erasure does with the rows; ``NOT_PERSONAL`` names the tables that
hold nothing about anyone, with the reason. Every table of the schema is in one of the two, and
every column that looks like a reference to a person is named in its table's rule
(``tests/db/test_privacy.py`` walks ``Base.metadata``): a new table or column cannot be
forgotten by the export or the erasure.

Erasure keeps what the cluster must keep (the votes of open ballots, the electoral rolls, the
resolutions, the audit log, announcements and proposals) under a stable pseudonym, ``Volt tag
#17`` (``identity.pseudonym``); it deletes the account link, the contact data, the routed
messages, the comments, invitations and join requests, and what was queued for the person.
Then every text of the database that still names them, in any letter case (a resolution, another
member's comment, a message in the outbox), gets the pseudonym instead, and a column computed
from such a text (the register's search key) is computed anew. Secret ballots are not touched: their
rolls keep only "has voted", and nothing links a voter to a choice before or after.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.services.collation import hu_collation_string
from bot.services.errors import NotFound, OfficeHolder
from bot.services.identity import (
    Actor,
    Outcome,
    audit,
    check_not_erased,
    pseudonym,
    set_flag,
)
from storage.db import UnitOfWork
from storage.models import Base, Member, TelegramUser
from storage.models.ballots import search_key
from storage.repositories import name_key
from storage.repositories.privacy import Ref, is_text


class Fate(enum.StrEnum):
    """What an erasure does with the rows that are the person's."""

    #: They go (the database cascades to their children).
    DELETE = "delete"
    #: They stay: names become the pseudonym, account ids are cleared.
    KEEP = "keep"


@dataclass(frozen=True)
class TableRule:
    """How one table refers to a person. Member-id columns are ``subject`` (the row is about
    them) or ``actor`` (they did it, to someone or something else); ``accounts`` hold their
    Telegram id; ``labels`` their name as written then in their own rows, ``actor_labels`` the
    name of who did it. A row in the export only as the person's action leaves out ``others``
    (what it says about someone else); ``hidden`` columns are never exported (secrets, copies of
    what was sent to them, which they have). ``details`` are the person's own data in their
    rows; ``unrelated`` columns look like references but hold no person's data (a group chat).
    ``parent``: a child table whose rows go with the parent's rows in the export."""

    fate: Fate
    why: str
    subject: tuple[str, ...] = ()
    actor: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    actor_labels: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    unrelated: tuple[str, ...] = ()
    parent: tuple[str, str] | None = None

    def named(self) -> set[str]:
        """Every column this rule says something about."""
        return {
            *self.subject, *self.actor, *self.accounts, *self.labels, *self.actor_labels,
            *self.details, *self.others, *self.hidden, *self.unrelated,
            *((self.parent[0],) if self.parent else ()),
        }  # fmt: skip


D, K = Fate.DELETE, Fate.KEEP

PERSONAL_DATA: dict[str, TableRule] = {
    "telegram_users": TableRule(
        D, "the Telegram account as Telegram reports it", accounts=("id",),
        details=("first_name", "last_name", "username"),
    ),
    "members": TableRule(
        K, "the member; kept as the pseudonym that the kept records point to",
        subject=("id",), accounts=("telegram_id",), details=("name", "organisation"),
    ),
    "workgroups": TableRule(
        K, "the katalizátor office (an office holder is not erased)", subject=("catalyst_id",),
        unrelated=("name", "telegram_chat_id"),
    ),
    "workgroup_members": TableRule(D, "workgroup memberships", subject=("member_id",)),
    "invitations": TableRule(
        D, "invitation links (a hash of each) and the account that used them",
        subject=("member_id",), actor=("created_by_id",), accounts=("used_by_telegram_id",),
        others=("member_id", "used_by_telegram_id"), hidden=("token_hash",),
    ),
    "join_requests": TableRule(
        D, "requests to join: Telegram name, username, introduction",
        subject=("member_id",), actor=("decided_by_id",), accounts=("telegram_id",),
        details=("full_name", "username", "note"),
        others=("telegram_id", "full_name", "username", "note", "member_id"),
    ),
    "audit_log": TableRule(
        K, "the audit log of membership and role changes (kept: the cluster's record)",
        subject=("subject_id",), actor=("actor_id",), labels=("subject_label",),
        actor_labels=("actor_label",), others=("subject_id", "subject_label", "details"),
    ),
    "ballots": TableRule(
        K, "ballots the person put or closed, or stopped by asking for a meeting",
        actor=("created_by_id",),
        actor_labels=("created_by_label", "closed_by_label", "meeting_requested_by_label"),
        others=(
            "created_by_id", "created_by_label", "closed_by_label", "meeting_requested_by_label"
        ),
        unrelated=("group_chat_id",),
    ),
    "ballot_roll": TableRule(
        K, "electoral rolls: on the roll, has voted (a secret ballot keeps nothing more), "
        "affected in the decision and why (Ptk. 3:19 (2))",
        subject=("member_id",), actor=("proxy_id",), details=("affected_reason",),
        actor_labels=("affected_by_label",), others=("affected_by_label", "proxy_id"),
    ),
    "ballot_votes": TableRule(
        K, "votes in open ballots (kept: the record)", subject=("member_id",)
    ),
    "ballot_vote_choices": TableRule(
        K, "the options chosen in those votes", parent=("vote_id", "ballot_votes")
    ),
    "ballot_comments": TableRule(
        D, "comments in ballot debates", subject=("member_id",), labels=("author_label",)
    ),
    "meetings": TableRule(
        K, "meetings the person convened, or was elected chair, minute-taker or authenticator "
        "of (kept: the cluster's record)",
        actor=(
            "created_by_id", "chair_id", "minute_taker_id", "authenticator1_id",
            "authenticator2_id",
        ),
        actor_labels=(
            "created_by_label", "chair_label", "minute_taker_label", "authenticator1_label",
            "authenticator2_label",
        ),
        others=(
            "created_by_id", "created_by_label", "chair_id", "chair_label", "minute_taker_id",
            "minute_taker_label", "authenticator1_id", "authenticator1_label",
            "authenticator2_id", "authenticator2_label",
        ),
    ),
    "meeting_confirmations": TableRule(
        K, "minutes the person confirmed as an authenticator (kept: the minutes' record)",
        subject=("member_id",), labels=("member_label",),
    ),
    "meeting_attendance": TableRule(
        K, "attendance sheets of meetings (kept: the minutes' annex)", subject=("member_id",),
        actor_labels=("recorded_by_label",), others=("recorded_by_label",),
    ),
    "meeting_proxies": TableRule(
        K, "proxies given or held for meetings (kept: the minutes say who represented whom)",
        subject=("principal_id",), actor=("holder_id",), others=("holder_id",),
    ),
    "announcements": TableRule(
        K, "announcements the person sent (kept: the cluster's communication)",
        subject=("author_id",), labels=("author_name",), unrelated=("main_chat_id",),
    ),
    "announcement_deliveries": TableRule(
        K, "announcements delivered to the person (kept for the delivery counts)",
        subject=("member_id",), accounts=("telegram_id",), labels=("member_name",),
    ),
    "outbox_messages": TableRule(
        D, "messages the bot queued or sent to the person", subject=("member_id",),
        accounts=("chat_id",), hidden=("text", "caption", "markup", "photo_key"),
    ),
    "proposals": TableRule(
        K, "strategy proposals the person drafted (kept: the cluster's record)",
        subject=("author_id",), labels=("author_label",),
    ),
    "proposal_comments": TableRule(
        D, "comments in proposal discussions", subject=("member_id",), labels=("author_label",)
    ),
    "routing_threads": TableRule(
        D, "conversations with a katalizátor", subject=("member_id",),
        actor=("handed_by_id", "resolved_by_id"), accounts=("origin_chat_id",),
        others=("member_id", "origin_chat_id", "handed_by_id", "resolved_by_id"),
    ),
    "routing_messages": TableRule(
        D, "messages to and from a katalizátor", subject=("author_id",),
        accounts=("origin_chat_id",),
    ),
    "routing_deliveries": TableRule(
        D, "routed messages delivered to the person", accounts=("chat_id",)
    ),
    "routing_copies": TableRule(
        D, "the messages those deliveries made in the person's chat", accounts=("chat_id",)
    ),
    "routing_sessions": TableRule(D, "an open chat with a katalizátor", subject=("member_id",)),
    "routing_flood": TableRule(D, "the per-minute message counter", subject=("member_id",)),
    "workplans": TableRule(K, "work plans the person created", actor_labels=("created_by_label",)),
    "workplan_versions": TableRule(
        K, "work-plan versions the person made", actor_labels=("actor_label",)
    ),
    "workplan_task_events": TableRule(
        K, "progress reports and task changes the person made (kept: the plan's record)",
        actor=("actor_id",), actor_labels=("actor_label",), details=("note",),
    ),
}  # fmt: skip

NOT_PERSONAL: dict[str, str] = {
    "cluster_settings": "cluster-wide settings (the main group, the bot's username, schedules)",
    "outbox_files": (
        "pictures and documents many messages carry (the work-plan chart; a meeting's minutes, "
        "a copy of the kept record with its attendance sheet)"
    ),
    "schedule_sent": "schedule slots already sent",
    "ballot_options": "a ballot's options",
    "ballot_reminders": "which reminders of a ballot went out",
    "ballot_secret_tallies": "a closed secret ballot's counts, per option",
    "ballot_urn": "an open secret ballot's papers: a random id, the ballot and the option",
    "resolutions": "the register of resolutions",
    "meeting_items": "meetings' agenda items and the ballots that decided them",
    "meeting_reminders": "which reminders of a meeting went out",
    "workplan_tasks": "work-plan tasks (a workgroup or the KSz answers for them)",
}

#: The tables holding a person's identity as such: the sweep of texts leaves them alone (they
#: are handled row by row; another member's name may contain the erased one's).
IDENTITY_TABLES = frozenset({"members", "telegram_users"})


@dataclass(frozen=True)
class Person:
    """Whom an export or an erasure is about."""

    member_id: int | None
    telegram_id: int | None
    name: str | None

    def refs(self, rule: TableRule, *, own_only: bool = False) -> list[Ref]:
        """The references of a table rule that point to this person (``own_only``: rows that
        are theirs, not their actions)."""
        refs: list[Ref] = []
        refs += [(c, self.member_id) for c in rule.subject]
        refs += [(c, self.telegram_id) for c in rule.accounts]
        refs += [(c, self.name) for c in rule.labels]
        if not own_only:
            refs += [(c, self.member_id) for c in rule.actor]
            refs += [(c, self.name) for c in rule.actor_labels]
        return refs

    def owns(self, rule: TableRule, row: dict[str, Any]) -> bool:
        """Whether the row is the person's own (not only something they did)."""
        return any(row[c] is not None and row[c] == v for c, v in self.refs(rule, own_only=True))

    def is_them(self, rule: TableRule, column: str, value: Any) -> bool:
        """Whether ``value`` in ``column`` is this person (their id, account or name)."""
        return value is not None and any(c == column and v == value for c, v in self.refs(rule))


# --- the export ------------------------------------------------------------------------------


@dataclass
class Export:
    """Everything stored about one person: each table's rows about them, what was left out and
    why, and the names of what the rows point to (ballots, workgroups …) for the summary."""

    made_at: datetime
    person: Person
    member: Member | None
    account: TelegramUser | None
    tables: dict[str, list[dict[str, Any]]]
    omitted: dict[str, list[str]]
    context: dict[str, dict[int, str]]


async def export(uow: UnitOfWork, telegram_id: int, now: datetime) -> Export:
    """Every row of every table about the person behind ``telegram_id`` (a member or not)."""
    account = await uow.telegram_users.get(telegram_id)
    member = await uow.members.by_telegram_id(telegram_id)
    person = Person(member.id if member else None, telegram_id, member.name if member else None)
    tables: dict[str, list[dict[str, Any]]] = {}
    omitted: dict[str, list[str]] = {}
    for source in Base.metadata.sorted_tables:  # parents before their children
        rule = PERSONAL_DATA.get(source.name)
        if rule is None:
            continue
        rows = await _rows_of(uow, person, rule, source.name, tables)
        if rule.hidden:
            omitted[source.name] = list(rule.hidden)
        if rows:
            tables[source.name] = rows
    return Export(now, person, member, account, tables, omitted, await _context(uow, tables))


async def _rows_of(
    uow: UnitOfWork,
    person: Person,
    rule: TableRule,
    name: str,
    done: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    if rule.parent is not None:
        column, parent = rule.parent
        ids = [row["id"] for row in done.get(parent, [])]
        rows = await uow.privacy.rows(name, [(column, ids)])
    else:
        rows = await uow.privacy.rows(name, person.refs(rule))
    for row in rows:
        if rule.parent is None and not person.owns(rule, row):  # only their action: of the
            for column in rule.others:  # others, only what is themselves stays
                if not person.is_them(rule, column, row[column]):
                    row[column] = None
        for column in rule.hidden:
            row.pop(column, None)
    return rows


_CONTEXT: dict[str, tuple[str, str, str]] = {
    # what the summary names: (table, id column, name column), looked up by the ids it meets
    "ballots": ("ballots", "id", "question"),
    "options": ("ballot_options", "id", "label"),
    "workgroups": ("workgroups", "id", "name"),
    "proposals": ("proposals", "id", "title"),
    "tasks": ("workplan_tasks", "id", "title"),
}
_POINTERS: dict[str, tuple[tuple[str, str], ...]] = {
    "ballots": (("ballot_roll", "ballot_id"), ("ballot_votes", "ballot_id"),
                ("ballot_comments", "ballot_id"), ("ballots", "id")),
    "options": (("ballot_vote_choices", "option_id"),),
    "workgroups": (("workgroup_members", "workgroup_id"), ("routing_threads", "workgroup_id"),
                   ("routing_sessions", "workgroup_id"), ("workgroups", "id")),
    "proposals": (("proposal_comments", "proposal_id"), ("proposals", "id")),
    "tasks": (("workplan_task_events", "task_id"),),
}  # fmt: skip


async def _context(
    uow: UnitOfWork, tables: dict[str, list[dict[str, Any]]]
) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {}
    for key, (source, id_column, name_column) in _CONTEXT.items():
        ids = {
            row[column]
            for name, column in _POINTERS[key]
            for row in tables.get(name, [])
            if row.get(column) is not None
        }
        rows = await uow.privacy.rows(source, [(id_column, sorted(ids))]) if ids else []
        if rows:
            found[key] = {row[id_column]: str(row[name_column]) for row in rows}
    return found


# --- erasure ---------------------------------------------------------------------------------


async def offices(uow: UnitOfWork, member: Member) -> tuple[list[str], list[str]]:
    """The offices the member holds (``ksz``, ``st_chair``, ``catalyst``) and the workgroups
    they are the katalizátor of."""
    groups = [g.name for g in await uow.workgroups.catalyst_of(member.id)]
    held = []
    if member.is_ksz and member.is_active:
        held.append("ksz")
    if member.is_st_chair:
        held.append("st_chair")
    if groups:
        held.append("catalyst")
    return held, groups


async def check_erasable(uow: UnitOfWork, member: Member) -> None:
    """Refuse before anything changes: an erased member again, or an office holder (whose
    office must pass to someone else first)."""
    check_not_erased(member)
    held, groups = await offices(uow, member)
    if held:
        raise OfficeHolder(member.name, held, groups)


@dataclass
class ErasurePlan:
    """What an erasure would do, for the confirmation: rows per table that go, and that stay
    under the pseudonym."""

    member: Member
    pseudonym: str
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


async def plan_erasure(uow: UnitOfWork, member: Member) -> ErasurePlan:
    """Check the rules and count what an erasure would delete and keep, changing nothing."""
    await check_erasable(uow, member)
    plan = ErasurePlan(member, pseudonym(member.id))
    plan.deleted, plan.kept = await _tally(uow, member)
    return plan


async def _tally(uow: UnitOfWork, member: Member) -> tuple[dict[str, int], dict[str, int]]:
    """The member's own rows per table, in the tables whose rows go and those whose stay
    (their places on the rolls of open ballots they have not voted in go with the vote)."""
    person = Person(member.id, member.telegram_id, member.name)
    deleted: dict[str, int] = {}
    kept: dict[str, int] = {}
    for name, rule in PERSONAL_DATA.items():
        if rule.parent is not None or name == "members":
            continue
        count = await uow.privacy.count(name, person.refs(rule, own_only=True))
        if name == "ballot_roll" and member.is_active:
            count -= await uow.privacy.awaiting_votes(member.id)
        if count:
            (deleted if rule.fate is Fate.DELETE else kept)[name] = count
    return deleted, kept


@dataclass
class Erased:
    """What an erasure did; the caller removes ``telegram_id`` from ``leave_chats`` after the
    commit (the account is no longer in any workgroup)."""

    member_id: int
    pseudonym: str
    telegram_id: int | None
    leave_chats: list[int] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    rewritten: int = 0


async def erase(uow: UnitOfWork, member_id: int, actor: Actor, now: datetime) -> Erased:
    """Forget a member who leaves: see the module's description. Refuses an office holder
    (``OfficeHolder``) and an erased member (``MemberErased``) before changing anything."""
    member = await uow.members.get(member_id)
    if member is None:
        raise NotFound("member", str(member_id))
    await check_erasable(uow, member)
    account = await uow.telegram_users.get(member.telegram_id) if member.telegram_id else None
    person = Person(member.id, member.telegram_id, member.name)
    needles = _needles(member.name, account)
    namesakes = await _namesakes(uow, member, needles)
    done = Erased(member.id, pseudonym(member.id), member.telegram_id)
    done.deleted, done.kept = await _tally(uow, member)
    if member.is_active:  # off the rolls of open ballots, out of the linked groups
        outcome = Outcome(member=member)
        await set_flag(uow, member, "active", False, actor, now, outcome)
        done.leave_chats = outcome.leave_chats
    await uow.flush()
    await _forget_rows(uow, person)
    await _pseudonymise_member(uow, member, done.pseudonym)
    audit(uow, actor, "member_erased", now, member)
    await uow.flush()
    rewrite = _rewriter(needles, namesakes, done.pseudonym)
    done.rewritten = await _sweep(uow, needles, rewrite)
    uow.scrub_after_commit()  # SQLite: no earlier page version keeps them in the WAL
    return done


def _needles(name: str, account: TelegramUser | None) -> list[str]:
    """The strings that name the person in texts: the member's name, the Telegram name in
    either order (when it has two parts) and the @username."""
    found = [name]
    if account is not None:
        first, last = account.first_name or "", account.last_name or ""
        if first and last:
            found += [f"{last} {first}", f"{first} {last}"]
        if account.username:
            found.append(f"@{account.username}")
    return list(dict.fromkeys(found))


async def _forget_rows(uow: UnitOfWork, person: Person) -> None:
    """Per table: the person's rows go, or stay with the pseudonym for their name and without
    their Telegram id; what was still to be delivered to them will not be."""
    repo = uow.privacy
    alias = pseudonym(person.member_id or 0)
    for name, rule in PERSONAL_DATA.items():
        if rule.parent is not None or name == "members":
            continue
        own = person.refs(rule, own_only=True)
        if name == "join_requests":  # with the cards about them that went to the KSz
            await repo.delete_join_cards([row["id"] for row in await repo.rows(name, own)])
        if rule.fate is Fate.DELETE:
            await repo.delete(name, own)
            continue
        for column in rule.accounts:
            await repo.update(name, [(column, person.telegram_id)], {column: None})
        for column in (*rule.labels, *rule.actor_labels):
            await repo.update(name, [(column, person.name)], {column: alias})
    if person.member_id is not None:
        await repo.stop_announcement_deliveries(person.member_id)
        for key, details in await repo.audit_details(person.member_id):
            if details.get("field") == "organisation":  # the former employer: contact data
                await repo.set_value(
                    "audit_log", key, "details", {**details, "old": None, "new": None}
                )


async def _pseudonymise_member(uow: UnitOfWork, member: Member, alias: str) -> None:
    """The member row stays (kept records point to it) with nothing that identifies them: the
    pseudonym for the name, no organisation, no account, no office, in no workgroup."""
    member.name = alias
    member.name_key = name_key(alias)
    member.sort_key = hu_collation_string(alias)
    member.organisation = None
    member.telegram_id = None
    member.is_ksz = False
    await uow.flush()


Rewrite = Callable[[str], str]

#: A needle counts where no letter or digit touches it ("Kovács Anna" is not in "Kovács Annamária").
_EDGE = r"(?<![\w]){}(?![\w])"

#: Columns computed from another column of their row: (table, source) -> (column, how). The
#: sweep does not rewrite them itself; it writes them anew from each source value it rewrote.
DERIVED: dict[tuple[str, str], tuple[str, Callable[[str], str]]] = {
    ("resolutions", "text"): ("text_key", search_key),  # the register's search
}


async def _namesakes(uow: UnitOfWork, member: Member, needles: Sequence[str]) -> list[str]:
    """The longer names of other people that contain one of ``needles`` ("Kovács Anna Mária"
    for "Kovács Anna"): other members' names and their Telegram names in both orders."""
    found = await uow.privacy.names_containing(
        needles, member_id=member.id, telegram_id=member.telegram_id
    )
    patterns = [_pattern(n) for n in needles if n]
    folded = {n.casefold() for n in needles}
    return sorted(
        {n for n in found if n.casefold() not in folded and any(p.search(n) for p in patterns)}
    )


def _pattern(needle: str) -> re.Pattern[str]:
    """Where ``needle`` is written, at word edges, in any letter case."""
    return re.compile(_EDGE.format(re.escape(needle)), re.IGNORECASE)


def _rewriter(needles: Sequence[str], namesakes: Sequence[str], alias: str) -> Rewrite:
    """What the sweep does to a text: every needle (the longest first) becomes ``alias``, but
    where it is part of a namesake's longer name written in the text."""
    patterns = [_pattern(n) for n in sorted(needles, key=len, reverse=True) if n]
    kept = [_pattern(n) for n in namesakes]

    def rewrite(text: str) -> str:
        for pattern in patterns:
            spans = [m.span() for k in kept for m in k.finditer(text)]
            text = pattern.sub(partial(_unless_within, spans, alias), text)
        return text

    return rewrite


def _unless_within(spans: Sequence[tuple[int, int]], alias: str, match: re.Match[str]) -> str:
    """``alias`` for ``match``, or the match itself where it lies within one of ``spans``."""
    start, end = match.span()
    return match.group() if any(a <= start and end <= b for a, b in spans) else alias


async def _sweep(uow: UnitOfWork, needles: Sequence[str], rewrite: Rewrite) -> int:
    """Every text and JSON column of every table (but the identity tables, the name columns
    the rules handle and the ``DERIVED`` ones) that still names the person, in any letter
    case, is rewritten by ``rewrite`` (``_rewriter``); returns how many values were rewritten."""
    handled = {(n, c) for n, r in PERSONAL_DATA.items() for c in (*r.labels, *r.actor_labels)}
    handled |= {(table, column) for (table, _), (column, _) in DERIVED.items()}
    rewritten = 0
    for source in Base.metadata.sorted_tables:
        if source.name in IDENTITY_TABLES:
            continue
        for column in source.columns:
            if (source.name, column.name) in handled or not is_text(column.type):
                continue
            derived = DERIVED.get((source.name, column.name))
            for key, value in await uow.privacy.containing(source.name, column.name, needles):
                new = _replace(value, rewrite)
                if new != value:
                    await uow.privacy.set_value(source.name, key, column.name, new)
                    if derived is not None:
                        await uow.privacy.set_value(source.name, key, derived[0], derived[1](new))
                    rewritten += 1
    return rewritten


def _replace(value: Any, rewrite: Rewrite) -> Any:
    """``value`` (a text, or JSON) with every text in it rewritten."""
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, list):
        return [_replace(v, rewrite) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, rewrite) for k, v in value.items()}
    return value


# --- retention -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retained:
    """What one run of the retention deleted."""

    messages: int = 0
    threads: int = 0
    join_requests: int = 0

    def __bool__(self) -> bool:
        return bool(self.messages or self.threads or self.join_requests)


async def apply_retention(uow: UnitOfWork, now: datetime, keep: timedelta) -> Retained:
    """Delete the routed messages and join requests older than ``keep`` (and the threads left
    empty by it). Each is deleted by the first run after it falls due; a later run finds it
    gone, so nothing is deleted twice or early."""
    cutoff = now - keep
    messages, threads = await uow.privacy.delete_routed_before(cutoff)
    join_requests = await uow.privacy.delete_join_requests_before(cutoff)
    done = Retained(messages, threads, join_requests)
    if done:
        uow.scrub_after_commit()
    return done
