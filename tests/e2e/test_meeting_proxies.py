"""Proxies at meetings end to end (meghatalmazás, MEETING_PROXIES): refused while the setting is
off; given, refused beyond the holder's limit and in a chain, revoked with the button and given
again; the holder informed; the represented member counted for the quorum; the holder casting
both votes, the principal refused; revoking after the start refused; the attendance and the
minutes' PDF naming who represented whom."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from bot.services.clock import FakeClock
from fakeapi import FakeMessage, FakeTelegram, FakeUser
from storage.db import Database
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness, answers
from tests.e2e.people import Cast
from tests.e2e.test_meetings import FORM, OFFICERS, START, _at, _say


async def _everyone_yes(harness: BotHarness, cast: Cast, command: str) -> None:
    """The chair's ``command`` opens a vote; the two present vote yes, the holder on both of
    the ballots they got (their own and the principal's)."""
    seen = {user: len(harness.tg.outbox(user)) for user in (cast.internal, cast.founder)}
    await _say(harness, cast.ksz, command)
    await harness.settle()
    for user, before in seen.items():
        for message in [m for m in harness.tg.outbox(user)[before:] if m.buttons]:
            await harness.press_label(user, message, "Igen")


def _with(harness: BotHarness, user: FakeUser, text: str) -> FakeMessage:
    """The newest message to ``user`` that contains ``text``."""
    found = [m for m in harness.tg.outbox(user) if text in (m.text or "")]
    assert found, f"no message with {text!r}"
    return found[-1]


async def test_proxies_are_off_by_default(harness: BotHarness, cast: Cast) -> None:
    await _say(harness, cast.ksz, FORM)
    answer = await _say(harness, cast.catalyst, "/meghatalmazas Belső Béla")
    assert "nem teszik lehetővé a meghatalmazást" in answer
    usage = await _say(harness, cast.catalyst, "/meghatalmazas")
    assert "/meghatalmazas visszavonas" in usage  # the revocation is discoverable


async def test_a_proxy_from_giving_to_the_minutes(
    db: Database, tg: FakeTelegram, cast: Cast, clock: FakeClock
) -> None:
    async with bot_on(db, tg, clock, meeting_proxies=True) as harness:
        await _run(harness, cast, clock)


async def _run(harness: BotHarness, cast: Cast, clock: FakeClock) -> None:
    await _say(harness, cast.ksz, FORM)
    # given: the principal gets a confirmation with a revoke button, the holder a notice
    given = await _say(harness, cast.catalyst, "/meghatalmazas Belső Béla")
    assert "Meghatalmazás rögzítve" in given and "Belső Béla" in given
    await harness.settle()
    notice = harness.last(cast.internal).text
    assert "Meghatalmazást kapott: Katalizátor Kálmán képviseletére" in notice
    # the holder's limit (1 by default), and no chains
    assert "már 1 tagot képvisel" in await _say(harness, cast.founder, "/meghatalmazas Belső Béla")
    assert "más tagokat képvisel" in await _say(
        harness, cast.internal, "/meghatalmazas Alapító Aladár"
    )
    assert "Saját magát nem" in await _say(harness, cast.founder, "/meghatalmazas Alapító Aladár")
    # revoked with the button, then given again for meeting #1 by number
    confirmation = _with(harness, cast.catalyst, "Meghatalmazás rögzítve")
    await harness.press_label(cast.catalyst, confirmation, "Meghatalmazás visszavonása")
    assert "Meghatalmazás visszavonva" in harness.last(cast.catalyst).text
    await harness.settle()
    assert "visszavonta a meghatalmazást" in harness.last(cast.internal).text
    again = await _say(harness, cast.catalyst, "/meghatalmazas 1 Belső Béla")
    assert "Meghatalmazás rögzítve" in again
    listed = await _say(harness, cast.ksz, "/ulesek")
    assert "Meghatalmazások" in listed
    assert "Katalizátor Kálmán (meghatalmazott: Belső Béla)" in listed
    # the holder checks in: the principal counts for the quorum
    await _at(harness, clock, datetime(2026, 12, 8, 15, 40, tzinfo=UTC))
    first = await _say(harness, cast.internal, "/jelen")
    assert "2 / 4 (3 kell): még nem határozatképes." in first
    assert "Ebből 1 tagot jelen lévő meghatalmazott képvisel." in first
    assert "3 / 4 (3 kell): határozatképes." in await _say(harness, cast.founder, "/jelen")
    await _at(harness, clock, START)
    assert "Az ülés #1 határozatképes, megnyílt." in harness.last(cast.internal).text
    # too late to revoke
    late = await _say(harness, cast.catalyst, "/meghatalmazas visszavonas")
    assert "már elkezdődött" in late
    # the officers and the agenda, the holder voting for the principal too
    for step, command in enumerate((f"/ules_tisztsegviselok 1 {OFFICERS}", "/ules_napirend 1 10")):
        await _everyone_yes(harness, cast, command)
        await _at(harness, clock, START + timedelta(minutes=10 * step + 10, seconds=30))
    # the item's vote: the holder gets their own ballot and one for the principal
    await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    await harness.settle()
    ballots = [m for m in harness.tg.outbox(cast.internal) if "Szavazás #3" in (m.text or "")]
    [own, proxy] = sorted(ballots, key=lambda m: "Meghatalmazás alapján" in (m.text or ""))
    assert own is not proxy and "Katalizátor Kálmán nevében" in proxy.text
    assert "Szavazás #3" not in harness.last(cast.catalyst).text  # absent: no ballot
    refused = await harness.press(cast.catalyst, own, "vote:c:3:1", forge=True)
    assert any("a meghatalmazottja szavaz" in a for a in answers(refused))
    await harness.press_label(cast.internal, proxy, "Igen")
    assert (
        "Katalizátor Kálmán szavazata rögzítve: Igen."
        in _with(harness, cast.internal, "Meghatalmazás alapján").text
    )
    await harness.press_label(cast.internal, own, "Igen")
    details = await _say(harness, cast.founder, "/szavazas_reszletek 3")
    assert "Katalizátor Kálmán (meghatalmazott: Belső Béla): Igen" in details
    await harness.press_label(cast.founder, _with(harness, cast.founder, "Szavazás #3"), "Igen")
    await _at(harness, clock, datetime(2026, 12, 8, 16, 31, 30, tzinfo=UTC))
    assert "3/2026. (XII. 8.) Kgy. határozat" in harness.last(cast.founder).text
    # the holder leaves: the principal's vote leaves too
    left = await _say(harness, cast.internal, "/tavozom")
    assert "1 / 4 (3 kell): még nem határozatképes." in left
    await harness.send(cast.ksz, "/ules_zaras 1")
    await harness.settle()
    await harness.send(cast.founder, "/jegyzokonyv 1")
    pdf = PdfReader(io.BytesIO(harness.last(cast.founder).document_bytes or b""))
    text = " ".join(" ".join((p.extract_text() or "") for p in pdf.pages).split())
    for expected in (
        "Az ülésre adott meghatalmazások: Katalizátor Kálmán (meghatalmazott: Belső Béla)",
        "jelen van 3 szavazásra jogosult tag (összesen 4; 3 kell). Ebből 1 tagot jelen lévő "
        "meghatalmazott képvisel.",
        "Meghatalmazott útján szavazott: Katalizátor Kálmán (meghatalmazott: Belső Béla)",
        "3 igen, 0 nem, 0 tartózkodás (egyhangúlag)",
        "meghatalmazott: Belső Béla",
    ):
        assert expected in text, (expected, text)
    annex = text[text.index("Melléklet: jelenléti ív") :]
    assert "Katalizátor Kálmán" in annex
