"""Issue 21 (a cluster manager's first week): ballots refuse early, edit only what changed, say
what was decided, know who voted, confirm a close, list sensibly and export for Hungarian Excel."""

from __future__ import annotations

from fakeapi import ApiCall
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast

MULTI = (
    "/szavazas_uj\nKérdés: Hol legyen a közgyűlés?\nHatáridő: 3\n"
    "Opciók: Budapest; Debrecen; Szeged; Pécs\nVálasztható: 2"
)


def _edits(calls: list[ApiCall]) -> list[ApiCall]:
    return [c for c in calls if c.method.startswith("editMessage")]


# --- item 6: refuse at the tick; state both deadline limits ---------------------------------


async def test_a_tick_over_the_limit_or_with_abstain_is_refused_at_once(
    harness: BotHarness, cast: Cast
) -> None:
    await harness.send(cast.ksz, MULTI)
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.press_label(cast.founder, harness.last(cast.founder), "1. Budapest")
    await harness.press_label(cast.founder, harness.last(cast.founder), "3. Szeged")
    before = harness.last(cast.founder).buttons
    calls = await harness.press_label(cast.founder, harness.last(cast.founder), "2. Debrecen")
    assert any("Legfeljebb 2 lehetőséget jelölhet meg" in a for a in answers(calls))
    assert [c.params.get("show_alert") for c in calls if c.method == "answerCallbackQuery"] == [
        True
    ]
    assert not _edits(calls) and harness.last(cast.founder).buttons == before
    await harness.press_label(cast.founder, harness.last(cast.founder), "3. Szeged")
    calls = await harness.press_label(cast.founder, harness.last(cast.founder), "Tartózkodom")
    assert any("nem kombinálható más" in a for a in answers(calls))
    assert not _edits(calls)


async def test_a_deadline_refusal_names_both_limits(harness: BotHarness, cast: Cast) -> None:
    for deadline in ("0", "2020.01.01 10:00", "400"):
        [text] = texts(
            await harness.send(cast.ksz, f"/szavazas_uj\nKérdés: x\nHatáridő: {deadline}")
        )
        assert "legalább 5 perccel és legfeljebb 366 nappal" in text, (deadline, text)
