"""Meetings (ülés) of a body: the invitation's facts, the agenda, the attendance sheet."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.ballots import Body, QuorumRule
from storage.models.base import Base, IntPK, Label, LongText, _enum, cascade, set_null


class MeetingStatus(enum.StrEnum):
    """Convened (invitation sent), quorate and running, not quorate, or closed."""

    CONVENED = "convened"
    OPEN = "open"
    NOT_QUORATE = "not_quorate"
    CLOSED = "closed"


class Meeting(Base):
    """A meeting of the Közgyűlés or the Stratégiai Tanács."""

    __tablename__ = "meetings"

    id: Mapped[IntPK]
    body: Mapped[Body] = mapped_column(_enum(Body, "meeting_body"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[LongText | None]
    link: Mapped[LongText | None]
    quorum: Mapped[QuorumRule] = mapped_column(_enum(QuorumRule, "meeting_quorum"))
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "meeting_status"), index=True
    )
    #: The convener, who runs the meeting until it has elected its chair.
    created_by_id: Mapped[int | None] = set_null("members")
    created_by_label: Mapped[Label]
    created_at: Mapped[datetime]
    quorum_reached_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The officers the meeting elected by an open vote of those present (its ballot).
    officers_ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id"))
    minute_taker_id: Mapped[int | None] = set_null("members")
    minute_taker_label: Mapped[Label | None]
    authenticator1_id: Mapped[int | None] = set_null("members")
    authenticator1_label: Mapped[Label | None]
    authenticator2_id: Mapped[int | None] = set_null("members")
    authenticator2_label: Mapped[Label | None]
    #: The levezető elnök proposed with the officers (the convener when none was named); once
    #: the officers' ballot is adopted, they hold the chair's powers.
    chair_id: Mapped[int | None] = set_null("members")
    chair_label: Mapped[Label | None]
    #: The adoption of the agenda (napirend elfogadása) by an open vote of those present.
    agenda_ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id"))
    #: The members with the vote when the meeting started: the base of its quorum statement.
    electorate: Mapped[int | None]
    #: A megismételt ülés: the not-quorate meeting whose agenda this one takes up again.
    reconvenes_id: Mapped[int | None] = set_null("meetings")

    items: Mapped[list[MeetingItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingItem.position"
    )


class MeetingItem(Base):
    """An agenda item (napirendi pont), with its draft resolution and the ballot that decided it."""

    __tablename__ = "meeting_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[IntPK]
    meeting_id: Mapped[int] = cascade("meetings", index=True)
    position: Mapped[int]
    title: Mapped[Label]
    draft: Mapped[LongText | None]
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id"), unique=True)

    meeting: Mapped[Meeting] = relationship(back_populates="items")


class Attendance(Base):
    """A line of the attendance sheet (jelenléti ív): arrived, and left if they checked out."""

    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[int] = cascade("meetings", primary_key=True)
    member_id: Mapped[int] = cascade("members", primary_key=True, index=True)
    arrived_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    #: Who recorded the arrival: the member themself, or the chair for someone present in person.
    recorded_by_label: Mapped[Label]


class MinutesConfirmation(Base):
    """An authenticator (jegyzőkönyv-hitelesítő) confirmed the minutes."""

    __tablename__ = "meeting_confirmations"

    meeting_id: Mapped[int] = cascade("meetings", primary_key=True)
    member_id: Mapped[int] = cascade("members", primary_key=True)
    member_label: Mapped[Label]
    confirmed_at: Mapped[datetime]


class MeetingReminder(Base):
    """A reminder of a meeting that went out (``day`` or ``hour``), so it never goes twice."""

    __tablename__ = "meeting_reminders"

    meeting_id: Mapped[int] = cascade("meetings", primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    sent_at: Mapped[datetime]


class Proxy(Base):
    """A meghatalmazás: ``principal_id`` authorised ``holder_id`` (both with the body's vote) to
    represent them at the meeting; given and revoked only before the meeting starts."""

    __tablename__ = "meeting_proxies"

    meeting_id: Mapped[int] = cascade("meetings", primary_key=True)
    principal_id: Mapped[int] = cascade("members", primary_key=True, index=True)
    holder_id: Mapped[int] = cascade("members", index=True)
    created_at: Mapped[datetime]
