import pytest

from bot.services.roles import STRANGER, Permission, Role, Standing, allows, has_vote_in
from storage.models import MemberKind
from storage.models.ballots import Body


def standing(**kw: object) -> Standing:
    base: dict[str, object] = {"member_id": 1, "name": "Teszt Elek", "is_active": True}
    base.update(kw)
    return Standing(**base)  # type: ignore[arg-type]


INTERNAL = standing(kind=MemberKind.INTERNAL)
EXTERNAL = standing(kind=MemberKind.EXTERNAL)
FOUNDER = standing(kind=MemberKind.INTERNAL, is_founder=True)
CHAIR = standing(kind=MemberKind.INTERNAL, is_founder=True, is_st_chair=True)
CATALYST = standing(kind=MemberKind.INTERNAL, catalyst_of=frozenset({3}))
KSZ = standing(kind=MemberKind.EXTERNAL, is_ksz=True)
INACTIVE = standing(kind=MemberKind.INTERNAL, is_active=False, is_ksz=True, is_founder=True)


def test_voting_right_is_active_internal_membership() -> None:
    assert INTERNAL.has_vote
    assert not EXTERNAL.has_vote
    assert EXTERNAL.has_advisory_right
    assert not INTERNAL.has_advisory_right
    assert not INACTIVE.has_vote
    assert not STRANGER.has_vote


def test_strategic_council_is_the_founders() -> None:
    assert FOUNDER.in_strategic_council
    assert not INTERNAL.in_strategic_council
    assert not INACTIVE.in_strategic_council
    # an external founder is not in the ST (no vote there, no ST debate, no ST ballots)
    assert not standing(kind=MemberKind.EXTERNAL, is_founder=True).in_strategic_council


def test_the_vote_of_each_body() -> None:
    for body in Body:
        assert has_vote_in(body, is_active=True, kind=MemberKind.INTERNAL, is_founder=True)
        assert not has_vote_in(body, is_active=False, kind=MemberKind.INTERNAL, is_founder=True)
        assert not has_vote_in(body, is_active=True, kind=MemberKind.EXTERNAL, is_founder=True)
    assert has_vote_in(Body.KGY, is_active=True, kind=MemberKind.INTERNAL, is_founder=False)
    assert not has_vote_in(Body.ST, is_active=True, kind=MemberKind.INTERNAL, is_founder=False)


def test_deactivated_member_has_only_the_stranger_role() -> None:
    assert INACTIVE.roles() == {Role.STRANGER}
    assert not allows(Permission.KSZ, INACTIVE)
    assert allows(Permission.PUBLIC, INACTIVE)


def test_roles_accumulate() -> None:
    assert CHAIR.roles() == {Role.INTERNAL, Role.FOUNDER, Role.ST_CHAIR}
    assert KSZ.roles() == {Role.EXTERNAL, Role.KSZ}
    assert CATALYST.roles() == {Role.INTERNAL, Role.CATALYST}


P = Permission
BASE = {P.PUBLIC, P.MEMBER}


@pytest.mark.parametrize(
    ("who", "granted"),
    [
        (STRANGER, {P.PUBLIC}),
        (EXTERNAL, BASE),
        (INTERNAL, BASE | {P.VOTER}),
        (FOUNDER, BASE | {P.VOTER, P.FOUNDER, P.BALLOT_CREATOR}),
        (CHAIR, BASE | {P.VOTER, P.FOUNDER, P.ST_CHAIR, P.BALLOT_CREATOR, P.ANNOUNCER}),
        (CATALYST, BASE | {P.VOTER, P.CATALYST, P.REPORTER}),
        (KSZ, BASE | {P.KSZ, P.BALLOT_CREATOR, P.ANNOUNCER, P.REPORTER}),
    ],
)
def test_permission_matrix(who: Standing, granted: set[Permission]) -> None:
    assert {p for p in Permission if allows(p, who)} == granted
