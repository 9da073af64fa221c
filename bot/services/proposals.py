"""Strategy proposals: a founder drafts, the ST puts forward, the Közgyűlés debates and decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.services.identity import Actor
from bot.services.roles import Standing
from storage.db import UnitOfWork
from storage.models.ballots import (
    Ballot,
    BallotComment,
    BallotKind,
    BallotResult,
    Body,
    Majority,
    QuorumRule,
)
from storage.models.proposals import Proposal, ProposalComment, ProposalStage

TITLE_MAX = 200
TEXT_MAX = 3000


@dataclass
class WrongStage(DomainError):
    """The proposal is not at the stage this step needs."""

    stage: str


def split_draft(raw: str) -> tuple[str, str]:
    """``Cím | szöveg`` or a first line as the title and the rest as the text."""
    if "|" in raw.split("\n", 1)[0]:
        title, _, text = raw.partition("|")
    else:
        title, _, text = raw.partition("\n")
    title, text = " ".join(title.split()), text.strip()
    if not title:
        raise InvalidInput("title", "empty")
    if len(title) > TITLE_MAX:
        raise InvalidInput("title", "too_long", limit=TITLE_MAX)
    if not text:
        raise InvalidInput("text", "empty")
    if len(text) > TEXT_MAX:
        raise InvalidInput("text", "too_long", limit=TEXT_MAX)
    return title, text


async def draft(uow: UnitOfWork, author: Standing, raw: str, now: datetime) -> Proposal:
    """A founder drafts a proposal in the Stratégiai Tanács."""
    if not author.in_strategic_council:
        raise NotAllowed("founder")
    title, text = split_draft(raw)
    proposal = Proposal(
        title=title,
        text=text,
        author_id=author.member_id,
        author_label=author.name,
        stage=ProposalStage.DRAFT,
        created_at=now,
    )
    uow.proposals.add(proposal)
    await uow.flush()
    return proposal


async def _get(uow: UnitOfWork, proposal_id: int, stage: ProposalStage | None = None) -> Proposal:
    proposal = await uow.proposals.get(proposal_id, lock=True)
    if proposal is None:
        raise NotFound("proposal", str(proposal_id))
    if stage is not None and proposal.stage is not stage:
        raise WrongStage(proposal.stage.value)
    return proposal


def ballot_question(proposal: Proposal) -> str:
    """The text put to the vote: the proposal's title and text."""
    return f"{proposal.title}\n\n{proposal.text}"


async def _put_to_vote(
    uow: UnitOfWork,
    proposal: Proposal,
    body: Body,
    creator: Standing,
    now: datetime,
    days: int,
    labels: tuple[str, str, str],
) -> Ballot:
    """A yes/no ballot of ``body`` on the proposal, with the default rules."""
    return await ballots.publish(
        uow,
        BallotDraft(
            question=ballot_question(proposal),
            body=body,
            kind=BallotKind.YES_NO,
            deadline=ballots.deadline_in(now, days=days),
            quorum=QuorumRule.MORE_THAN_HALF,
            majority=Majority.SIMPLE,
        ),
        creator,
        now,
        yes_no_labels=labels,
        abstain_label=labels[2],
    )


async def start_st_ballot(
    uow: UnitOfWork,
    proposal_id: int,
    who: Standing,
    now: datetime,
    days: int,
    labels: tuple[str, str, str],
) -> Ballot:
    """The ST votes on putting the proposal before the Közgyűlés."""
    if not who.in_strategic_council:
        raise NotAllowed("founder")
    proposal = await _get(uow, proposal_id, ProposalStage.DRAFT)
    ballot = await _put_to_vote(uow, proposal, Body.ST, who, now, days, labels)
    proposal.stage = ProposalStage.ST_VOTE
    proposal.st_ballot_id = ballot.id
    return ballot


async def submit(
    uow: UnitOfWork, proposal_id: int, who: Standing, now: datetime, days: int
) -> Proposal:
    """The ST chair puts the proposal before the Közgyűlés: the discussion period starts."""
    if not who.chairs_st:
        raise NotAllowed("st_chair")
    proposal = await _get(uow, proposal_id, ProposalStage.DRAFT)
    proposal.stage = ProposalStage.DISCUSSION
    proposal.discussion_until = ballots.deadline_in(now, days=days)
    return proposal


async def after_ballot(
    uow: UnitOfWork, ballot: Ballot, result: BallotResult, now: datetime, days: int
) -> Proposal | None:
    """Move the proposal on when its ST or Közgyűlés ballot closes."""
    proposal = await uow.proposals.by_ballot(ballot.id)
    if proposal is None:
        return None
    adopted = result is BallotResult.ADOPTED
    if proposal.st_ballot_id == ballot.id and proposal.stage is ProposalStage.ST_VOTE:
        if adopted:
            proposal.stage = ProposalStage.DISCUSSION
            proposal.discussion_until = ballots.deadline_in(now, days=days)
        else:
            proposal.stage = ProposalStage.REJECTED
    elif proposal.kgy_ballot_id == ballot.id and proposal.stage is ProposalStage.KGY_VOTE:
        proposal.stage = ProposalStage.ADOPTED if adopted else ProposalStage.REJECTED
    return proposal


async def open_kgy_ballot(
    uow: UnitOfWork, proposal_id: int, now: datetime, days: int, labels: tuple[str, str, str]
) -> Ballot | None:
    """After the discussion, the ST chair's Közgyűlés ballot; None while there is no chair."""
    from bot.services.roles import standing_of

    proposal = await _get(uow, proposal_id, ProposalStage.DISCUSSION)
    if proposal.discussion_until is not None and proposal.discussion_until > now:
        raise WrongStage(proposal.stage.value)
    chair = await uow.members.st_chair()
    if chair is None:
        return None
    chair_standing = standing_of(chair, await uow.workgroups.led_ids(chair.id))
    ballot = await _put_to_vote(uow, proposal, Body.KGY, chair_standing, now, days, labels)
    proposal.stage = ProposalStage.KGY_VOTE
    proposal.kgy_ballot_id = ballot.id
    # the ballot carries the discussion: its debate starts with the discussion's comments
    ballot_repo = uow.ballots
    for item in await uow.proposals.comments(proposal.id):
        row = ballots.comment_row(item.member_id, item.author_label, item.text, item.created_at)
        ballot_repo.add_comment(BallotComment(ballot_id=ballot.id, **row))
    await uow.flush()
    return ballot


async def comment(
    uow: UnitOfWork, proposal_id: int, author: Actor, text: str, now: datetime
) -> ProposalComment:
    """Any member (external supporters included) comments during the discussion."""
    proposal = await _get(uow, proposal_id, ProposalStage.DISCUSSION)
    row = ballots.comment_row(author.member_id, author.label, ballots.clean_comment(text), now)
    item = ProposalComment(proposal_id=proposal.id, **row)
    uow.proposals.add(item)
    await uow.flush()
    return item
