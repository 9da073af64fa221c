"""The bare python-telegram-bot bot of ``bench.cpu``: the Bot API calls Klaszterbot made, replayed.

    BENCH_TOKEN=... BENCH_BASE_URL=... python -m bench.bare PAYLOADS.json

Only PTB is imported here, so its CPU and memory are what a bare PTB bot costs: the same rate
limiter (``AIORateLimiter``), 64 updates in flight, the texts and keyboards Klaszterbot sent
(recorded by ``bench.cpu``), sent through typed PTB methods with no logic of its own.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, ReactionTypeEmoji, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


def main(path: str) -> int:
    payloads = json.loads(Path(path).read_text(encoding="utf-8"))
    members = set(payloads["members"])
    catalyst_of = {int(k): v for k, v in payloads["catalyst_of"].items()}

    def markup(raw: Any) -> InlineKeyboardMarkup | None:
        return InlineKeyboardMarkup.de_json(raw, None) if raw else None

    async def help_(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The help text for a member or for a stranger."""
        assert update.message is not None and update.effective_user is not None
        key = "help_member" if update.effective_user.id in members else "help_stranger"
        await update.message.reply_html(payloads[key])

    async def katalizator(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The session opens."""
        assert update.message is not None
        await update.message.reply_html(payloads["katalizator"])

    async def press(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A poll bot: answer the press, edit the message."""
        query = update.callback_query
        assert query is not None and query.data is not None
        vote = payloads["vote"][query.data]
        await query.answer(vote["answer"], show_alert=vote["alert"])
        await query.edit_message_text(
            vote["text"], parse_mode=ParseMode.HTML, reply_markup=markup(vote["reply_markup"])
        )

    async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A question to the member's katalizátor, and what the member is told."""
        message = update.message
        assert message is not None and message.text is not None
        assert update.effective_user is not None
        catalyst = catalyst_of[update.effective_user.id]
        for step in payloads["routed"][message.text.split()[0]]:
            if step["method"] == "setMessageReaction":
                await message.set_reaction(ReactionTypeEmoji(step["reaction"][0]["emoji"]))
            elif step["method"] == "copyMessage":
                await message.copy(catalyst)
            elif step["to"] == "self":
                await message.reply_html(
                    step["text"], reply_markup=markup(step["reply_markup"]), do_quote=step["quote"]
                )
            else:
                await context.bot.send_message(
                    catalyst, step["text"], parse_mode=ParseMode.HTML,
                    reply_markup=markup(step["reply_markup"]),
                )  # fmt: skip

    app = (
        ApplicationBuilder()
        .token(os.environ["BENCH_TOKEN"])
        .base_url(os.environ["BENCH_BASE_URL"])
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .connection_pool_size(256)
        .build()
    )
    app.add_handler(CommandHandler("help", help_))
    app.add_handler(CommandHandler("katalizator", katalizator))
    app.add_handler(CallbackQueryHandler(press))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route))
    app.run_polling(allowed_updates=["message", "callback_query"], drop_pending_updates=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
