"""Issue 21 (a cluster manager's first week): ballots refuse early, edit only what changed, say
what was decided, know who voted, confirm a close, list sensibly and export for Hungarian Excel."""

from __future__ import annotations

import csv
import io
import re

from bot.jobs import ballots as jobs
from bot.services import ballots
from bot.services.clock import FakeClock
from fakeapi import ApiCall, FakeTelegram
from storage.db import Database
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import SPECS, Cast

MULTI = (
    "/szavazas_uj\nKérdés: Hol legyen a közgyűlés?\nHatáridő: 3\n"
    "Opciók: Budapest; Debrecen; Szeged; Pécs\nVálasztható: 2"
)


def _csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


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
    copy = next(m for m in tg.outbox(group) if "Szavazás #1 –" in m.text)
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


# --- item 8: what a choice ballot decided, and why the others failed, everywhere ------------


async def test_multi_choice_result_says_what_was_decided_everywhere(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await harness.send(cast.ksz, MULTI)
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    picks = {"internal": (1, 3), "founder": (1, 3), "chair": (1, 2), "catalyst": (1, 3)}
    async with db.unit() as uow:
        [ballot] = await uow.ballots.recent(1)
        by_name = {m.name: m.id for m in await uow.members.all()}
    for role, chosen in picks.items():
        member_id = by_name[SPECS[role].name]
        async with db.unit() as uow:
            option_ids = [ballot.options[n - 1].id for n in chosen]
            await ballots.cast_vote(uow, ballot.id, member_id, option_ids, clock.now())
    await jobs.close_and_announce(harness.app, ballot.id, "")
    await harness.settle()
    result = harness.last(cast.external).text
    assert "A Közgyűlés döntést hozott.\nNyertesek: Budapest, Szeged\nNem nyert:" in result
    assert "Debrecen: 1 szavazat (kevesebb, mint a szükséges szavazatszám)" in result
    assert "Pécs: 0 szavazat (kevesebb, mint a szükséges szavazatszám)" in result
    assert "ELFOGADVA" not in result and "Eredmény: DÖNTÉS SZÜLETETT" in result
    await harness.send(cast.ksz, "/hatarozatok")
    listing = harness.last(cast.ksz)
    assert "Nyertesek: Budapest, Szeged" in listing.text
    assert "Debrecen: 1 szavazat (kevesebb" in listing.text
    await harness.press_label(cast.ksz, listing, "CSV")
    rows = _csv(harness.last(cast.ksz).document_bytes)
    assert "Nyertesek: Budapest, Szeged" in rows[1][-1]
    assert "Debrecen: 1 szavazat" in rows[1][-1]
    await harness.press_label(cast.ksz, listing, "Markdown")
    markdown = harness.last(cast.ksz).document_bytes.decode()
    assert "Nyertesek: Budapest, Szeged" in markdown
    assert "- Debrecen: 1 szavazat (kevesebb, mint a szükséges szavazatszám)" in markdown


# --- item 9: a final vote is said at once ---------------------------------------------------


async def test_opening_a_secret_ballot_after_voting_says_so_at_once(
    harness: BotHarness, cast: Cast
) -> None:
    form = "/szavazas_uj\nKérdés: Megválasztja Kovács Annát elnöknek?\nHatáridő: 3\nTitkos: igen"
    await harness.send(cast.ksz, form)
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
    await harness.press_label(cast.internal, harness.last(cast.internal), "Megerősítés")
    await harness.send(cast.internal, "/szavazasok")
    await harness.press_label(cast.internal, harness.last(cast.internal), "#1")
    opened = harness.last(cast.internal)
    assert "Ebben a szavazásban már szavazott" in opened.text
    assert not any("Igen" in text or "Nem" in text for row in opened.buttons for text, _ in row)
    # one who has not voted still gets the buttons
    await harness.send(cast.founder, "/szavazasok")
    await harness.press_label(cast.founder, harness.last(cast.founder), "#1")
    assert [b[0] for b in harness.last(cast.founder).buttons[0]] == ["Igen", "Nem", "Tartózkodom"]


# --- item 10: ask before closing; list what can be closed; a sensible list of ballots ---------


async def test_closing_early_asks_first_and_lists_closable_ballots(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    for question in ("Első kérdés?", "Második kérdés?"):
        await harness.send(cast.ksz, f"/szavazas_uj\nKérdés: {question}\nHatáridő: 3")
        await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.settle()
    before = len(tg.outbox(cast.internal))
    calls = await harness.send(cast.ksz, "/szavazas_lezaras 1")
    [question] = texts(calls)
    assert "Lezárja a határidő előtt" in question and "Szavazás #1" in question
    await harness.settle()
    assert len(tg.outbox(cast.internal)) == before  # nothing closed, nobody notified
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Maradjon nyitva")
    assert "nyitva marad" in harness.last(cast.ksz).text
    # without a number: the caller's closable ballots, newest first, then the confirmation
    await harness.send(cast.ksz, "/szavazas_lezaras")
    listing = harness.last(cast.ksz)
    assert [row[0][0] for row in listing.buttons] == ["#2 Második kérdés?", "#1 Első kérdés?"]
    await harness.press_label(cast.ksz, listing, "#2")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Lezárás")
    await harness.settle()
    assert "Szavazás #2 eredménye" in harness.last(cast.internal).text
    [text] = texts(await harness.send(cast.founder, "/szavazas_lezaras"))
    assert "nincs olyan nyitott szavazása" in text


async def test_ballot_list_shows_open_first_then_newest_with_clean_excerpts(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    long = "A klaszter 2027. évi munkatervének és költségvetésének elfogadásáról szóló javaslat"
    await harness.send(cast.ksz, f"/szavazas_uj\nKérdés: {long}\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await jobs.close_and_announce(harness.app, 1, "")
    clock.advance(minutes=1)
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Harmadik?\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await jobs.close_and_announce(harness.app, 2, "")
    clock.advance(minutes=1)
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Nyitott?\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.settle()
    [listing] = texts(await harness.send(cast.internal, "/szavazasok"))
    order = [int(n) for n in re.findall(r"^#(\d+) –", listing, re.M)]
    assert order == [3, 2, 1]
    line = next(x for x in listing.splitlines() if x.startswith("#1 –"))
    excerpt = line.split(" – ", 2)[2]
    assert excerpt.endswith("…") and long.startswith(excerpt[:-1]) and excerpt[-2] != " "
    assert long[len(excerpt) - 1] == " "  # cut before a word, not inside one


# --- item 12: CSV for Hungarian Excel; English on request ------------------------------------


async def test_csv_exports_suit_hungarian_excel_and_english_on_request(
    harness: BotHarness, cast: Cast
) -> None:
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: =Tagdíj 2027\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    for role in ("internal", "founder", "chair", "catalyst"):
        await harness.press_label(getattr(cast, role), harness.last(getattr(cast, role)), "Igen")
    await jobs.close_and_announce(harness.app, 1, "")
    await harness.settle()

    async def exports() -> tuple[bytes, bytes]:
        await harness.send(cast.ksz, "/hatarozatok")
        await harness.press_label(cast.ksz, harness.last(cast.ksz), "CSV")
        register = harness.last(cast.ksz).document_bytes
        await harness.send(cast.ksz, "/tagok")
        await harness.press_label(cast.ksz, harness.last(cast.ksz), "Exportálás")
        return register, harness.last(cast.ksz).document_bytes

    register, directory = await exports()
    for data in (register, directory):
        assert data.startswith("\ufeff".encode())
        assert ";" in data.decode("utf-8-sig").splitlines()[0]
        assert "," not in data.decode("utf-8-sig").splitlines()[0]
    rows = list(csv.reader(io.StringIO(register.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["határozat száma", "testület", "elfogadás napja", "szöveg"]
    assert rows[1][3] == "'=Tagdíj 2027"  # the formula neutralisation holds in every dialect
    assert _csv(directory)[0][0] == "név"
    # in English: English headers and commas
    await harness.send(cast.ksz, "/language")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "English")
    await harness.send(cast.ksz, "/resolutions")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "CSV")
    rows = list(csv.reader(io.StringIO(harness.last(cast.ksz).document_bytes.decode("utf-8-sig"))))
    assert rows[0][:4] == ["number", "body", "adopted_on", "text"]
    assert rows[1][3] == "'=Tagdíj 2027"
