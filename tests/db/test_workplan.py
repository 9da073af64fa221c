"""Work-plan rules against a real database: who reports, bad input changes nothing, import,
adoption and versions, overdue marking, the schedule's claims and settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.services import workplan
from bot.services.clock import FakeClock
from bot.services.errors import NotAllowed
from bot.services.identity import CLI_ACTOR, MemberSpec, create_workgroup, upsert_member
from bot.services.roles import Standing, standing_of
from bot.services.schedule import BadScheduleValue, Slot, SlotKind
from bot.services.workplan import (
    NotResponsible,
    PlanImportFailed,
    PlanInputError,
    PlanLocked,
    TaskNotFound,
)
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from storage.db import Database
from storage.models import MemberKind
from storage.models.workplan import (
    PlanStatus,
    ScheduleSent,
    Task,
    TaskEvent,
    TaskStatus,
    WorkPlan,
    WorkPlanVersion,
)
from tests.workplans import import_plan
from tests.workplans import task as stored_task

TZ = ZoneInfo("Europe/Budapest")
CSV = (
    "title;responsible;deadline;status;progress;description\n"
    "Piackutatás;Innováció;2026.12.31;folyamatban;40;Kérdőív a tagoknak\n"
    "Pályázatfigyelés;KSz;2027-01-15;;;\n"
    "Külpiaci út;Export;2027.03.01;tervezett;0;\n"
)


@dataclass
class People:
    ksz: Standing
    catalyst: Standing
    internal: Standing
    innovation: int
    export: int


async def _standing(db: Database, member_id: int) -> Standing:
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        return standing_of(member, await uow.workgroups.led_ids(member_id))


@pytest.fixture
async def people(db: Database, clock: FakeClock) -> People:
    now = clock.now()
    async with db.unit() as uow:
        ksz = await upsert_member(
            uow, MemberSpec("Menedzser Márta", MemberKind.EXTERNAL, ksz=True), CLI_ACTOR, now
        )
        catalyst = await upsert_member(
            uow,
            MemberSpec("Katalizátor Kálmán", MemberKind.INTERNAL, catalyst_of=["Innováció"]),
            CLI_ACTOR,
            now,
        )
        internal = await upsert_member(
            uow, MemberSpec("Belső Béla", MemberKind.INTERNAL), CLI_ACTOR, now
        )
        export = await create_workgroup(uow, "Export", "", CLI_ACTOR, now)
        innovation = await uow.workgroups.by_name("Innováció")
        assert innovation is not None
        ids = (ksz.member.id, catalyst.member.id, internal.member.id, innovation.id, export.id)
    return People(
        await _standing(db, ids[0]),
        await _standing(db, ids[1]),
        await _standing(db, ids[2]),
        ids[3],
        ids[4],
    )


async def _import(db: Database, clock: FakeClock, data: str = CSV) -> list[Task]:
    return await import_plan(db, clock, data)


async def _events(db: Database) -> int:
    async with db.unit() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(TaskEvent)) or 0)


# --- import --------------------------------------------------------------------------------------


async def test_import_creates_the_plan_and_its_tasks(
    db: Database, clock: FakeClock, people: People
) -> None:
    tasks = await _import(db, clock)
    assert [(t.title, t.workgroup_id, t.status, t.progress) for t in tasks] == [
        ("Piackutatás", people.innovation, TaskStatus.IN_PROGRESS, 40),
        ("Pályázatfigyelés", None, TaskStatus.PLANNED, 0),
        ("Külpiaci út", people.export, TaskStatus.PLANNED, 0),
    ]
    assert tasks[1].deadline == date(2027, 1, 15)
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        assert (plan.period, plan.title, plan.status) == (
            "2027", "A KSz 2027. évi munkaterve", PlanStatus.DRAFT,
        )  # fmt: skip
    assert await _events(db) == 3  # one "created" per task


async def test_import_with_errors_reports_each_row_and_imports_nothing(
    db: Database, clock: FakeClock, people: People
) -> None:
    bad = (
        "cím;felelős;határidő;állapot;készültség\n"
        "Jó sor;KSz;2026.12.31;;\n"
        "Túl sok;Innováció;2026.12.31;;150\n"
        "Negatív;Innováció;2026.12.31;;-5\n"
        "Szöveg;Innováció;2026.12.31;;sok\n"
        "Lehetetlen;KSz;2026.02.30;;\n"
        "Ismeretlen állapot;KSz;2026.12.31;valahol;\n"
        ";KSz;2026.12.31;;\n"
    )
    with pytest.raises(PlanImportFailed) as caught:
        parse_tasks_csv(bad.encode())
    problems = [(e.row, e.field, e.reason) for e in caught.value.errors]
    assert problems == [
        (3, "progress", "out_of_range"),
        (4, "progress", "out_of_range"),
        (5, "progress", "not_a_number"),
        (6, "deadline", "impossible_date"),
        (7, "status", "unknown_status"),
        (8, "title", "empty"),
    ]
    # a workgroup that does not exist is found when the rows meet the database
    rows = parse_tasks_csv(
        b"title,responsible,deadline\nA,KSz,2026.12.31\nB,Nincs ilyen,2026.12.31\n"
    )
    with pytest.raises(PlanImportFailed) as caught:
        async with db.unit() as uow:
            await import_tasks(uow, rows, CLI_ACTOR, clock.now(), period="2027")
    assert [(e.row, e.reason, e.value) for e in caught.value.errors] == [
        (3, "unknown_workgroup", "Nincs ilyen")
    ]
    async with db.unit() as uow:
        assert await uow.workplans.current_plan() is None
        assert await uow.session.scalar(select(func.count()).select_from(Task)) == 0


async def test_a_file_imported_twice_adds_nothing_the_second_time(
    db: Database, clock: FakeClock, people: People
) -> None:
    await _import(db, clock)
    with pytest.raises(PlanImportFailed) as caught:
        await _import(db, clock)
    assert {e.reason for e in caught.value.errors} == {"exists"}
    async with db.unit() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Task)) == 3


async def test_missing_columns_and_bad_files(db: Database) -> None:
    with pytest.raises(PlanImportFailed) as caught:
        parse_tasks_csv(b"title;deadline\nA;2026.12.31\n")
    assert [(e.field, e.reason) for e in caught.value.errors] == [("responsible", "missing_column")]
    with pytest.raises(PlanImportFailed):
        parse_tasks_csv("title;responsible;deadline\n".encode("utf-16"))
    with pytest.raises(PlanImportFailed) as caught:
        parse_tasks_csv(b"title;responsible;deadline\n")
    assert caught.value.errors[0].reason == "no_rows"
    with pytest.raises(PlanImportFailed) as caught:
        parse_tasks_csv(b"title;responsible;deadline;status;progress\nA;KSz;2026.12.31;kesz;60\n")
    assert caught.value.errors[0].reason == "done_not_100"


# --- progress ------------------------------------------------------------------------------------


async def test_catalyst_reports_progress_with_history(
    db: Database, clock: FakeClock, people: People
) -> None:
    tasks = await _import(db, clock)
    async with db.unit() as uow:
        report = await workplan.report_progress(
            uow, tasks[0].id, people.catalyst, 60, "Elkészült a kérdőív", clock.now(), TZ
        )
    assert (report.old_progress, report.task.progress) == (40, 60)
    async with db.unit() as uow:
        events = await uow.workplans.events(tasks[0].id)
    last = events[-1]
    assert (last.field, last.old, last.new, last.note, last.actor_label) == (
        "progress", "40", "60", "Elkészült a kérdőív", "Katalizátor Kálmán",
    )  # fmt: skip
    # 100% makes it done; a lower number afterwards reopens it
    async with db.unit() as uow:
        done = await workplan.report_progress(
            uow, tasks[0].id, people.catalyst, 100, "", clock.now(), TZ
        )
    assert done.task.status is TaskStatus.DONE
    async with db.unit() as uow:
        again = await workplan.report_progress(
            uow, f"#{tasks[0].id}", people.catalyst, 90, "", clock.now(), TZ
        )
    assert again.task.status is TaskStatus.IN_PROGRESS
    # after the deadline a report leaves it late
    clock.advance(days=60)
    async with db.unit() as uow:
        late = await workplan.report_progress(
            uow, tasks[0].id, people.catalyst, 95, "", clock.now(), TZ
        )
    assert late.task.status is TaskStatus.LATE


@pytest.mark.parametrize("text", ["150", "-5", "sok", "", "12.5", "101%"])
def test_bad_percentages_are_refused(text: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        workplan.parse_progress(text)
    assert caught.value.field == "progress"


@pytest.mark.parametrize(("text", "expected"), [("60", 60), ("60%", 60), (" 0 ", 0), ("100", 100)])
def test_good_percentages(text: str, expected: int) -> None:
    assert workplan.parse_progress(text) == expected


async def test_bad_reports_change_nothing(db: Database, clock: FakeClock, people: People) -> None:
    tasks = await _import(db, clock)
    innovation, ksz_task = tasks[0], tasks[1]
    before = await _events(db)

    async def report(who: Standing, task_id: int | str, percent: int | str) -> None:
        async with db.unit() as uow:
            number = percent if isinstance(percent, int) else workplan.parse_progress(percent)
            await workplan.report_progress(uow, task_id, who, number, "", clock.now(), TZ)

    for bad in ("150", "-5", "sok"):
        with pytest.raises(PlanInputError):
            await report(people.catalyst, innovation.id, bad)
    with pytest.raises(PlanInputError):
        await report(people.catalyst, innovation.id, 150)  # even past the parser
    with pytest.raises(TaskNotFound):
        await report(people.catalyst, 9999, 50)
    with pytest.raises(TaskNotFound):
        await report(people.catalyst, "abc", 50)
    with pytest.raises(NotResponsible) as caught:
        await report(people.internal, innovation.id, 50)
    assert caught.value.task_id is None
    with pytest.raises(NotResponsible) as caught:
        await report(people.catalyst, ksz_task.id, 50)  # the KSz's task, not his
    assert caught.value.task_id == ksz_task.id
    # an impossible date and an unknown status in the KSz's edit, and a catalyst editing
    for field, value in (("deadline", "2026.02.30"), ("deadline", "holnap"), ("status", "sok")):
        with pytest.raises(PlanInputError):
            async with db.unit() as uow:
                await workplan.edit_task(
                    uow, innovation.id, field, value, people.ksz, clock.now(), TZ
                )
    with pytest.raises(NotAllowed):
        async with db.unit() as uow:
            await workplan.edit_task(
                uow, innovation.id, "deadline", "2027.01.01", people.catalyst, clock.now(), TZ
            )
    assert await _events(db) == before
    unchanged = await stored_task(db, innovation.id)
    assert (unchanged.progress, unchanged.status, unchanged.deadline) == (
        40, TaskStatus.IN_PROGRESS, date(2026, 12, 31),
    )  # fmt: skip


async def test_ksz_reports_on_any_task_and_answers_for_orphans(
    db: Database, clock: FakeClock, people: People
) -> None:
    tasks = await _import(db, clock)
    async with db.unit() as uow:
        await workplan.report_progress(uow, tasks[0].id, people.ksz, 50, "", clock.now(), TZ)
        own = await workplan.responsible_tasks(uow, people.ksz)
        catalysts = await workplan.responsible_tasks(uow, people.catalyst)
        with pytest.raises(NotResponsible):
            await workplan.responsible_tasks(uow, people.internal)
    # the KSz's own task and the task of Export, which has no katalizátor
    assert [t.title for t in own] == ["Pályázatfigyelés", "Külpiaci út"]
    assert [t.title for t in catalysts] == ["Piackutatás"]


async def test_notes_belong_to_their_author(db: Database, clock: FakeClock, people: People) -> None:
    tasks = await _import(db, clock)
    async with db.unit() as uow:
        report = await workplan.report_progress(
            uow, tasks[0].id, people.catalyst, 70, "", clock.now(), TZ
        )
    with pytest.raises(NotResponsible):
        async with db.unit() as uow:
            await workplan.add_note(uow, report.event.id, people.ksz, "nem az övé", clock.now())
    async with db.unit() as uow:
        await workplan.add_note(uow, report.event.id, people.catalyst, "Rendben", clock.now())
    async with db.unit() as uow:
        events = await uow.workplans.events(tasks[0].id)
    assert [e.note for e in events if e.field == "progress"] == ["Rendben"]


# --- adoption and versions -----------------------------------------------------------------------


async def test_adoption_makes_version_one_and_later_changes_make_versions(
    db: Database, clock: FakeClock, people: People
) -> None:
    tasks = await _import(db, clock)
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        await workplan.mark_voting(uow, plan, ballot_id=41)
    # while before the Közgyűlés the plan cannot change, but progress can be reported
    with pytest.raises(PlanLocked):
        async with db.unit() as uow:
            await workplan.edit_task(
                uow, tasks[0].id, "title", "Új cím", people.ksz, clock.now(), TZ
            )
    async with db.unit() as uow:
        await workplan.report_progress(uow, tasks[0].id, people.catalyst, 45, "", clock.now(), TZ)
        adopted = await workplan.after_ballot(uow, 41, True, 7, "Klaszterbot", clock.now())
        assert adopted is not None
        # idempotent: a second call changes nothing
        assert await workplan.after_ballot(uow, 41, True, 7, "Klaszterbot", clock.now()) is None
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        assert (plan.status, plan.version, plan.resolution_id) == (PlanStatus.ADOPTED, 1, 7)
        [first] = await uow.workplans.versions(plan.id)
        assert [s["title"] for s in first.snapshot] == [t.title for t in tasks]
        assert first.snapshot[0]["progress"] == 45
    clock.advance(days=1)
    async with db.unit() as uow:
        _, old, new = await workplan.edit_task(
            uow, tasks[0].id, "deadline", "2027.01.31",
            people.ksz, clock.now(), TZ,
        )  # fmt: skip
    assert (old, new) == ("2026-12-31", "2027-01-31")
    # a progress report is tracking, not a new version
    async with db.unit() as uow:
        await workplan.report_progress(uow, tasks[0].id, people.catalyst, 55, "", clock.now(), TZ)
        plan = await workplan.current_plan(uow)
        spec = workplan.TaskSpec("Új feladat", None, date(2027, 5, 1))
        await workplan.add_tasks(uow, plan, [spec], CLI_ACTOR, clock.now())
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        versions = await uow.workplans.versions(plan.id)
    assert plan.version == 3
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].changes == [
        {"task": tasks[0].id, "field": "deadline", "old": "2026-12-31", "new": "2027-01-31"}
    ]
    assert versions[1].snapshot[0]["deadline"] == "2027-01-31"
    assert versions[2].changes[0]["field"] == "created"
    assert len(versions[2].snapshot) == 4


async def test_a_rejected_plan_goes_back_to_draft(
    db: Database, clock: FakeClock, people: People
) -> None:
    await _import(db, clock)
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        await workplan.mark_voting(uow, plan, ballot_id=5)
        again = await workplan.after_ballot(uow, 5, False, None, "Klaszterbot", clock.now())
        assert again is not None and again.status is PlanStatus.DRAFT
        assert await uow.session.scalar(select(func.count()).select_from(WorkPlanVersion)) == 0


async def test_an_empty_or_adopted_plan_cannot_go_to_the_vote(
    db: Database, clock: FakeClock, people: People
) -> None:
    async with db.unit() as uow:
        plan = await workplan.create_plan(uow, "2028", "Üres", CLI_ACTOR, clock.now())
        with pytest.raises(PlanInputError):
            workplan.check_votable(plan, 0)
        plan.status = PlanStatus.ADOPTED
        with pytest.raises(workplan.PlanNotDraft):
            workplan.check_votable(plan, 3)
    with pytest.raises(PlanInputError):
        async with db.unit() as uow:
            await workplan.create_plan(uow, "2028", "Másik", CLI_ACTOR, clock.now())


# --- overdue and the schedule's bookkeeping ------------------------------------------------------


async def test_overdue_marks_the_task_late_once(
    db: Database, clock: FakeClock, people: People
) -> None:
    tasks = await _import(db, clock)
    clock.current = clock.current.replace(year=2027, month=1, day=1)
    async with db.unit() as uow:
        task = await workplan.mark_overdue(uow, tasks[0].id, clock.now(), TZ)
        assert task is not None and task.status is TaskStatus.LATE
        again = await workplan.mark_overdue(uow, tasks[0].id, clock.now(), TZ)
        assert again is not None
    async with db.unit() as uow:
        events = await uow.workplans.events(tasks[0].id)
    assert [(e.field, e.new, e.actor_label) for e in events if e.field == "status"] == [
        ("status", "late", "Klaszterbot")
    ]
    # a new deadline in the future takes it out of "late"
    async with db.unit() as uow:
        await workplan.edit_task(uow, tasks[0].id, "deadline", "2027.02.01", people.ksz,
                                 clock.now(), TZ)  # fmt: skip
    assert (await stored_task(db, tasks[0].id)).status is TaskStatus.IN_PROGRESS


async def test_a_slot_is_claimed_once(db: Database, clock: FakeClock) -> None:
    slot = Slot(SlotKind.CHECKIN, "checkin:2026-11-30", clock.now())
    async with db.unit() as uow:
        assert await workplan.claim(uow, slot, clock.now())
    async with db.unit() as uow:
        assert not await workplan.claim(uow, slot, clock.now())
    async with db.unit() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ScheduleSent)) == 1


async def test_due_slots_skip_what_was_sent_and_start_the_schedule_once(
    db: Database, clock: FakeClock, people: People
) -> None:
    await _import(db, clock)
    defaults = {"checkin": "MON 09:00", "reminders": "7,1", "time": "09:00",
                "escalation": "7", "weekly": "MON 08:00", "monthly": "1 08:00"}  # fmt: skip
    async with db.unit() as uow:
        assert await workplan.due_slots(uow, defaults, clock.now(), TZ) == []
        since = await workplan.schedule_since(uow, clock.now() + timedelta(days=5))
    assert set(since.values()) == {clock.now()}  # the first call fixed the start
    clock.advance(days=3)  # Monday 30 November 14:30
    async with db.unit() as uow:
        due = await workplan.due_slots(uow, defaults, clock.now(), TZ)
    assert [s.key for s in due] == ["digest:weekly:2026-11-30", "checkin:2026-11-30"]
    async with db.unit() as uow:
        assert await workplan.claim(uow, due[1], clock.now())
        assert [s.key for s in await workplan.due_slots(uow, defaults, clock.now(), TZ)] == [
            "digest:weekly:2026-11-30"
        ]


async def test_the_ksz_changes_the_schedule(db: Database, clock: FakeClock, people: People) -> None:
    defaults = {"checkin": "MON 09:00", "reminders": "7,1", "time": "09:00",
                "escalation": "7", "weekly": "MON 08:00", "monthly": "1 08:00"}  # fmt: skip
    with pytest.raises(NotAllowed):
        async with db.unit() as uow:
            await workplan.change_setting(uow, people.catalyst, "heti", "P 14:00", clock.now())
    for key, value in (("heti", "Funday"), ("emlekezteto", "sok"), ("nincs", "1")):
        with pytest.raises(BadScheduleValue):
            async with db.unit() as uow:
                await workplan.change_setting(uow, people.ksz, key, value, clock.now())
    async with db.unit() as uow:
        assert await workplan.overrides(uow) == {}
        assert await workplan.change_setting(uow, people.ksz, "heti", "P 14:00", clock.now()) == (
            "weekly", "P 14:00",
        )  # fmt: skip
        await workplan.change_setting(uow, people.ksz, "emlékeztető", "3", clock.now())
    async with db.unit() as uow:
        config, _ = await workplan.load_config(uow, defaults)
        assert (config.weekly_digest.weekday, config.reminder_days) == (4, (3,))  # type: ignore[union-attr]
        await workplan.change_setting(uow, people.ksz, "heti", "alap", clock.now())
        assert await workplan.overrides(uow) == {"reminders": "3"}


async def test_summary_by_responsible(db: Database, clock: FakeClock, people: People) -> None:
    tasks = await _import(db, clock)
    async with db.unit() as uow:
        await workplan.report_progress(uow, tasks[2].id, people.ksz, 20, "", clock.now(), TZ)
        summary = await workplan.plan_summary(uow, clock.now(), TZ)
    assert summary is not None
    assert summary.average == 20  # (40 + 0 + 20) / 3
    assert [(g.name, g.tasks, g.average) for g in summary.groups] == [
        ("KSz", 1, 0), ("Export", 1, 20), ("Innováció", 1, 40),
    ]  # fmt: skip
    assert summary.counts[TaskStatus.IN_PROGRESS] == 2


async def test_filters(db: Database, clock: FakeClock, people: People) -> None:
    await _import(db, clock)
    async with db.unit() as uow:
        plan = await workplan.current_plan(uow)
        wanted = await workplan.parse_filter(uow, ["Innováció"])
        assert [t.title for t in await workplan.filtered_tasks(uow, plan, wanted)] == [
            "Piackutatás"
        ]
        wanted = await workplan.parse_filter(uow, ["tervezett"])
        assert [t.title for t in await workplan.filtered_tasks(uow, plan, wanted)] == [
            "Pályázatfigyelés", "Külpiaci út",
        ]  # fmt: skip
        wanted = await workplan.parse_filter(uow, ["KSz", "tervezett"])
        assert (wanted.responsible, wanted.status) == (None, TaskStatus.PLANNED)
        wanted = await workplan.parse_filter(uow, ["in", "progress"])
        assert wanted.status is TaskStatus.IN_PROGRESS
        with pytest.raises(Exception, match="workgroup"):
            await workplan.parse_filter(uow, ["Nincs"])
    assert isinstance(plan, WorkPlan)
