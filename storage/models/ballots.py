"""Ballots, their electoral roll, votes (open), anonymous tallies (secret) and resolutions."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigInt, IntPK, Label, LongText, _enum, cascade, set_null


class Body(enum.StrEnum):
    """The deciding body: the general assembly or the Strategic Council."""

    KGY = "kgy"
    ST = "st"


class BallotKind(enum.StrEnum):
    """Yes / no / abstain; one choice of several; several choices up to a limit."""

    YES_NO = "yesno"
    SINGLE = "single"
    MULTI = "multi"


class Majority(enum.StrEnum):
    """How many votes an option needs."""

    SIMPLE = "simple"
    ABSOLUTE = "absolute"
    TWO_THIRDS = "two_thirds"
    THREE_QUARTERS = "three_quarters"


class QuorumRule(enum.StrEnum):
    """Share of all members with the vote that must take part."""

    MORE_THAN_HALF = "more_than_half"
    TWO_THIRDS = "two_thirds"
    NONE = "none"


class Procedure(enum.StrEnum):
    """How the body decides: an electronic ballot, a decision without a meeting (Ptk. 3:20), or
    an agenda item's vote at a meeting among the members present."""

    BALLOT = "ballot"
    NO_MEETING = "no_meeting"
    MEETING = "meeting"


class BallotStatus(enum.StrEnum):
    """Open for votes, or closed with a result."""

    OPEN = "open"
    CLOSED = "closed"


class BallotResult(enum.StrEnum):
    """Elfogadva, elutasítva, or eredménytelen (no quorum)."""

    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


class Ballot(Base):
    """A question put to the members with the vote of one body."""

    __tablename__ = "ballots"

    id: Mapped[IntPK]
    body: Mapped[Body] = mapped_column(_enum(Body, "ballot_body"))
    kind: Mapped[BallotKind] = mapped_column(_enum(BallotKind, "ballot_kind"))
    question: Mapped[LongText]
    max_choices: Mapped[int] = mapped_column(default=1)
    secret: Mapped[bool] = mapped_column(default=False)
    changeable: Mapped[bool] = mapped_column(default=True)
    quorum: Mapped[QuorumRule] = mapped_column(_enum(QuorumRule, "ballot_quorum"))
    majority: Mapped[Majority] = mapped_column(_enum(Majority, "ballot_majority"))
    deadline: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[BallotStatus] = mapped_column(_enum(BallotStatus, "ballot_status"), index=True)
    result: Mapped[BallotResult | None] = mapped_column(_enum(BallotResult, "ballot_result"))
    electorate: Mapped[int]
    created_by_id: Mapped[int | None] = set_null("members")
    created_by_label: Mapped[Label]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_label: Mapped[Label | None]
    group_chat_id: Mapped[BigInt | None]
    group_message_id: Mapped[BigInt | None]
    #: SHA-256 of the text the main group's copy shows, so an unchanged copy is never edited.
    group_shown: Mapped[str | None] = mapped_column(String(64))
    procedure: Mapped[Procedure] = mapped_column(
        _enum(Procedure, "ballot_procedure"), default=Procedure.BALLOT, server_default="ballot"
    )
    #: Ptk. 3:20: a member asked for a meeting, which stopped the procedure (result: none).
    meeting_requested_by_label: Mapped[Label | None]
    meeting_requested_at: Mapped[datetime | None]

    options: Mapped[list[BallotOption]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", order_by="BallotOption.position"
    )


class BallotOption(Base):
    """One answer a voter can choose; ``is_abstain`` marks Tartózkodom."""

    __tablename__ = "ballot_options"
    __table_args__ = (UniqueConstraint("ballot_id", "position"),)

    id: Mapped[IntPK]
    ballot_id: Mapped[int] = cascade("ballots", index=True)
    position: Mapped[int]
    label: Mapped[Label]
    is_abstain: Mapped[bool] = mapped_column(default=False)

    ballot: Mapped[Ballot] = relationship(back_populates="options")


class RollEntry(Base):
    """A member on the ballot's electoral roll; ``has_voted`` is all a secret ballot keeps of them.

    No timestamp on purpose: a secret vote must not be matched to its voter by time.
    """

    __tablename__ = "ballot_roll"

    ballot_id: Mapped[int] = cascade("ballots", primary_key=True)
    member_id: Mapped[int] = cascade("members", primary_key=True, index=True)
    has_voted: Mapped[bool] = mapped_column(default=False)
    #: Ptk. 3:19 (2): the member is affected (érintett) and may not vote; why, and who said so
    #: (themself, the KSz or the chair). An affected member is out of the ballot's quorum base.
    affected_reason: Mapped[LongText | None]
    affected_by_label: Mapped[Label | None]
    #: At a meeting: the member present who votes for this absent one by proxy (meghatalmazott),
    #: fixed when the vote opened; the member then cannot vote themself. None: they vote.
    proxy_id: Mapped[int | None] = set_null("members")


class OpenVote(Base):
    """An open ballot's vote: who chose what. The unique key allows one vote per member."""

    __tablename__ = "ballot_votes"
    __table_args__ = (UniqueConstraint("ballot_id", "member_id"),)

    id: Mapped[IntPK]
    ballot_id: Mapped[int] = cascade("ballots")
    member_id: Mapped[int] = cascade("members")
    cast_at: Mapped[datetime]

    choices: Mapped[list[OpenVoteChoice]] = relationship(cascade="all, delete-orphan")


class OpenVoteChoice(Base):
    """One option chosen in an open vote."""

    __tablename__ = "ballot_vote_choices"

    vote_id: Mapped[int] = cascade("ballot_votes", primary_key=True)
    option_id: Mapped[int] = cascade("ballot_options", primary_key=True, index=True)


class SecretTally(Base):
    """A closed secret ballot's result: a counter per option, written once, by the close.

    While the ballot is open the choices are papers in the urn (``UrnPaper``); the close
    counts them into these rows and empties the urn.
    """

    __tablename__ = "ballot_secret_tallies"

    ballot_id: Mapped[int] = cascade("ballots", primary_key=True)
    option_id: Mapped[int] = cascade("ballot_options", primary_key=True)
    votes: Mapped[int] = mapped_column(default=0)


class UrnPaper(Base):
    """One option chosen on a secret ballot paper, while the ballot is open: the urn.

    Nothing on it names the voter, the time or the order of voting: a random id, the ballot
    and the option. It is written in the voter's transaction together with their roll mark
    (so no vote is ever lost or counted twice), and the close counts the urn into
    ``SecretTally`` and empties it so that nothing stored keeps the pair (see the README,
    "Secret ballots").
    """

    __tablename__ = "ballot_urn"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ballot_id: Mapped[int] = cascade("ballots")
    option_id: Mapped[int] = cascade("ballot_options")


class BallotReminder(Base):
    """A reminder that went out (so it never goes out twice, also across restarts)."""

    __tablename__ = "ballot_reminders"

    ballot_id: Mapped[int] = cascade("ballots", primary_key=True)
    hours_before: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]


class BallotComment(Base):
    """A comment in the debate of a ballot (external supporters' advisory right)."""

    __tablename__ = "ballot_comments"

    id: Mapped[IntPK]
    ballot_id: Mapped[int] = cascade("ballots", index=True)
    member_id: Mapped[int | None] = set_null("members")
    author_label: Mapped[Label]
    text: Mapped[LongText]
    created_at: Mapped[datetime]


def search_key(text: str) -> str:
    """The register's search key of a resolution's text (``Resolution.text_key``), and of
    what is searched for in it."""
    return text.casefold()


class Resolution(Base):
    """An adopted decision in the register, numbered per body and per year."""

    __tablename__ = "resolutions"
    __table_args__ = (UniqueConstraint("body", "year", "number"),)

    id: Mapped[IntPK]
    body: Mapped[Body] = mapped_column(_enum(Body, "resolution_body"))
    year: Mapped[int]
    number: Mapped[int]
    adopted_on: Mapped[date]
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), unique=True)
    text: Mapped[LongText]
    text_key: Mapped[LongText]  # search_key(text)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
