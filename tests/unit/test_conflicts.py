"""Ptk. 3:19 (2): who is in a ballot's quorum base, and who may mark a member affected."""

import pytest

from bot.services.ballots import (
    may_mark_affected,
    parse_affected,
    quorum_base,
    quorum_needed,
    sitting_quorum,
)
from bot.services.errors import InvalidInput
from bot.services.roles import Standing
from storage.models import MemberKind
from storage.models.ballots import QuorumRule


def test_the_affected_leave_the_quorum_base() -> None:
    assert quorum_base(10, 0) == 10
    assert quorum_base(10, 3) == 7
    assert quorum_base(1, 1) == 0
    # 7 members with the vote, 2 affected: more than half of 5 is 3, not 4
    assert quorum_needed(QuorumRule.MORE_THAN_HALF, quorum_base(7, 2)) == 3


@pytest.mark.parametrize(
    ("rule", "electorate", "present", "affected", "quorate"),
    [
        (QuorumRule.MORE_THAN_HALF, 7, 4, 0, True),
        # 4 of 7 present; one of them affected: 3 of the other 6 is not more than half
        (QuorumRule.MORE_THAN_HALF, 7, 4, 1, False),
        (QuorumRule.MORE_THAN_HALF, 7, 5, 1, True),
        # 3 of 4 present, 1 affected: 2 of 3; 2 affected: 1 of 2
        (QuorumRule.MORE_THAN_HALF, 4, 3, 1, True),
        (QuorumRule.MORE_THAN_HALF, 4, 3, 2, False),
        (QuorumRule.TWO_THIRDS, 9, 6, 1, False),
        (QuorumRule.TWO_THIRDS, 9, 7, 1, True),
        # a reconvened meeting without a quorum rule: someone who may vote must be present
        (QuorumRule.NONE, 5, 1, 0, True),
        (QuorumRule.NONE, 5, 1, 1, False),
    ],
)
def test_at_a_meeting_the_affected_leave_the_base_and_those_present(
    rule: QuorumRule, electorate: int, present: int, affected: int, quorate: bool
) -> None:
    short = sitting_quorum(rule, electorate, present, affected)
    assert (short is None) is quorate
    if short is not None:
        assert short.electorate == present - affected
        assert short.quorum_needed == quorum_needed(rule, electorate - affected)
        assert not short.quorum_met


@pytest.mark.parametrize(("roll", "affected"), [(3, 4), (3, -1)])
def test_the_affected_are_part_of_the_roll(roll: int, affected: int) -> None:
    with pytest.raises(ValueError, match="part of the roll"):
        quorum_base(roll, affected)


def _standing(member_id: int, **kw: bool) -> Standing:
    return Standing(
        member_id=member_id, name="Teszt", kind=MemberKind.INTERNAL, is_active=True, **kw
    )  # type: ignore[arg-type]


def test_members_declare_themselves_the_ksz_and_chair_mark_anyone() -> None:
    assert may_mark_affected(_standing(5), 5)
    assert not may_mark_affected(_standing(5), 6)
    assert may_mark_affected(_standing(5, is_ksz=True), 6)
    assert may_mark_affected(_standing(5, is_founder=True, is_st_chair=True), 6)


def test_the_command_text_is_a_number_and_the_rest() -> None:
    assert parse_affected("12 a férjem cége") == (12, "a férjem cége")
    assert parse_affected("#3 Kiss Anna: szerződő fél") == (3, "Kiss Anna: szerződő fél")
    with pytest.raises(InvalidInput):
        parse_affected("tizenkettő ok")
