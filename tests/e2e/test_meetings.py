"""Meetings end to end: the invitation, the reminders, the attendance sheet and the live quorum,
the officers' election (the chair among them), the agenda's adoption, the agenda items' votes
(an affected member, a member leaving before the last item), the close and the minutes' PDF; a
meeting without a quorum; a rejected agenda; affected members leaving an item without a quorum;
who sees a Stratégiai Tanács meeting."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from bot.services.clock import FakeClock
from bot.services.identity import MemberSpec
from fakeapi import FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast, bind

NEWCOMER = MemberSpec("Új Ubul", MemberKind.INTERNAL)

START = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 17:00 in Budapest
FORM = (
    "/ules_uj\n"
    "Időpont: 2026.12.08 17:00\n"
    "Helyszín: Klaszteriroda, Budapest\n"
    "Online: https://meet.example/kgy\n"
    "Napirend: Beszámoló 2026 | A Közgyűlés elfogadja a 2026. évi szakmai beszámolót.\n"
    "Napirend: Tagdíj 2027 | A tagdíj 2027-ben évi 50 000 Ft, ő és ű betűvel."
)


async def _at(harness: BotHarness, clock: FakeClock, when: datetime) -> None:
    clock.current = when
    await harness.run_due_jobs()
    await harness.settle()


async def _say(harness: BotHarness, user: FakeUser, text: str) -> str:
    await harness.send(user, text)
    await harness.settle()
    return harness.last(user).text


async def _vote(harness: BotHarness, votes: dict[FakeUser, str]) -> None:
    for user, label in votes.items():
        await harness.press_label(user, harness.last(user), label)


def _pdf_text(data: bytes | None) -> str:
    pdf = PdfReader(io.BytesIO(data or b""))
    return " ".join(" ".join((p.extract_text() or "") for p in pdf.pages).split())


OFFICERS = "Jegyzőkönyvvezető: Külső Kata; Hitelesítők: Alapító Aladár, Elnök Emese"


async def _open_quorate(harness: BotHarness, cast: Cast, clock: FakeClock) -> None:
    """Meeting #1 convened by the KSz, three of the four members with the vote present."""
    await _say(harness, cast.ksz, FORM)
    await _at(harness, clock, datetime(2026, 12, 8, 15, 45, tzinfo=UTC))
    for user in (cast.internal, cast.founder, cast.chair):
        await _say(harness, user, "/jelen")
    await _at(harness, clock, START)


async def _officers_and_agenda(
    harness: BotHarness,
    clock: FakeClock,
    convener: FakeUser,
    meeting: int,
    voters: list[FakeUser],
    start: datetime,
) -> None:
    """The convener's officers (the convener chairs), then the agenda, adopted by ``voters``."""
    await _say(harness, convener, f"/ules_tisztsegviselok {meeting} {OFFICERS}")
    await _vote(harness, dict.fromkeys(voters, "Igen"))
    await _at(harness, clock, start + timedelta(minutes=10, seconds=30))
    await _say(harness, convener, f"/ules_napirend {meeting} 10")
    await _vote(harness, dict.fromkeys(voters, "Igen"))
    await _at(harness, clock, start + timedelta(minutes=20, seconds=30))


async def test_a_meeting_from_invitation_to_minutes(
    harness: BotHarness, cast: Cast, clock: FakeClock, db: Database, tg: FakeTelegram
) -> None:
    # convening: the notice period is kept; the invitation goes to every member
    refused = await _say(harness, cast.ksz, FORM.replace("2026.12.08", "2026.11.30"))
    assert "legalább 8 nappal" in refused
    replies = texts(await harness.send(cast.ksz, FORM))
    assert "Ülés #1 összehívva; a meghívó 6 taghoz megy." in replies
    await harness.settle()
    for user in (cast.internal, cast.external, cast.chair):
        invitation = harness.last(user).text
        assert "Meghívó – ülés #1" in invitation and "Testület: Közgyűlés" in invitation
        assert "Időpont: 2026. december 8., 17:00" in invitation
        assert "Helyszín: Klaszteriroda, Budapest" in invitation
        assert "2. Tagdíj 2027" in invitation
    # the reminders, a day and an hour before
    await _at(harness, clock, datetime(2026, 12, 7, 16, 0, 30, tzinfo=UTC))
    assert "holnap" in harness.last(cast.founder).text
    assert "Nincs most olyan ülés" in await _say(harness, cast.internal, "/jelen")
    await _at(harness, clock, datetime(2026, 12, 8, 15, 0, 30, tzinfo=UTC))
    assert "egy óra múlva kezdődik" in harness.last(cast.founder).text
    # attendance from 30 minutes before: the live quorum (3 of the 4 with the vote needed)
    await _at(harness, clock, datetime(2026, 12, 8, 15, 40, tzinfo=UTC))
    first = await _say(harness, cast.internal, "/jelen")
    assert "Felkerült az ülés #1 jelenléti ívére." in first
    assert "Jelen lévő szavazásra jogosultak: 1 / 4 (3 kell): még nem határozatképes." in first
    await _say(harness, cast.external, "/jelen")  # advisory right: on the sheet, not counted
    await _say(harness, cast.founder, "/jelen")
    third = await _say(harness, cast.chair, "/jelen")
    assert "3 / 4 (3 kell): határozatképes." in third
    # the start: quorate, the members present are told
    await _at(harness, clock, START)
    assert "Az ülés #1 határozatképes, megnyílt." in harness.last(cast.internal).text
    # nothing is decided before the officers and the agenda
    assert "tisztségviselők megválasztása után" in await _say(harness, cast.ksz, "/ules_napirend 1")
    assert "napirend elfogadása után" in await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    # the officers, the chair among them: elected by an open vote of those present
    officers = f"Levezető elnök: Belső Béla; {OFFICERS}"
    opened = texts(await harness.send(cast.ksz, f"/ules_tisztsegviselok 1 {officers}"))
    assert any("tisztségviselők választása (ülés #1, szavazás #1)" in text for text in opened)
    await harness.settle()
    assert (
        "Az ülés #1 tisztségviselőinek megválasztása – levezető elnök: Belső Béla; "
        "jegyzőkönyvvezető: Külső Kata; hitelesítők: Alapító Aladár, Elnök Emese."
    ) in harness.last(cast.internal).text
    await _vote(harness, {cast.internal: "Igen", cast.founder: "Igen", cast.chair: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 10, 30, tzinfo=UTC))
    assert "1/2026. (XII. 8.) Kgy. határozat" in harness.last(cast.internal).text
    # elected once; from now on the elected chair, not the convener, runs the meeting
    again = await _say(harness, cast.ksz, f"/ules_tisztsegviselok 1 {OFFICERS}")
    assert "már megválasztotta a tisztségviselőit" in again
    assert "levezető elnöke" in await _say(harness, cast.ksz, "/ules_napirend 1")
    # the agenda: adopted by an open vote of those present
    opened = texts(await harness.send(cast.internal, "/ules_napirend 1 10"))
    assert any("napirend elfogadásáról (ülés #1, szavazás #2)" in text for text in opened)
    await harness.settle()
    assert "Az ülés #1 napirendjének elfogadása: 1. Beszámoló 2026; 2. Tagdíj 2027" in (
        harness.last(cast.founder).text
    )
    await _vote(harness, {cast.internal: "Igen", cast.founder: "Igen", cast.chair: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 20, 30, tzinfo=UTC))
    assert "2/2026. (XII. 8.) Kgy. határozat" in harness.last(cast.internal).text
    assert "már elfogadta a napirendet" in await _say(harness, cast.internal, "/ules_napirend 1")
    # item 1: an affected member; the vote among those present
    opened = texts(await harness.send(cast.internal, "/ules_szavazas 1 1 10"))
    assert any("1. napirendi pont, szavazás #3" in text for text in opened)
    await harness.settle()
    ballot_messages = {u: harness.last(u) for u in (cast.internal, cast.founder, cast.chair)}
    assert "Szavazás #3" in ballot_messages[cast.founder].text
    assert "Szavazás #3" not in harness.last(cast.catalyst).text  # absent: no ballot
    await _say(harness, cast.founder, "/erintett 3 a cégem készítette a beszámolót")
    for user in (cast.internal, cast.chair):
        await harness.press_label(user, ballot_messages[user], "Igen")
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))
    assert "3/2026. (XII. 8.) Kgy. határozat" in harness.last(cast.internal).text
    # a member leaves before the last item: no quorum until the chair records another one
    left = await _say(harness, cast.chair, "/tavozom")
    assert "2 / 4 (3 kell): még nem határozatképes." in left
    assert "nincs határozatképes" in await _say(harness, cast.internal, "/ules_szavazas 1 2 10")
    assert "levezető elnöke" in await _say(harness, cast.ksz, "/jelen Katalizátor Kálmán")
    recorded = await _say(harness, cast.internal, "/jelen Katalizátor Kálmán")
    assert "Katalizátor Kálmán" in recorded and "3 / 4" in recorded
    await _say(harness, cast.internal, "/ules_szavazas 1 2 10")
    await _vote(harness, {cast.founder: "Nem", cast.internal: "Igen", cast.catalyst: "Igen"})
    # the elected chair closes the item's vote early
    await harness.send(cast.internal, "/szavazas_lezaras 4")
    await harness.press_label(cast.internal, harness.last(cast.internal), "Lezárás")
    await harness.settle()
    assert "4/2026. (XII. 8.) Kgy. határozat" in harness.last(cast.catalyst).text
    # the close, by the elected chair; the authenticators confirm the minutes with a button
    assert "levezető elnöke" in await _say(harness, cast.ksz, "/ules_zaras 1")
    closed = texts(await harness.send(cast.internal, "/ules_zaras 1"))
    assert "Az ülés #1 (Közgyűlés) lezárult. A jegyzőkönyv: /jegyzokonyv 1" in closed
    await harness.settle()
    request = harness.last(cast.founder)
    assert "jegyzőkönyv-hitelesítője" in request.text
    refused = await harness.press(cast.internal, request, "min:ok:1", forge=True)
    assert any("csak az ülés által megválasztott hitelesítők" in a for a in answers(refused))
    await harness.press_label(cast.founder, request, "Jegyzőkönyv hitelesítése")
    assert "hitelesítette" in harness.last(cast.founder).text
    await harness.settle()
    assert harness.last(cast.external).document_name is None  # one authenticator of two
    await harness.press_label(cast.chair, harness.last(cast.chair), "Jegyzőkönyv hitelesítése")
    await harness.settle()
    for user in (cast.internal, cast.external, cast.catalyst, cast.founder):
        sent = harness.last(user)  # the authenticated minutes, to every member
        assert sent.document_name == "jegyzokonyv-ules-1.pdf", user
        assert sent.caption == "Az ülés #1 (Közgyűlés) jegyzőkönyve."
        assert "Hitelesítette Elnök Emese" in _pdf_text(sent.document_bytes)
    # the quorum statement rests on the members with the vote at the start, not on today's
    clock.current += timedelta(days=1)
    await bind(db, clock, tg.add_user(first_name="Ubul", last_name="Új"), NEWCOMER)
    await harness.send(cast.internal, "/jegyzokonyv 1")
    document = harness.last(cast.internal)
    assert document.document_name == "jegyzokonyv-ules-1.pdf"
    text = _pdf_text(document.document_bytes)
    for expected in (
        "JEGYZŐKÖNYV",
        "Ülés #1, testület: Közgyűlés",
        "Időpont: 2026. december 8., 17:00",
        "Helyszín: Klaszteriroda, Budapest",
        "Levezető elnök: Belső Béla",
        "az ülés határozatképes: jelen van 3 szavazásra jogosult tag (összesen 4; 3 kell)",
        "Az ülés a jelenlévők nyílt szavazásával elfogadta a napirendet: 3 igen, 0 nem, 0 "
        "tartózkodás (egyhangúlag); határozat száma: 2/2026. (XII. 8.) Kgy. határozat.",
        "1. napirendi pont: Beszámoló 2026",
        "A Közgyűlés elfogadja a 2026. évi szakmai beszámolót.",
        "Érintett, nem szavazott, nem számít bele (Ptk. 3:19 (2)): Alapító Aladár",
        "2 igen, 0 nem, 0 tartózkodás (egyhangúlag)",
        "Jegyzőkönyvvezető: Külső Kata",
        "Jegyzőkönyv-hitelesítők: Alapító Aladár, Elnök Emese",
        "Megválasztva a jelenlévők nyílt szavazásával: 1/2026. (XII. 8.) Kgy. határozat",
        "Elfogadva, határozat száma: 3/2026. (XII. 8.) Kgy. határozat",
        "ő és ű betűvel",
        "2 igen, 1 nem, 0 tartózkodás",
        "4/2026. (XII. 8.) Kgy. határozat",
        "jegyzőkönyv-hitelesítő",
        "Hitelesítette Alapító Aladár jegyzőkönyv-hitelesítő (2026. december 8.,",
        "Melléklet: jelenléti ív",
        "Belső Béla",
        "Külső Kata",
        "tanácskozási",
    ):
        assert expected in text, (expected, text)


async def test_a_meeting_without_a_quorum(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    await _say(harness, cast.ksz, FORM)
    await _at(harness, clock, datetime(2026, 12, 8, 15, 45, tzinfo=UTC))
    await _say(harness, cast.internal, "/jelen")
    await _at(harness, clock, START)
    assert "Tagdíj 2027" in await _say(harness, cast.chair, "/ulesek")
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))  # 30 minutes
    notice = harness.last(cast.founder).text
    assert "Az ülés #1 (Közgyűlés) határozatképtelen volt" in notice
    assert "megismételt ülés" in notice
    assert "véget ért" in await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    await harness.send(cast.chair, "/jegyzokonyv 1")
    pdf = PdfReader(io.BytesIO(harness.last(cast.chair).document_bytes or b""))
    text = " ".join(" ".join((p.extract_text() or "") for p in pdf.pages).split())
    assert (
        "Az ülés határozatképtelen volt: jelen volt 1 szavazásra jogosult tag (összesen 4)" in text
    )
    assert "1. napirendi pont" not in text


async def test_a_meeting_without_a_quorum_is_not_closed_but_recorded_not_quorate(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """At 17:05 one of the four with the vote is present (3 needed): the convener's
    /ules_zaras is refused, the meeting stays waiting, is recorded as not quorate after the
    wait, its minutes say so, and it can be reconvened."""
    await _say(harness, cast.ksz, FORM)
    await _at(harness, clock, datetime(2026, 12, 8, 15, 45, tzinfo=UTC))
    await _say(harness, cast.internal, "/jelen")
    early = await _say(harness, cast.ksz, "/ules_zaras 1")  # before the start
    assert "Az ülés #1 még nem nyílt meg" in early and "nem zárható le" in early
    await _at(harness, clock, datetime(2026, 12, 8, 16, 5, tzinfo=UTC))
    refused = await _say(harness, cast.ksz, "/ules_zaras 1")
    assert "nem zárható le" in refused and "/ules_megismetelt" in refused
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))  # the wait is over
    await harness.send(cast.ksz, "/jegyzokonyv 1")
    text = _pdf_text(harness.last(cast.ksz).document_bytes)
    assert "Az ülés határozatképtelen volt: jelen volt 1 szavazásra jogosult tag" in text
    assert "határozatképes: jelen van" not in text
    again = texts(await harness.send(cast.ksz, "/ules_megismetelt 1 2026.12.17 17:00"))
    assert "Ülés #2 összehívva; a meghívó 6 taghoz megy." in again


async def test_only_the_convener_or_the_ksz_chairs(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    await _say(harness, cast.ksz, FORM)
    assert texts(await harness.send(cast.founder, "/ules_szavazas 1 1"))
    assert "levezető elnöke" in harness.last(cast.founder).text
    assert "még nem ért véget" in await _say(harness, cast.internal, "/jegyzokonyv 1")


async def test_minutes_without_officers_go_to_members_at_the_close(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    await _open_quorate(harness, cast, clock)
    await _say(harness, cast.ksz, f"/ules_tisztsegviselok 1 {OFFICERS}")
    await _vote(harness, {cast.internal: "Igen", cast.founder: "Nem", cast.chair: "Nem"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 10, 30, tzinfo=UTC))
    assert "ELUTASÍTVA" in harness.last(cast.internal).text
    # not elected: the agenda waits for them, the convener still chairs
    assert "tisztségviselők megválasztása után" in await _say(harness, cast.ksz, "/ules_napirend 1")
    assert harness.last(cast.catalyst).document_name is None
    await harness.send(cast.ksz, "/ules_zaras 1")
    await harness.settle()
    for user in (cast.internal, cast.external, cast.catalyst, cast.founder, cast.chair):
        sent = harness.last(user)
        assert sent.document_name == "jegyzokonyv-ules-1.pdf", user
        text = _pdf_text(sent.document_bytes)
        assert "Levezető elnök: Menedzser Márta" in text
        assert "Az ülés nem választott tisztségviselőket; az ülést az összehívója vezette." in text
        assert "Az ülés nem szavazott a napirendről." in text
        assert "Erről a napirendi pontról nem szavaztak." in text


async def test_a_rejected_agenda_leaves_only_the_close(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    await _open_quorate(harness, cast, clock)
    await _say(harness, cast.ksz, f"/ules_tisztsegviselok 1 {OFFICERS}")  # the convener chairs
    await _vote(harness, {cast.internal: "Igen", cast.founder: "Igen", cast.chair: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 10, 30, tzinfo=UTC))
    await _say(harness, cast.ksz, "/ules_napirend 1 10")
    assert "még nyitva" in await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    await _vote(harness, {cast.internal: "Nem", cast.founder: "Nem", cast.chair: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 20, 30, tzinfo=UTC))
    assert "ELUTASÍTVA" in harness.last(cast.internal).text
    refused = await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    assert "elutasította a napirendet" in refused and "/ules_zaras 1" in refused
    assert "nem szavaz újra" in await _say(harness, cast.ksz, "/ules_napirend 1")
    await harness.send(cast.ksz, "/ules_zaras 1")
    await harness.send(cast.ksz, "/jegyzokonyv 1")
    text = _pdf_text(harness.last(cast.ksz).document_bytes)
    assert (
        "Az ülés nem fogadta el a napirendet (1 igen, 2 nem, 0 tartózkodás); egyetlen napirendi "
        "pontról sem döntött, és lezárult."
    ) in text


async def test_affected_members_leave_an_item_without_a_quorum(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """Ptk. 3:19 (2): two of the three present are affected; the item's quorum base is the two
    other members with the vote, of whom one is present: not enough, whatever the votes."""
    await _open_quorate(harness, cast, clock)
    await _officers_and_agenda(
        harness, clock, cast.ksz, 1, [cast.internal, cast.founder, cast.chair], START
    )
    await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    await _say(harness, cast.founder, "/erintett 3 a cégem készítette")
    await _say(harness, cast.chair, "/erintett 3 a férjem cége")
    await _vote(harness, {cast.internal: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))
    result = harness.last(cast.internal).text
    assert "EREDMÉNYTELEN" in result
    assert (
        "Az érintett tagok nélkül nem volt határozatképes: 1 jelen lévő szavazásra jogosult "
        "szavazhatott, legalább 2 kellett."
    ) in result
    assert "3/2026" not in result
    await harness.send(cast.ksz, "/ules_zaras 1")
    await harness.send(cast.ksz, "/jegyzokonyv 1")
    text = _pdf_text(harness.last(cast.ksz).document_bytes)
    assert "Az érintett tagok nélkül a napirendi pont tárgyalásakor az ülés nem volt" in text


async def test_an_affected_member_at_a_meeting_is_told_the_meetings_quorum(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """The confirmation of /erintett in an item's vote states the meeting's quorum, as the
    vote's own lines do, not the ballot's rule (none: the meeting checks it)."""
    voters = [cast.internal, cast.founder, cast.chair]
    await _open_quorate(harness, cast, clock)
    await _officers_and_agenda(harness, clock, cast.ksz, 1, voters, START)
    await _say(harness, cast.ksz, "/ules_szavazas 1 1 10")
    reply = await _say(harness, cast.founder, "/erintett 3 a cégem készítette")
    assert reply.startswith("Rögzítve, hogy érintett (szavazás #3, Ptk. 3:19 (2))")
    assert "Szavazás ülésen: a jelen lévő szavazásra jogosultak (2 fő) szavaznak" in reply
    assert "nincs határozatképességi követelmény" not in reply


async def test_check_in_and_out_when_two_meetings_overlap(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """KGY #1 at 17:00 runs while ST #2 at 18:00 takes check-ins from 17:30: /tavozom acts on
    the meeting the member is present at, /jelen on one the member is invited to and not yet
    present at, the running one first; a meeting's number settles the rest."""
    await _say(harness, cast.ksz, FORM)
    await _say(
        harness, cast.founder, FORM.replace("17:00", "18:00") + "\nTestület: Stratégiai Tanács"
    )
    await _at(harness, clock, datetime(2026, 12, 8, 15, 45, tzinfo=UTC))
    for user in (cast.internal, cast.founder, cast.chair):
        await _say(harness, user, "/jelen")
    await _at(harness, clock, START)
    await _at(harness, clock, datetime(2026, 12, 8, 16, 35, tzinfo=UTC))  # 17:35 in Budapest
    left = await _say(harness, cast.internal, "/tavozom")
    assert "Távozását rögzítettük (ülés #1)" in left
    late = await _say(harness, cast.catalyst, "/jelen")  # not invited to the ST
    assert "Felkerült az ülés #1 jelenléti ívére." in late
    back = await _say(harness, cast.internal, "/jelen")  # present at neither: the running one
    assert "Felkerült az ülés #1 jelenléti ívére." in back
    st = await _say(harness, cast.founder, "/jelen")  # already at #1: the ST's sheet
    assert "Felkerült az ülés #2 jelenléti ívére." in st
    assert "Távozását rögzítettük (ülés #1)" in await _say(harness, cast.founder, "/tavozom")
    assert "Távozását rögzítettük (ülés #2)" in await _say(harness, cast.founder, "/tavozom 2")
    assert "ülés #2" in await _say(harness, cast.chair, "/jelen 2")
    refused = await _say(harness, cast.internal, "/tavozom 2")  # present at #1 only
    assert "Nem szerepel az ülés #2 jelenléti ívén." in refused


async def test_a_long_agenda_is_put_to_the_vote_by_reference(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """8 items of about 190 characters (ITEMS_MAX 20 and TITLE_MAX 200 allow more): listed,
    the question would pass QUESTION_MAX, so it names the agenda by reference."""
    items = "\n".join(
        f"Napirend: {n}. pont " + "hosszú cím " * 16 + f"vége {n}" for n in range(1, 9)
    )
    form = "/ules_uj\nIdőpont: 2026.12.08 17:00\nHelyszín: Klaszteriroda, Budapest\n" + items
    assert any("összehívva" in x for x in texts(await harness.send(cast.ksz, form)))
    await harness.settle()
    await _at(harness, clock, datetime(2026, 12, 8, 15, 45, tzinfo=UTC))
    voters = [cast.internal, cast.founder, cast.chair]
    for user in voters:
        await _say(harness, user, "/jelen")
    await _at(harness, clock, START)
    await _say(harness, cast.ksz, f"/ules_tisztsegviselok 1 {OFFICERS}")
    await _vote(harness, dict.fromkeys(voters, "Igen"))
    await _at(harness, clock, START + timedelta(minutes=10, seconds=30))
    opened = texts(await harness.send(cast.ksz, "/ules_napirend 1 10"))
    assert any("napirend elfogadásáról (ülés #1, szavazás #2)" in text for text in opened)
    await harness.settle()
    question = "Az ülés #1 napirendjének elfogadása (8 napirendi pont, a meghívó szerint)"
    assert question in harness.last(cast.internal).text


async def test_a_strategic_council_meeting_is_shown_to_its_members(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    form = FORM + "\nTestület: Stratégiai Tanács"
    assert any("összehívva" in text for text in texts(await harness.send(cast.founder, form)))
    await harness.settle()
    assert "Tagdíj 2027" in await _say(harness, cast.chair, "/ulesek")
    assert "Tagdíj 2027" in await _say(harness, cast.founder, "/ulesek")
    for user in (cast.internal, cast.external, cast.ksz):
        assert "Nincs összehívott ülés" in await _say(harness, user, "/ulesek"), user


async def test_a_group_is_shown_only_the_general_assemblys_meetings(
    harness: BotHarness, cast: Cast, clock: FakeClock, tg: FakeTelegram
) -> None:
    """A group's readers are not all invited to a Stratégiai Tanács meeting (the external
    supporter, a plain member): /ulesek there lists the Közgyűlés's meetings only, even when
    a founder asks; in private the founder still sees both."""
    await _say(harness, cast.founder, FORM + "\nTestület: Stratégiai Tanács")
    kgy = FORM.replace("Tagdíj 2027", "Székhely") + "\nTestület: Közgyűlés"
    await _say(harness, cast.ksz, kgy)
    group = tg.add_group(title="Klaszter", members=list(cast.all().values()), bot_is_admin=True)
    [listed] = texts(await harness.send(cast.founder, "/ulesek", chat=group))
    assert "Ülés #2 – Közgyűlés" in listed and "Székhely" in listed
    assert "Stratégiai Tanács" not in listed and "Tagdíj 2027" not in listed
    private = await _say(harness, cast.founder, "/ulesek")
    assert "Tagdíj 2027" in private and "Székhely" in private


async def test_a_reconvened_meeting_has_its_own_quorum(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    await _say(harness, cast.ksz, FORM)
    assert "határozatképtelen" in await _say(
        harness, cast.ksz, "/ules_megismetelt 1 2026.12.15 17:00"
    )
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))  # not quorate
    assert "3 és 15 nap" in await _say(harness, cast.ksz, "/ules_megismetelt 1 2026.12.09 17:00")
    replies = texts(await harness.send(cast.ksz, "/ules_megismetelt 1 2026.12.17 17:00"))
    assert "Ülés #2 összehívva; a meghívó 6 taghoz megy." in replies
    await harness.settle()
    invitation = harness.last(cast.internal).text
    assert "Meghívó – ülés #2" in invitation and "2. Tagdíj 2027" in invitation
    assert "az ülés #1 megismételt ülése" in invitation
    assert "a megjelent tagok számától függetlenül határozatképes" in invitation
    again = await _say(harness, cast.ksz, "/ules_megismetelt 1 2026.12.18 17:00")
    assert "határozatképtelen" in again  # once only
    # one member present is enough on the original agenda
    await _at(harness, clock, datetime(2026, 12, 17, 15, 45, tzinfo=UTC))
    await _say(harness, cast.internal, "/jelen")
    second = datetime(2026, 12, 17, 16, 0, tzinfo=UTC)
    await _at(harness, clock, second)
    assert "Az ülés #2 határozatképes, megnyílt." in harness.last(cast.internal).text
    await _officers_and_agenda(harness, clock, cast.ksz, 2, [cast.internal], second)
    await _say(harness, cast.ksz, "/ules_szavazas 2 1 10")
    await _vote(harness, {cast.internal: "Igen"})
    await _at(harness, clock, datetime(2026, 12, 17, 16, 30, 30, tzinfo=UTC))
    assert "3/2026. (XII. 17.) Kgy. határozat" in harness.last(cast.internal).text
    await harness.send(cast.ksz, "/ules_zaras 2")
    await harness.send(cast.ksz, "/jegyzokonyv 2")
    assert "az ülés #1 megismételt ülése" in _pdf_text(harness.last(cast.ksz).document_bytes)


async def test_a_secret_vote_on_a_personnel_matter(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    voters = [cast.internal, cast.founder, cast.chair]
    await _open_quorate(harness, cast, clock)
    await _officers_and_agenda(harness, clock, cast.ksz, 1, voters, START)
    opened = texts(await harness.send(cast.ksz, "/ules_szavazas 1 2 10 titkos"))
    assert any("A szavazás titkos" in text for text in opened)
    await harness.settle()
    for user, label in zip(voters, ("Igen", "Igen", "Nem"), strict=True):
        ballot_message = harness.last(user)
        assert "Titkos szavazás: a leadott szavazat végleges" in ballot_message.text
        await harness.press_label(user, ballot_message, label)
        await harness.press_label(user, harness.last(user), "Megerősítés")
        assert "Titkos szavazata rögzítve" in harness.last(user).text
    assert "titkos" in await _say(harness, cast.internal, "/szavazas_reszletek 3")
    await _at(harness, clock, datetime(2026, 12, 8, 16, 30, 30, tzinfo=UTC))
    result = harness.last(cast.catalyst).text
    assert "Igen: 2 szavazat" in result and "3/2026. (XII. 8.) Kgy. határozat" in result
    await harness.send(cast.ksz, "/ules_zaras 1")
    await harness.send(cast.ksz, "/jegyzokonyv 1")
    text = _pdf_text(harness.last(cast.ksz).document_bytes)
    assert "Titkos szavazás (személyi ügy): csak a szavazatok száma ismert." in text
    assert "2 igen, 1 nem, 0 tartózkodás" in text


#: No id: more digits than a 64-bit integer holds, and one more than a 32-bit id column
#: (PostgreSQL's ``INTEGER``) takes.
BIG = ("9" * 25, "2147483648")


@pytest.mark.parametrize("number", BIG)
@pytest.mark.parametrize(
    "command",
    [
        "/jegyzokonyv {n}",
        "/ules_zaras {n}",
        "/ules_napirend {n} 10",
        "/ules_szavazas {n} 1 10",
        "/ules_szavazas 1 {n} 10",
        "/ules_megismetelt {n} 2026.12.15 17:00",
        f"/ules_tisztsegviselok {{n}} {OFFICERS}",
        "/meghatalmazas visszavonás {n}",
        "/erintett {n} a cégem készítette",
        "/szavazas_reszletek {n}",
        "/szavazas_lezaras {n}",
    ],
)
async def test_an_over_long_number_is_bad_input_not_a_crash(
    harness: BotHarness,
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
    command: str,
    number: str,
) -> None:
    """A number too large to be an id (text.parse_id, as the buttons' ids) gets the command's
    usage or a refusal, never the apology for an error."""
    await _say(harness, cast.ksz, FORM)
    user = cast.internal if command.startswith("/meghatalmazas") else cast.ksz  # has the vote
    with caplog.at_level(logging.ERROR):
        sent = texts(await harness.send(user, command.format(n=number)))
    assert sent and not any("hiba történt" in text for text in sent), sent
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
