"""Issue 14: the result block says each thing once, in the words of minutes: the votes needed to
adopt (the tally's number, with a plural), one sentence that names the body and what it did
("egyhangúlag" when unanimous), "Nyertes" for the options that won, no rule repeated and no
brackets inside brackets."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translations, Translator
from bot.services.ballots import OptionCount, Tally, tally
from bot.views import ballots as views
from storage.models.ballots import (
    Ballot,
    BallotKind,
    BallotOption,
    Body,
    Majority,
    QuorumRule,
    Resolution,
)

TZ = ZoneInfo("Europe/Budapest")
TRANSLATIONS = Translations("hu", TZ)


@pytest.fixture(params=["hu", "en"])
def t(request: pytest.FixtureRequest) -> Translator:
    return TRANSLATIONS.get(request.param)


HU = TRANSLATIONS.get("hu")
EN = TRANSLATIONS.get("en")


def _ballot(
    kind: BallotKind = BallotKind.YES_NO,
    body: Body = Body.KGY,
    labels: tuple[str, ...] = ("Igen", "Nem"),
    majority: Majority = Majority.SIMPLE,
    electorate: int = 10,
    max_choices: int = 1,
) -> Ballot:
    options = [
        BallotOption(id=i + 1, position=i, label=label, is_abstain=False)
        for i, label in enumerate(labels)
    ]
    options.append(
        BallotOption(id=len(labels) + 1, position=len(labels), label="Tartózkodom", is_abstain=True)
    )
    return Ballot(
        id=7,
        body=body,
        kind=kind,
        question="Elfogadja a tagdíjat?",
        max_choices=max_choices,
        secret=False,
        changeable=True,
        quorum=QuorumRule.MORE_THAN_HALF,
        majority=majority,
        deadline=datetime(2026, 12, 5, 17, 0, tzinfo=UTC),
        electorate=electorate,
        options=options,
    )


def _tally(ballot: Ballot, votes: list[int], turnout: int | None = None) -> Tally:
    counts = [
        OptionCount(o.id, o.label, n, o.is_abstain)
        for o, n in zip(ballot.options, votes, strict=True)
    ]
    return tally(
        ballot.kind,
        ballot.electorate,
        sum(votes) if turnout is None else turnout,
        counts,
        ballot.quorum,
        ballot.majority,
        ballot.max_choices,
    )


def _result(t: Translator, ballot: Ballot, votes: list[int], turnout: int | None = None) -> str:
    return views.result_text(t, ballot, _tally(ballot, votes, turnout), None)


def _no_nested_brackets(text: str) -> bool:
    return not re.search(r"\([^()]*\(", text)


@pytest.mark.parametrize(
    ("majority", "votes", "needed"),
    [
        (Majority.SIMPLE, [4, 2, 1], 4),  # 7 cast: more than half is 4
        (Majority.SIMPLE, [3, 3, 0], 4),  # 6 cast: 3 is half, not more than half
        (Majority.ABSOLUTE, [5, 0, 1], 6),  # 10 members: 6, whatever the turnout
        (Majority.TWO_THIRDS, [5, 1, 1], 5),  # 7 cast: 14/3 rounds up to 5
        (Majority.THREE_QUARTERS, [6, 2, 0], 6),  # 8 cast: 6
    ],
)
def test_votes_needed_to_adopt_is_the_tallys_number(
    majority: Majority, votes: list[int], needed: int
) -> None:
    ballot = _ballot(majority=majority)
    assert _tally(ballot, votes).votes_needed == needed
    name = views.majority_name(HU, majority)
    assert f"Elfogadáshoz szükséges: {needed} szavazat ({name})" in _result(HU, ballot, votes)
    assert f"Needed to adopt: {needed} votes (" in _result(EN, ballot, votes)


def test_one_vote_needed_is_singular_in_english() -> None:
    ballot = _ballot(electorate=1)
    assert "Needed to adopt: 1 vote (simple majority)" in _result(EN, ballot, [1, 0, 0])
    assert "Elfogadáshoz szükséges: 1 szavazat (egyszerű többség)" in _result(HU, ballot, [1, 0, 0])


def test_a_choice_ballot_needs_votes_to_win() -> None:
    ballot = _ballot(BallotKind.SINGLE, labels=("Budapest", "Debrecen"))
    assert "Nyeréshez szükséges: 4 szavazat (egyszerű többség)" in _result(HU, ballot, [5, 2, 0])


def test_the_sentence_names_the_body_and_what_it_did() -> None:
    assert (
        "A Közgyűlés 6 igen, 1 nem szavazattal, 0 tartózkodás mellett elfogadta a javaslatot."
        in _result(HU, _ballot(), [6, 1, 0])
    )
    st = _ballot(body=Body.ST, electorate=5)
    assert (
        "A Stratégiai Tanács 1 igen, 2 nem szavazattal, 1 tartózkodás mellett elutasította a "
        "javaslatot." in _result(HU, st, [1, 2, 1])
    )
    assert (
        "The Strategic Council rejected the proposal: 1 for, 2 against, 1 abstaining."
        in _result(EN, st, [1, 2, 1])
    )
    assert "A Közgyűlés nem hozott döntést." in _result(HU, _ballot(), [2, 0, 0])  # no quorum
    # yes beats no, but the abstentions count against under a simple majority
    assert "elutasította a javaslatot" in _result(HU, _ballot(), [3, 2, 2])


def test_unanimous_is_said_once_and_only_when_every_vote_was_yes() -> None:
    text = _result(HU, _ballot(), [6, 0, 0])
    assert "A Közgyűlés egyhangúlag, 6 igen szavazattal elfogadta a javaslatot." in text
    assert "Eredmény: <b>EGYHANGÚLAG ELFOGADVA</b>" in text
    assert "The General Assembly adopted the proposal unanimously, 6 for." in _result(
        EN, _ballot(), [6, 0, 0]
    )
    assert "egyhangúlag" not in _result(HU, _ballot(), [6, 0, 1])  # an abstention


def test_winners_are_winning_options_not_elected_people() -> None:
    ballot = _ballot(BallotKind.MULTI, labels=("Budapest", "Debrecen", "Szeged"), max_choices=2)
    text = _result(HU, ballot, [5, 1, 4, 0], turnout=6)  # 6 voters: 4 votes needed
    assert "A Közgyűlés döntést hozott.\nNyertesek: Budapest, Szeged" in text
    assert "Nem nyert:\n• Debrecen: 1 szavazat" in text
    assert "egválaszt" not in text
    single = _ballot(BallotKind.SINGLE, labels=("Budapest", "Debrecen"))
    assert "Winning option: Budapest" in _result(EN, single, [5, 1, 0])
    no_winner = _result(HU, single, [3, 3, 0])
    assert "A Közgyűlés nem hozott döntést: egyik lehetőség sem nyert." in no_winner
    assert "Eredmény: <b>NEM SZÜLETETT DÖNTÉS (egyik lehetőség sem nyert)</b>" in no_winner


def test_each_rule_is_said_once_without_brackets_in_brackets(t: Translator) -> None:
    for majority in Majority:
        ballot = _ballot(majority=majority)
        shown = views.ballot_text(t, ballot) + "\n" + _result(t, ballot, [6, 1, 1])
        assert _no_nested_brackets(shown), shown
        majority_line = next(
            line for line in shown.splitlines() if line.startswith(("Többség:", "Majority:"))
        )
        assert "többség" not in majority_line[len("Többség:") :].casefold()
        assert "majority" not in majority_line[len("Majority:") :].casefold()


def test_the_register_says_the_sentence_and_the_results_words() -> None:
    resolution = Resolution(
        body=Body.ST,
        year=2026,
        number=3,
        adopted_on=date(2026, 11, 27),
        ballot_id=7,
        text="Elfogadja a tagdíjat?",
        text_key="elfogadja a tagdíjat?",
        counts={
            "electorate": 5,
            "turnout": 5,
            "options": [["Igen", 4], ["Nem", 0], ["Tartózkodom", 1]],
            "kind": BallotKind.YES_NO.value,
            "needed": 3,
            "limit": 1,
            "fates": [],
        },
    )
    assert views.resolution_decision(HU, resolution) == [
        "A Stratégiai Tanács 4 igen, 0 nem szavazattal, 1 tartózkodás mellett elfogadta a "
        "javaslatot."
    ]
    assert views.stored_counts(HU, resolution) == [("Igen", 4), ("Nem", 0), ("Tartózkodás", 1)]
    assert views.stored_counts(EN, resolution) == [("Yes", 4), ("No", 0), ("Abstentions", 1)]
    resolution.counts["options"] = [["Igen", 5], ["Nem", 0], ["Tartózkodom", 0]]
    assert "egyhangúlag" in views.resolution_decision(HU, resolution)[0]


def test_ballot_options_are_lehetoseg_in_hungarian() -> None:
    multi = _ballot(BallotKind.MULTI, labels=("Budapest", "Debrecen", "Szeged"), max_choices=2)
    assert "Típus: legfeljebb 2 lehetőség választható" in views.ballot_text(HU, multi)
    single = _ballot(BallotKind.SINGLE, labels=("Budapest", "Debrecen"))
    assert "Típus: egy lehetőség választható" in views.ballot_text(HU, single)
    assert "Type: one option can be chosen" in views.ballot_text(EN, single)
    _, keyboard = views.kind_prompt(HU)
    labels = [row[0].text for row in keyboard.inline_keyboard]
    assert labels[1:] == ["Egy lehetőség választható", "Több lehetőség választható"]
