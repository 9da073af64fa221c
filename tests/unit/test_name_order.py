"""Names shown to users come in Hungarian order ("Ágazati…" before "Zöld…"), wherever they are
listed (issue 14); /munkacsoportok is tested end to end in tests/e2e/test_members.py."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import Translations
from bot.services import workplan
from bot.views import announcements, members, routing
from storage.models import Member, MemberKind
from storage.models.workplan import PlanStatus, Task, TaskStatus, WorkPlan

T = Translations("hu", ZoneInfo("Europe/Budapest")).get("hu")
UNSORTED = ["Zöld jövő", "Kassza", "Ágazati kör", "Kasza"]
SORTED = ["Ágazati kör", "Kasza", "Kassza", "Zöld jövő"]


def test_an_announcement_audience_names_its_workgroups_in_order() -> None:
    label = announcements.audience_label(T, {"workgroups": [{"name": n} for n in UNSORTED]})
    assert label == ", ".join(f"{n} munkacsoport" for n in SORTED)


def test_offices_name_the_catalysed_workgroups_in_order() -> None:
    member = Member(name="Ádám Éva", kind=MemberKind.INTERNAL, is_st_chair=False,
                    is_founder=False, is_ksz=False)  # fmt: skip
    assert members.offices(T, member, UNSORTED) == [f"katalizátor: {n}" for n in SORTED]


def test_a_catalyst_is_told_their_workgroups_in_order() -> None:
    assert f"({', '.join(SORTED)})" in routing.no_workgroup(T, UNSORTED)


def test_the_digest_lists_workgroups_in_order_after_the_ksz() -> None:
    plan = WorkPlan(period="2027", title="Munkaterv", status=PlanStatus.ADOPTED)
    names = dict(enumerate(UNSORTED, start=1))
    tasks = [
        Task(id=i, workgroup_id=group, status=TaskStatus.PLANNED, progress=0,
             deadline=date(2027, 3, 1))
        for i, group in enumerate([*names, None], start=1)
    ]  # fmt: skip
    summary = workplan.summarize(plan, tasks, names, date(2027, 1, 1))
    assert [g.name for g in summary.groups] == ["KSz", *SORTED]
