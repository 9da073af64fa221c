"""The outbox: every delivery that matters, one row per message, committed before it is sent.

A ballot at publication, its reminders and result, a proposal's notices: the rows are written
in the same transaction as the change they report (a ballot's close and its result rows commit
together), so a hard kill can neither lose them nor send them before the change exists. The
courier (``bot.courier``) claims due rows, sends them, records the outcome, and retries
transient failures (timeouts, network errors, 5xx, flood limits) with backoff; ``(batch,
chat_id)`` is unique, so queuing the same delivery again adds nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigInt, IntPK, Label, LongText, _enum, set_null


class OutboxState(enum.StrEnum):
    """Where a queued message stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    NEVER_STARTED = "never_started"
    FAILED = "failed"


class OutboxMessage(Base):
    """One message to one chat."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("uq_outbox_messages_batch_chat", "batch", "chat_id", unique=True),
        Index("ix_outbox_messages_due", "state", "not_before"),
    )

    id: Mapped[IntPK]
    #: What the message belongs to, e.g. ``ballot:12:result`` (reports, idempotent queuing).
    batch: Mapped[str] = mapped_column(String(120))
    chat_id: Mapped[BigInt]
    member_id: Mapped[int | None] = set_null("members")
    #: The message; a longer one goes in parts of at most 4,096 characters, in order.
    text: Mapped[LongText]
    #: A picture or a document sent first (``OutboxFile.key``), with its caption.
    photo_key: Mapped[str | None] = mapped_column(String(120))
    caption: Mapped[LongText | None]
    #: The inline keyboard (on the last part) as Bot API JSON, or none.
    markup: Mapped[dict[str, Any] | None]
    #: What to record once it is sent (e.g. ``ballot_group_copy``), with the id it is about.
    purpose: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None]
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState, "outbox_state"))
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not sent before this time (the backoff of a transient failure).
    not_before: Mapped[datetime]
    error: Mapped[Label | None]
    message_id: Mapped[BigInt | None]
    #: The replica that marked it ``sending`` (its advisory-lock key, ``storage.replica``).
    claimed_by: Mapped[BigInt | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class OutboxFile(Base):
    """A picture that many queued messages carry (a digest's chart), or a document (a meeting's
    minutes, with its ``filename``): uploaded once, then reused by its Telegram ``file_id``."""

    __tablename__ = "outbox_files"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    file_id: Mapped[str | None] = mapped_column(String(256))
    #: A document's file name; none for a picture.
    filename: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
