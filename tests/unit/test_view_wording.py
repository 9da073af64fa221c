"""Issue 14: texts whose wording is logic: buttons that name an action, not a state; "most nyílt"
rather than "0 perce nyitott"; a cut text marked with "…"; a deadline given in days and rounded up
to the quarter hour says so in the preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translations
from bot.services.ballots import BallotDraft, set_deadline
from bot.services.text import clip
from bot.views import ballots as ballot_views
from bot.views import members as member_views
from bot.views import routing as routing_views
from storage.models import Member, MemberKind

TZ = ZoneInfo("Europe/Budapest")
TRANSLATIONS = Translations("hu", TZ)
HU = TRANSLATIONS.get("hu")
EN = TRANSLATIONS.get("en")


def _member(**flags: bool) -> Member:
    return Member(
        id=3,
        name="Belső Béla",
        organisation=None,
        kind=MemberKind.INTERNAL,
        is_founder=flags.get("founder", False),
        is_ksz=flags.get("ksz", False),
        is_st_chair=flags.get("chair", False),
        is_active=True,
        telegram_id=None,
        memberships=[],
    )


def _labels(member: Member, language: str = "hu") -> list[str]:
    _, keyboard = member_views.member_card(TRANSLATIONS.get(language), member, [])
    return [button.text for row in keyboard.inline_keyboard for button in row]


@pytest.mark.parametrize(
    ("flags", "shown", "not_shown"),
    [
        ({}, ["Legyen alapító tag", "Legyen KSz-tag", "Legyen külső tag"], ["Ne legyen"]),
        (
            {"founder": True, "ksz": True, "chair": True},
            ["Ne legyen alapító tag", "Ne legyen KSz-tag", "Ne legyen az ST elnöke"],
            ["Legyen alapító tag", "Legyen KSz-tag"],
        ),
    ],
)
def test_member_card_buttons_name_the_action(
    flags: dict[str, bool], shown: list[str], not_shown: list[str]
) -> None:
    labels = _labels(_member(**flags))
    for label in shown:
        assert label in labels
    for label in not_shown:
        assert not any(existing.startswith(label) for existing in labels), labels
    assert not any(":" in label for label in labels)  # no "Alapító: igen" state labels


def test_member_card_buttons_in_english() -> None:
    assert {"Make founder", "Add to the KSz", "Make ST chair"} <= set(_labels(_member(), "en"))
    founder = _member(founder=True, ksz=True, chair=True)
    assert {"Remove founder status", "Remove from the KSz", "Remove as ST chair"} <= set(
        _labels(founder, "en")
    )


@pytest.mark.parametrize(
    ("seconds", "hungarian", "english"),
    [
        (0, "most nyílt", "just opened"),
        (59, "most nyílt", "just opened"),
        (60, "1 perce nyitott", "open for 1 minute"),
        (3 * 3600, "3 órája nyitott", "open for 3 hours"),
        (3 * 86400, "3 napja nyitott", "open for 3 days"),
    ],
)
def test_a_question_under_a_minute_old_just_opened(
    seconds: int, hungarian: str, english: str
) -> None:
    assert routing_views.age(HU, timedelta(seconds=seconds)) == hungarian
    assert routing_views.age(EN, timedelta(seconds=seconds)) == english


def test_a_cut_text_ends_in_an_ellipsis() -> None:
    assert clip("Piackutatás", 20) == "Piackutatás"
    assert clip("Piackutatás", 11) == "Piackutatás"
    assert clip("Piackutatás 2027", 12) == "Piackutatás…"  # the space before the cut goes
    assert len(clip("x" * 100, 40)) == 40 and clip("x" * 100, 40).endswith("…")


@pytest.mark.parametrize(
    ("now", "given", "shown"),
    [
        (datetime(2026, 12, 2, 3, 57, 12, tzinfo=UTC), "3", "2026. december 5., 5:00"),
        (datetime(2026, 12, 2, 4, 0, tzinfo=UTC), "3", "2026. december 5., 5:00"),
        (
            datetime(2026, 12, 2, 3, 57, 12, tzinfo=UTC),
            "2026.12.05 18:07",
            "2026. december 5., 18:07",
        ),
    ],
)
def test_the_preview_says_when_days_were_rounded_up(now: datetime, given: str, shown: str) -> None:
    draft = BallotDraft(question="Elfogadja a tagdíjat?")
    set_deadline(draft, given, now, TZ)
    preview = ballot_views.draft_preview(HU, draft, 4)
    rounded = given.isdigit() and now.minute % 15 != 0
    assert draft.deadline_rounded is rounded
    if rounded:
        assert f"Határidő: {shown} (negyedórára kerekítve)" in preview
        assert "(rounded up to the quarter hour)" in ballot_views.draft_preview(EN, draft, 4)
    else:
        assert f"Határidő: {shown}\n" in preview
