"""Members, offices, workgroups, invitations and join requests; every change is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.services.collation import hu_collation_string, hu_sort_key
from bot.services.errors import (
    AccountAlreadyBound,
    AlreadyDecided,
    AlreadyMember,
    AlreadyPending,
    Ambiguous,
    InvalidInput,
    InvitationProblem,
    MemberErased,
    NotFound,
    ReservedName,
    RuleViolation,
)
from bot.services.roles import has_vote_in
from bot.services.text import clean_text
from storage.db import UnitOfWork
from storage.models import (
    AuditEntry,
    Invitation,
    JoinRequest,
    JoinStatus,
    Member,
    MemberKind,
    Workgroup,
)
from storage.repositories import name_key

NAME_MAX = 200
WORKGROUP_NAME_MAX = 120
DESCRIPTION_MAX = 1000
NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a member, or an operator at the command line."""

    member_id: int | None
    label: str


CLI_ACTOR = Actor(None, "CLI")

#: What an erased member is called in every record that stays (``bot.services.privacy``):
#: stable, one per member, and never a name a living member can have.
PSEUDONYM = "Volt tag #{id}"
_PSEUDONYM_KEY = re.compile(r"volt tag #\d+")


def pseudonym(member_id: int) -> str:
    """The erased member's name in the records that stay: ``Volt tag #17``."""
    return PSEUDONYM.format(id=member_id)


def is_erased(member: Member) -> bool:
    """Whether the member's data was erased (only the pseudonymous record is left)."""
    return member.name == pseudonym(member.id)


def check_not_erased(member: Member) -> None:
    """An erased member's record is history: nothing about it changes any more."""
    if is_erased(member):
        raise MemberErased(member.name)


def hash_token(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    now: datetime,
    subject: Member | None = None,
    **details: Any,
) -> None:
    uow.audit.add(
        AuditEntry(
            at=now,
            actor_id=actor.member_id,
            actor_label=actor.label,
            action=action,
            subject_id=subject.id if subject is not None else None,
            subject_label=subject.name if subject is not None else "",
            details=details,
        )
    )


# --- members ---------------------------------------------------------------------------------


@dataclass
class MemberSpec:
    """Fields to create or update a member with; ``None`` means: leave as it is."""

    name: str
    kind: MemberKind | None = None
    organisation: str | None = None
    founder: bool | None = None
    ksz: bool | None = None
    st_chair: bool | None = None
    workgroups: list[str] = field(default_factory=list)
    catalyst_of: list[str] = field(default_factory=list)
    joined_on: date | None = None


@dataclass
class Outcome:
    """What a change did, including consequences the operator should hear about."""

    member: Member
    created: bool = False
    cleared_catalyst_of: list[str] = field(default_factory=list)
    previous_st_chair: str | None = None
    #: The member held the ST chair and lost it (deactivation); reactivation does not restore it.
    dropped_st_chair: bool = False
    created_workgroups: list[str] = field(default_factory=list)
    #: Linked Telegram groups the member's account must be removed from.
    leave_chats: list[int] = field(default_factory=list)


async def find_member(uow: UnitOfWork, text: str) -> Member:
    """Resolve a name (exact, then unique partial match) to a member."""
    text = clean_text(text, "name", NAME_MAX)
    member = await uow.members.by_name(text)
    if member is not None:
        return member
    matches = await uow.members.search(text, limit=11)
    if not matches:
        raise NotFound("member", text)
    if len(matches) > 1:
        raise Ambiguous("member", text, [m.name for m in matches])
    return matches[0]


async def find_workgroup(uow: UnitOfWork, text: str) -> Workgroup:
    """Resolve a workgroup by its name."""
    text = clean_text(text, "workgroup", WORKGROUP_NAME_MAX)
    group = await uow.workgroups.by_name(text)
    if group is None:
        raise NotFound("workgroup", text)
    return group


async def upsert_member(uow: UnitOfWork, spec: MemberSpec, actor: Actor, now: datetime) -> Outcome:
    """Create a member or update the given fields of an existing one, with every rule checked."""
    name = clean_text(spec.name, "name", NAME_MAX)
    organisation = (
        clean_text(spec.organisation, "organisation", NAME_MAX, required=False)
        if spec.organisation is not None
        else None
    )
    member = await uow.members.by_name(name)
    outcome: Outcome
    if member is not None:
        check_not_erased(member)
    elif _PSEUDONYM_KEY.fullmatch(name_key(name)):
        raise ReservedName(name)
    if member is None:
        if spec.kind is None:
            raise InvalidInput("kind", "empty")
        member = Member(
            name=name,
            name_key=name_key(name),
            sort_key=hu_collation_string(name),
            organisation=organisation or None,
            kind=spec.kind,
            is_founder=False,
            is_ksz=False,
            is_st_chair=False,
            is_active=True,
            joined_on=spec.joined_on or now.date(),
            created_at=now,
            memberships=[],
        )
        uow.members.add(member)
        await uow.flush()
        outcome = Outcome(member=member, created=True)
        audit(uow, actor, "member_created", now, member, kind=spec.kind.value)
        if organisation:
            audit(uow, actor, "member_changed", now, member, field="organisation", new=organisation)
    else:
        outcome = Outcome(member=member)
        if organisation is not None and organisation != (member.organisation or ""):
            audit(
                uow,
                actor,
                "member_changed",
                now,
                member,
                field="organisation",
                old=member.organisation or "",
                new=organisation,
            )
            member.organisation = organisation or None
        if spec.founder is False:  # before the kind: a founder cannot become external
            await set_flag(uow, member, "founder", False, actor, now, outcome)
        if spec.kind is not None:
            await set_kind(uow, member, spec.kind, actor, now, outcome)
    if spec.founder is not None:
        await set_flag(uow, member, "founder", spec.founder, actor, now, outcome)
    if spec.ksz is not None:
        await set_flag(uow, member, "ksz", spec.ksz, actor, now, outcome)
    if spec.st_chair is not None:
        await set_flag(uow, member, "st_chair", spec.st_chair, actor, now, outcome)
    for group_name in [*spec.workgroups, *spec.catalyst_of]:
        group = await _workgroup_for_upsert(uow, group_name, actor, now, outcome)
        await join_workgroup(uow, group, member, actor, now)
        if group_name in spec.catalyst_of:
            await set_catalyst(uow, group, member, actor, now)
    return outcome


async def _workgroup_for_upsert(
    uow: UnitOfWork, name: str, actor: Actor, now: datetime, outcome: Outcome
) -> Workgroup:
    group = await uow.workgroups.by_name(clean_text(name, "workgroup", WORKGROUP_NAME_MAX))
    if group is None:
        group = await create_workgroup(uow, name, "", actor, now)
        outcome.created_workgroups.append(group.name)
    return group


async def set_kind(
    uow: UnitOfWork,
    member: Member,
    kind: MemberKind,
    actor: Actor,
    now: datetime,
    outcome: Outcome | None = None,
) -> Outcome:
    """Change the membership kind; an external supporter cannot stay katalizátor."""
    outcome = outcome or Outcome(member=member)
    if member.kind is kind:
        return outcome
    check_kind_change(member, kind)
    audit(
        uow,
        actor,
        "member_changed",
        now,
        member,
        field="kind",
        old=member.kind.value,
        new=kind.value,
    )
    member.kind = kind
    if kind is MemberKind.EXTERNAL:
        await _clear_catalyst_roles(uow, member, actor, now, outcome)
        await _strike_from_open_rolls(uow, member, actor, now)
    return outcome


def check_kind_change(member: Member, kind: MemberKind) -> None:
    """The Stratégiai Tanács is its active internal founders (``roles.has_vote_in``), so a
    founder is always an internal associate member: a founder cannot be made external."""
    check_not_erased(member)
    if kind is MemberKind.EXTERNAL and member.is_founder:
        raise RuleViolation("founder_stays_internal", member.name)


async def check_flag_change(uow: UnitOfWork, member: Member, flag: str, value: bool) -> None:
    """Refuse a change of office that breaks a rule, before anything is changed.

    A founder must be internal (the ST is the active internal founders); the ST chair must stay
    a founder and is replaced, never just removed; the last active KSz member can neither give
    up the office nor be deactivated (nobody could manage the cluster any more).
    """
    check_not_erased(member)
    if flag == "st_chair" and value:
        if not member.is_founder:
            raise RuleViolation("st_chair_not_founder", member.name)
        if not member.is_active:
            raise RuleViolation("inactive", member.name)
    if flag == "founder" and value and member.kind is not MemberKind.INTERNAL:
        raise RuleViolation("founder_not_internal", member.name)
    if flag == "founder" and not value and member.is_st_chair:
        raise RuleViolation("st_chair_must_be_founder", member.name)
    if flag == "st_chair" and not value and member.is_st_chair and member.is_active:
        raise RuleViolation("last_st_chair", member.name)
    if flag in {"ksz", "active"} and not value and member.is_ksz and member.is_active:
        others = [m for m in await uow.members.ksz() if m.id != member.id]
        if not others:
            raise RuleViolation("last_ksz", member.name)


@dataclass
class ChangePreview:
    """What a change of kind, office or activity would do, for the confirmation question.

    ``what`` is ``kind``, ``founder``, ``ksz``, ``st_chair`` or ``active``; building a preview
    checks the rules, so a change that would be refused is refused before it is confirmed.
    """

    member: Member
    what: str
    value: bool | MemberKind
    drops_st_chair: bool = False
    #: Making someone ST chair moves the office from this member.
    previous_st_chair: str | None = None
    clears_catalyst_of: list[str] = field(default_factory=list)
    #: Reactivating a member does not give back the offices dropped at deactivation.
    offices_not_restored: bool = False


async def preview_change(
    uow: UnitOfWork, member: Member, field_name: str, value: bool | MemberKind
) -> ChangePreview:
    """Check a change of the member card and say what it would do, changing nothing."""
    preview = ChangePreview(member=member, what=field_name, value=value)
    if field_name == "kind":
        assert isinstance(value, MemberKind)
        check_kind_change(member, value)
        if value is MemberKind.EXTERNAL:
            preview.clears_catalyst_of = await _catalyst_names(uow, member)
        return preview
    assert isinstance(value, bool)
    await check_flag_change(uow, member, field_name, value)
    if field_name == "active" and not value:
        preview.drops_st_chair = member.is_st_chair
        preview.clears_catalyst_of = await _catalyst_names(uow, member)
    if field_name == "st_chair" and value:
        previous = await uow.members.st_chair()
        if previous is not None and previous.id != member.id:
            preview.previous_st_chair = previous.name
    if field_name == "active" and value and not member.is_active:
        preview.offices_not_restored = True
    return preview


async def _catalyst_names(uow: UnitOfWork, member: Member) -> list[str]:
    return sorted((g.name for g in await uow.workgroups.catalyst_of(member.id)), key=hu_sort_key)


async def set_flag(
    uow: UnitOfWork,
    member: Member,
    flag: str,
    value: bool,
    actor: Actor,
    now: datetime,
    outcome: Outcome | None = None,
) -> Outcome:
    """Set ``founder``, ``ksz``, ``st_chair`` or ``active``, keeping the offices consistent."""
    outcome = outcome or Outcome(member=member)
    attribute = {"founder": "is_founder", "ksz": "is_ksz", "st_chair": "is_st_chair"}.get(
        flag, "is_active" if flag == "active" else ""
    )
    if not attribute:
        raise InvalidInput("flag", "unknown")
    if getattr(member, attribute) == value:
        return outcome
    await check_flag_change(uow, member, flag, value)
    if flag == "st_chair" and value:
        previous = await uow.members.st_chair()
        if previous is not None and previous.id != member.id:
            previous.is_st_chair = False
            await uow.flush()
            outcome.previous_st_chair = previous.name
            audit(
                uow, actor, "member_changed", now, previous, field="st_chair", old=True, new=False
            )
    if flag == "active" and not value:
        if member.is_st_chair:
            member.is_st_chair = False
            outcome.dropped_st_chair = True
            audit(uow, actor, "member_changed", now, member, field="st_chair", old=True, new=False)
        await _clear_catalyst_roles(uow, member, actor, now, outcome)
        if member.telegram_id is not None:
            outcome.leave_chats += [
                link.workgroup.telegram_chat_id
                for link in member.memberships
                if link.workgroup.telegram_chat_id is not None
            ]
    audit(uow, actor, "member_changed", now, member, field=flag, old=not value, new=value)
    setattr(member, attribute, value)
    await uow.flush()
    if flag in {"active", "founder"} and not value:
        await _strike_from_open_rolls(uow, member, actor, now)
    return outcome


async def _strike_from_open_rolls(
    uow: UnitOfWork, member: Member, actor: Actor, now: datetime
) -> None:
    """A member who lost the vote of a body leaves the rolls of its open ballots, with a line
    in the log. Who has voted stays (the vote stands; the quorum base is the roll at the
    close). Each ballot is locked first, as a vote or a close locks it."""
    repo = uow.ballots
    for ballot in await repo.open_ballots_awaiting(member.id):
        if has_vote_in(
            ballot.body, is_active=member.is_active, kind=member.kind, is_founder=member.is_founder
        ):
            continue
        if await repo.strike(ballot.id, member.id):
            ballot.electorate -= 1
            audit(uow, actor, "struck_from_roll", now, member, ballot=ballot.id)
    await uow.flush()


async def _clear_catalyst_roles(
    uow: UnitOfWork, member: Member, actor: Actor, now: datetime, outcome: Outcome
) -> None:
    for group in sorted(
        await uow.workgroups.catalyst_of(member.id), key=lambda g: hu_sort_key(g.name)
    ):
        group.catalyst_id = None
        outcome.cleared_catalyst_of.append(group.name)
        audit(uow, actor, "catalyst_cleared", now, member, workgroup=group.name)


# --- workgroups ------------------------------------------------------------------------------


async def create_workgroup(
    uow: UnitOfWork, name: str, description: str, actor: Actor, now: datetime
) -> Workgroup:
    """Create a workgroup with a unique name."""
    name = clean_text(name, "workgroup", WORKGROUP_NAME_MAX)
    description = clean_text(description, "description", DESCRIPTION_MAX, required=False)
    if await uow.workgroups.by_name(name) is not None:
        raise RuleViolation("workgroup_exists", name)
    group = Workgroup(
        name=name, name_key=name_key(name), description=description, created_at=now, memberships=[]
    )
    uow.workgroups.add(group)
    await uow.flush()
    audit(uow, actor, "workgroup_created", now, None, workgroup=name)
    return group


async def join_workgroup(
    uow: UnitOfWork, group: Workgroup, member: Member, actor: Actor, now: datetime
) -> bool:
    """Add a member to a workgroup; False when already in it."""
    check_not_erased(member)
    added = await uow.workgroups.add_member(group, member, now)
    if added:
        await uow.flush()
        audit(uow, actor, "workgroup_joined", now, member, workgroup=group.name)
    return added


async def leave_workgroup(
    uow: UnitOfWork,
    group: Workgroup,
    member: Member,
    actor: Actor,
    now: datetime,
    outcome: Outcome | None = None,
) -> bool:
    """Remove a member from a workgroup (and from its katalizátor office and linked group)."""
    if group.catalyst_id == member.id:
        group.catalyst_id = None
        audit(uow, actor, "catalyst_cleared", now, member, workgroup=group.name)
    removed = await uow.workgroups.remove_member(group, member)
    if removed:
        await uow.flush()
        audit(uow, actor, "workgroup_left", now, member, workgroup=group.name)
        if outcome is not None and group.telegram_chat_id and member.telegram_id:
            outcome.leave_chats.append(group.telegram_chat_id)
    return removed


async def set_catalyst(
    uow: UnitOfWork, group: Workgroup, member: Member, actor: Actor, now: datetime
) -> None:
    """Make an active internal associate member of the workgroup its katalizátor."""
    check_not_erased(member)
    if member.kind is not MemberKind.INTERNAL:
        raise RuleViolation("catalyst_not_internal", member.name)
    if not member.is_active:
        raise RuleViolation("inactive", member.name)
    if group.catalyst_id == member.id:
        return
    await join_workgroup(uow, group, member, actor, now)
    group.catalyst_id = member.id
    await uow.flush()
    audit(uow, actor, "catalyst_set", now, member, workgroup=group.name)


async def clear_catalyst(
    uow: UnitOfWork, group: Workgroup, member: Member, actor: Actor, now: datetime
) -> None:
    """Remove the member from the workgroup's katalizátor office."""
    if group.catalyst_id == member.id:
        group.catalyst_id = None
        await uow.flush()
        audit(uow, actor, "catalyst_cleared", now, member, workgroup=group.name)


async def link_group(
    uow: UnitOfWork, group: Workgroup, chat_id: int, actor: Actor, now: datetime
) -> None:
    """Link a Telegram group to a workgroup (one group per workgroup, one workgroup per group)."""
    other = await uow.workgroups.by_chat(chat_id)
    if other is not None and other.id != group.id:
        raise RuleViolation("chat_linked_elsewhere", other.name)
    group.telegram_chat_id = chat_id
    await uow.flush()
    audit(uow, actor, "group_linked", now, None, workgroup=group.name)


# --- invitations -----------------------------------------------------------------------------


async def issue_invitation(
    uow: UnitOfWork, member: Member, actor: Actor, now: datetime, ttl: timedelta
) -> str:
    """A fresh single-use token for ``member``; older unused links stop working."""
    if not member.is_active:
        raise RuleViolation("inactive", member.name)
    await uow.invitations.revoke_open(member.id, now)
    token = secrets.token_urlsafe(24)
    uow.invitations.add(
        Invitation(
            member_id=member.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + ttl,
            created_by_id=actor.member_id,
        )
    )
    audit(uow, actor, "invitation_issued", now, member, expires=(now + ttl).isoformat())
    return token


async def redeem_invitation(uow: UnitOfWork, token: str, telegram_id: int, now: datetime) -> Member:
    """Bind ``telegram_id`` to the invited member; the token is used up."""
    if not token or len(token) > 64:
        raise InvitationProblem("unknown")
    invitation = await uow.invitations.by_hash(hash_token(token))
    if invitation is None:
        raise InvitationProblem("unknown")
    if invitation.used_at is not None:
        raise InvitationProblem("used")
    if invitation.expires_at <= now:
        raise InvitationProblem("expired")
    member = await uow.members.get(invitation.member_id)
    if member is None or not member.is_active:
        raise InvitationProblem("unknown")
    bound = await uow.members.by_telegram_id(telegram_id)
    if bound is not None and bound.id != member.id:
        raise AccountAlreadyBound(bound.name)
    invitation.used_at = now
    invitation.used_by_telegram_id = telegram_id
    if member.telegram_id != telegram_id:
        previous = member.telegram_id
        member.telegram_id = telegram_id
        await uow.flush()
        audit(
            uow,
            Actor(member.id, member.name),
            "account_bound",
            now,
            member,
            rebound=previous is not None,
        )
    return member


# --- join requests ---------------------------------------------------------------------------


async def request_join(
    uow: UnitOfWork,
    telegram_id: int,
    full_name: str,
    username: str | None,
    note: str,
    now: datetime,
) -> JoinRequest:
    """Record a stranger's request to join."""
    bound = await uow.members.by_telegram_id(telegram_id)
    if bound is not None:
        raise AlreadyMember(bound.name)
    if await uow.join_requests.pending_for(telegram_id) is not None:
        raise AlreadyPending()
    request = JoinRequest(
        telegram_id=telegram_id,
        full_name=clean_text(full_name or "?", "name", NAME_MAX),
        username=username,
        note=clean_text(note, "note", NOTE_MAX, required=False),
        status=JoinStatus.PENDING,
        created_at=now,
    )
    uow.join_requests.add(request)
    await uow.flush()
    return request


async def join_collision(uow: UnitOfWork, request: JoinRequest) -> Member | None:
    """The existing member whose name the applicant's Telegram name matches, if any.

    A join request never takes over such a member; the KSz is warned on the request's card.
    """
    return await uow.members.by_name(request.full_name)


async def decide_join(
    uow: UnitOfWork,
    request_id: int,
    kind: MemberKind | None,
    actor: Actor,
    now: datetime,
) -> tuple[JoinRequest, Member | None]:
    """Approve (``kind`` given: a new member of that kind) or reject (``kind`` None).

    Approval always creates a new member: it never binds the account to an existing one, even
    one without an account whose name matches (that member binds through their own invitation
    link). A name collision refuses the approval and leaves the request pending.
    """
    request = await uow.join_requests.get(request_id)
    if request is None:
        raise NotFound("join_request", str(request_id))
    if request.status is not JoinStatus.PENDING:
        raise AlreadyDecided(request.status.value)
    if kind is None:
        request.decided_at = now
        request.decided_by_id = actor.member_id
        request.status = JoinStatus.REJECTED
        audit(uow, actor, "join_rejected", now, None, applicant=request.full_name)
        return request, None
    bound = await uow.members.by_telegram_id(request.telegram_id)
    if bound is not None:
        raise AlreadyMember(bound.name)
    existing = await join_collision(uow, request)
    if existing is not None:
        raise RuleViolation("join_name_taken", existing.name)
    outcome = await upsert_member(uow, MemberSpec(name=request.full_name, kind=kind), actor, now)
    member = outcome.member
    if not outcome.created:  # unreachable after the check above; never bind an existing member
        raise RuleViolation("join_name_taken", member.name)
    member.telegram_id = request.telegram_id
    request.decided_at = now
    request.decided_by_id = actor.member_id
    request.status = JoinStatus.APPROVED
    request.member_id = member.id
    await uow.flush()
    audit(uow, actor, "join_approved", now, member)
    return request, member
