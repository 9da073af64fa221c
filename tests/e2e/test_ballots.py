"""Ballots end to end: creation, voting, secrecy, debate, reminders, closing, register."""

from __future__ import annotations

import csv
import io
import re

from bot.app import build_application, running
from bot.jobs import ballots as jobs
from bot.services.clock import FakeClock
from fakeapi import FakeTelegram, FakeUser
from storage.db import Database
from storage.models.ballots import Ballot
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast

VOTERS = ("internal", "founder", "chair", "catalyst")  # the cast's internal members


async def _publish_via_wizard(
    harness: BotHarness, author: FakeUser, *, secret: bool = False
) -> None:
    [text] = texts(await harness.send(author, "/szavazas_uj"))
    assert "Új szavazás" in text
    await harness.send(author, "Elfogadja a Közgyűlés a <2027.> évi munkatervet & költségvetést?")
    await harness.press_label(author, harness.last(author), "Igen / Nem / Tartózkodom")
    await harness.press_label(author, harness.last(author), "Titkos" if secret else "Nyílt")
    await harness.press_label(author, harness.last(author), "3 nap")
    preview = harness.last(author)
    assert "Előnézet – Közgyűlés" in preview.text
    assert "&lt;2027.&gt;" in preview.html
    assert "4 szavazásra jogosult tag kapja meg" in preview.text
    await harness.press_label(author, preview, "Közzététel")


async def _ballot(db: Database) -> Ballot:
    async with db.unit() as uow:
        [ballot] = await uow.ballots.recent(1)
        return ballot


async def test_ksz_publishes_and_only_voting_members_can_vote(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database
) -> None:
    await _publish_via_wizard(harness, cast.ksz)
    assert any("Szavazás #1 közzétéve" in m.text for m in tg.outbox(cast.ksz))
    for role in VOTERS:
        message = harness.last(getattr(cast, role))
        assert "Szavazás #1 – Közgyűlés" in message.text
        assert [b[0] for b in message.buttons[0]] == ["Igen", "Nem", "Tartózkodom"]
        assert "Határidő: 2026. november 30., 14:30" in message.text
        assert (
            "a szavazásra jogosult tagok több mint fele (legalább 3 fő; jogosultak: 4)"
            in message.text
        )
    info = harness.last(cast.external)
    assert "tanácskozási joggal, szavazati jog nélkül" in info.text
    assert [b[0] for b in info.buttons[0]] == ["Hozzászólás", "Vita"]
    assert tg.outbox(cast.stranger) == []
    # a member with the vote votes, changes, and the vote is confirmed
    ballot_message = harness.last(cast.internal)
    await harness.press_label(cast.internal, ballot_message, "Igen")
    assert "Szavazata rögzítve: Igen." in harness.last(cast.internal).text
    await harness.press_label(cast.internal, harness.last(cast.internal), "Szavazat módosítása")
    await harness.press_label(cast.internal, harness.last(cast.internal), "Nem")
    assert "Szavazata módosítva: Nem." in harness.last(cast.internal).text
    # the external supporter forges a vote press: refused, nothing counted
    ballot = await _ballot(db)
    calls = await harness.press(
        cast.external, info, f"vote:c:{ballot.id}:{ballot.options[0].id}", forge=True
    )
    assert any("nincs szavazati joga" in a for a in answers(calls))
    # a stranger is refused before anything else
    calls = await harness.press(
        cast.stranger, info, f"vote:c:{ballot.id}:{ballot.options[0].id}", forge=True
    )
    assert any("Elnézést" in a for a in answers(calls))
    # an option of another ballot is refused
    calls = await harness.press(
        cast.founder, harness.last(cast.founder), f"vote:c:{ballot.id}:999", forge=True
    )
    assert any("nem szerepel a szavazáson" in a for a in answers(calls))
    async with db.unit() as uow:
        assert await uow.ballots.turnout(ballot.id) == 1


async def test_open_ballot_closes_at_deadline_with_result_and_number(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _publish_via_wizard(harness, cast.ksz)
    for role, label in (("internal", "Igen"), ("founder", "Igen"), ("chair", "Tartózkodom")):
        await harness.press_label(getattr(cast, role), harness.last(getattr(cast, role)), label)
    ballot = await _ballot(db)
    names = {job.name for job in harness.app.job_queue.jobs()}
    assert {
        f"ballot:{ballot.id}:close",
        f"ballot:{ballot.id}:remind:24",
        f"ballot:{ballot.id}:remind:2",
    } <= names
    [details] = texts(await harness.send(cast.external, f"/szavazas_reszletek {ballot.id}"))
    assert "Belső Béla: Igen" in details and "Elnök Emese: Tartózkodom" in details
    clock.advance(days=3, minutes=1)
    calls = await harness.run_due_jobs()  # the close job follows the clock
    results = texts(calls)
    assert len(results) == 6  # every active member with an account
    result = results[0]
    assert "Részvétel: 3/4 (75%)" in result
    assert "A testület határozatképes volt (legalább 3 fő kellett)." in result
    assert "Igen: 2 szavazat" in result and "Tartózkodás: 1\n" in result  # not the button's word
    assert "Elfogadáshoz szükséges: 2 szavazat (egyszerű többség)" in result
    assert (
        "A Közgyűlés 2 igen, 0 nem szavazattal, 1 tartózkodás mellett elfogadta a javaslatot."
        in result
    )
    assert "Eredmény: <b>ELFOGADVA</b>" in result
    assert "Határozat száma: 1/2026. (XI. 30.) Kgy. határozat" in result
    assert not [
        j
        for j in harness.app.job_queue.jobs()
        if j.name and j.name.startswith(f"ballot:{ballot.id}:")
    ]
    # a vote after the close is refused
    old = next(m for m in tg.outbox(cast.catalyst) if m.buttons and "Szavazás #1 –" in m.text)
    calls = await harness.press_label(cast.catalyst, old, "Igen")
    assert any("lezárult" in a for a in answers(calls))
    [register] = texts(await harness.send(cast.external, "/hatarozatok munkaterv"))
    assert "1/2026. (XI. 30.) Kgy. határozat" in register
    assert "&lt;2027.&gt;" in register


async def test_a_unanimous_adoption_says_so(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    """Issue 14: every vote cast was yes: "egyhangúlag", and the abstentions read "Tartózkodás"."""
    await _publish_via_wizard(harness, cast.ksz)
    for role in ("internal", "founder", "chair"):
        await harness.press_label(getattr(cast, role), harness.last(getattr(cast, role)), "Igen")
    clock.advance(days=3, minutes=1)
    [result, *_] = texts(await harness.run_due_jobs())
    assert "Igen: 3 szavazat\nNem: 0 szavazat\nTartózkodás: 0\n" in result
    assert "A Közgyűlés egyhangúlag, 3 igen szavazattal elfogadta a javaslatot." in result
    assert "Eredmény: <b>EGYHANGÚLAG ELFOGADVA</b>" in result
    assert "tartózkodás mellett" not in result


async def test_secret_ballot_from_one_message(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    form = "/szavazas_uj\nKérdés: Megválasztja Kovács Annát elnöknek?\nHatáridő: 2026.12.05 18:00\nTitkos: igen"
    await harness.send(cast.ksz, form)
    preview = harness.last(cast.ksz)
    assert "Titkos: igen" in preview.text and "Határidő: 2026. december 5., 18:00" in preview.text
    await harness.press_label(cast.ksz, preview, "Közzététel")
    ballot_message = harness.last(cast.internal)
    assert "Titkos szavazás: a leadott szavazat végleges" in ballot_message.text
    await harness.press_label(cast.internal, ballot_message, "Nem")
    confirm = harness.last(cast.internal)
    assert "Választása: Nem." in confirm.text
    await harness.press_label(cast.internal, confirm, "Megerősítés")
    done = harness.last(cast.internal)
    assert "Titkos szavazata rögzítve" in done.text
    assert "Választása" not in done.text and "Nem" not in done.text.split("Titkos szavazás")[0]
    # the same member cannot vote twice, even with a forged confirm
    ballot = await _ballot(db)
    calls = await harness.press(cast.internal, done, f"vote:k:{ballot.id}:0", forge=True)
    assert any("Már szavazott" in a for a in answers(calls))
    [text] = texts(await harness.send(cast.internal, f"/szavazas_reszletek {ballot.id}"))
    assert "titkos szavazás" in text
    clock.advance(days=9)
    result = texts(await harness.run_due_jobs())[0]
    assert "Részvétel: 1/4 (25%)" in result
    assert "EREDMÉNYTELEN (határozatképtelen)" in result
    assert "Belső Béla" not in result


async def test_multi_choice_toggle_and_submit(harness: BotHarness, cast: Cast) -> None:
    form = "/newpoll\nQuestion: Where shall we meet?\nDeadline: 3\nOptions: Budapest; Debrecen; Szeged\nMax: 2"
    await harness.send(cast.ksz, form)
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    message = harness.last(cast.founder)
    calls = await harness.press_label(cast.founder, message, "Szavazat leadása")
    assert any("legalább egy lehetőséget" in a for a in answers(calls))
    await harness.press_label(cast.founder, harness.last(cast.founder), "1. Budapest")
    await harness.press_label(cast.founder, harness.last(cast.founder), "3. Szeged")
    assert [row[0][0][:1] for row in harness.last(cast.founder).buttons[:3]] == ["☑", "☐", "☑"]
    await harness.press_label(cast.founder, harness.last(cast.founder), "Szavazat leadása")
    assert "Szavazata rögzítve: Budapest, Szeged." in harness.last(cast.founder).text


async def test_debate_and_comments(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> None:
    group = tg.add_group(title="Klaszter", members=[cast.ksz], bot_is_admin=True)
    await harness.send(cast.ksz, "/fo_csoport", chat=group)
    await _publish_via_wizard(harness, cast.ksz)
    copy = harness.last(group)
    assert "Részvétel: 0/4 (0%)" in copy.text
    info = harness.last(cast.external)
    await harness.press_label(cast.external, info, "Hozzászólás")
    assert "Írja meg hozzászólását" in harness.last(cast.external).text
    calls = await harness.send(cast.external, "Javaslom a <b>halasztást</b> & az egyeztetést.")
    assert "hozzászólása megjelent a vitában" in texts(calls)[0]
    assert any(
        "Javaslom a &lt;b&gt;halasztást&lt;/b&gt; &amp; az egyeztetést." in t for t in texts(calls)
    )
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
    assert "Részvétel: 1/4 (25%)" in harness.last(group).text or any(
        "Részvétel: 1/4 (25%)" in m.text for m in tg.outbox(group)
    )
    calls = await harness.press_label(cast.internal, harness.last(cast.internal), "Vita")
    [debate] = texts(calls)
    assert "Külső Kata" in debate and "&lt;b&gt;halasztást" in debate


async def test_reminders_reach_only_non_voters_once(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _publish_via_wizard(harness, cast.ksz)
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen")
    ballot = await _ballot(db)
    assert await jobs.remind(harness.app, ballot.id, 24) == 0  # not due yet
    clock.advance(days=2, minutes=-1)
    assert texts(await harness.run_due_jobs()) == []
    clock.advance(minutes=2)  # 23:59 before the deadline: the job follows the clock
    calls = await harness.run_due_jobs()
    reminded = {c.params["chat_id"] for c in calls if c.method == "sendMessage"}
    assert reminded == {cast.founder.id, cast.chair.id, cast.catalyst.id}
    assert len(texts(calls)) == 3
    assert "Emlékeztető: még nem szavazott" in harness.last(cast.founder).text
    assert await jobs.remind(harness.app, ballot.id, 24) == 0  # never twice


async def test_restart_closes_overdue_ballots_and_reschedules_open_ones(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, clock: FakeClock
) -> None:
    await _publish_via_wizard(harness, cast.ksz)
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Második?\nHatáridő: 8")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    await harness.settle()
    await harness.app.stop()
    clock.advance(days=4)  # the first ballot's deadline passed while the bot was down
    app = build_application(
        harness.app.bot_data.settings,
        request=tg.request(),
        updates_request=tg.request(),
        clock=clock,
    )
    start = len(tg.calls)
    async with running(app):
        await app.bot_data.settle()
        results = [t for t in texts(tg.calls[start:]) if "Szavazás #1 eredménye" in t]
        assert len(results) == 6
        names = {job.name for job in app.job_queue.jobs()}
        assert "ballot:2:close" in names and "ballot:1:close" not in names
        # the 24-hour reminder of ballot 2 is still in the future: scheduled, not sent
        assert "ballot:2:remind:24" in names
    await harness.app.start()


async def test_bad_input_is_refused_and_nothing_saved(
    harness: BotHarness, cast: Cast, db: Database
) -> None:
    cases = {
        "/szavazas_uj\nKérdés: x\nHatáridő: 2020.01.01 10:00": "legalább 5 perccel",
        "/szavazas_uj\nKérdés: x\nHatáridő: 2026.13.01": "érvénytelen dátum",
        "/szavazas_uj\nKérdés: x\nHatáridő: 3\nOpciók: "
        + "; ".join(f"o{i}" for i in range(11)): "legfeljebb 10",
        "/szavazas_uj\nHatáridő: 3": "kérdés: kötelező megadni",
        "/szavazas_uj\nKérdés: " + "x" * 1600 + "\nHatáridő: 3": "legfeljebb 1500 karakter",
        "/szavazas_uj\nKérdés: x\nHatáridő: 3\nTestület: ST": "Elnézést",
    }
    for form, expected in cases.items():
        [text] = texts(await harness.send(cast.ksz, form))
        assert expected in text, (form[:40], text)
    [text] = texts(await harness.send(cast.internal, "/szavazas_uj"))
    assert "Elnézést" in text
    # the wizard re-asks an empty question
    await harness.send(cast.ksz, "/szavazas_uj")
    [text] = texts(await harness.send(cast.ksz, "   "))
    assert "kötelező megadni" in text
    async with db.unit() as uow:
        assert list(await uow.ballots.recent(10)) == []


async def test_st_ballot_is_for_founders(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> None:
    await harness.send(cast.founder, "/szavazas_uj\nKérdés: Stratégiai irány?\nHatáridő: 3")
    preview = harness.last(cast.founder)
    assert "Előnézet – Stratégiai Tanács" in preview.text
    assert "2 szavazásra jogosult tag" in preview.text
    await harness.press_label(cast.founder, preview, "Közzététel")
    assert "Szavazás #1 – Stratégiai Tanács" in harness.last(cast.chair).text
    assert not any("Stratégiai irány" in m.text for m in tg.outbox(cast.internal))


async def test_early_close_by_creator_only(harness: BotHarness, cast: Cast) -> None:
    await _publish_via_wizard(harness, cast.ksz)
    [text] = texts(await harness.send(cast.founder, "/szavazas_lezaras 1"))
    assert "Elnézést" in text
    await harness.send(cast.ksz, "/szavazas_lezaras 1")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Lezárás")
    calls += await harness.settle()
    assert any("Szavazás #1 lezárva" in t for t in texts(calls, "editMessageText"))
    assert any("A határidő előtt lezárta: Menedzser Márta." in t for t in texts(calls))
    [text] = texts(await harness.send(cast.chair, "/szavazas_lezaras 1"))
    assert "lezárult" in text


async def test_register_export_for_ksz(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Tagdíj 2027\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    for role in VOTERS:
        await harness.press_label(getattr(cast, role), harness.last(getattr(cast, role)), "Igen")
    await jobs.close_and_announce(harness.app, 1, "Menedzser Márta")
    await harness.settle()
    await harness.send(cast.ksz, "/hatarozatok")
    listing = harness.last(cast.ksz)
    assert "Tagdíj 2027" in listing.text
    calls = await harness.press_label(cast.ksz, listing, "CSV")
    data = harness.last(cast.ksz).document_bytes.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[1][0].startswith("1/2026.") and rows[1][3] == "Tagdíj 2027"
    assert "Igen: 4" in rows[1][6]
    await harness.press_label(cast.ksz, listing, "Markdown")
    markdown = harness.last(cast.ksz).document_bytes.decode()
    assert re.search(r"## 1/2026\. \(XI\. 27\.\) Kgy\. határozat", markdown)
    await harness.send(cast.internal, "/hatarozatok")
    assert "CSV" not in str(harness.last(cast.internal).buttons)
    assert calls


async def test_refusals_name_the_real_rule(harness: BotHarness, cast: Cast) -> None:
    """Issue 21/5: not "only for members of the cluster" to a member, but the rule itself."""
    [text] = texts(
        await harness.send(cast.ksz, "/szavazas_uj\nKérdés: x\nHatáridő: 3\nTestület: ST")
    )
    assert "ST-szavazást csak alapító tag kezdeményezhet" in text
    assert "a klaszter tagjai" not in text
    await harness.send(cast.ksz, "/szavazas_uj\nKérdés: Közgyűlési kérdés?\nHatáridő: 3")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Közzététel")
    [text] = texts(await harness.send(cast.founder, "/szavazas_lezaras 1"))
    assert "csak a kezdeményező vagy az ST elnöke zárhatja le" in text
    assert "a klaszter tagjai" not in text


async def test_question_on_the_command_line_is_kept(harness: BotHarness, cast: Cast) -> None:
    """Issue 21/11: "/szavazas_uj Kérdés?" on one line: the question is taken, not asked again."""
    [text] = texts(await harness.send(cast.ksz, "/szavazas_uj Legyen nyári tábor?"))
    assert "Milyen típusú legyen a szavazás?" in text
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen / Nem")
    prompt = harness.last(cast.ksz)  # open or secret: the first button, open
    await harness.press(cast.ksz, prompt, prompt.buttons[0][0][1])
    [text] = texts(await harness.send(cast.ksz, "3"))  # the deadline, in days
    preview = harness.last(cast.ksz)
    assert "Legyen nyári tábor?" in preview.text, (text, preview.text)
    await harness.send(cast.ksz, "/megse")
    # a labelled question on the first line and the rest of the form below it
    await harness.send(cast.ksz, "/szavazas_uj Kérdés: Legyen őszi tábor?\nHatáridő: 3")
    preview = harness.last(cast.ksz)
    assert "Legyen őszi tábor?" in preview.text and "Előnézet" in preview.text
