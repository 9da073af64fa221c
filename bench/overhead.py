"""Overhead per update: Klaszterbot against a bare python-telegram-bot bot, same fake, same run.

    python -m bench.overhead [--updates 300] [--db sqlite|postgresql]

For /help, a vote press and a message routed to a katalizátor: the time from an update being
handed to the Application to the bot's last answer being accepted by the fake Bot API, served
over loopback HTTP (median and p99), and updates per second; each as a ratio to the bare bot
doing the same Telegram calls through the same server.
Neither bot uses the rate limiter here: it would measure Telegram's pacing, not the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.common import TOKEN, Timing, database, running_bot
from bot.context import BotData
from bot.services import identity
from bot.services.identity import CLI_ACTOR, MemberSpec
from fakeapi import FakeMessage, FakeTelegram, FakeUser
from fakeapi.http import serve
from storage.models import MemberKind

KINDS = ("/help", "vote", "routed")


@dataclass
class Row:
    """One kind of update, both bots."""

    kind: str
    bot: Timing | None
    bare: Timing

    def ratio(self, attr: str) -> float | None:
        if self.bot is None:
            return None
        mine, theirs = getattr(self.bot, attr), getattr(self.bare, attr)
        return mine / theirs if attr != "per_second" else theirs / mine


async def _measure(
    app: Any, make: Callable[[int], dict[str, Any]], count: int, warmup: int = 20
) -> Timing:
    samples = []
    for i in range(warmup + count):
        update = Update.de_json(make(i), app.bot)
        start = time.perf_counter()
        await app.process_update(update)
        if isinstance(app.bot_data, BotData):
            await app.bot_data.settle()
        if i >= warmup:
            samples.append(time.perf_counter() - start)
    return Timing(samples)


# --- the bare bot ----------------------------------------------------------------------------


@dataclass
class Payloads:
    """What Klaszterbot sent for each kind of update, replayed by the bare bot."""

    help_text: str = ""
    vote_answer: str = ""
    vote_texts: tuple[str, str] = ("", "")
    vote_markup: Any = None
    routed: list[tuple[str, bool, str]] = field(default_factory=list)  # method, to member, text


def _bare(
    base_url: str, catalyst: FakeUser, payloads: Payloads
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A python-telegram-bot bot making the same Bot API calls with no logic of its own."""

    async def help_(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html(payloads.help_text)

    async def press(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(payloads.vote_answer)
        text = payloads.vote_texts[0 if query.data == "y" else 1]
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=payloads.vote_markup)

    async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        for method, to_member, text in payloads.routed:
            if method == "copyMessage":
                await message.copy(catalyst.id)
            elif to_member:
                await message.reply_html(text)
            else:
                await context.bot.send_message(catalyst.id, text, parse_mode="HTML")

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
    app.add_handler(CommandHandler("help", help_))
    app.add_handler(CallbackQueryHandler(press))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route))
    return app


async def _bare_rows(count: int, payloads: Payloads) -> dict[str, Timing]:
    tg = FakeTelegram(token=TOKEN, check_results=False)
    user = tg.add_user(first_name="Béla", last_name="Belső")
    catalyst = tg.add_user(first_name="Kálmán", last_name="Katalizátor")
    tg.message(catalyst, "/start", deliver=False)
    async with serve(tg) as base_url:
        app = _bare(base_url, catalyst, payloads)
        await app.initialize()
        try:
            await app.process_update(
                Update.de_json(tg.message(user, "/help", deliver=False), app.bot)
            )
            message = tg.outbox(user)[-1]  # any message of the bot: the presses are forged
            return {
                "/help": await _measure(
                    app, lambda i: tg.message(user, "/help", deliver=False), count
                ),
                "vote": await _measure(
                    app,
                    lambda i: tg.press(user, message, "yn"[i % 2], forge=True, deliver=False),
                    count,
                ),
                "routed": await _measure(
                    app, lambda i: tg.message(user, f"Kérdés {i}", deliver=False), count
                ),
            }
        finally:
            await app.shutdown()


# --- Klaszterbot ------------------------------------------------------------------------------


def _record(
    tg: FakeTelegram, start: int, payloads: Payloads, kind: str, member_id: int = 0
) -> None:
    """Keep what the bot sent for one update, for the bare bot to send the same."""
    calls = tg.calls[start:]
    if kind == "/help":
        payloads.help_text = next(c.params["text"] for c in calls if c.method == "sendMessage")
    elif kind == "vote":
        answer = next(c for c in calls if c.method == "answerCallbackQuery")
        edit = next(c for c in calls if c.method == "editMessageText")
        payloads.vote_answer = answer.params.get("text", "")
        payloads.vote_texts = (payloads.vote_texts[1], edit.params["text"])
        payloads.vote_markup = InlineKeyboardMarkup.de_json(edit.params.get("reply_markup"), None)
    else:
        payloads.routed = [
            (c.method, c.params.get("chat_id") == member_id, str(c.params.get("text", "")))
            for c in calls
            if c.method in {"sendMessage", "copyMessage"}
        ]


async def _bot_rows(count: int, db_kind: str, payloads: Payloads) -> dict[str, Timing | None]:
    tg = FakeTelegram(token=TOKEN, check_results=False)
    user = tg.add_user(first_name="Béla", last_name="Belső")
    ksz = tg.add_user(first_name="Márta", last_name="Menedzser")
    catalyst = tg.add_user(first_name="Kálmán", last_name="Katalizátor")
    for person in (user, ksz, catalyst):
        tg.message(person, "/start", deliver=False)
    async with (
        database(db_kind) as url,
        serve(tg) as base_url,
        running_bot(url, tg, base_url) as app,
    ):
        data = app.bot_data
        async with data.db.unit() as uow:
            now = data.clock.now()
            group = ["Innováció"]
            for person, spec in (
                (user, MemberSpec("Belső Béla", MemberKind.INTERNAL, workgroups=group)),
                (ksz, MemberSpec("Menedzser Márta", MemberKind.INTERNAL, ksz=True)),
                (
                    catalyst,
                    MemberSpec("Katalizátor Kálmán", MemberKind.INTERNAL, catalyst_of=group),
                ),
            ):
                outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, now)
                outcome.member.telegram_id = person.id
        await _process(
            app, tg.message(ksz, "/szavazas_uj\nKérdés: Mérés?\nHatáridő: 3", deliver=False)
        )
        preview = tg.outbox(ksz)[-1]
        await _process(app, tg.press(ksz, preview, _button(preview, "Közzététel"), deliver=False))
        ballot = next(m for m in reversed(tg.outbox(user)) if m.buttons)
        yes, no = _button(ballot, "Igen"), _button(ballot, "Nem")
        for kind, make in (
            ("/help", lambda: tg.message(user, "/help", deliver=False)),
            ("vote", lambda: tg.press(user, ballot, yes, forge=True, deliver=False)),
            ("vote", lambda: tg.press(user, ballot, no, forge=True, deliver=False)),
        ):
            start = len(tg.calls)
            await _process(app, make())
            _record(tg, start, payloads, kind)
        rows: dict[str, Timing | None] = {
            "/help": await _measure(app, lambda i: tg.message(user, "/help", deliver=False), count),
            "vote": await _measure(
                app,
                lambda i: tg.press(user, ballot, (yes, no)[i % 2], forge=True, deliver=False),
                count,
            ),
        }
        rows["routed"] = await _routed(app, tg, user, count, payloads)
        return rows


async def _routed(
    app: Any, tg: FakeTelegram, user: FakeUser, count: int, payloads: Payloads
) -> Timing | None:
    """Questions to the katalizátor, once /katalizator opened the conversation."""
    names = {spec.name for spec in app.bot_data.commands}
    if "katalizator" not in names:
        return None
    await _process(app, tg.message(user, "/katalizator", deliver=False))
    start = len(tg.calls)
    await _process(app, tg.message(user, "Első kérdés", deliver=False))
    _record(tg, start, payloads, "routed", user.id)
    return await _measure(app, lambda i: tg.message(user, f"Kérdés {i}", deliver=False), count)


def _button(message: FakeMessage, label: str) -> str:
    data = next(d for row in message.buttons for t, d in row if label in t)
    assert data is not None
    return data


async def _process(app: Any, update: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(update, app.bot))
    await app.bot_data.settle()


async def measure(count: int, db_kind: str = "sqlite") -> list[Row]:
    """Both bots, every kind of update."""
    payloads = Payloads()
    mine = await _bot_rows(count, db_kind, payloads)
    bare = await _bare_rows(count, payloads)
    return [Row(kind, mine[kind], bare[kind]) for kind in KINDS]


TARGETS = {"/help": 1.5, "vote": 3.0}


def table(rows: list[Row], db_kind: str) -> list[str]:
    """Rows of the overhead table."""
    lines = []
    for row in rows:
        if row.bot is None:
            lines.append(f"| overhead ({db_kind}) | {row.kind} | n/a | | | | |")
            continue
        ratio = row.ratio("median_ms") or 0.0
        target = TARGETS.get(row.kind)
        verdict = "" if target is None else ("met" if ratio <= target else f"MISSED ({target}x)")
        lines.append(
            f"| overhead ({db_kind}) | {row.kind}"
            f" | {row.bot.median_ms:.2f} / {row.bare.median_ms:.2f} ms"
            f" | {row.bot.p99_ms:.2f} / {row.bare.p99_ms:.2f} ms"
            f" | {row.bot.per_second:.0f} / {row.bare.per_second:.0f} per s"
            f" | {ratio:.2f}x | {verdict} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.updates, args.db))
    print(
        "| measure | update | median bot / bare | p99 bot / bare | throughput bot / bare "
        "| ratio | target |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(table(rows, args.db)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
