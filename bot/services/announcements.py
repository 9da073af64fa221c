"""Announcements: who may say what to whom, the audience, the outbox and its bookkeeping.

No Telegram here: the handlers render the message and measure it, the delivery worker sends it
and reports each outcome back through ``record``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.roles import Permission, Standing, allows
from storage.db import UnitOfWork
from storage.models import Workgroup
from storage.models.announcements import (
    Announcement,
    AnnouncementKind,
    AudienceGroup,
    DeliveryState,
    MediaKind,
)
from storage.repositories.announcements import Claim

__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "AnnouncementKind",
    "Audience",
    "AudienceGroup",
    "AudiencePreview",
    "Claim",
    "Content",
    "DeliveryState",
    "Draft",
    "MediaKind",
    "Report",
    "Stage",
    "Summary",
]

#: Telegram's limits, in UTF-16 code units of visible text.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
#: How many names a preview or a report lists before "and N more".
NAMES_SHOWN = 200


@dataclass(frozen=True, slots=True)
class Audience:
    """Who an announcement goes to: groups of members and workgroups (by id), combined."""

    groups: frozenset[AudienceGroup] = frozenset()
    workgroup_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.workgroup_ids


@dataclass(frozen=True, slots=True)
class Content:
    """What recipients get: the rendered HTML (header included) and what goes with it."""

    text: str
    message_html: str
    length: int
    media_kind: MediaKind | None = None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    """How many members an audience reaches, and who in it has no Telegram account."""

    recipients: int
    without_account: int
    names_without_account: list[str]


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of a broadcast, for its author."""

    announcement: Announcement
    counts: dict[DeliveryState, int]
    unreachable: list[tuple[str, DeliveryState, str | None]]
    unreachable_total: int


class Stage(enum.IntEnum):
    """Steps of composing an announcement (the conversation's states)."""

    CONTENT = 1
    AUDIENCE = 2
    KIND = 3
    PREVIEW = 4


@dataclass
class Draft:
    """An announcement being composed; lives in the author's ``UserData`` until confirmed."""

    serial: int
    stage: Stage = Stage.CONTENT
    text: str = ""
    body_html: str = ""
    length: int = 0
    media_kind: MediaKind | None = None
    file_id: str | None = None
    groups: set[AudienceGroup] = field(default_factory=set)
    workgroup_ids: set[int] = field(default_factory=set)
    kind: AnnouncementKind | None = None
    to_main_group: bool = False

    @property
    def audience(self) -> Audience:
        return Audience(frozenset(self.groups), frozenset(self.workgroup_ids))


# --- rules -----------------------------------------------------------------------------------


def kinds_for(standing: Standing) -> list[AnnouncementKind]:
    """The kinds this caller may send: operational for the KSz, strategic for the ST chair."""
    kinds = []
    if standing.is_ksz_staff:
        kinds.append(AnnouncementKind.OPERATIONAL)
    if standing.chairs_st:
        kinds.append(AnnouncementKind.STRATEGIC)
    return kinds


def check_kind(standing: Standing, kind: AnnouncementKind) -> None:
    """Refuse a kind the caller may not send (NotAllowed names the office it needs)."""
    if kind not in kinds_for(standing):
        needed = Permission.ST_CHAIR if kind is AnnouncementKind.STRATEGIC else Permission.KSZ
        raise NotAllowed(needed)


def check_length(length: int, *, has_media: bool, overhead: int = 0) -> None:
    """Text (caption with a photo or document) must be 1 .. limit - overhead characters long.

    ``overhead`` is what the header adds to the author's text; ``length`` is in UTF-16 units.
    """
    field_name = "caption" if has_media else "text"
    if length <= 0:
        raise InvalidInput(field_name, "empty")
    limit = (CAPTION_LIMIT if has_media else TEXT_LIMIT) - overhead
    if length > limit:
        raise InvalidInput(field_name, "too_long", limit=max(limit, 0))


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


# --- composing -------------------------------------------------------------------------------


async def preview(uow: UnitOfWork, audience: Audience) -> AudiencePreview:
    """Count the audience: recipients (bound accounts) and members who cannot be reached."""
    repo = uow.announcements
    recipients, without = await repo.audience_size(audience.groups, audience.workgroup_ids)
    names = (
        await repo.audience_without_account(audience.groups, audience.workgroup_ids, NAMES_SHOWN)
        if without
        else []
    )
    return AudiencePreview(recipients, without, names)


async def _workgroups(uow: UnitOfWork, ids: frozenset[int]) -> list[Workgroup]:
    groups = []
    for group_id in sorted(ids):
        group = await uow.workgroups.get(group_id)
        if group is None:
            raise NotFound("workgroup", str(group_id))
        groups.append(group)
    return groups


async def create(
    uow: UnitOfWork,
    author: Standing,
    kind: AnnouncementKind,
    content: Content,
    audience: Audience,
    now: datetime,
    *,
    to_main_group: bool = False,
) -> Announcement:
    """Create the announcement and its whole outbox in the caller's unit of work (one
    transaction): nothing is half-saved, and nothing is sent until the worker picks it up."""
    if not allows(Permission.ANNOUNCER, author) or author.member_id is None:
        raise NotAllowed(Permission.ANNOUNCER)
    check_kind(author, kind)
    has_media = content.media_kind is not None
    if not content.text.strip():
        raise InvalidInput("caption" if has_media else "text", "empty")
    check_length(content.length, has_media=has_media)
    if (content.media_kind is None) != (content.file_id is None):
        raise InvalidInput("file", "invalid")
    if audience.is_empty:
        raise InvalidInput("audience", "empty")
    groups = await _workgroups(uow, audience.workgroup_ids)
    repo = uow.announcements
    recipients, _without = await repo.audience_size(audience.groups, audience.workgroup_ids)
    if not recipients and not to_main_group:
        raise InvalidInput("audience", "no_recipients")
    announcement = Announcement(
        kind=kind,
        author_id=author.member_id,
        author_name=author.name,
        text=content.text,
        message_html=content.message_html,
        media_kind=content.media_kind,
        file_id=content.file_id,
        audience={
            "groups": [g.value for g in AudienceGroup if g in audience.groups],
            "workgroups": [{"id": g.id, "name": g.name} for g in groups],
        },
        to_main_group=to_main_group,
        created_at=now,
    )
    repo.add(announcement)
    await uow.flush()
    await repo.fill_outbox(announcement.id, audience.groups, audience.workgroup_ids)
    return announcement


# --- delivering ------------------------------------------------------------------------------


async def claim(uow: UnitOfWork, announcement_id: int, limit: int, now: datetime) -> list[Claim]:
    """The next queued rows, now marked ``sending`` (a row is claimed by one worker only)."""
    return await uow.announcements.claim(announcement_id, limit, now)


async def record(
    uow: UnitOfWork,
    claimed: Claim,
    state: DeliveryState,
    error: str | None,
    now: datetime,
) -> None:
    """Store what happened to one row; an account that refused (403) is marked blocked."""
    await uow.announcements.record(claimed.delivery_id, state, error, now)
    if state in (DeliveryState.BLOCKED, DeliveryState.NEVER_STARTED):
        await uow.telegram_users.mark_blocked(claimed.telegram_id, now)


async def release(uow: UnitOfWork, claims: list[Claim]) -> None:
    """Claimed rows that were not sent (the bot is stopping) go back to the queue."""
    await uow.announcements.requeue([c.delivery_id for c in claims])


async def resume(uow: UnitOfWork, *, requeue: bool = True) -> list[int]:
    """At start: rows a killed process left ``sending`` are queued again (the at-most-one
    in-flight message per sending slot may thus arrive twice); returns the announcements whose
    delivery or report is not finished. ``requeue=False`` (replicas on PostgreSQL): only the
    list; each delivery requeues its own rows once it holds the announcement's lock."""
    repo = uow.announcements
    if requeue:
        await repo.requeue_interrupted()
    return await repo.unfinished()


async def finish(uow: UnitOfWork, announcement_id: int, now: datetime) -> bool:
    """Mark the delivery finished when no row is queued or being sent; True when finished."""
    repo = uow.announcements
    if await repo.pending(announcement_id):
        return False
    await repo.mark_finished(announcement_id, now)
    return True


async def requeue_orphans(uow: UnitOfWork, announcement_id: int) -> int:
    """Rows left ``sending`` although no send is in flight (their result could not be saved)."""
    return await uow.announcements.requeue_interrupted(announcement_id)


async def record_main_group(
    uow: UnitOfWork,
    announcement_id: int,
    chat_id: int | None,
    message_id: int | None,
    error: str | None,
) -> None:
    """Store the outcome of the post to the main group."""
    announcement = await uow.announcements.get(announcement_id)
    if announcement is None:
        return
    announcement.main_chat_id = chat_id
    announcement.main_message_id = message_id
    announcement.main_state = DeliveryState.FAILED if message_id is None else DeliveryState.SENT
    announcement.main_error = error[:200] if error else None


async def report(uow: UnitOfWork, announcement_id: int) -> Report:
    """Counts per state and the members who could not be reached (at most NAMES_SHOWN)."""
    repo = uow.announcements
    announcement = await repo.get(announcement_id)
    if announcement is None:
        raise NotFound("announcement", str(announcement_id))
    counts = (await repo.counts([announcement_id]))[announcement_id]
    missed = [DeliveryState.BLOCKED, DeliveryState.NEVER_STARTED, DeliveryState.FAILED]
    total = sum(counts.get(s, 0) for s in (*missed, DeliveryState.NO_ACCOUNT))
    unreachable = list(await repo.unreachable(announcement_id, NAMES_SHOWN))
    return Report(announcement, counts, unreachable, total)


async def mark_reported(uow: UnitOfWork, announcement_id: int, now: datetime) -> None:
    await uow.announcements.mark_reported(announcement_id, now)


# --- listing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """One line of /kozlemenyek."""

    announcement: Announcement
    counts: dict[DeliveryState, int]


async def history(
    uow: UnitOfWork, viewer: Standing, offset: int, limit: int
) -> tuple[list[Summary], int]:
    """Past announcements, newest first. The KSz and the ST chair see all of them; other members
    those they were in the audience of."""
    if not allows(Permission.MEMBER, viewer) or viewer.member_id is None:
        raise NotAllowed(Permission.MEMBER)
    sees_all = allows(Permission.ANNOUNCER, viewer)
    repo = uow.announcements
    items, total = await repo.page(
        offset, limit, addressed_to=None if sees_all else viewer.member_id
    )
    counts = await repo.counts([a.id for a in items])
    return [Summary(a, counts[a.id]) for a in items], total
