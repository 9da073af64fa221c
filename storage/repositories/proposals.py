"""Queries of strategy proposals and their discussion."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from storage.models.proposals import Proposal, ProposalComment, ProposalStage
from storage.repositories.base import Repository


class ProposalRepository(Repository):
    """Strategy proposals and their discussion."""

    async def get(self, proposal_id: int, *, lock: bool = False) -> Proposal | None:
        query = select(Proposal).where(Proposal.id == proposal_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, item: Proposal | ProposalComment) -> None:
        self.session.add(item)

    async def by_ballot(self, ballot_id: int) -> Proposal | None:
        result = await self.session.execute(
            select(Proposal).where(
                (Proposal.st_ballot_id == ballot_id) | (Proposal.kgy_ballot_id == ballot_id)
            )
        )
        return result.scalar_one_or_none()

    async def recent(self, limit: int) -> Sequence[Proposal]:
        result = await self.session.execute(
            select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
        )
        return result.scalars().all()

    async def in_discussion(self) -> Sequence[Proposal]:
        result = await self.session.execute(
            select(Proposal).where(Proposal.stage == ProposalStage.DISCUSSION)
        )
        return result.scalars().all()

    async def comments(self, proposal_id: int) -> Sequence[ProposalComment]:
        result = await self.session.execute(
            select(ProposalComment)
            .where(ProposalComment.proposal_id == proposal_id)
            .order_by(ProposalComment.created_at, ProposalComment.id)
        )
        return result.scalars().all()
