"""Issue 21 (a cluster manager's first week): ballots refuse early, edit only what changed, say
what was decided, know who voted, confirm a close, list sensibly and export for Hungarian Excel."""

from __future__ import annotations

from fakeapi import ApiCall, FakeTelegram
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


# --- item 7: no edit Telegram would refuse as "not modified" --------------------------------


async def test_changing_a_vote_makes_no_redundant_edit(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group(title="Klaszter", members=[cast.ksz], bot_is_admin=True)
    await harness.send(cast.ksz, "/fo_csoport", chat=group)
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Tagdíj 2027?\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.settle()
    ballot_message = harness.last(cast.internal)
    await harness.press_label(cast.internal, ballot_message, "Igen")
    await harness.settle()
    copy = next(m for m in tg.outbox(group) if "Szavazás #1 —" in m.text)
    assert "Részvétel: 1/4 (25%)" in copy.text
    edits_of_copy = len(copy.edits)
    # change the vote twice: the turnout stays, so the group's copy is not touched
    for label in ("Nem", "Igen"):
        await harness.press_label(cast.internal, ballot_message, "Szavazat módosítása")
        await harness.press_label(cast.internal, ballot_message, label)
        await harness.settle()
    assert len(copy.edits) == edits_of_copy
    # a double press on a stale keyboard ("Szavazat módosítása" twice) edits once
    change = next(d for row in ballot_message.buttons for text, d in row if "módosítása" in text)
    await harness.press(cast.internal, ballot_message, change)
    calls = await harness.press(cast.internal, ballot_message, change, forge=True)
    assert not _edits(calls)
    await harness.settle()
    assert [(c.method, c.error) for c in tg.calls if not c.ok] == []
