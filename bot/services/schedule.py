"""When the work plan's messages are due: pure rules, no Telegram, no database, no real clock.

Every message the work plan sends on a schedule is a **slot**: a kind, the UTC instant it is due
and a stable key. The key says what the message is about (``checkin:2026-11-30``,
``reminder:task:12:7d:2026-12-08``), so whoever sends a slot records its key first and nothing
goes out twice, whatever restarts happen in between.

Times are wall-clock times in the cluster's zone. An instant is always computed from a local
date and time with ``zoneinfo`` (``datetime(y, m, d, 9, 0, tzinfo=tz)``), never by adding hours
to an instant, so a daylight-saving change neither shifts a slot nor makes a second one.

Catch-up: :func:`due_slots` returns, per kind (and per task), only the most recent slot whose
time has passed. A bot that was down for three weeks sends one check-in, not three.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.errors import DomainError

MAX_DAYS = 365


@dataclass
class BadScheduleValue(DomainError, ValueError):
    """A schedule setting that cannot be read; ``setting`` names it, ``reason`` says why."""

    setting: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        hints = {
            "checkin": "a weekday and a time, e.g. MON 09:00, or off",
            "weekly": "a weekday and a time, e.g. MON 08:00, or off",
            "monthly": "a day of the month (1-31) and a time, e.g. 1 08:00, or off",
            "reminders": f"days before the deadline (0-{MAX_DAYS}), e.g. 7,1, or off",
            "time": "a time of day, e.g. 09:00",
            "escalation": f"days (1-{MAX_DAYS}) after the overdue alert, or off",
        }
        return hints.get(self.setting, "invalid value")


# --- reading the settings --------------------------------------------------------------------

WEEKDAYS: dict[str, int] = {
    "mon": 0, "monday": 0, "h": 0, "hé": 0, "hétfő": 0, "hetfo": 0,
    "tue": 1, "tuesday": 1, "k": 1, "ke": 1, "kedd": 1,
    "wed": 2, "wednesday": 2, "sze": 2, "szerda": 2,
    "thu": 3, "thursday": 3, "cs": 3, "csü": 3, "csütörtök": 3, "csutortok": 3,
    "fri": 4, "friday": 4, "p": 4, "pé": 4, "péntek": 4, "pentek": 4,
    "sat": 5, "saturday": 5, "szo": 5, "szombat": 5,
    "sun": 6, "sunday": 6, "v": 6, "va": 6, "vasárnap": 6, "vasarnap": 6,
}  # fmt: skip
OFF = frozenset({"off", "ki", "nincs", "none", "no", "nem", "-"})
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass(frozen=True, slots=True)
class Weekly:
    """Every week on ``weekday`` (0 = Monday) at ``at`` local time."""

    weekday: int
    at: time


@dataclass(frozen=True, slots=True)
class Monthly:
    """Every month on ``day`` (the last day in shorter months) at ``at`` local time."""

    day: int
    at: time


def parse_time(text: str, setting: str = "time") -> time:
    """``9:00``, ``09:00`` or ``9.00``."""
    match = _TIME.match(text.strip())
    if not match:
        raise BadScheduleValue(setting, "bad_time", text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise BadScheduleValue(setting, "bad_time", text)
    return time(hour, minute)


def _is_off(text: str) -> bool:
    return text.strip().casefold() in OFF


def parse_weekly(text: str, setting: str = "checkin") -> Weekly | None:
    """``MON 09:00``, ``hétfő 9:00``, ``H 9:00``; ``off``/``ki`` turns it off."""
    if _is_off(text):
        return None
    parts = text.split()
    if len(parts) != 2:
        raise BadScheduleValue(setting, "bad_weekly", text)
    weekday = WEEKDAYS.get(parts[0].strip(".,").casefold())
    if weekday is None:
        raise BadScheduleValue(setting, "bad_weekday", text)
    return Weekly(weekday, parse_time(parts[1], setting))


def parse_monthly(text: str, setting: str = "monthly") -> Monthly | None:
    """``1 08:00`` (day of the month and time) or just ``1`` (08:00); ``off`` turns it off."""
    if _is_off(text):
        return None
    parts = text.split()
    if not 1 <= len(parts) <= 2 or not parts[0].rstrip(".").isdigit():
        raise BadScheduleValue(setting, "bad_monthly", text)
    day = int(parts[0].rstrip("."))
    if not 1 <= day <= 31:
        raise BadScheduleValue(setting, "bad_monthly", text)
    at = parse_time(parts[1], setting) if len(parts) == 2 else time(8, 0)
    return Monthly(day, at)


def parse_days(text: str, setting: str = "reminders") -> tuple[int, ...]:
    """``7,1`` → (7, 1): days before a deadline, largest first; ``off`` means none."""
    if _is_off(text) or not text.strip():
        return ()
    days: set[int] = set()
    for part in re.split(r"[,;\s]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or int(part) > MAX_DAYS:
            raise BadScheduleValue(setting, "bad_days", text)
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def parse_escalation(text: str, setting: str = "escalation") -> int:
    """Days after the overdue alert before the ST chair is told; ``0``/``off`` means never."""
    if _is_off(text):
        return 0
    value = text.strip()
    if not value.isdigit() or int(value) > MAX_DAYS:
        raise BadScheduleValue(setting, "bad_escalation", text)
    return int(value)


#: Setting keys, in display order, and their parsers.
SETTINGS = ("checkin", "reminders", "time", "escalation", "weekly", "monthly")


@dataclass(frozen=True)
class ScheduleConfig:
    """Every schedule rule, read from settings plus the KSz's overrides."""

    checkin: Weekly | None = Weekly(0, time(9, 0))
    reminder_days: tuple[int, ...] = (7, 1)
    alert_time: time = time(9, 0)
    escalation_days: int = 7
    weekly_digest: Weekly | None = Weekly(0, time(8, 0))
    monthly_digest: Monthly | None = Monthly(1, time(8, 0))


def check_value(setting: str, text: str) -> str:
    """Check one raw value; returns it trimmed, or raises BadScheduleValue."""
    text = " ".join(str(text).split())
    if setting in ("checkin", "weekly"):
        parse_weekly(text, setting)
    elif setting == "monthly":
        parse_monthly(text, setting)
    elif setting == "reminders":
        parse_days(text, setting)
    elif setting == "time":
        parse_time(text, setting)
    elif setting == "escalation":
        parse_escalation(text, setting)
    else:
        raise BadScheduleValue(setting, "unknown_setting", text)
    return text


def config_from(raw: Mapping[str, str]) -> ScheduleConfig:
    """Build the rules from raw values (``{"checkin": "MON 09:00", ...}``); missing = default."""
    base = ScheduleConfig()
    return ScheduleConfig(
        checkin=parse_weekly(raw["checkin"], "checkin") if "checkin" in raw else base.checkin,
        reminder_days=(parse_days(raw["reminders"]) if "reminders" in raw else base.reminder_days),
        alert_time=parse_time(raw["time"]) if "time" in raw else base.alert_time,
        escalation_days=(
            parse_escalation(raw["escalation"]) if "escalation" in raw else base.escalation_days
        ),
        weekly_digest=(
            parse_weekly(raw["weekly"], "weekly") if "weekly" in raw else base.weekly_digest
        ),
        monthly_digest=(parse_monthly(raw["monthly"]) if "monthly" in raw else base.monthly_digest),
    )


# --- wall-clock arithmetic -------------------------------------------------------------------


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local date and time.

    A time skipped by the spring change (02:30 on 2026-03-29) is read with the offset before
    the change, an hour repeated in autumn takes its first occurrence: one instant either way.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The local calendar date of an instant."""
    return instant.astimezone(tz).date()


def last_weekly(rule: Weekly, now: datetime, tz: ZoneInfo) -> tuple[date, datetime]:
    """The most recent occurrence at or before ``now``: its local date and UTC instant."""
    today = local_date(now, tz)
    day = today - timedelta(days=(today.weekday() - rule.weekday) % 7)
    at = local_instant(day, rule.at, tz)
    if at > now:
        day -= timedelta(days=7)
        at = local_instant(day, rule.at, tz)
    return day, at


def next_weekly(rule: Weekly, now: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence after ``now``."""
    day, _ = last_weekly(rule, now, tz)
    return local_instant(day + timedelta(days=7), rule.at, tz)


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def last_monthly(rule: Monthly, now: datetime, tz: ZoneInfo) -> tuple[date, datetime]:
    """The most recent monthly occurrence at or before ``now``."""
    today = local_date(now, tz)
    day = _month_day(today.year, today.month, rule.day)
    at = local_instant(day, rule.at, tz)
    if at > now:
        year, month = _previous_month(today.year, today.month)
        day = _month_day(year, month, rule.day)
        at = local_instant(day, rule.at, tz)
    return day, at


def next_monthly(rule: Monthly, now: datetime, tz: ZoneInfo) -> datetime:
    """The first monthly occurrence after ``now``."""
    day, _ = last_monthly(rule, now, tz)
    year, month = _next_month(day.year, day.month)
    return local_instant(_month_day(year, month, rule.day), rule.at, tz)


# --- slots -----------------------------------------------------------------------------------


class SlotKind(enum.StrEnum):
    """What a slot sends."""

    CHECKIN = "checkin"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    WEEKLY_DIGEST = "digest_weekly"
    MONTHLY_DIGEST = "digest_monthly"


#: Kinds that recur on the calendar (not tied to a task).
PERIODIC = (SlotKind.CHECKIN, SlotKind.WEEKLY_DIGEST, SlotKind.MONTHLY_DIGEST)


@dataclass(frozen=True, slots=True)
class Slot:
    """One message due at ``at`` (UTC); ``key`` is unique per message ever sent."""

    kind: SlotKind
    key: str
    at: datetime
    task_id: int | None = None
    days: int | None = None


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """What the schedule needs to know about a task."""

    id: int
    deadline: date
    is_open: bool
    created_at: datetime


def checkin_slot(rule: Weekly, now: datetime, tz: ZoneInfo) -> Slot:
    """The most recent weekly check-in at or before ``now``."""
    day, at = last_weekly(rule, now, tz)
    return Slot(SlotKind.CHECKIN, f"checkin:{day.isoformat()}", at)


def weekly_digest_slot(rule: Weekly, now: datetime, tz: ZoneInfo) -> Slot:
    """The most recent weekly digest to the ST at or before ``now``."""
    day, at = last_weekly(rule, now, tz)
    return Slot(SlotKind.WEEKLY_DIGEST, f"digest:weekly:{day.isoformat()}", at)


def monthly_digest_slot(rule: Monthly, now: datetime, tz: ZoneInfo) -> Slot:
    """The most recent monthly digest to the members at or before ``now``."""
    day, at = last_monthly(rule, now, tz)
    return Slot(SlotKind.MONTHLY_DIGEST, f"digest:monthly:{day:%Y-%m}", at)


def reminder_slots(task: TaskInfo, days: Iterable[int], at: time, tz: ZoneInfo) -> list[Slot]:
    """``N`` days before the deadline at the alert time, one slot per ``N``, earliest first."""
    slots = [
        Slot(
            SlotKind.REMINDER,
            f"reminder:task:{task.id}:{n}d:{task.deadline.isoformat()}",
            local_instant(task.deadline - timedelta(days=n), at, tz),
            task.id,
            n,
        )
        for n in sorted(set(days), reverse=True)
    ]
    return slots


def overdue_slot(task: TaskInfo, at: time, tz: ZoneInfo) -> Slot:
    """The day after the deadline, at the alert time, to the responsible people."""
    return Slot(
        SlotKind.OVERDUE,
        f"overdue:task:{task.id}:{task.deadline.isoformat()}",
        local_instant(task.deadline + timedelta(days=1), at, tz),
        task.id,
    )


def escalation_slot(task: TaskInfo, days: int, at: time, tz: ZoneInfo) -> Slot | None:
    """``days`` after the overdue alert, to the ST chair; None when escalation is off."""
    if days <= 0:
        return None
    return Slot(
        SlotKind.ESCALATION,
        f"escalation:task:{task.id}:{task.deadline.isoformat()}",
        local_instant(task.deadline + timedelta(days=1 + days), at, tz),
        task.id,
        days,
    )


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of the next local day."""
    return local_instant(day + timedelta(days=1), time(0, 0), tz)


def task_slots(config: ScheduleConfig, task: TaskInfo, now: datetime, tz: ZoneInfo) -> list[Slot]:
    """The task's due slots: the latest passed reminder, the overdue alert, the escalation."""
    if not task.is_open:
        return []
    due: list[Slot] = []
    if now < end_of_day(task.deadline, tz):
        passed = [
            s
            for s in reminder_slots(task, config.reminder_days, config.alert_time, tz)
            if s.at <= now and s.at >= task.created_at
        ]
        if passed:
            due.append(max(passed, key=lambda s: s.at))
    overdue = overdue_slot(task, config.alert_time, tz)
    if overdue.at <= now:
        due.append(overdue)
    escalation = escalation_slot(task, config.escalation_days, config.alert_time, tz)
    if escalation is not None and escalation.at <= now:
        due.append(escalation)
    return due


def periodic_slots(
    config: ScheduleConfig, now: datetime, tz: ZoneInfo, since: Mapping[str, datetime]
) -> list[Slot]:
    """The most recent check-in and digests, if they fall after their kind's ``since``.

    ``since[kind]`` is when the schedule of that kind started (the bot's first run, or the
    KSz's last change of it): an occurrence before it was never owed.
    """
    candidates: list[Slot] = []
    if config.checkin is not None:
        candidates.append(checkin_slot(config.checkin, now, tz))
    if config.weekly_digest is not None:
        candidates.append(weekly_digest_slot(config.weekly_digest, now, tz))
    if config.monthly_digest is not None:
        candidates.append(monthly_digest_slot(config.monthly_digest, now, tz))
    return [s for s in candidates if s.kind.value in since and s.at >= since[s.kind.value]]


def due_slots(
    config: ScheduleConfig,
    tasks: Iterable[TaskInfo],
    now: datetime,
    tz: ZoneInfo,
    since: Mapping[str, datetime],
) -> list[Slot]:
    """Every slot due at ``now`` (sent or not: the caller skips keys already recorded)."""
    due = periodic_slots(config, now, tz, since)
    for task in tasks:
        due.extend(task_slots(config, task, now, tz))
    return sorted(due, key=lambda s: (s.at, s.key))


def upcoming(config: ScheduleConfig, now: datetime, tz: ZoneInfo) -> dict[SlotKind, datetime]:
    """When the next check-in and digests are due (for the KSz's overview)."""
    found: dict[SlotKind, datetime] = {}
    if config.checkin is not None:
        found[SlotKind.CHECKIN] = next_weekly(config.checkin, now, tz)
    if config.weekly_digest is not None:
        found[SlotKind.WEEKLY_DIGEST] = next_weekly(config.weekly_digest, now, tz)
    if config.monthly_digest is not None:
        found[SlotKind.MONTHLY_DIGEST] = next_monthly(config.monthly_digest, now, tz)
    return found
