"""Issue 21 item 8: what a choice ballot decided and why each other option failed."""

from __future__ import annotations

from bot.services.ballots import Fate, OptionCount, option_fates, tally
from storage.models.ballots import BallotKind, Majority, QuorumRule


def _fates(kind: BallotKind, votes: list[int], max_choices: int) -> list[Fate]:
    counts = [OptionCount(i, f"o{i}", n, False) for i, n in enumerate(votes)]
    counts.append(OptionCount(99, "Tartózkodom", 0, True))
    turnout = 6
    result = tally(
        kind, 6, turnout, counts, QuorumRule.MORE_THAN_HALF, Majority.SIMPLE, max_choices
    )  # 4 votes needed
    return [f.fate for f in option_fates(result, kind)]


def test_short_outranked_and_tied_options_are_told_apart() -> None:
    assert _fates(BallotKind.MULTI, [6, 5, 4, 1], 2) == [
        Fate.CHOSEN, Fate.CHOSEN, Fate.OUTRANKED, Fate.SHORT,
    ]  # fmt: skip
    assert _fates(BallotKind.MULTI, [6, 5, 5, 4], 2) == [
        Fate.CHOSEN, Fate.TIE, Fate.TIE, Fate.OUTRANKED,
    ]  # fmt: skip
    assert _fates(BallotKind.SINGLE, [3, 3, 0], 1) == [Fate.SHORT, Fate.SHORT, Fate.SHORT]
    assert _fates(BallotKind.YES_NO, [5, 1], 1) == []
