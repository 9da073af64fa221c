"""Announcements: /kozlemeny composes, previews and sends (KSz, ST chair); /kozlemenyek lists.

Composing is a conversation: text (or a photo or document with a caption), then the audience
(several at once), then the kind if the author may send both, then a preview that is the exact
message, with the number of recipients and the confirm button. Nothing is sent before that.
The draft lives in ``UserData.announcement_draft``; buttons carry its serial, so buttons of an
older draft are refused. Delivery runs in the background: see ``bot.outbox``.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import outbox
from bot.scheduler import every
from bot.services import announcements

log = logging.getLogger(__name__)


#: Replicas on PostgreSQL: how often each looks for a broadcast nobody is delivering (its
#: replica was killed), in seconds.
RESUME_SECONDS = 20.0


async def startup(app: Any) -> None:
    """Carry on with every broadcast a stop or a crash interrupted; on PostgreSQL, keep looking
    (another replica's broadcast is taken over when that replica dies: ``outbox.job_deliver``
    runs it only while it holds the announcement's lock)."""
    if app.bot_data.db.dialect == "postgresql":
        every(app, resume, RESUME_SECONDS, "announcements:resume")
    else:
        await resume(app)


async def resume(app: Any) -> None:
    """Schedule the delivery of every unfinished broadcast (once per application)."""
    shared = app.bot_data.db.dialect == "postgresql"
    async with app.bot_data.db.unit() as uow:
        pending = await announcements.resume(uow, requeue=not shared)
    for announcement_id in pending:
        outbox.schedule(app, announcement_id)
