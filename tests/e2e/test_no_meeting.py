"""Decisions without a meeting (Ptk. 3:20) end to end: valid, invalid for too few votes, closed
at the last vote, stopped by a request for a meeting; the form and the wizard."""

from __future__ import annotations

from bot.services.clock import FakeClock
from fakeapi import FakeMessage, FakeUser
from storage.models.ballots import Ballot, Procedure, QuorumRule
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast

FORM = "Kérdés: A tagdíj 2027-ben 50 000 Ft legyen?\nHatáridő: 8\nEljárás: ülés nélkül"
VOTERS = ("internal", "founder", "chair", "catalyst")


async def _publish(harness: BotHarness, cast: Cast) -> tuple[Ballot, dict[str, FakeMessage]]:
    ballot = await harness.publish_form(cast.ksz, FORM)
    return ballot, {role: harness.last(getattr(cast, role)) for role in VOTERS}


async def _vote(
    harness: BotHarness, cast: Cast, messages: dict[str, FakeMessage], *roles: str
) -> None:
    for role in roles:
        await harness.press_label(getattr(cast, role), messages[role], "Igen")


def _result(harness: BotHarness, user: FakeUser) -> str:
    return harness.last(user).text


async def _after_deadline(harness: BotHarness, clock: FakeClock, user: FakeUser) -> str:
    """Past the 8 days: the deadline's jobs run; what ``user`` got last."""
    clock.advance(days=8, minutes=1)
    await harness.run_due_jobs()
    await harness.settle()
    return _result(harness, user)


async def test_valid_when_a_meetings_quorum_of_votes_arrives(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    ballot, messages = await _publish(harness, cast)
    text = messages["internal"].text
    assert "Eljárás: ülés tartása nélküli határozathozatal (Ptk. 3:20)" in text
    assert "Csak akkor eredményes, ha legalább 3 szavazat érkezik" in text
    assert ["Ülést kérek"] in [[label for label, _ in row] for row in messages["internal"].buttons]
    deadline_day = "2026. december 5."
    assert f"Határidő: {deadline_day}" in text
    # it runs to its deadline: an early close is refused
    [refused] = texts(await harness.send(cast.ksz, f"/szavazas_lezaras {ballot.id}"))
    assert "nem zárható le korábban" in refused
    await _vote(harness, cast, messages, "internal", "founder", "chair")
    result = await _after_deadline(harness, clock, cast.catalyst)
    assert "Az eljárás eredményes: 3 szavazat érkezett, legalább 3 kellett" in result
    assert "ELFOGADVA" in result
    # the resolution's date is the last day of the voting period, also in its number
    assert f"A határozathozatal napja (Ptk. 3:20 (4)): {deadline_day}" in result
    assert "1/2026. (XII. 5.) Kgy. határozat" in result
    [register] = texts(await harness.send(cast.internal, "/hatarozatok"))
    assert "Eljárás: ülés tartása nélküli határozathozatal (Ptk. 3:20)" in register


async def test_invalid_with_too_few_votes(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    _ballot, messages = await _publish(harness, cast)
    await _vote(harness, cast, messages, "internal", "founder")
    result = await _after_deadline(harness, clock, cast.chair)
    assert "Az eljárás eredménytelen: 2 szavazat érkezett, legalább 3 kellett" in result
    assert "EREDMÉNYTELEN (kevés szavazat)" in result
    assert "határozat" not in result.split("Eredmény:")[1]  # no resolution number


async def test_everyone_voting_early_closes_it_on_the_day_of_the_last_vote(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    _ballot, messages = await _publish(harness, cast)
    clock.advance(days=2)
    await _vote(harness, cast, messages, *VOTERS)
    await harness.settle()
    result = _result(harness, cast.ksz)
    assert "Az eljárás eredményes: 4 szavazat érkezett" in result
    assert "A határozathozatal napja (Ptk. 3:20 (4)): 2026. november 29." in result
    assert "1/2026. (XI. 29.) Kgy. határozat" in result


async def test_a_request_for_a_meeting_stops_it_and_tells_the_ksz(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    ballot, messages = await _publish(harness, cast)
    await _vote(harness, cast, messages, "internal")
    # the external supporter has no vote: no such button, and a forged one is refused
    calls = await harness.press(
        cast.external, messages["internal"], f"vote:m:{ballot.id}", forge=True
    )
    assert any("nincs szavazati joga" in a for a in answers(calls))
    founder_message = messages["founder"]
    await harness.press_label(cast.founder, founder_message, "Ülést kérek")
    assert "Ülés tartását kéri (szavazás #" in founder_message.text
    await harness.press_label(cast.founder, founder_message, "Vissza")  # changed their mind
    await harness.press_label(cast.founder, founder_message, "Ülést kérek")
    await harness.press_label(cast.founder, founder_message, "Igen, ülést kérek")
    assert "Kérését rögzítettük" in founder_message.text
    await harness.settle()
    stopped = _result(harness, cast.chair)
    assert "az ülés nélküli eljárás leállt" in stopped
    assert "Ülés tartását kérte (Ptk. 3:20): Alapító Aladár." in stopped
    assert "Ülés tartását kérte" in _result(harness, cast.external)  # every member is told
    ksz = _result(harness, cast.ksz)
    assert "Ülést kell összehívni" in ksz and "legalább 8 nappal" in ksz
    # no more votes, no result at the deadline, the list says why
    calls = await harness.press_label(cast.chair, messages["chair"], "Igen")
    assert any("lezárult" in a for a in answers(calls))
    sent = len(harness.tg.calls)
    await _after_deadline(harness, clock, cast.chair)
    assert not any("eredménye" in t for t in texts(harness.tg.calls[sent:]))
    [listing] = texts(await harness.send(cast.internal, "/szavazasok"))
    assert "leállt: ülést kértek" in listing


async def _wizard_preview(harness: BotHarness, cast: Cast) -> FakeMessage:
    """The KSz's new yes/no ballot in the wizard, open, three days: its preview."""
    await harness.send(cast.ksz, "/szavazas_uj")
    await harness.send(cast.ksz, "Elfogadja a Közgyűlés a tagdíjat?")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen / Nem / Tartózkodom")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Nyílt")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "3 nap")
    return harness.last(cast.ksz)


async def test_the_form_and_the_wizard(harness: BotHarness, cast: Cast) -> None:
    [refused] = texts(
        await harness.send(
            cast.ksz, "/szavazas_uj\nKérdés: Tagdíj?\nHatáridő: 3\nEljárás: ülés nélkül"
        )
    )
    assert "legalább 8 napot kell adni" in refused
    preview = await _wizard_preview(harness, cast)
    await harness.press_label(cast.ksz, preview, "Eljárás ↻")
    assert "Eljárás: ülés tartása nélküli határozathozatal (Ptk. 3:20)" in preview.text
    assert "Határidő: 2026. december 5., 14:30" in preview.text  # moved to 8 days
    await harness.press_label(cast.ksz, preview, "Közzététel")
    await harness.settle()
    assert "Ülés tartása nélküli" in harness.last(cast.internal).text or (
        "ülés tartása nélküli" in harness.last(cast.internal).text
    )


async def test_the_last_non_voter_declared_affected_closes_it_at_once(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """Every member of the quorum base has voted once the last one who had not is declared
    affected (out of the base): the procedure closes then, as at a last vote (Ptk. 3:20 (4)),
    not at the deadline with the deadline's date."""
    ballot, messages = await _publish(harness, cast)
    clock.advance(days=2)
    await _vote(harness, cast, messages, "internal", "founder", "chair")
    await harness.send(cast.catalyst, f"/erintett {ballot.id} a cégem a szerződő fél")
    await harness.settle()
    result = _result(harness, cast.ksz)
    assert "Az eljárás eredményes: 3 szavazat érkezett" in result
    assert "A határozathozatal napja (Ptk. 3:20 (4)): 2026. november 29." in result


async def test_the_quorum_is_the_bodys_meeting_quorum_whatever_the_form_or_the_wizard_says(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """Ptk. 3:20 (2): valid only with as many votes as a meeting's quorum (3 of 4). A form's
    ``Határozatképesség: nincs`` is refused, not taken: one vote of four decided nothing."""
    [refused] = texts(
        await harness.send(cast.ksz, "/szavazas_uj\n" + FORM + "\nHatározatképesség: nincs")
    )
    assert "határozatképessége az ülésével azonos" in refused
    assert "a szavazásra jogosult tagok több mint fele" in refused
    assert "Közzététel" not in str(harness.last(cast.ksz).buttons)
    # the same rule as the meeting's may be written out
    same = await harness.publish_form(cast.ksz, FORM + "\nHatározatképesség: 50%+1")
    assert same.quorum is QuorumRule.MORE_THAN_HALF
    # the wizard: a quorum switched off before the procedure is switched on comes back
    preview = await _wizard_preview(harness, cast)
    for _ in range(2):
        await harness.press_label(cast.ksz, preview, "Határozatképesség ↻")
    assert "Határozatképesség: nincs határozatképességi követelmény" in preview.text
    await harness.press_label(cast.ksz, preview, "Eljárás ↻")
    assert "Határozatképesség: a szavazásra jogosult tagok több mint fele" in preview.text
    assert "Határozatképesség ↻" not in str(preview.buttons)  # it cannot be changed now
    await harness.press_label(cast.ksz, preview, "Közzététel")
    await harness.settle()
    async with harness.app.bot_data.db.unit() as uow:
        [wizard] = await uow.ballots.recent(1)
    assert wizard.procedure is Procedure.NO_MEETING and wizard.quorum is QuorumRule.MORE_THAN_HALF
    # one vote of four: no resolution
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
    result = await _after_deadline(harness, clock, cast.chair)
    assert "ELFOGADVA" not in result and "EREDMÉNYTELEN" in result
