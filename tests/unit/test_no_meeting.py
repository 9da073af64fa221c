"""Ptk. 3:20: the decision without a meeting's form, its voting period, its date."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.ballots import (
    BallotDraft,
    BodyDefaults,
    NoMeetingQuorum,
    change_quorum,
    decision_day,
    everyone_voted,
    parse_form,
    toggle_procedure,
)
from bot.services.errors import InvalidInput
from storage.models.ballots import (
    Ballot,
    BallotStatus,
    Body,
    Majority,
    Procedure,
    QuorumRule,
)

TZ = ZoneInfo("Europe/Budapest")
NOW = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)
DEFAULTS = {b: BodyDefaults(QuorumRule.MORE_THAN_HALF, Majority.SIMPLE) for b in Body}


def _form(text: str) -> BallotDraft:
    return parse_form(text, NOW, TZ, DEFAULTS, [Body.KGY])


def test_the_form_names_the_procedure_and_demands_eight_days() -> None:
    draft = _form("Kérdés: Tagdíj?\nHatáridő: 8\nEljárás: ülés nélkül")
    assert draft.procedure is Procedure.NO_MEETING
    assert _form("Question: Fee?\nDeadline: 9\nProcedure: without a meeting").procedure is (
        Procedure.NO_MEETING
    )
    assert _form("Kérdés: Tagdíj?\nHatáridő: 3").procedure is Procedure.BALLOT
    with pytest.raises(InvalidInput) as refused:
        _form("Kérdés: Tagdíj?\nHatáridő: 7\nEljárás: ülés nélkül")
    assert (refused.value.field, refused.value.reason, refused.value.limit) == (
        "deadline", "no_meeting_days", 8,
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        _form("Kérdés: Tagdíj?\nHatáridő: 8\nEljárás: levélben")


def test_the_quorum_is_the_meetings_quorum() -> None:
    """Ptk. 3:20 (2): as many votes as a meeting's quorum; another rule is refused."""
    assert _form("Kérdés: Tagdíj?\nHatáridő: 8\nEljárás: ülés nélkül").quorum is (
        QuorumRule.MORE_THAN_HALF
    )
    for rule in ("nincs", "2/3"):
        with pytest.raises(NoMeetingQuorum) as refused:
            _form(f"Kérdés: Tagdíj?\nHatáridő: 8\nEljárás: ülés nélkül\nHatározatképesség: {rule}")
        assert refused.value.rule is QuorumRule.MORE_THAN_HALF
    assert _form("Kérdés: Tagdíj?\nHatáridő: 3\nHatározatképesség: nincs").quorum is (
        QuorumRule.NONE
    )  # an ordinary ballot keeps its own
    draft = BallotDraft(question="Tagdíj?", quorum=QuorumRule.NONE)
    toggle_procedure(draft, NOW, 8, QuorumRule.TWO_THIRDS)
    assert draft.quorum is QuorumRule.TWO_THIRDS
    with pytest.raises(NoMeetingQuorum):
        change_quorum(draft)


def test_the_wizard_switch_moves_a_short_deadline() -> None:
    draft = BallotDraft(question="Tagdíj?", deadline=NOW + timedelta(days=3))
    toggle_procedure(draft, NOW, 8, QuorumRule.MORE_THAN_HALF)
    assert draft.procedure is Procedure.NO_MEETING
    assert draft.deadline is not None and draft.deadline >= NOW + timedelta(days=8)
    longer = NOW + timedelta(days=20)
    draft.procedure, draft.deadline = Procedure.BALLOT, longer
    toggle_procedure(draft, NOW, 8, QuorumRule.MORE_THAN_HALF)
    assert draft.deadline == longer  # long enough: kept
    toggle_procedure(draft, NOW, 8, QuorumRule.MORE_THAN_HALF)
    assert draft.procedure is Procedure.BALLOT


def _ballot(deadline: datetime, procedure: Procedure = Procedure.NO_MEETING) -> Ballot:
    return Ballot(procedure=procedure, deadline=deadline, status=BallotStatus.OPEN, electorate=4)


def test_the_date_of_the_decision() -> None:
    deadline = datetime(2026, 12, 5, 22, 59, tzinfo=UTC)  # 23:59 in Budapest
    ballot = _ballot(deadline)
    # the deadline passed: its last day, whenever the close ran
    assert decision_day(ballot, deadline + timedelta(days=2), False, TZ) == date(2026, 12, 5)
    # everyone voted earlier: the day of the last vote
    early = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert decision_day(ballot, early, True, TZ) == date(2026, 12, 1)
    # a period ending at midnight ends on the day before
    midnight = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # 00:00 on 6 December in Budapest
    assert decision_day(_ballot(midnight), midnight, False, TZ) == date(2026, 12, 5)
    # an ordinary ballot: the day it closed
    plain = _ballot(deadline, Procedure.BALLOT)
    assert decision_day(plain, early, False, TZ) == date(2026, 12, 1)


def test_everyone_voted_closes_only_a_decision_without_a_meeting() -> None:
    deadline = NOW + timedelta(days=8)
    assert everyone_voted(_ballot(deadline), 4)
    assert not everyone_voted(_ballot(deadline), 3)
    assert not everyone_voted(_ballot(deadline, Procedure.BALLOT), 4)
