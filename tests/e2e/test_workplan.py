"""The work plan end to end, as a KSz member and a katalizátor would use it: the plan built and
imported, read with filters and bars, progress reported from a check-in, reminders, overdue
alerts, escalations and digests (with their chart) at their times on a controllable clock, a
restart that neither loses nor repeats a message, and adoption by the Közgyűlés with versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.app import BotApp, build_application, running
from bot.jobs import ballots as ballot_jobs
from bot.jobs import workplan as jobs
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, create_workgroup
from fakeapi import ApiCall, FakeTelegram, FakeUser
from storage.db import Database
from storage.models.workplan import Task, TaskStatus
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast
from tests.workplans import import_plan
from tests.workplans import task as stored_task

PLAN = (
    "cím;felelős;határidő;állapot;készültség;leírás\n"
    "Piackutatás;Innováció;2026.12.08;folyamatban;40;Kérdőív a <tagoknak>\n"
    "Pályázatfigyelés;KSz;2027.01.15;;;\n"
)
REFUSAL = "Elnézést, ez csak a következők számára elérhető"


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant (Budapest is UTC+1 in winter)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def _import(db: Database, clock: FakeClock, data: str = PLAN) -> list[Task]:
    return await import_plan(db, clock, data)


async def _tick(harness: BotHarness, clock: FakeClock, when: datetime) -> list[ApiCall]:
    clock.current = when  # the tick job follows the clock
    return await harness.run_due_jobs()


def _to(calls: Sequence[ApiCall], user: FakeUser, method: str = "sendMessage") -> list[str]:
    return [
        str(c.params.get("text") or c.params.get("caption") or "")
        for c in calls
        if c.method == method and c.params.get("chat_id") == user.id
    ]


def _new_app(tg: FakeTelegram, harness: BotHarness, clock: FakeClock) -> BotApp:
    """A second application on the same database and fake: a restart."""
    return build_application(
        harness.app.bot_data.settings, request=tg.request(), updates_request=tg.request(),
        clock=clock,
    )  # fmt: skip


# --- building and reading the plan ---------------------------------------------------------------


async def test_ksz_builds_the_plan_in_the_bot_and_members_read_it(
    harness: BotHarness, cast: Cast
) -> None:
    [text] = texts(await harness.send(cast.internal, "/munkaterv"))
    assert "Még nincs munkaterv." in text
    [text] = texts(await harness.send(cast.ksz, "/munkaterv_uj 2027 | A KSz 2027. évi munkaterve"))
    assert "Munkaterv-tervezet létrehozva: A KSz 2027. évi munkaterve (2027)" in text
    [text] = texts(await harness.send(cast.ksz, "/munkaterv_uj 2027 | Még egy"))
    assert text == "Erre az időszakra már van munkaterv (2027)."  # issue 14
    [text] = texts(
        await harness.send(
            cast.ksz, "/feladat_uj Piackutatás | Innováció | 2026.12.31 | Kérdőív a <tagoknak>"
        )
    )
    assert "Új feladat a munkatervben:" in text
    assert "Felelős: Innováció · Határidő: 2026. december 31." in text
    [text] = texts(await harness.send(cast.ksz, "/feladat_uj Pályázatfigyelés | KSz | 2027-01-15"))
    assert "⚠️" not in text
    # bad input: a clear answer, nothing added
    [text] = texts(await harness.send(cast.ksz, "/feladat_uj Rossz | Nincs ilyen | 2026.12.31"))
    assert "nincs „Nincs ilyen” nevű munkacsoport" in text
    [text] = texts(await harness.send(cast.ksz, "/feladat_uj Rossz | KSz | 2026.02.30"))
    assert "„2026.02.30” nem létező dátum" in text
    [text] = texts(await harness.send(cast.ksz, "/feladat_uj Rossz | KSz | holnap"))
    assert "„holnap” nem dátum" in text
    [text] = texts(await harness.send(cast.external, "/feladat_uj Rossz | KSz | 2026.12.31"))
    assert REFUSAL in text
    # every member reads it, with bars and filter buttons
    [text] = texts(await harness.send(cast.external, "/munkaterv"))
    assert "Munkaterv: A KSz 2027. évi munkaterve" in text
    assert "Állapot: tervezet" in text
    assert "Készültség: ░░░░░░░░░░ 0% · 2 feladat" in text
    assert "#1 Piackutatás</b> · tervezett" in text
    assert "Felelős: KSz · Határidő: 2027. január 15." in text
    assert "Pályázatfigyelés" in text and "Rossz" not in text
    message = harness.last(cast.external)
    labels = [label for row in message.buttons for label, _ in row]
    assert {"Mind", "KSz", "Innováció", "Minden állapot", "tervezett"} <= set(labels)
    # filters: by words, and by buttons
    [text] = texts(await harness.send(cast.external, "/munkaterv Innováció"))
    assert "Szűrő: Innováció" in text
    assert "Piackutatás" in text and "Pályázatfigyelés" not in text
    [text] = texts(await harness.send(cast.external, "/workplan késésben"))
    assert "Nincs a szűrésnek megfelelő feladat." in text
    calls = await harness.press_label(cast.external, message, "KSz")
    # issue 21/11: a filter button edits the plan in place instead of posting a new one
    assert texts(calls) == []
    [text] = texts(calls, "editMessageText")
    assert "Szűrő: KSz" in text and "Pályázatfigyelés" in text and "Piackutatás" not in text
    message = harness.last(cast.external)
    await harness.press_label(cast.external, message, "tervezett")
    message = harness.last(cast.external)
    assert "tervezett" in message.text and "KSz" in message.text
    # "Mind" clears every filter, the status one included
    calls = await harness.press_label(cast.external, message, "Mind")
    [text] = texts(calls, "editMessageText")
    assert "Szűrő" not in text and "Pályázatfigyelés" in text and "Piackutatás" in text
    [text] = texts(await harness.send(cast.external, "/munkaterv Nincsilyen"))
    assert "Nincsilyen" in text
    # the task card: description escaped, history
    [text] = texts(await harness.send(cast.internal, "/feladat 1"))
    assert "Kérdőív a &lt;tagoknak&gt;" in text
    assert "Katalizátor: Katalizátor Kálmán" in text
    assert "Menedzser Márta: feladat létrehozva" in text
    [text] = texts(await harness.send(cast.internal, "/feladat 77"))
    assert "Nincs #77 számú feladat" in text


async def test_catalyst_reports_progress_from_the_weekly_checkin(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    tasks = await _import(db, clock)
    calls = await _tick(harness, clock, at(2026, 11, 30, 7, 59))  # Monday 08:59 Budapest
    assert not _to(calls, cast.catalyst)
    calls = await _tick(harness, clock, at(2026, 11, 30, 8, 0))  # Monday 09:00
    [checkin] = _to(calls, cast.catalyst)
    assert "Heti jelentéskérés: munkaterv" in checkin
    assert "#1 Piackutatás · ▓▓▓▓░░░░░░ 40% · Határidő: 2026. december 8." in checkin
    assert "Pályázatfigyelés" not in checkin
    [ksz_checkin] = _to(calls, cast.ksz)
    assert "Pályázatfigyelés" in ksz_checkin and "Piackutatás" not in ksz_checkin
    assert not _to(calls, cast.internal) and not _to(calls, cast.external)
    # a few taps: the task, the percentage, a note
    message = next(m for m in reversed(tg.outbox(cast.catalyst)) if "jelentéskérés" in m.text)
    assert message.buttons == [[("#1 Piackutatás · 40%", "wpp:t:1")]]
    await harness.press(cast.catalyst, message, "wpp:t:1")
    chooser = harness.last(cast.catalyst)
    assert "Hol tart a feladat?" in chooser.text
    calls = await harness.press_label(cast.catalyst, chooser, "60%")
    assert "Előrehaladás rögzítve." in answers(calls)
    saved = harness.last(cast.catalyst)
    assert "Előrehaladás rögzítve: #1 Piackutatás" in saved.text
    assert "40% → ▓▓▓▓▓▓░░░░ 60%" in saved.text
    await harness.press_label(cast.catalyst, saved, "Megjegyzés hozzáadása")
    assert "írja meg a megjegyzést" in harness.last(cast.catalyst).text
    [text] = texts(await harness.send(cast.catalyst, "Elkészült a <kérdőív>"))
    assert text == "Megjegyzés mentve."
    task = await stored_task(db, tasks[0].id)
    assert (task.progress, task.status) == (60, TaskStatus.IN_PROGRESS)
    [card] = texts(await harness.send(cast.internal, "/feladat 1"))
    assert "Katalizátor Kálmán: készültség: 40% → 60%" in card
    assert "Megjegyzés: Elkészült a &lt;kérdőív&gt;" in card
    # the same slot is never sent again
    assert not _to(await _tick(harness, clock, at(2026, 11, 30, 8, 5)), cast.catalyst)
    # someone not responsible, with a forged button: refused, nothing changed
    calls = await harness.press(cast.internal, chooser, "wpp:s:1:90", forge=True)
    assert any(REFUSAL in a for a in answers(calls))
    calls = await harness.press(cast.catalyst, chooser, "wpp:s:2:90", forge=True)
    assert any("a feladat felelős katalizátora és a KSz" in a for a in answers(calls))
    calls = await harness.press(cast.catalyst, chooser, "wpp:s:1:150", forge=True)
    assert any("már nem érvényes" in a for a in answers(calls))
    assert (await stored_task(db, tasks[0].id)).progress == 60
    assert (await stored_task(db, tasks[1].id)).progress == 0


async def test_progress_by_command_and_bad_input(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    tasks = await _import(db, clock)
    [text] = texts(await harness.send(cast.catalyst, "/elorehaladas"))
    assert "Nyitott feladatai" in text
    assert harness.last(cast.catalyst).buttons == [[("#1 Piackutatás · 40%", "wpp:t:1")]]
    for bad, answer in (
        ("150", "„150” kívül esik a megengedett tartományon"),
        ("-5", "„-5” kívül esik a megengedett tartományon"),
        ("sok", "„sok” nem szám"),
    ):
        [text] = texts(await harness.send(cast.catalyst, f"/elorehaladas 1 {bad}"))
        assert answer in text, text
    [text] = texts(await harness.send(cast.catalyst, "/elorehaladas 999 50"))
    assert "Nincs #999 számú feladat" in text
    [text] = texts(await harness.send(cast.catalyst, "/elorehaladas 2 50"))
    assert "a feladat felelős katalizátora és a KSz" in text
    [text] = texts(await harness.send(cast.internal, "/progress 1 50"))
    assert REFUSAL in text
    assert (await stored_task(db, tasks[0].id)).progress == 40
    assert (await stored_task(db, tasks[1].id)).progress == 0
    [text] = texts(await harness.send(cast.catalyst, "/progress 1 75% Interjúk kész"))
    assert "40% → ▓▓▓▓▓▓▓▓░░ 75%" in text and "Megjegyzés: Interjúk kész" in text
    # the KSz reports on any task
    [text] = texts(await harness.send(cast.ksz, "/elorehaladas 2 100"))
    assert "Állapot: kész" in text
    assert (await stored_task(db, tasks[1].id)).status is TaskStatus.DONE


# --- the schedule -------------------------------------------------------------------------------


async def test_reminders_overdue_and_escalation_arrive_at_their_times(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    tasks = await _import(db, clock)  # Piackutatás: deadline Tuesday 8 December

    def reminders(calls: Sequence[ApiCall], user: FakeUser) -> list[str]:
        return [t for t in _to(calls, user) if "Emlékeztető" in t]

    assert not reminders(await _tick(harness, clock, at(2026, 12, 1, 7, 59)), cast.catalyst)
    calls = await _tick(harness, clock, at(2026, 12, 1, 8, 0))  # 09:00, 7 days before
    [text] = reminders(calls, cast.catalyst)
    assert "Emlékeztető: közeleg a határidő (7 nap múlva)" in text
    assert not reminders(calls, cast.ksz)  # the katalizátor answers for it
    assert not reminders(await _tick(harness, clock, at(2026, 12, 1, 8, 1)), cast.catalyst)
    calls = await _tick(harness, clock, at(2026, 12, 7, 8, 0))  # 1 day before
    [text] = reminders(calls, cast.catalyst)
    assert "(1 nap múlva)" in text
    # the day after the deadline, 09:00: the overdue alert, and the task is late
    assert not _to(await _tick(harness, clock, at(2026, 12, 9, 7, 59)), cast.catalyst)
    calls = await _tick(harness, clock, at(2026, 12, 9, 8, 0))
    [text] = _to(calls, cast.catalyst)
    assert "Késés: a feladat határideje lejárt" in text
    assert (await stored_task(db, tasks[0].id)).status is TaskStatus.LATE
    assert not _to(calls, cast.chair)

    # seven days later, still overdue: the ST chair is told, once
    def escalations(calls: Sequence[ApiCall]) -> list[str]:
        return [t for t in _to(calls, cast.chair) if "Jelzés az ST elnökének" in t]

    assert not escalations(await _tick(harness, clock, at(2026, 12, 16, 7, 59)))
    calls = await _tick(harness, clock, at(2026, 12, 16, 8, 0))
    [text] = escalations(calls)
    assert "Késés: 8 nap." in text and "Felelős személyek: Katalizátor Kálmán" in text
    assert not _to(calls, cast.catalyst)
    assert not escalations(await _tick(harness, clock, at(2026, 12, 17, 8, 0)))


async def test_digests_carry_a_png_chart(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _import(db, clock)
    calls = await _tick(harness, clock, at(2026, 11, 30, 7, 0))  # Monday 08:00: weekly, to the ST
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert {c.params["chat_id"] for c in photos} == {cast.founder.id, cast.chair.id}
    uploaded = [c for c in photos if "photo" in c.files]
    assert len(uploaded) == 1  # the second founder gets the same picture by file_id
    assert uploaded[0].files["photo"].content.startswith(b"\x89PNG\r\n\x1a\n")
    caption = str(photos[0].params["caption"])
    assert "Heti jelentés a munkaterv állásáról a Stratégiai Tanács számára" in caption
    assert "Készültség: ▓▓░░░░░░░░ 20% · 2 feladat" in caption
    [summary] = _to(calls, cast.chair)
    assert "Felelősönként" in summary
    assert "Innováció ▓▓▓▓░░░░░░ 40%" in summary
    assert "Határidők a következő két hétben" in summary and "Piackutatás" in summary
    assert not _to(calls, cast.internal, "sendPhoto")
    # the first of the month, 08:00: the monthly one, to every member
    calls = await _tick(harness, clock, at(2026, 12, 1, 7, 0))
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(photos) == 6
    assert "Havi jelentés a munkaterv állásáról" in str(photos[0].params["caption"])


async def test_a_restart_neither_loses_nor_repeats_a_message(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _import(db, clock)
    calls = await _tick(harness, clock, at(2026, 11, 30, 8, 0))  # Monday 09:00
    assert len(_to(calls, cast.catalyst)) == 1  # the check-in
    assert len(_to(calls, cast.chair, "sendPhoto")) == 1  # the weekly digest (08:00)
    await harness.app.stop()
    # down while the monthly digest (1 Dec 08:00) and the 7-day reminder (09:00) fell due
    clock.current = at(2026, 12, 1, 10, 0)
    start = len(tg.calls)
    async with running(_new_app(tg, harness, clock)) as app:
        await app.bot_data.settle()
        calls = tg.calls[start:]
        assert [t for t in _to(calls, cast.catalyst) if "Emlékeztető" in t] != []
        assert len(_to(calls, cast.catalyst)) == 2  # the reminder and the monthly summary text
        assert len(_to(calls, cast.internal, "sendPhoto")) == 1  # the monthly digest, once
        assert len(_to(calls, cast.chair, "sendPhoto")) == 1  # monthly only, not the weekly again
        assert not [t for t in _to(calls, cast.catalyst) if "jelentéskérés" in t]
        assert [j.name for j in app.job_queue.jobs()].count(jobs.JOB_NAME) == 1
        # an hour later nothing is due again
        clock.current = at(2026, 12, 1, 11, 0)
        assert await jobs.tick(app) == 0
    # and a second restart sends nothing at all
    start = len(tg.calls)
    async with running(_new_app(tg, harness, clock)) as app:
        await app.bot_data.settle()
        assert not [c for c in tg.calls[start:] if c.method in ("sendMessage", "sendPhoto")]
    await harness.app.start()


async def test_the_ksz_changes_the_schedule(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _import(db, clock)
    [text] = texts(await harness.send(cast.ksz, "/utemezes"))
    assert "Heti jelentéskérés a felelősöktől: hétfő 9:00" in text
    assert "Emlékeztetők a határidő előtt, napok: 7; 1" in text
    assert "Az ST elnökének: 7 nappal a késés jelzése után" in text
    assert "Havi jelentés minden tagnak: minden hónap 1. napján, 8:00" in text
    assert "Következő jelentéskérés: 2026. november 30., 9:00" in text
    [text] = texts(await harness.send(cast.ksz, "/utemezes heti Funday 8:00"))
    assert "„Funday 8:00” nem értelmezhető" in text
    [text] = texts(await harness.send(cast.ksz, "/schedule heti P 15:00"))
    assert "Módosítva: heti összefoglaló: P 15:00" in text
    assert "Heti jelentés az ST-nek: péntek 15:00 (a KSz módosította)" in text
    [text] = texts(await harness.send(cast.catalyst, "/utemezes heti H 8:00"))
    assert REFUSAL in text

    # the weekly report now goes on Friday at 15:00 (today), not on Monday at 08:00
    def weekly(calls: Sequence[ApiCall]) -> int:
        return sum("Heti jelentés" in c for c in _to(calls, cast.chair, "sendPhoto"))

    assert weekly(await _tick(harness, clock, at(2026, 11, 27, 13, 59))) == 0
    assert weekly(await _tick(harness, clock, at(2026, 11, 27, 14, 0))) == 1
    assert weekly(await _tick(harness, clock, at(2026, 11, 30, 7, 0))) == 0
    assert weekly(await _tick(harness, clock, at(2026, 12, 4, 14, 0))) == 1


# --- adoption and versions -----------------------------------------------------------------------


async def test_the_general_assembly_adopts_the_plan_and_changes_make_versions(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _import(db, clock)
    text = texts(await harness.send(cast.ksz, "/munkaterv_szavazas"))[0]
    assert "A munkaterv a Közgyűlés elé került (szavazás #1" in text
    await harness.settle()
    for role in ("internal", "founder", "chair", "catalyst"):
        user = getattr(cast, role)
        ballot = next(m for m in reversed(tg.outbox(user)) if m.buttons and "Szavazás #1" in m.text)
        assert "Elfogadja a Közgyűlés a következő munkatervet: „A KSz 2027. évi munkaterve”" in (
            ballot.text
        )
        assert "1. Piackutatás – Felelős: Innováció – Határidő: 2026. december 8." in ballot.text
        await harness.press_label(user, ballot, "Igen")
    [text] = texts(await harness.send(cast.ksz, "/feladat_modositas 1 határidő 2027.01.31"))
    assert "a szavazás lezárultáig nem módosítható" in text
    [text] = texts(await harness.send(cast.ksz, "/munkaterv_szavazas"))
    assert "Csak tervezet bocsátható szavazásra" in text
    # progress can still be reported while the plan is before the Közgyűlés
    await harness.send(cast.catalyst, "/elorehaladas 1 50")
    clock.advance(days=8, minutes=1)
    await harness.run_due_jobs()  # the ballot closes at its deadline
    [text] = texts(await harness.send(cast.internal, "/munkaterv"))
    assert "Állapot: elfogadva" in text
    assert "Elfogadó határozat: 1/2026. (XII. 5.) Kgy. határozat" in text
    assert "Verzió: 1" in text
    # the hook is idempotent: closing again changes nothing
    await harness.during(ballot_jobs.close_and_announce(harness.app, 1, ""))
    clock.advance(days=1)
    [text] = texts(await harness.send(cast.ksz, "/feladat_modositas 1 határidő 2027.01.31"))
    assert "határidő: 2026. december 8. → 2027. január 31." in text
    assert "Az elfogadott munkaterv új verziója: 2." in text
    [text] = texts(await harness.send(cast.ksz, "/feladat_modositas 1 határidő 2027.02.30"))
    assert "nem létező dátum" in text
    [text] = texts(await harness.send(cast.external, "/munkaterv_verziok"))
    assert "<b>1. verzió</b>" in text and "<b>2. verzió</b>" in text
    assert "Elfogadó határozat: 1/2026. (XII. 5.) Kgy. határozat" in text
    assert "#1 határidő: 2026. december 8. → 2027. január 31." in text
    assert "Menedzser Márta" in text
    [text] = texts(await harness.send(cast.external, "/munkaterv"))
    assert "Verzió: 2" in text and "Utolsó módosítás: 2026. december 6." in text


async def test_a_workgroup_without_catalyst_is_answered_for_by_the_ksz(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    async with db.unit() as uow:
        await create_workgroup(uow, "Export", "", CLI_ACTOR, clock.now())
    await _import(db, clock, "title,responsible,deadline\nVásár,Export,2026.12.10\n")
    calls = await _tick(harness, clock, at(2026, 11, 30, 8, 0))
    [text] = _to(calls, cast.ksz)
    assert "Vásár" in text
    assert not _to(calls, cast.catalyst)


async def test_a_deadline_outside_the_plan_is_accepted_with_a_warning(
    harness: BotHarness, cast: Cast
) -> None:
    """Issue 21/11: a deadline in 2020 goes into the 2027 plan, but not silently."""
    await harness.send(cast.ksz, "/munkaterv_uj 2027 | A KSz 2027. évi munkaterve")
    [text] = texts(await harness.send(cast.ksz, "/feladat_uj Régi | KSz | 2020.01.22"))
    assert "A határidő (2020. január 22.) már elmúlt." in text
    assert "nem esik a munkaterv időszakába (2027)" in text
    assert "/feladat_modositas 1 határidő" in text
