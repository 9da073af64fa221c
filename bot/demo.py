"""``klaszterbot demo``: the real bot against the fake Bot API, as a chat in the terminal.

No token, no network: the same handlers, jobs and a throwaway SQLite database, with a demo
cluster seeded through the services. You type as a member; the bot's answers are printed with
their buttons, which you press by number.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
from collections.abc import Awaitable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.services import workplan
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR
from fakeapi import ApiCall, FakeChat, FakeMessage, FakeTelegram, FakeUser
from storage.models.workplan import TaskStatus

TOKEN = "100000001:AAE-demo-token-for-the-fake-bot-api"
USERNAME = "klaszter_demo_bot"
#: Where ``klaszterbot demo`` writes the bot's log (not into the dialogue).
LOG_FILE = str(Path(tempfile.gettempdir()) / "klaszterbot-demo.log")


class Driver:
    """Feeds simulated updates to a running Application and collects what it sent."""

    def __init__(self, app: Any, tg: FakeTelegram) -> None:
        self.app = app
        self.tg = tg
        #: Where the calls stood when the clock last moved (jobs may start from there on).
        self._moved_at: int | None = None
        subscribe = getattr(app.bot_data.clock, "subscribe", None)
        if subscribe is not None:
            subscribe(self._clock_moved)

    def _clock_moved(self) -> None:
        if self._moved_at is None:
            self._moved_at = len(self.tg.calls)

    async def process(self, update: dict[str, Any]) -> list[ApiCall]:
        """Process one update and wait for the deliveries it started; returns the calls made."""
        return await self.during(self.app.process_update(Update.de_json(update, self.app.bot)))

    async def during(self, work: Awaitable[Any]) -> list[ApiCall]:
        """Run ``work`` (a job, say), wait for its deliveries; returns every call made.

        What fell due when the clock last moved happens first, outside the returned calls, as
        it would have before this update arrived."""
        await self.catch_up()
        self._moved_at = None
        start = len(self.tg.calls)
        await work
        await self.app.bot_data.settle()
        return self.tg.calls[start:]

    async def catch_up(self) -> None:
        """Run the jobs due at the clock's time and wait for their deliveries."""
        await self.app.job_queue.run_due()
        await self.app.bot_data.settle()

    async def send(
        self, user: FakeUser, text: str | None = None, *, chat: FakeChat | None = None, **kw: Any
    ) -> list[ApiCall]:
        """The user writes ``text`` (in the private chat unless ``chat`` is given)."""
        return await self.process(self.tg.message(user, text, chat=chat, **kw))

    async def press(
        self, user: FakeUser, message: FakeMessage, data: str, **kw: Any
    ) -> list[ApiCall]:
        """The user presses the button with callback data ``data`` under ``message``."""
        return await self.process(self.tg.press(user, message, data, **kw))

    async def run_due_jobs(self, now: datetime | None = None) -> list[ApiCall]:
        """Run every scheduled job that is due at the clock's time (the demo's and tests'
        ``FakeClock``, which the JobQueue follows) and wait for what they started; returns the
        calls they made (also those of jobs the clock's move had already started)."""
        if now is not None:
            assert now == self.app.bot_data.clock.now(), "move the clock, not the argument"
        start = len(self.tg.calls) if self._moved_at is None else self._moved_at
        await self.catch_up()
        self._moved_at = None
        return self.tg.calls[start:]


# --- the demo cluster ------------------------------------------------------------------------


@dataclass
class Persona:
    """A demo member: their Telegram user and the chats they can write in."""

    name: str
    user: FakeUser


@dataclass
class DemoCluster:
    """Everyone in the demo and the groups."""

    people: list[Persona] = field(default_factory=list)
    groups: dict[str, FakeChat] = field(default_factory=dict)

    def find(self, text: str) -> Persona | None:
        """A persona by number (1-based) or by part of the name."""
        if text.isdigit() and 1 <= int(text) <= len(self.people):
            return self.people[int(text) - 1]
        folded = text.casefold()
        matches = [p for p in self.people if folded in p.name.casefold()]
        return matches[0] if len(matches) == 1 else None


PEOPLE = (
    # name, kind, organisation, flags, workgroups, catalyst of
    ("Kovács Anna", "internal", "Klasztermenedzsment Kft.", {"ksz"}, (), ()),
    ("Elnök Emese", "internal", "Alfa Zrt.", {"founder", "st_chair"}, (), ()),
    ("Alapító Aladár", "internal", "Béta Kft.", {"founder"}, ("Innováció",), ()),
    ("Belső Béla", "internal", "Gamma Bt.", set(), ("Innováció",), ()),
    ("Nagy Nóra", "internal", "Delta Kft.", set(), ("Fenntarthatóság",), ()),
    ("Katalizátor Kálmán", "internal", "Epszilon Kft.", set(), (), ("Innováció",)),
    ("Zöld Zoltán", "internal", "Zéta Zrt.", set(), (), ("Fenntarthatóság",)),
    ("Külső Kata", "external", "Támogató Egyesület", set(), ("Innováció",), ()),
    ("Tanácsadó Tamás", "external", "Éta Bt.", set(), (), ()),
)


async def seed(app: Any, tg: FakeTelegram, driver: Driver) -> DemoCluster:
    """Members, workgroups, groups, an open ballot (and a work plan if that feature is there)."""
    from bot.services import cluster as cluster_service
    from bot.services import identity
    from bot.services.identity import CLI_ACTOR, MemberSpec
    from storage.models import MemberKind

    data = app.bot_data
    demo = DemoCluster()
    now = data.clock.now()
    async with data.db.unit() as uow:
        for name, kind, org, flags, groups, catalyst_of in PEOPLE:
            family, given = name.split(" ", 1)
            user = tg.add_user(first_name=given, last_name=family, language_code="hu")
            outcome = await identity.upsert_member(
                uow,
                MemberSpec(
                    name,
                    MemberKind(kind),
                    organisation=org,
                    founder="founder" in flags or None,
                    ksz="ksz" in flags or None,
                    st_chair="st_chair" in flags or None,
                    workgroups=list(groups),
                    catalyst_of=list(catalyst_of),
                ),
                CLI_ACTOR,
                now,
            )
            outcome.member.telegram_id = user.id
            demo.people.append(Persona(name, user))
    for person in demo.people:
        tg.message(person.user, "/start", deliver=False)  # everyone has started the bot
    users = [p.user for p in demo.people]
    demo.groups["Klaszter"] = tg.add_group(
        "Klaszter — közös csoport", members=users, bot_is_admin=True, owner=users[0]
    )
    demo.groups["Innováció"] = tg.add_group(
        "Innováció munkacsoport", members=users[:1], bot_is_admin=True, owner=users[0]
    )
    async with data.db.unit() as uow:
        await cluster_service.link_main_group(uow, demo.groups["Klaszter"].id, CLI_ACTOR, now)
        group = await identity.find_workgroup(uow, "Innováció")
        await identity.link_group(uow, group, demo.groups["Innováció"].id, CLI_ACTOR, now)
    ksz = demo.people[0].user
    await driver.send(
        ksz,
        "/szavazas_uj\nKérdés: Elfogadja a Közgyűlés a 2027. évi tagdíjat (évi 120 000 Ft)?\n"
        "Határidő: 3",
    )
    preview = tg.outbox(ksz)[-1]
    publish = next(data for row in preview.buttons for text, data in row if text == "Közzététel")
    assert publish is not None
    await driver.press(ksz, preview, publish)
    await driver.send(ksz, demo_meeting_form(now, data.settings))
    await seed_demo(app)
    tg.clear_calls()
    return demo


def demo_meeting_form(now: datetime, settings: Any) -> str:
    """The seeded Közgyűlés: exactly the notice period and an hour from now, so that a script
    reaches its check-in with ``/time +8d`` and ``/time +40m`` (see examples/meeting-demo.txt)."""
    start = (now + timedelta(days=settings.meeting_notice_days, hours=1)).astimezone(settings.tz)
    return (
        "/ules_uj\n"
        f"Időpont: {start:%Y.%m.%d %H:%M}\n"
        "Helyszín: Klaszteriroda, Budapest, Fő utca 1.\n"
        "Online: https://meet.example/klaszter-kgy\n"
        "Napirend: A 2027. évi munkaterv | A Közgyűlés elfogadja a KSz 2027. évi munkatervét.\n"
        "Napirend: Tagdíj 2027 | A Közgyűlés a 2027. évi tagdíjat évi 120 000 Ft-ban állapítja "
        "meg."
    )


# --- rendering for the terminal --------------------------------------------------------------

_TAGS = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|blockquote)[^>]*>")


def to_terminal(text: str, *, color: bool) -> str:
    """Telegram HTML as terminal text: bold and italic as ANSI when ``color``, else plain."""
    if color:
        text = re.sub(r"<(b|strong)>", "\033[1m", text)
        text = re.sub(r"<(i|em)>", "\033[3m", text)
        text = re.sub(r"</(b|strong|i|em)>", "\033[0m", text)
    return html.unescape(_TAGS.sub("", text))


def describe(message: FakeMessage, *, color: bool) -> str:
    """A sent message with its numbered buttons."""
    body = message.html or message.caption_html or message.text or message.caption or ""
    if message.media_kind:
        name = message.document_name or message.media_kind
        body = f"[{name}] " + body
    lines = [to_terminal(body, color=color)]
    number = 0
    for row in message.buttons:
        cells = []
        for text, _data in row:
            number += 1
            cells.append(f"[{number}] {text}")
        lines.append("   " + "   ".join(cells))
    return "\n".join(lines)


# --- the session -----------------------------------------------------------------------------


HELP = """Demo commands (everything else is sent to the bot as the current person):
  /as NAME or /as N     switch who you are (/people lists them)
  /chat private|NAME    write in your private chat or in a group (/chat lists the groups)
  N or /press N|TEXT    press button N (or the one whose text contains TEXT) of the last message
  /press N from NAME    press a button of NAME's last message, as if NAME had forwarded it to you
  /reply N TEXT         answer the bot's message #N (the number after "Bot →") with TEXT;
                        /reply TEXT answers the newest one (a katalizátor answers a question so)
  /inbox NAME [N]       the last N (5) messages NAME received from the bot in private
  /time +3d|+5h|+30m    move the clock forward and run the jobs that became due
  /jobs                 run every scheduled job that is due now (reminders, deadlines, digests)
  /people, /help-demo, /quit
A line ending in \\ continues on the next line: one message of several lines (the one-message
ballot form, say). The bot's log goes to a file (klaszterbot-demo.log in the temporary
folder), not into the dialogue."""


class Session:
    """One demo run: the application, the fake, the cast, and who is typing where."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self.out = out
        self.color = color
        self.tmp = tempfile.TemporaryDirectory(prefix="klaszterbot-demo-")
        self.tg = FakeTelegram(token=TOKEN, bot_username=USERNAME, auto_deliver=False)
        self.clock = FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))
        self.app: Any = None
        self.stack = AsyncExitStack()
        self.driver: Driver | None = None
        self.demo = DemoCluster()
        self.me: Persona | None = None
        self.chat: FakeChat | None = None

    async def start(self) -> None:
        from bot.app import build_application, running
        from bot.settings import load_settings
        from storage.migrate import upgrade

        url = f"sqlite+aiosqlite:///{Path(self.tmp.name) / 'demo.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(
            _env_file=None, telegram_bot_token=TOKEN, database_url=url, group_update_seconds=0
        )
        self.app = build_application(
            settings, request=self.tg.request(), updates_request=self.tg.request(),
            clock=self.clock, rate_limiter=False,
        )  # fmt: skip
        await self.stack.enter_async_context(running(self.app))
        self.driver = Driver(self.app, self.tg)
        self.demo = await seed(self.app, self.tg, self.driver)
        self.me = self.demo.people[0]

    async def stop(self) -> None:
        await self.stack.aclose()
        self.tmp.cleanup()

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def prompt(self) -> str:
        assert self.me is not None
        where = self.chat.title if self.chat is not None else "privát"
        return f"[{self.me.name} @ {where}] > "

    def show(self, calls: Iterable[ApiCall]) -> None:
        """Print what the current person sees; count what went to others."""
        assert self.me is not None
        mine = {self.me.user.id, *([self.chat.id] if self.chat is not None else [])}
        seen: set[tuple[int, int]] = set()
        others = 0
        for call in calls:
            if not call.ok:
                self.say(f"  !! Telegram refused {call.method}: {call.error}")
                continue
            result = call.result
            if not isinstance(result, dict) or "message_id" not in result:
                if call.method == "answerCallbackQuery" and call.params.get("text"):
                    self.say(f"  (értesítés) {call.params['text']}")
                continue
            # copyMessage answers a bare MessageId: the chat is the one it was sent to
            chat_id = int(result["chat"]["id"] if "chat" in result else call.params["chat_id"])
            key = (chat_id, result["message_id"])
            if key in seen:
                continue
            seen.add(key)
            if chat_id not in mine:
                others += 1
                continue
            message = self.tg.find_message(chat_id, result["message_id"])
            where = "privát" if chat_id == self.me.user.id else self._group_name(chat_id)
            prefix = "✎ " if call.method.startswith("edit") else ""
            number = f" #{message.message_id}"
            self.say(f"\n{prefix}Bot → {where}{number}:\n" + describe(message, color=self.color))
        if others:
            self.say(f"  ({others} further message(s) went to other members)")

    def _group_name(self, chat_id: int) -> str:
        return next((c.title for c in self.demo.groups.values() if c.id == chat_id), str(chat_id))

    def _with_buttons(self, owner: Persona | None = None) -> list[FakeMessage]:
        """Messages with buttons in the chat (or in ``owner``'s private chat), newest first."""
        assert self.me is not None
        chat = owner.user if owner is not None else self.chat or self.me.user
        return [m for m in reversed(self.tg.outbox(chat)) if m.buttons]

    async def handle(self, line: str) -> bool:
        """One input line; False ends the session."""
        assert self.driver is not None and self.me is not None
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        head, _, rest = line.partition(" ")
        rest = rest.strip()
        if head in {"/quit", "/exit"}:
            return False
        if head == "/help-demo":
            self.say(HELP)
        elif head == "/people":
            for number, person in enumerate(self.demo.people, start=1):
                self.say(f"  {number}. {person.name}")
        elif head == "/as":
            found = self.demo.find(rest)
            if found is None:
                self.say(
                    "  Who? "
                    + ", ".join(f"{n}. {p.name}" for n, p in enumerate(self.demo.people, 1))
                )
            else:
                self.me, self.chat = found, None
                self.say(f"  You are now {found.name}.")
        elif head == "/chat":
            if rest in {"", "private", "privát"}:
                self.chat = None
                if not rest:
                    self.say("  Groups: " + ", ".join(self.demo.groups))
            else:
                self.chat = next(
                    (c for n, c in self.demo.groups.items() if rest.casefold() in n.casefold()),
                    None,
                )
                if self.chat is None:
                    self.say("  No such group. Groups: " + ", ".join(self.demo.groups))
        elif head == "/time":
            match = re.fullmatch(r"\+(\d+)([dhm])", rest)
            if not match:
                self.say("  Use /time +3d, +5h or +30m.")
            else:
                amount, unit = int(match.group(1)), match.group(2)
                self.clock.advance(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
                self.say(f"  Time is now {self.clock.now().isoformat(timespec='minutes')} (UTC).")
                self.show(await self.driver.run_due_jobs(self.clock.now()))
        elif head == "/jobs":
            self.show(await self.driver.run_due_jobs(self.clock.now()))
        elif head == "/press" or line.isdigit():
            await self._press(rest if head == "/press" else line)
        elif head == "/reply":
            await self._reply(rest)
        elif head == "/inbox":
            self._inbox(rest)
        else:
            self.show(await self._and_due(self.driver.send(self.me.user, line, chat=self.chat)))
        return True

    async def _and_due(self, work: Awaitable[list[ApiCall]]) -> list[ApiCall]:
        """The calls of ``work`` and of the jobs it made due at once (a broadcast, its report),
        so that what the action started shows here, once, and not under someone else's turn."""
        assert self.driver is not None
        calls = await work
        return calls + await self.driver.run_due_jobs()

    async def _reply(self, rest: str) -> None:
        """Answer one of the bot's messages in the current chat."""
        assert self.driver is not None and self.me is not None
        chat = self.chat or self.me.user
        number, _, text = rest.partition(" ")
        mine = [m for m in self.tg.outbox(chat) if not m.deleted]
        if number.isdigit():
            target = next((m for m in mine if m.message_id == int(number)), None)
        else:
            target, text = (mine[-1] if mine else None), rest
        if target is None or not text.strip():
            self.say("  Use /reply N TEXT (N: the number after “Bot →”) or /reply TEXT.")
            return
        self.show(
            await self._and_due(
                self.driver.send(self.me.user, text.strip(), chat=self.chat, reply_to=target)
            )
        )

    def _inbox(self, rest: str) -> None:
        """Print the last messages someone received in their private chat."""
        name, count = rest, 5
        head, _, tail = rest.rpartition(" ")
        if head and tail.isdigit():
            name, count = head, int(tail)
        person = self.demo.find(name.strip()) if name.strip() else self.me
        if person is None:
            self.say(f"  Who is {name.strip()!r}?")
            return
        received = [m for m in self.tg.outbox(person.user) if not m.deleted][-count:]
        self.say(f"  — the last {len(received)} message(s) {person.name} received —")
        for message in received:
            self.say(
                f"\nBot → {person.name} #{message.message_id}:\n"
                + describe(message, color=self.color)
            )
        self.say("  — end of inbox —")

    async def _press(self, which: str) -> None:
        assert self.driver is not None and self.me is not None
        owner = None
        if " from " in which:
            which, _, name = which.partition(" from ")
            owner = self.demo.find(name.strip())
            if owner is None:
                self.say(f"  Who is {name.strip()!r}?")
                return
        candidates = self._with_buttons(owner)
        if not candidates:
            self.say("  There is no message with buttons here.")
            return
        message, chosen = candidates[0], None
        if which.isdigit():
            buttons = [(text, data) for row in message.buttons for text, data in row]
            if 1 <= int(which) <= len(buttons):
                chosen = buttons[int(which) - 1]
        else:  # by text: the newest message that has such a button
            for candidate in candidates:
                buttons = [(text, data) for row in candidate.buttons for text, data in row]
                chosen = next((b for b in buttons if which.casefold() in b[0].casefold()), None)
                if chosen is not None:
                    message = candidate
                    break
        if chosen is None or chosen[1] is None:
            self.say(f"  No button {which!r}.")
            return
        self.say(f"  (pressed: {chosen[0]})")
        # A button on a message forwarded from someone else reaches the bot like a forged one.
        self.show(
            await self._and_due(
                self.driver.press(self.me.user, message, chosen[1], forge=owner is not None)
            )
        )


def joined(lines: Iterable[str]) -> list[str]:
    """Script lines with continuations joined: a line ending in a backslash goes on in the
    next one (as one message of several lines)."""
    out: list[str] = []
    pending: list[str] | None = None
    for line in lines:
        if pending is not None:
            pending.append(line)
        elif line.endswith("\\"):
            pending = [line]
        else:
            out.append(line)
            continue
        if not line.endswith("\\"):
            out.append("\n".join(pending))
            pending = None
        else:
            pending[-1] = line[:-1]
    if pending is not None:
        out.append("\n".join(pending))
    return out


def _complete_names(demo: DemoCluster) -> None:
    """Tab completes people's names after ``/as`` (and group names after ``/chat``)."""
    try:
        import readline
    except ImportError:  # not every platform has it; the numbered list still works
        return
    commands = [
        "/as ", "/chat ", "/press ", "/reply ", "/inbox ", "/time +", "/jobs", "/people",
        "/help-demo", "/quit",
    ]  # fmt: skip

    def complete(text: str, state: int) -> str | None:
        line = readline.get_line_buffer()
        if line.startswith(("/as ", "/inbox ")):
            choices = [p.name for p in demo.people]
        elif line.startswith("/chat "):
            choices = ["private", *demo.groups]
        else:
            choices = commands
        prefix = line.split(" ", 1)[1] if " " in line else line
        found = [c for c in choices if c.casefold().startswith(prefix.casefold())]
        if state >= len(found):
            return None
        # readline replaces only the last word: hand back what completes it
        return found[state][len(prefix) - len(text) :]

    readline.set_completer_delims(" ")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


async def run(script: Path | None, out: TextIO = sys.stdout) -> int:
    """Interactive when ``script`` is None, else play the script's lines and print the dialogue."""
    session = Session(out, color=script is None and out.isatty())
    await session.start()
    try:
        session.say(
            "Klaszterbot demo — the real bot against a local stand-in of Telegram.\n"
            "An open ballot is waiting. /help-demo lists the demo commands.\n"
        )
        if script is not None:
            text = await asyncio.to_thread(script.read_text, "utf-8")
            for line in joined(text.splitlines()):
                if line.strip() and not line.startswith("#"):
                    session.say(session.prompt() + line.replace("\n", "\n... "))
                if not await session.handle(line):
                    break
            return 0
        session.say(HELP)
        _complete_names(session.demo)
        while True:
            try:
                line = await asyncio.to_thread(input, session.prompt())
                while line.endswith("\\"):
                    line = line[:-1] + "\n" + await asyncio.to_thread(input, "... ")
            except EOFError:
                break
            if not await session.handle(line):
                break
        return 0
    finally:
        await session.stop()


async def seed_demo(app: Any) -> None:
    """A small draft plan for ``klaszterbot demo`` (``bot.demo`` calls this when it exists)."""
    data = app.bot_data
    now = data.clock.now()
    today = now.astimezone(data.settings.tz).date()
    year = today.year + 1
    async with data.db.unit() as uow:
        plan = await workplan.create_plan(
            uow, str(year), f"A KSz {year}. évi munkaterve", CLI_ACTOR, now
        )
        innovation = await uow.workgroups.by_name("Innováció")
        green = await uow.workgroups.by_name("Fenntarthatóság")
        specs = [
            workplan.TaskSpec(
                "Piackutatás a tagok körében", innovation, today + timedelta(days=8),
                "Kérdőív és interjúk a tagvállalatokkal", TaskStatus.IN_PROGRESS, 40,
            ),
            workplan.TaskSpec("Pályázatfigyelés", None, today + timedelta(days=30)),
            workplan.TaskSpec(
                "Fenntarthatósági jelentés", green, today + timedelta(days=2),
                "Az éves jelentés vázlata", TaskStatus.IN_PROGRESS, 70,
            ),
        ]  # fmt: skip
        await workplan.add_tasks(uow, plan, specs, CLI_ACTOR, now)
