"""Routing workgroup chat to the katalizátor: threads, routed messages, deliveries, copies.

A *thread* is one member's conversation with a workgroup's katalizátor (or the KSz), started
either in the member's private chat or in the workgroup's linked Telegram group. Every message
that goes through is a *routed message* (a member's question or a handler's answer); each
recipient chat gets a *delivery*, pending until it is sent, and every message the bot sends for a
delivery is a *copy*, so that a Telegram reply to it finds its way back, also after a restart.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigInt, IntPK, LongText, _enum, cascade, set_null
from storage.models.identity import Member, Workgroup


class ThreadStatus(enum.StrEnum):
    """Where a thread stands."""

    OPEN = "open"
    HANDED_TO_KSZ = "handed_to_ksz"
    RESOLVED = "resolved"


class Direction(enum.StrEnum):
    """A member's question, or an answer of the katalizátor or the KSz."""

    QUESTION = "question"
    ANSWER = "answer"


class Signer(enum.StrEnum):
    """In which capacity the author of a routed message wrote it."""

    MEMBER = "member"
    CATALYST = "catalyst"
    KSZ = "ksz"


class Audience(enum.StrEnum):
    """Who a delivery is for: the handler of the thread, or the member (privately or in a group)."""

    CATALYST = "catalyst"
    KSZ = "ksz"
    MEMBER = "member"
    GROUP = "group"


class DeliveryStatus(enum.StrEnum):
    """Whether a delivery has been sent."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class RoutingThread(Base):
    """A member's conversation with a workgroup's katalizátor (or the KSz)."""

    __tablename__ = "routing_threads"

    id: Mapped[IntPK]
    workgroup_id: Mapped[int] = cascade("workgroups", index=True)
    member_id: Mapped[int] = cascade("members", index=True)
    #: The member's private chat (their Telegram id) or the workgroup's linked group.
    origin_chat_id: Mapped[BigInt]
    in_group: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ThreadStatus] = mapped_column(
        _enum(ThreadStatus, "routing_thread_status"), index=True
    )
    created_at: Mapped[datetime]
    #: When the thread itself last changed: started, handed over, resolved or reopened. Its
    #: messages keep their own times, so a message does not write the thread: retention
    #: deletes a thread only once no message is left in it and this is older than the cutoff.
    last_activity_at: Mapped[datetime] = mapped_column(index=True)
    handed_by_id: Mapped[int | None] = set_null("members")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = set_null("members")

    workgroup: Mapped[Workgroup] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    handed_by: Mapped[Member | None] = relationship(foreign_keys=[handed_by_id])


class RoutedMessage(Base):
    """One message that went through: where it was written and what it said."""

    __tablename__ = "routing_messages"
    __table_args__ = (Index("ix_routing_messages_author_created", "author_id", "created_at"),)

    id: Mapped[IntPK]
    thread_id: Mapped[int] = cascade("routing_threads", index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "routing_direction"))
    author_id: Mapped[int | None] = set_null("members")
    signer: Mapped[Signer] = mapped_column(_enum(Signer, "routing_signer"))
    origin_chat_id: Mapped[BigInt]
    origin_message_id: Mapped[BigInt]
    #: ``text``, ``photo``, ``document``, ``voice``, ``video``, ...
    kind: Mapped[str] = mapped_column(String(16))
    #: The text (or the caption) as Telegram HTML; the media itself stays on Telegram.
    body_html: Mapped[LongText] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(index=True)  # the retention's question

    thread: Mapped[RoutingThread] = relationship()
    author: Mapped[Member | None] = relationship()


class RoutingDelivery(Base):
    """One routed message for one chat; pending until the bot could send it."""

    __tablename__ = "routing_deliveries"
    __table_args__ = (Index("ix_routing_deliveries_chat_status", "chat_id", "status"),)

    id: Mapped[IntPK]
    message_id: Mapped[int] = cascade("routing_messages", index=True)
    chat_id: Mapped[BigInt]
    audience: Mapped[Audience] = mapped_column(_enum(Audience, "routing_audience"))
    reply_to_message_id: Mapped[BigInt | None]
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "routing_delivery_status"))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    message: Mapped[RoutedMessage] = relationship()


class RoutingCopy(Base):
    """A message the bot sent for a delivery: a reply to it is routed back."""

    __tablename__ = "routing_copies"
    __table_args__ = (
        Index("uq_routing_copies_chat_message", "chat_id", "message_id", unique=True),
    )

    id: Mapped[IntPK]
    delivery_id: Mapped[int] = cascade("routing_deliveries", index=True)
    chat_id: Mapped[BigInt]
    message_id: Mapped[BigInt]

    delivery: Mapped[RoutingDelivery] = relationship()


class RoutingSession(Base):
    """A member is writing to a workgroup's katalizátor from the private chat."""

    __tablename__ = "routing_sessions"

    member_id: Mapped[int] = cascade("members", primary_key=True)
    workgroup_id: Mapped[int] = cascade("workgroups")
    opened_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(default=0)

    workgroup: Mapped[Workgroup] = relationship()


class RoutingFlood(Base):
    """A member's message count in the current one-minute window."""

    __tablename__ = "routing_flood"

    member_id: Mapped[int] = cascade("members", primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)
    notified: Mapped[bool] = mapped_column(default=False)
