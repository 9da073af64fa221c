"""Strategy proposals: drafted in the ST, debated by the members, decided by the Közgyűlés."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, IntPK, Label, LongText, _enum, cascade, set_null


class ProposalStage(enum.StrEnum):
    """Where a strategy proposal stands: drafted in the ST, debated, decided by the Közgyűlés."""

    DRAFT = "draft"
    ST_VOTE = "st_vote"
    DISCUSSION = "discussion"
    KGY_VOTE = "kgy_vote"
    ADOPTED = "adopted"
    REJECTED = "rejected"


class Proposal(Base):
    """A strategy proposal: a founder drafts it, the ST puts it forward, the Közgyűlés adopts it."""

    __tablename__ = "proposals"

    id: Mapped[IntPK]
    title: Mapped[Label]
    text: Mapped[LongText]
    author_id: Mapped[int | None] = set_null("members")
    author_label: Mapped[Label]
    stage: Mapped[ProposalStage] = mapped_column(_enum(ProposalStage, "proposal_stage"), index=True)
    st_ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id"), unique=True)
    kgy_ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id"), unique=True)
    discussion_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ProposalComment(Base):
    """A member's comment during the Közgyűlés discussion period (external members included)."""

    __tablename__ = "proposal_comments"

    id: Mapped[IntPK]
    proposal_id: Mapped[int] = cascade("proposals", index=True)
    member_id: Mapped[int | None] = set_null("members")
    author_label: Mapped[Label]
    text: Mapped[LongText]
    created_at: Mapped[datetime]
