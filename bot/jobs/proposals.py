"""Strategy proposals: /javaslat, /javaslatok, the ST's decision, the discussion, the vote."""

from __future__ import annotations

import logging
from typing import Any

from bot import courier
from bot.context import BotContext
from bot.delivery import active_recipients, queued_rows, translator_for
from bot.jobs.ballots import queue_ballot, schedule
from bot.services import ballots, proposals
from bot.views import ballots as ballot_views
from bot.views import proposals as views
from storage.db import UnitOfWork
from storage.models.proposals import ProposalStage

log = logging.getLogger(__name__)


async def open_discussion(app: Any, proposal_id: int) -> None:
    """Tell every member that the discussion started (through the outbox); schedule its end."""
    data = app.bot_data
    async with data.db.unit() as uow:
        proposal = await uow.proposals.get(proposal_id)
        assert proposal is not None and proposal.discussion_until is not None
        await _queue_discussion_notice(uow, data, proposal)
    data.courier.wake()
    app.job_queue.run_once(
        job_discussion_end,
        when=proposal.discussion_until,
        name=f"proposal:{proposal_id}:discussion",
        data=proposal_id,
    )


async def _queue_discussion_notice(uow: UnitOfWork, data: Any, proposal: Any) -> int:
    """Queue the "open for discussion" notice for every member (once per proposal)."""
    everyone = await active_recipients(uow)
    return await courier.enqueue(
        uow,
        queued_rows(
            f"proposal:{proposal.id}:discussion",
            everyone,
            translator_for(data.translations),
            lambda t: (views.discussion_opened(t, proposal), views.card_keyboard(t, proposal)),
            data.clock.now(),
        ),
    )


async def job_discussion_end(context: BotContext) -> None:
    """The discussion period is over: the Közgyűlés votes."""
    assert context.job is not None
    await end_discussion(context.application, int(context.job.data))  # type: ignore[arg-type]


async def end_discussion(app: Any, proposal_id: int) -> None:
    """Open the Közgyűlés ballot on a proposal whose discussion ended."""
    data = app.bot_data
    t = data.translations.get(None)
    async with data.db.unit() as uow:
        ballot = await proposals.open_kgy_ballot(
            uow, proposal_id, data.clock.now(), data.settings.proposal_ballot_days,
            ballot_views.yes_no_labels(t),
        )  # fmt: skip
        if ballot is not None:
            await queue_ballot(uow, data, ballot)
    if ballot is None:
        log.warning("proposal %s waits for an ST chair to open its ballot", proposal_id)
        return
    schedule(app, ballot)
    data.courier.wake()


async def on_ballot_closed(app: Any, closing: ballots.Closing) -> None:
    """Move a proposal on when its ballot closes."""
    data = app.bot_data
    async with data.db.unit() as uow:
        proposal = await proposals.after_ballot(
            uow, closing.ballot, closing.tally.result, data.clock.now(),
            data.settings.proposal_discussion_days,
        )  # fmt: skip
    if proposal is not None and proposal.stage is ProposalStage.DISCUSSION:
        await open_discussion(app, proposal.id)


async def startup(app: Any) -> None:
    """Reschedule the end of every discussion; end those that passed while the bot was down."""
    data = app.bot_data
    now = data.clock.now()
    async with data.db.unit() as uow:
        open_items = list(await uow.proposals.in_discussion())
        for proposal in open_items:  # a stop right after the stage changed: notice still due
            if not await uow.outbox.exists(f"proposal:{proposal.id}:discussion"):
                await _queue_discussion_notice(uow, data, proposal)
    data.courier.wake()
    for proposal in open_items:
        assert proposal.discussion_until is not None
        if proposal.discussion_until <= now:
            await end_discussion(app, proposal.id)
        else:
            app.job_queue.run_once(
                job_discussion_end,
                when=proposal.discussion_until,
                name=f"proposal:{proposal.id}:discussion",
                data=proposal.id,
            )
