"""The schedule rules with a controllable clock: slots, keys, catch-up, DST, settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services import schedule
from bot.services.schedule import (
    BadScheduleValue,
    Monthly,
    ScheduleConfig,
    TaskInfo,
    Weekly,
)

TZ = ZoneInfo("Europe/Budapest")
CONFIG = ScheduleConfig()  # MON 09:00, 7,1 days, 09:00, 7 days, MON 08:00, 1 08:00
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SINCE = {k.value: EPOCH for k in schedule.PERIODIC}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def task(
    deadline: date, *, task_id: int = 12, created: datetime = EPOCH, is_open: bool = True
) -> TaskInfo:
    return TaskInfo(task_id, deadline, is_open, created)


def keys(slots: list[schedule.Slot]) -> list[str]:
    return [s.key for s in slots]


# --- reading the settings ----------------------------------------------------------------------


def test_settings_parse_in_hungarian_and_english() -> None:
    assert schedule.parse_weekly("MON 09:00") == Weekly(0, time(9, 0))
    assert schedule.parse_weekly("hétfő 9:00") == Weekly(0, time(9, 0))
    assert schedule.parse_weekly("P 14.30") == Weekly(4, time(14, 30))
    assert schedule.parse_weekly("ki") is None
    assert schedule.parse_days("7,1") == (7, 1)
    assert schedule.parse_days("1, 7; 3") == (7, 3, 1)
    assert schedule.parse_days("off") == ()
    assert schedule.parse_monthly("1 08:00") == Monthly(1, time(8, 0))
    assert schedule.parse_monthly("31") == Monthly(31, time(8, 0))
    assert schedule.parse_escalation("0") == 0
    assert schedule.parse_escalation("ki") == 0


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("checkin", "Funday 9:00"),
        ("checkin", "MON 25:00"),
        ("checkin", "MON"),
        ("weekly", "H 9:61"),
        ("reminders", "7,-1"),
        ("reminders", "sok"),
        ("reminders", "400"),
        ("time", "9"),
        ("escalation", "-5"),
        ("monthly", "32 08:00"),
        ("monthly", "0"),
        ("nonsense", "1"),
    ],
)
def test_bad_settings_are_refused(setting: str, value: str) -> None:
    with pytest.raises(BadScheduleValue):
        schedule.check_value(setting, value)


def test_config_from_overrides_only_what_is_given() -> None:
    config = schedule.config_from({"checkin": "TUE 10:00", "reminders": "3"})
    assert config.checkin == Weekly(1, time(10, 0))
    assert config.reminder_days == (3,)
    assert config.weekly_digest == CONFIG.weekly_digest


# --- weekly and monthly boundaries ---------------------------------------------------------------


def test_weekly_checkin_is_due_from_monday_nine_until_the_next_one() -> None:
    rule = Weekly(0, time(9, 0))
    # Monday 2026-11-30 08:59 Budapest (07:59 UTC): the previous Monday's is the latest
    assert schedule.checkin_slot(rule, utc(2026, 11, 30, 7, 59), TZ).key == "checkin:2026-11-23"
    slot = schedule.checkin_slot(rule, utc(2026, 11, 30, 8, 0), TZ)
    assert slot.key == "checkin:2026-11-30" and slot.at == utc(2026, 11, 30, 8, 0)
    # the following Sunday night it is still that one
    assert schedule.checkin_slot(rule, utc(2026, 12, 6, 22, 59), TZ).key == "checkin:2026-11-30"
    assert schedule.next_weekly(rule, utc(2026, 11, 30, 8, 0), TZ) == utc(2026, 12, 7, 8, 0)


def test_monthly_digest_month_boundaries_and_short_months() -> None:
    rule = Monthly(1, time(8, 0))
    # 1 December 07:59 Budapest: still November's
    assert schedule.monthly_digest_slot(rule, utc(2026, 12, 1, 6, 59), TZ).key == (
        "digest:monthly:2026-11"
    )
    slot = schedule.monthly_digest_slot(rule, utc(2026, 12, 1, 7, 0), TZ)
    assert slot.key == "digest:monthly:2026-12" and slot.at == utc(2026, 12, 1, 7, 0)
    # New Year: January's after 1 January 08:00, December's just before
    assert schedule.monthly_digest_slot(rule, utc(2027, 1, 1, 6, 59), TZ).key == (
        "digest:monthly:2026-12"
    )
    # day 31 falls on the last day of a short month
    last = Monthly(31, time(8, 0))
    assert schedule.monthly_digest_slot(last, utc(2027, 2, 28, 7, 0), TZ).at == utc(
        2027, 2, 28, 7, 0
    )
    assert schedule.next_monthly(last, utc(2027, 2, 28, 7, 0), TZ) == utc(2027, 3, 31, 6, 0)


# --- task slots ----------------------------------------------------------------------------------


def test_reminders_at_the_alert_time_n_days_before() -> None:
    info = task(date(2026, 12, 8))
    slots = schedule.reminder_slots(info, (7, 1), time(9, 0), TZ)
    assert [(s.key, s.at) for s in slots] == [
        ("reminder:task:12:7d:2026-12-08", utc(2026, 12, 1, 8, 0)),
        ("reminder:task:12:1d:2026-12-08", utc(2026, 12, 7, 8, 0)),
    ]
    assert schedule.task_slots(CONFIG, info, utc(2026, 12, 1, 7, 59), TZ) == []
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 1, 8, 0), TZ)) == [
        "reminder:task:12:7d:2026-12-08"
    ]


def test_overdue_the_day_after_and_escalation_seven_days_later() -> None:
    info = task(date(2026, 12, 8))
    # on the deadline day, after the 1-day reminder: still the reminder only
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 8, 22, 59), TZ)) == [
        "reminder:task:12:1d:2026-12-08"
    ]
    # midnight: the reminders stop; 09:00 the next day: the overdue alert
    assert schedule.task_slots(CONFIG, info, utc(2026, 12, 8, 23, 0), TZ) == []
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 9, 8, 0), TZ)) == [
        "overdue:task:12:2026-12-08"
    ]
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 16, 8, 0), TZ)) == [
        "overdue:task:12:2026-12-08",
        "escalation:task:12:2026-12-08",
    ]
    assert schedule.escalation_slot(info, 0, time(9, 0), TZ) is None


def test_closed_tasks_have_no_slots() -> None:
    info = task(date(2026, 12, 8), is_open=False)
    assert schedule.task_slots(CONFIG, info, utc(2026, 12, 20), TZ) == []


def test_a_reminder_before_the_task_existed_is_not_owed() -> None:
    info = task(date(2026, 12, 8), created=utc(2026, 12, 3))
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 5), TZ)) == []
    assert keys(schedule.task_slots(CONFIG, info, utc(2026, 12, 7, 8, 0), TZ)) == [
        "reminder:task:12:1d:2026-12-08"
    ]


def test_a_new_deadline_gets_new_keys() -> None:
    old = schedule.overdue_slot(task(date(2026, 12, 8)), time(9, 0), TZ)
    new = schedule.overdue_slot(task(date(2027, 1, 8)), time(9, 0), TZ)
    assert old.key != new.key


# --- catch-up: one, the most recent -------------------------------------------------------------


def test_catch_up_after_three_weeks_down_picks_one_of_each_kind() -> None:
    tasks = [task(date(2026, 12, 8)), task(date(2026, 12, 20), task_id=13)]
    now = utc(2026, 12, 19, 12, 0)  # Saturday; down since 28 November
    due = schedule.due_slots(CONFIG, tasks, now, TZ, SINCE)
    assert keys(due) == [
        "digest:monthly:2026-12",
        "overdue:task:12:2026-12-08",
        "digest:weekly:2026-12-14",
        "checkin:2026-12-14",
        "escalation:task:12:2026-12-08",
        "reminder:task:13:1d:2026-12-20",
    ]
    # only the most recent of the task's reminders (7 days and 1 day both passed)
    assert not any("13:7d" in k for k in keys(due))


def test_periodic_slots_before_the_schedule_started_are_not_owed() -> None:
    now = utc(2026, 12, 2, 12, 0)  # Wednesday
    since = {k.value: utc(2026, 12, 1) for k in schedule.PERIODIC}
    due = schedule.due_slots(CONFIG, [], now, TZ, since)
    assert keys(due) == ["digest:monthly:2026-12"]  # Monday's check-in was before the start
    assert schedule.due_slots(CONFIG, [], now, TZ, {}) == []


def test_switched_off_kinds_send_nothing() -> None:
    config = schedule.config_from(
        {"checkin": "off", "weekly": "ki", "monthly": "off", "reminders": "off", "escalation": "0"}
    )
    due = schedule.due_slots(config, [task(date(2026, 12, 8))], utc(2026, 12, 30), TZ, SINCE)
    assert keys(due) == ["overdue:task:12:2026-12-08"]


def _simulate(
    config: ScheduleConfig, tasks: list[TaskInfo], start: datetime, end: datetime, step: timedelta
) -> list[tuple[str, datetime]]:
    """Tick from ``start`` to ``end``: every slot goes out once, at the first tick after it."""
    sent: dict[str, datetime] = {}
    since = {k.value: start for k in schedule.PERIODIC}
    now = start
    while now <= end:
        for slot in schedule.due_slots(config, tasks, now, TZ, since):
            sent.setdefault(slot.key, now)
        now += step
    return sorted(sent.items(), key=lambda kv: kv[1])


# --- daylight saving -----------------------------------------------------------------------------


def test_spring_forward_2026_03_29_keeps_nine_o_clock() -> None:
    # Clocks jump 02:00 CET -> 03:00 CEST on Sunday 29 March 2026.
    rule = Weekly(0, time(9, 0))
    before = schedule.checkin_slot(rule, utc(2026, 3, 23, 12), TZ)
    after = schedule.checkin_slot(rule, utc(2026, 3, 30, 12), TZ)
    assert before.at == utc(2026, 3, 23, 8, 0)  # 09:00 CET
    assert after.at == utc(2026, 3, 30, 7, 0)  # 09:00 CEST: 167 hours later, not 168
    assert after.at - before.at == timedelta(hours=167)
    # a reminder 1 day before a Monday deadline falls on the transition Sunday, at 09:00 CEST
    info = task(date(2026, 3, 30))
    [seven, one] = schedule.reminder_slots(info, (7, 1), time(9, 0), TZ)
    assert one.at == utc(2026, 3, 29, 7, 0)
    assert seven.at == utc(2026, 3, 23, 8, 0)
    assert one.at.astimezone(TZ).hour == 9


def test_fall_back_2026_10_25_keeps_nine_o_clock() -> None:
    # Clocks go back 03:00 CEST -> 02:00 CET on Sunday 25 October 2026.
    rule = Weekly(0, time(9, 0))
    before = schedule.checkin_slot(rule, utc(2026, 10, 19, 12), TZ)
    after = schedule.checkin_slot(rule, utc(2026, 10, 26, 12), TZ)
    assert before.at == utc(2026, 10, 19, 7, 0)  # 09:00 CEST
    assert after.at == utc(2026, 10, 26, 8, 0)  # 09:00 CET
    assert after.at - before.at == timedelta(hours=169)
    overdue = schedule.overdue_slot(task(date(2026, 10, 24)), time(9, 0), TZ)
    assert overdue.at == utc(2026, 10, 25, 8, 0)
    assert overdue.at.astimezone(TZ).hour == 9


def test_times_in_the_skipped_and_repeated_hour_give_one_instant() -> None:
    skipped = schedule.local_instant(date(2026, 3, 29), time(2, 30), TZ)
    repeated = schedule.local_instant(date(2026, 10, 25), time(2, 30), TZ)
    assert skipped == utc(2026, 3, 29, 1, 30)
    assert repeated == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("start", "end"),
    [(utc(2026, 3, 16), utc(2026, 4, 7)), (utc(2026, 10, 12), utc(2026, 11, 3))],
)
def test_ticking_across_a_transition_neither_shifts_nor_duplicates(
    start: datetime, end: datetime
) -> None:
    night = schedule.config_from({"checkin": "SUN 02:30", "time": "02:30"})
    deadline = date(start.year, start.month, 30 if start.month == 3 else 26)
    tasks = [task(deadline)]
    sent = _simulate(night, tasks, start, end, timedelta(minutes=15))
    keys_sent = [k for k, _ in sent]
    assert len(keys_sent) == len(set(keys_sent))
    checkins = [(k, at) for k, at in sent if k.startswith("checkin:")]
    assert [k for k, _ in checkins] == [
        f"checkin:{d}"
        for d in (
            ["2026-03-22", "2026-03-29", "2026-04-05"]
            if start.month == 3
            else ["2026-10-18", "2026-10-25", "2026-11-01"]
        )
    ]
    # every check-in at (the first tick after) its local 02:30, one per Sunday
    for _, at in checkins:
        local = at.astimezone(TZ)
        assert local.weekday() == 6
    standard = _simulate(CONFIG, tasks, start, end, timedelta(minutes=15))
    for key, at in standard:
        local = at.astimezone(TZ)
        if key.startswith(("checkin:", "reminder:", "overdue:", "escalation:")):
            assert (local.hour, local.minute) == (9, 0), (key, local)
        if key.startswith("digest:weekly"):
            assert (local.hour, local.minute) == (8, 0), (key, local)


def test_settings_refuse_a_bad_schedule_with_one_line() -> None:
    from bot.settings import SettingsError, load_settings

    settings = load_settings(_env_file=None, workplan_reminder_days="7, 3,1")
    assert settings.workplan_schedule["reminders"] == "7, 3,1"
    with pytest.raises(SettingsError, match=r"WORKPLAN_CHECKIN is invalid: .*MON 09:00"):
        load_settings(_env_file=None, workplan_checkin="Funday 9:00")
    with pytest.raises(SettingsError, match="WORKPLAN_DIGEST_MONTHLY"):
        load_settings(_env_file=None, workplan_digest_monthly="32 08:00")
