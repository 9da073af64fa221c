"""Who a caller is in the cluster and what follows from it: derived here and nowhere else."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storage.models import Member, MemberKind
from storage.models.ballots import Body


class Role(enum.StrEnum):
    """The kinds of caller the authorisation rules distinguish."""

    STRANGER = "stranger"
    EXTERNAL = "external"
    INTERNAL = "internal"
    FOUNDER = "founder"
    ST_CHAIR = "st_chair"
    CATALYST = "catalyst"
    KSZ = "ksz"


class Permission(enum.StrEnum):
    """What a command or action needs."""

    PUBLIC = "public"
    MEMBER = "member"
    VOTER = "voter"
    FOUNDER = "founder"
    ST_CHAIR = "st_chair"
    CATALYST = "catalyst"
    KSZ = "ksz"
    #: KSz, ST chair or a founder: may put a question to a body (the service checks which).
    BALLOT_CREATOR = "ballot_creator"
    #: KSz or ST chair: may send announcements (the service checks which kind).
    ANNOUNCER = "announcer"
    #: KSz or a katalizátor: answers for work-plan tasks (the service checks which).
    REPORTER = "reporter"


@dataclass(frozen=True, slots=True)
class Standing:
    """A snapshot of one caller's place in the cluster."""

    member_id: int | None = None
    name: str = ""
    kind: MemberKind | None = None
    is_active: bool = False
    is_founder: bool = False
    is_ksz: bool = False
    is_st_chair: bool = False
    workgroup_ids: frozenset[int] = frozenset()
    catalyst_of: frozenset[int] = frozenset()

    @property
    def is_member(self) -> bool:
        """An active member whose account is known."""
        return self.member_id is not None and self.is_active

    @property
    def has_vote(self) -> bool:
        """Szavazati jog: active internal associate members."""
        return self.is_member and self.kind is MemberKind.INTERNAL

    @property
    def has_advisory_right(self) -> bool:
        """Tanácskozási jog only: active external supporting members."""
        return self.is_member and self.kind is MemberKind.EXTERNAL

    @property
    def in_strategic_council(self) -> bool:
        """The Stratégiai Tanács is made of the active internal founders."""
        return self.has_vote and self.is_founder

    @property
    def chairs_st(self) -> bool:
        return self.is_member and self.is_st_chair

    @property
    def is_catalyst(self) -> bool:
        return self.is_member and bool(self.catalyst_of)

    @property
    def is_ksz_staff(self) -> bool:
        return self.is_member and self.is_ksz

    def roles(self) -> frozenset[Role]:
        """Every role that applies; a stranger (or deactivated member) has only STRANGER."""
        if not self.is_member:
            return frozenset({Role.STRANGER})
        roles = {Role.INTERNAL if self.kind is MemberKind.INTERNAL else Role.EXTERNAL}
        if self.in_strategic_council:
            roles.add(Role.FOUNDER)
        if self.chairs_st:
            roles.add(Role.ST_CHAIR)
        if self.is_catalyst:
            roles.add(Role.CATALYST)
        if self.is_ksz_staff:
            roles.add(Role.KSZ)
        return frozenset(roles)


STRANGER = Standing()


def has_vote_in(body: Body, *, is_active: bool, kind: MemberKind | None, is_founder: bool) -> bool:
    """The vote in a body: the Közgyűlés's is every active internal associate member's, the
    Stratégiai Tanács's every active internal founder's. An electoral roll follows this rule
    while its ballot is open (``identity`` strikes those who lose it)."""
    internal = is_active and kind is MemberKind.INTERNAL
    return internal and (is_founder or body is not Body.ST)


_RULES: dict[Permission, Callable[[Standing], bool]] = {
    Permission.PUBLIC: lambda s: True,
    Permission.MEMBER: lambda s: s.is_member,
    Permission.VOTER: lambda s: s.has_vote,
    Permission.FOUNDER: lambda s: s.in_strategic_council,
    Permission.ST_CHAIR: lambda s: s.chairs_st,
    Permission.CATALYST: lambda s: s.is_catalyst,
    Permission.KSZ: lambda s: s.is_ksz_staff,
    Permission.BALLOT_CREATOR: lambda s: s.is_ksz_staff or s.chairs_st or s.in_strategic_council,
    Permission.ANNOUNCER: lambda s: s.is_ksz_staff or s.chairs_st,
    Permission.REPORTER: lambda s: s.is_ksz_staff or s.is_catalyst,
}


def allows(permission: Permission, standing: Standing) -> bool:
    """The one place that decides whether ``standing`` has ``permission``."""
    return bool(_RULES[permission](standing))


def standing_of(member: Member | None, catalyst_of: Iterable[int] = ()) -> Standing:
    """Build the standing of a member (with memberships loaded) or of a stranger;
    ``catalyst_of``: the ids of the workgroups the member leads."""
    if member is None:
        return STRANGER
    return Standing(
        member_id=member.id,
        name=member.name,
        kind=member.kind,
        is_active=member.is_active,
        is_founder=member.is_founder,
        is_ksz=member.is_ksz,
        is_st_chair=member.is_st_chair,
        workgroup_ids=frozenset(link.workgroup_id for link in member.memberships),
        catalyst_of=frozenset(catalyst_of),
    )
