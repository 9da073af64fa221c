"""Announcements (közlemények) and their outbox: one delivery row per member of the audience.

The outbox is the source of truth of a broadcast: a row is ``queued`` until a worker claims it
(``sending``), then ends as ``sent``, ``blocked``, ``never_started`` or ``failed``. Members of the
audience without a bound Telegram account get a ``no_account`` row, so the delivery report can
name them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigInt, IntPK, Label, LongText, _enum, cascade, set_null


class AnnouncementKind(enum.StrEnum):
    """Operational announcements come from the KSz, strategic ones from the ST chair."""

    OPERATIONAL = "operational"
    STRATEGIC = "strategic"


class AudienceGroup(enum.StrEnum):
    """Audiences that are not a workgroup (workgroups are chosen by id)."""

    ALL = "all"
    VOTERS = "voters"
    EXTERNAL = "external"
    ST = "st"
    CATALYSTS = "catalysts"


class MediaKind(enum.StrEnum):
    """What goes with the text: nothing, a photo or a document (the text is its caption)."""

    PHOTO = "photo"
    DOCUMENT = "document"


class DeliveryState(enum.StrEnum):
    """State of one outbox row."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    NEVER_STARTED = "never_started"
    FAILED = "failed"
    NO_ACCOUNT = "no_account"


#: States after which nothing more happens to a row.
FINAL_STATES = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.BLOCKED,
        DeliveryState.NEVER_STARTED,
        DeliveryState.FAILED,
        DeliveryState.NO_ACCOUNT,
    }
)


class Announcement(Base):
    """One announcement: what was said, by whom, to whom, and how far its delivery got."""

    __tablename__ = "announcements"

    id: Mapped[IntPK]
    kind: Mapped[AnnouncementKind] = mapped_column(_enum(AnnouncementKind, "announcement_kind"))
    author_id: Mapped[int | None] = set_null("members")
    author_name: Mapped[Label]
    #: The author's plain text (for listings); ``message_html`` is exactly what recipients get.
    text: Mapped[LongText]
    message_html: Mapped[LongText]
    media_kind: Mapped[MediaKind | None] = mapped_column(_enum(MediaKind, "announcement_media"))
    file_id: Mapped[str | None] = mapped_column(String(256))
    #: ``{"groups": [...], "workgroups": [{"id": 1, "name": "Export"}]}`` as chosen.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    to_main_group: Mapped[bool] = mapped_column(default=False)
    main_chat_id: Mapped[BigInt | None]
    main_message_id: Mapped[BigInt | None]
    main_state: Mapped[DeliveryState | None] = mapped_column(
        _enum(DeliveryState, "announcement_main_state")
    )
    main_error: Mapped[Label | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]


class AnnouncementDelivery(Base):
    """One member of an announcement's audience and what became of their copy."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (
        Index("uq_announcement_deliveries_member", "announcement_id", "member_id", unique=True),
        Index("ix_announcement_deliveries_state", "announcement_id", "state"),
    )

    id: Mapped[IntPK]
    announcement_id: Mapped[int] = cascade("announcements")
    member_id: Mapped[int | None] = set_null("members", index=True)
    #: The member's name when the announcement was made (the report names who was missed).
    member_name: Mapped[Label]
    telegram_id: Mapped[BigInt | None]
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState, "delivery_state"))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[Label | None]
    updated_at: Mapped[datetime | None]
