"""Scheduled and background work, one module per feature: what runs on the JobQueue (deadlines,
reminders, the work plan's tick, retries) and what goes out through the outbox on its own.

Handlers start this work (``bot.jobs.ballots.queue_ballot`` in the transaction that published a
ballot, then ``schedule``); ``startup`` rebuilds it from the database after a stop. Where one
feature reacts to another, the dispatch is explicit and lives here: a closed ballot moves a
strategy proposal on and adopts (or returns) a work plan, in this order.
"""

from __future__ import annotations

from typing import Any

from bot.jobs import (
    announcements,
    ballots,
    identity,
    meetings,
    memory,
    privacy,
    proposals,
    routing,
    workplan,
)


def register(app: Any) -> None:
    """Wire the reactions and the courier's effects (``build_application`` calls this)."""
    data = app.bot_data
    data.ballot_closed = (proposals.on_ballot_closed, workplan.on_ballot_closed)
    ballots.register(app)


async def startup(app: Any) -> None:
    """Rebuild every feature's jobs and resume its deliveries (``post_init`` calls this)."""
    await identity.startup(app)
    await announcements.startup(app)
    await workplan.startup(app)
    await ballots.startup(app)
    await meetings.startup(app)
    await proposals.startup(app)
    await routing.startup(app)
    await privacy.startup(app)
    await memory.startup(app)
