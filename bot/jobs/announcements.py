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
from bot.services import announcements

log = logging.getLogger(__name__)


async def startup(app: Any) -> None:
    """Carry on with every broadcast a stop or a crash interrupted."""
    async with app.bot_data.db.unit() as uow:
        pending = await announcements.resume(uow)
    for announcement_id in pending:
        outbox.schedule(app, announcement_id)
