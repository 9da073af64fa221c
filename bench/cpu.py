"""Cost per update (issue 16): CPU per update of the bot and of a bare PTB bot, read from /proc.

    python -m bench.cpu [--strangers 500] [--members 200] [--digest 10000] [--large 100000]
                        [--db sqlite|postgresql] [--crowd 20] [--rounds 3] [--profile DIR]

Both bots run as processes of their own (the bot is ``python -m bot run``, as in production,
log level INFO, its default) against the same fake Bot API (``fakeapi`` over loopback HTTP,
served by this process), both with PTB's ``AIORateLimiter`` (Telegram's 30 messages a second)
and 64 updates in flight. For each burst the updates are queued at once; the figures are:

- CPU per update: user + system time of the bot's process (all its threads, the SQLite
  driver's included) from ``/proc/<pid>/stat``, from just before the burst to when the bot has
  fallen quiet after it, divided by the number of updates;
- wall time: from queuing the burst to the last answer the fake received.

``--rounds`` runs both bots that many times, one right after the other, the order alternating
(bot and bare, bare and bot, ...), and reports the medians and each round's ratio: the machine's
speed drifts by a third within the hour, more than the changes being measured, and a ratio of
two runs minutes apart is worth only as much as the machine's steadiness between them. The
crowd's routing, the idle memory and the calls per update are the first round's.

The bare bot (``bench/bare.py``) makes the same Bot API calls with the texts and keyboards the
bot sent (replayed from the bot's run), through typed PTB methods, with no logic of its own.

Bursts: strangers' ``/help`` (first contact); members' ``/help``, first contact and repeated
a few seconds later (a command minutes later finds the same: the caller cache keeps a member
for half an hour and is emptied only when who-is-who changes, here or in another process); a vote
press (first vote, then a change, then another change after an identity change emptied the caller
cache, as a ballot burst finds most members); a message routed to the katalizátor (the first of a
session, then a follow-up; every member has a katalizátor of their own). Then ``--crowd``
members of one workgroup ask their one katalizátor at once: the ``routing`` row counts the
messages it gets per question (1.00 is right). Memory: the bot's resident set (``VmRSS``)
idle, after the monthly work-plan digest to ``--digest`` members (all sent at the outbox's
pace: at best 6 minutes for 10,000) and idle with ``--large`` members, each in a fresh
process; its chart worker process is counted apart.

``--profile DIR`` runs the bot's process under ``bench.profiled``: a stack sampler (or
cProfile, ``--profiler cprofile``) and a count of SQL statements, on only during each measured
burst, one report per burst in DIR (the CPU figures are then inflated by the profiler, and
there is no memory run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import FIRST_ID, TOKEN, database, fill_members, positive
from fakeapi import ApiCall, FakeMessage, FakeTelegram, FakeUser
from fakeapi.http import serve

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
#: Updates that go first, unmeasured, in each burst: imports and compiled statements warm up.
WARM = 5
WORKGROUP = "Innováció"
CROWD = "Közös munkacsoport"
#: Seconds with no Bot API call after which a bot counts as quiet.
QUIET = 0.5


# --- processes and /proc -----------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rsplit(")", 1)[1].split()


def _status(pid: int, key: str) -> float:
    """A ``VmRSS``-like line of /proc/<pid>/status, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry)] = int(_stat(int(entry))[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


@dataclass
class Watched:
    """A bot's process, watched through /proc."""

    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        """Seconds of CPU (user + system, every thread) used so far."""
        fields = _stat(self.pid)
        return (int(fields[11]) + int(fields[12])) / TICK

    def main_cpu(self) -> float:
        """The same for its main thread (the event loop's) alone."""
        with open(f"/proc/{self.pid}/task/{self.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss(self) -> float:
        return _status(self.pid, "VmRSS")

    def peak(self) -> float:
        return _status(self.pid, "VmHWM")

    def children_rss(self) -> float:
        """Resident memory of its child processes (the chart worker), in MiB."""
        total = 0.0
        for child in _descendants(self.pid):
            with contextlib.suppress(OSError):
                total += _status(child, "VmRSS")
        return total

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        text = self.log.read_text(encoding="utf-8", errors="replace")
        if "Traceback" in text:
            tail = "\n".join(text.splitlines()[-30:])
            raise RuntimeError(f"{self.log.name} has a traceback:\n{tail}")


async def _spawn(args: list[str], env: dict[str, str], log: Path) -> Watched:
    with log.open("wb") as out:  # the child has its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env=dict(os.environ, **env),
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
        )  # fmt: skip
    return Watched(process, log)


async def start_bot(
    workdir: Path, base_url: str, url: str, profile: str | None = None, **extra: str
) -> Watched:
    """``python -m bot run`` (or, to profile it, the same under ``bench.profiled``); ``extra``:
    more settings (``WEBHOOK_URL=…``). The catalogs are compiled first, as the container image
    has them (``Dockerfile``), so the bot does not compile them in memory at start."""
    from bot.i18n import compile_catalogs

    compile_catalogs()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "INFO",
        **extra,
    }
    args = [sys.executable, "-m", "bot", "run"]
    if profile is not None:
        args = [sys.executable, "-m", "bench.profiled", *profile.split(":", 1)]
    return await _spawn(args, env, workdir / "bot.log")


async def start_bare(workdir: Path, base_url: str, payloads: dict[str, Any]) -> Watched:
    path = workdir / "payloads.json"
    path.write_text(json.dumps(payloads), encoding="utf-8")
    args = [sys.executable, "-m", "bench.bare", str(path)]
    return await _spawn(
        args, {"BENCH_BASE_URL": base_url, "BENCH_TOKEN": TOKEN}, workdir / "bare.log"
    )


# --- bursts --------------------------------------------------------------------------------------


@dataclass
class Burst:
    """One burst of updates to one bot."""

    updates: int
    cpu: float
    wall: float
    calls: Counter[str]
    #: CPU of the main thread (the event loop's); the rest is other threads (SQLite driver).
    main: float = 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.updates

    @property
    def main_share(self) -> float:
        return self.main / self.cpu if self.cpu else 0.0

    def calls_per_update(self) -> str:
        return ", ".join(f"{m} {n / self.updates:.2g}" for m, n in sorted(self.calls.items()))


def _ok(calls: Iterable[ApiCall], method: str, chat: int | None = None) -> int:
    return sum(
        1
        for c in calls
        if c.ok and c.method == method and (chat is None or c.params.get("chat_id") == chat)
    )


Done = Callable[[list[ApiCall]], bool]


def sent(n: int) -> Done:
    """``n`` messages sent (replies)."""
    return lambda calls: _ok(calls, "sendMessage") >= n


def voted(n: int) -> Done:
    """``n`` presses answered and their messages edited."""
    return lambda calls: (
        _ok(calls, "editMessageText") >= n and _ok(calls, "answerCallbackQuery") >= n
    )


def routed_to(catalysts: set[int]) -> Callable[[int], Done]:
    """``n`` messages to the katalizátors, and ``n`` answers to the members (a reply or a
    reaction)."""

    def done(n: int) -> Done:
        def check(calls: list[ApiCall]) -> bool:
            to_members = sum(
                1
                for c in calls
                if c.ok and c.method != "getUpdates" and c.params.get("chat_id") not in catalysts
            )
            return _ok_to(calls, "sendMessage", catalysts) >= n and to_members >= n

        return check

    return done


async def _until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not predicate():  # noqa: ASYNC110 (the fake has no event for it)
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise RuntimeError(f"timed out waiting for {what}") from None


async def quiet(tg: FakeTelegram, seconds: float = QUIET) -> None:
    """Until the bot has made no call but long polling for ``seconds``."""
    loop = asyncio.get_running_loop()
    seen, since = len(tg.calls), loop.time()
    while loop.time() - since < seconds:
        await asyncio.sleep(0.05)
        count = len(tg.calls)
        if any(c.method != "getUpdates" for c in tg.calls[seen:count]):
            since = loop.time()
        seen = count


class Profiler:
    """Profiles the bot's process during a burst (by signals: ``bench.profiled``)."""

    def __init__(self, target: Path | None, kind: str = "sample") -> None:
        self.target, self.kind = target, kind

    async def start(self, bot: Watched, name: str) -> None:
        if self.target is not None:
            (self.target / "next").write_text(name, encoding="utf-8")
            bot.process.send_signal(signal.SIGUSR1)
            await asyncio.sleep(0.05)

    async def stop(self, bot: Watched) -> None:
        if self.target is not None:
            bot.process.send_signal(signal.SIGUSR2)
            await asyncio.sleep(0.2)


NO_PROFILER = Profiler(None)


async def burst(
    tg: FakeTelegram,
    bot: Watched,
    updates: list[dict[str, Any]],
    done: Done,
    profiler: Profiler = NO_PROFILER,
    name: str = "",
) -> Burst:
    """Queue ``updates`` at once; wait until ``done`` holds of the calls since; then quiet."""
    await quiet(tg)
    await profiler.start(bot, name)
    start = len(tg.calls)
    loop = asyncio.get_running_loop()
    cpu, main, began = bot.cpu(), bot.main_cpu(), loop.time()
    for update in updates:
        tg.push(update)
    await _until(lambda: done(tg.calls[start:]), 120 + len(updates), f"the burst {name}")
    wall = loop.time() - began
    await quiet(tg)
    used, in_main = bot.cpu() - cpu, bot.main_cpu() - main
    await profiler.stop(bot)
    calls = Counter(c.method for c in tg.calls[start:] if c.method != "getUpdates")
    return Burst(len(updates), used, wall, calls, in_main)


# --- the people --------------------------------------------------------------------------------


@dataclass
class People:
    """The fake's users: strangers, members (each in a workgroup of their own, with its own
    katalizátor: a routed burst has no two questions for the same one), a KSz member, and a
    crowd in one workgroup whose katalizátor gets all their questions at once.

    Created in the same order in every fake, so the ids are the same in both bots' runs."""

    strangers: list[FakeUser]
    members: list[FakeUser]
    catalysts: list[FakeUser]
    ksz: FakeUser
    crowd: list[FakeUser]
    crowd_catalyst: FakeUser

    @classmethod
    def of(cls, tg: FakeTelegram, strangers: int, members: int, crowd: int) -> People:
        return cls(
            [tg.add_user(first_name=f"Idegen{i:04d}") for i in range(strangers)],
            [tg.add_user(first_name=f"Tag{i:04d}", last_name="Tömeg") for i in range(members)],
            [tg.add_user(first_name=f"Kata{i:04d}", last_name="Lizátor") for i in range(members)],
            tg.add_user(first_name="Márta", last_name="Menedzser"),
            [tg.add_user(first_name=f"Sok{i:04d}", last_name="Tömeg") for i in range(crowd)],
            tg.add_user(first_name="Közös", last_name="Katalizátor"),
        )

    def catalyst_of(self) -> dict[int, int]:
        """Each member's katalizátor (Telegram ids)."""
        return {u.id: c.id for u, c in zip(self.members, self.catalysts, strict=True)}


async def _seed(url: str, people: People) -> None:
    """The members, their workgroups and katalizátors, a KSz member, bound to the fake's users."""
    from bot.services import identity
    from bot.services.clock import SystemClock
    from bot.services.identity import CLI_ACTOR, MemberSpec
    from storage.db import Database
    from storage.models import MemberKind

    db = Database(url)
    db.open()
    now = SystemClock().now()
    internal = MemberKind.INTERNAL
    specs = []
    for i, (user, catalyst) in enumerate(zip(people.members, people.catalysts, strict=True)):
        group = [f"{WORKGROUP} {i:04d}"]
        specs.append(
            (catalyst, MemberSpec(f"Lizátor {catalyst.first_name}", internal, catalyst_of=group))
        )
        specs.append((user, MemberSpec(f"Tömeg {user.first_name}", internal, workgroups=group)))
    specs.append((people.ksz, MemberSpec("Menedzser Márta", internal, ksz=True)))
    specs.append(
        (people.crowd_catalyst, MemberSpec("Katalizátor Közös", internal, catalyst_of=[CROWD]))
    )
    specs += [
        (user, MemberSpec(f"Tömeg {user.first_name}", internal, workgroups=[CROWD]))
        for user in people.crowd
    ]  # fmt: skip
    try:
        for start in range(0, len(specs), 100):
            async with db.unit() as uow:
                for user, spec in specs[start : start + 100]:
                    outcome = await identity.upsert_member(uow, spec, CLI_ACTOR, now)
                    outcome.member.telegram_id = user.id
                    await uow.flush()
    finally:
        await db.close()


def _button(message: FakeMessage, label: str) -> str:
    data = next(d for row in message.buttons for t, d in row if label in t)
    assert data is not None
    return data


# --- the bursts, for either bot ------------------------------------------------------------------


#: Each burst and issue 16's target for it: 1.5x for ``/help`` (a member's repeated command; a
#: member's first contact binds their account), 2x for a vote press (a first vote, and one that
#: finds its caller no longer cached) and for a routed message (the first of a session and a
#: follow-up); None: measured, no target.
SCENARIOS = (
    ("stranger /help", "first contact", 1.5),
    ("member /help", "first contact", None),
    ("member /help", "repeat", 1.5),
    ("vote press", "first vote", 2.0),
    ("vote press", "change", None),
    ("vote press", "caller not cached", 2.0),
    ("routed message", "first of a session", 2.0),
    ("routed message", "follow-up", 2.0),
)
ROUTED = {"first of a session": "Első kérdés {i}", "follow-up": "Második {i}"}
#: The presses of the ballot: a first vote and a change with every caller cached (minutes after
#: their ``/help``), then another change after an identity change emptied the caller cache, as a
#: ballot burst finds most members (their last update more than half an hour ago).
VOTE_PRESSES = ("first vote", "change", "caller not cached")


@dataclass
class Run:
    """Everything measured of one bot."""

    bursts: dict[str, Burst] = field(default_factory=dict)
    idle_rss: float = 0.0
    idle_cpu_per_s: float = 0.0
    end_rss: float = 0.0
    #: Messages the crowd's katalizátor got per question, all asked at once (should be 1).
    copies: float = 0.0


def _first_call(calls: list[ApiCall], method: str, chat: int | None = None) -> dict[str, Any]:
    return next(
        c.params
        for c in calls
        if c.ok and c.method == method and (chat is None or c.params.get("chat_id") == chat)
    )


def _replay(calls: list[ApiCall], user: int, catalyst: int) -> list[dict[str, Any]]:
    """What the bot did for one routed message of ``user``, for the bare bot to do the same."""
    steps = []
    for c in calls:
        chat = c.params.get("chat_id")
        if not c.ok or chat not in (user, catalyst):
            continue
        steps.append(
            {
                "method": c.method,
                "to": "self" if chat == user else "catalyst",
                "text": c.params.get("text"),
                "reply_markup": c.params.get("reply_markup"),
                "reaction": c.params.get("reaction"),
                "quote": "reply_parameters" in c.params,
            }
        )
    return steps


class Driver:
    """Drives one bot (ours, or the bare one with ``payloads`` to replay) through the bursts."""

    def __init__(
        self,
        tg: FakeTelegram,
        bot: Watched,
        people: People,
        profiler: Profiler = NO_PROFILER,
        payloads: dict[str, Any] | None = None,
        url: str = "",
    ) -> None:
        self.tg, self.bot, self.people, self.profiler = tg, bot, people, profiler
        self.url = url
        self.bare = payloads is not None
        self.payloads: dict[str, Any] = payloads or {"members": [u.id for u in people.members]}
        self.run = Run()

    def messages(self, users: list[FakeUser], text: str) -> list[dict[str, Any]]:
        return [self.tg.message(u, text.format(i=i), deliver=False) for i, u in enumerate(users)]

    async def once(self, updates: list[dict[str, Any]], done: Done) -> None:
        """An unmeasured burst (setting the scene)."""
        await burst(self.tg, self.bot, updates, done)

    async def measured(
        self,
        key: str,
        users: list[FakeUser],
        make: Callable[[list[FakeUser]], list[dict[str, Any]]],
        done: Callable[[int], Done],
    ) -> list[ApiCall]:
        """WARM users first (unmeasured), then the burst of the others; its calls."""
        warm, rest = users[:WARM], users[WARM:]
        await self.once(make(warm), done(len(warm)))
        start = len(self.tg.calls)
        profiler = NO_PROFILER if self.bare else self.profiler
        found = await burst(self.tg, self.bot, make(rest), done(len(rest)), profiler, _slug(key))
        self.run.bursts[key] = found
        return self.tg.calls[start:]

    async def forget_callers(self) -> None:
        """Make the bot forget every cached caller, as any identity change does (here: another
        process's, the way the command line's reaches it), and let it settle."""
        from storage.db import Database

        db = Database(self.url)
        db.open()
        try:
            async with db.unit() as uow:
                # What a unit that changed a member notes; its commit tells the other
                # processes (the epoch row on SQLite, NOTIFY on PostgreSQL).
                uow.session.info["identity_changed"] = True
        finally:
            await db.close()
        await asyncio.sleep(1.5)  # on SQLite the bot looks at the epoch every second
        await quiet(self.tg, 1.0)

    async def idle(self, seconds: float) -> None:
        await quiet(self.tg, 1.0)
        self.run.idle_rss = self.bot.rss()
        cpu = self.bot.cpu()
        await asyncio.sleep(seconds)
        self.run.idle_cpu_per_s = (self.bot.cpu() - cpu) / seconds

    async def all(self, pause: float) -> None:
        tg, people, payloads = self.tg, self.people, self.payloads
        members, ksz = people.members, people.ksz
        first = members[WARM]  # the member whose answers the bare bot replays
        helps = self.messages
        calls = await self.measured(
            "stranger /help, first contact", people.strangers, lambda us: helps(us, "/help"), sent
        )
        if not self.bare:
            payloads["help_stranger"] = _first_call(
                calls, "sendMessage", people.strangers[WARM].id
            )["text"]
        # The katalizátors, the KSz member and the crowd start the bot, as the members do next.
        others = [*people.catalysts, ksz, *people.crowd, people.crowd_catalyst]
        await self.once(helps(others, "/help"), sent(len(others)))
        calls = await self.measured(
            "member /help, first contact", members, lambda us: helps(us, "/help"), sent
        )
        if not self.bare:
            payloads["help_member"] = _first_call(calls, "sendMessage", first.id)["text"]
            # A command later on (the caller cache still knows them, as it would minutes later).
            await asyncio.sleep(pause)
        await self.measured("member /help, repeat", members, lambda us: helps(us, "/help"), sent)

        ballots = await self._ballots()
        for label in VOTE_PRESSES:
            if label == "caller not cached" and not self.bare:
                await self.forget_callers()
            data = payloads["choices"][label]
            calls = await self.measured(
                f"vote press, {label}", members,
                lambda us, data=data: [
                    tg.press(u, ballots[u.id], data, forge=True, deliver=False) for u in us
                ],
                voted,
            )  # fmt: skip
            if not self.bare:
                answer = _first_call(calls, "answerCallbackQuery")
                edit = _first_call(calls, "editMessageText", first.id)
                payloads.setdefault("vote", {})[data] = {
                    "answer": answer.get("text"),
                    "alert": bool(answer.get("show_alert")),
                    "text": edit["text"],
                    "reply_markup": edit.get("reply_markup"),
                }

        # Each member opens a session with their katalizátor, asks, and asks again.
        start = len(tg.calls)
        await self.once(helps(members, "/katalizator"), sent(len(members)))
        if not self.bare:
            payloads["katalizator"] = _first_call(tg.calls[start:], "sendMessage", first.id)["text"]
        catalyst_of = people.catalyst_of()
        done = routed_to(set(catalyst_of.values()))
        for case, text in ROUTED.items():
            calls = await self.measured(
                f"routed message, {case}", members,
                lambda us, text=text: helps(us, text), done,
            )  # fmt: skip
            if not self.bare:
                steps = _replay(calls, first.id, catalyst_of[first.id])
                payloads.setdefault("routed", {})[text.split()[0]] = steps
        if not self.bare and people.crowd:
            await self._crowd()
        self.run.end_rss = self.bot.rss()

    async def _crowd(self) -> None:
        """The crowd writes to their one katalizátor at once: how many messages they get."""
        tg, crowd, catalyst = self.tg, self.people.crowd, self.people.crowd_catalyst
        await self.once(self.messages(crowd, "/katalizator"), sent(len(crowd)))
        start = len(tg.calls)
        await self.once(
            self.messages(crowd, "Közös kérdés {i}"), routed_to({catalyst.id})(len(crowd))
        )
        to_catalyst = _ok_to(tg.calls[start:], "sendMessage", {catalyst.id})
        self.run.copies = to_catalyst / len(crowd)

    async def _ballots(self) -> dict[int, FakeMessage]:
        """A ballot in every member's chat, with buttons: published by the KSz member through
        the bot, or (bare bot) sent as the bot sent it."""
        tg, people = self.tg, self.people
        everyone = people.members
        if self.bare:
            from telegram import Bot, InlineKeyboardMarkup

            ballot = self.payloads["ballot"]
            markup = InlineKeyboardMarkup.de_json(ballot["reply_markup"], None)
            async with Bot(TOKEN, request=tg.request()) as sender:
                for user in everyone:
                    await sender.send_message(
                        user.id, ballot["text"], parse_mode="HTML", reply_markup=markup
                    )
            return {u.id: tg.outbox(u)[-1] for u in everyone}
        ksz = people.ksz
        await self.once(self.messages([ksz], "/szavazas_uj\nKérdés: Mérés?\nHatáridő: 3"), sent(1))
        preview = tg.outbox(ksz)[-1]
        await self.once(
            [tg.press(ksz, preview, _button(preview, "Közzététel"), deliver=False)],
            lambda _: all(any(m.buttons for m in tg.outbox(u)) for u in everyone),
        )
        ballots = {u.id: next(m for m in reversed(tg.outbox(u)) if m.buttons) for u in everyone}
        one = ballots[everyone[0].id]
        self.payloads["choices"] = {
            "first vote": _button(one, "Igen"),
            "change": _button(one, "Nem"),
            "caller not cached": _button(one, "Tartózkodom"),
        }
        delivery = next(
            c.params
            for c in reversed(tg.calls)
            if c.ok and c.params.get("chat_id") == everyone[0].id and c.params.get("reply_markup")
        )
        self.payloads["ballot"] = {
            "text": delivery["text"],
            "reply_markup": delivery["reply_markup"],
        }
        return ballots


def _ok_to(calls: Iterable[ApiCall], method: str, chats: set[int]) -> int:
    return sum(1 for c in calls if c.ok and c.method == method and c.params.get("chat_id") in chats)


def _slug(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key).strip("_").replace("__", "_")


async def bot_run(
    people: People,
    tg: FakeTelegram,
    db_kind: str,
    workdir: Path,
    profiler: Profiler,
    idle: float = 3.0,
) -> tuple[Run, dict[str, Any]]:
    """The bot: every burst; returns the figures and what it sent (for the bare bot)."""
    async with database(db_kind) as url, serve(tg) as base_url:
        await _seed(url, people)
        profile = f"{profiler.target}:{profiler.kind}" if profiler.target else None
        bot = await start_bot(workdir, base_url, url, profile)
        try:
            await _until(lambda: any(c.method == "getUpdates" for c in tg.calls), 120, "start")
            driver = Driver(tg, bot, people, profiler, url=url)
            await driver.idle(idle)
            await driver.all(REPEAT_PAUSE)
        finally:
            await bot.stop()
    return driver.run, driver.payloads


#: Seconds between a member's first ``/help`` and the repeat.
REPEAT_PAUSE = 3.0


async def bare_run(
    people: People, tg: FakeTelegram, payloads: dict[str, Any], workdir: Path, idle: float = 3.0
) -> Run:
    """The bare PTB bot through the same bursts."""
    async with serve(tg) as base_url:
        payloads = dict(payloads, catalyst_of=people.catalyst_of())
        bot = await start_bare(workdir, base_url, payloads)
        try:
            await _until(lambda: any(c.method == "getUpdates" for c in tg.calls), 120, "start")
            driver = Driver(tg, bot, people, payloads=payloads)
            await driver.idle(idle)
            await driver.all(0.0)
        finally:
            await bot.stop()
    return driver.run


# --- memory --------------------------------------------------------------------------------------


async def _seed_digest(url: str) -> None:
    """A 20-task draft plan, and a schedule whose monthly digest has been owed since 2000:
    the bot sends it (the latest missed one) as soon as it starts."""
    from datetime import UTC, datetime

    from bench.common import plan_in
    from bot.services.clock import SystemClock
    from bot.services.schedule import SlotKind
    from bot.services.workplan import SINCE_KEY
    from storage.db import Database

    db = Database(url)
    db.open()
    try:
        now = SystemClock().now()
        await plan_in(db, now, now.date())
        async with db.unit() as uow:
            since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
            await uow.cluster.put(SINCE_KEY, {SlotKind.MONTHLY_DIGEST.value: since})
    finally:
        await db.close()


#: Seconds of quiet before the resident set is read ("after": the bot has settled).
SETTLE = 15.0


async def memory(members: int, digest: bool, workdir: Path) -> dict[str, Any]:
    """The bot's resident memory with ``members`` members: idle, or after the monthly digest."""
    from storage.db import Database

    tg = FakeTelegram(token=TOKEN, check_results=False)
    if digest:
        for i in range(1, members + 1):
            tg.add_user(first_name=f"Tag{i}", id=FIRST_ID + i).started = True
    async with database("sqlite") as url, serve(tg) as base_url:
        db = Database(url)
        db.open()
        try:
            await fill_members(db, members)
        finally:
            await db.close()
        if digest:
            await _seed_digest(url)
        loop = asyncio.get_running_loop()
        began = loop.time()
        bot = await start_bot(workdir, base_url, url)
        try:
            await _until(lambda: any(c.method == "getUpdates" for c in tg.calls), 600, "start")
            if digest:
                limit = members / 20 + 300
                await _until(lambda: _ok(tg.calls, "sendPhoto") >= members, limit, "the digest")
            # settled: the bot hands freed memory back within 10 s (bot.jobs.memory)
            await quiet(tg, SETTLE)
            result = {
                "members": members,
                "digest": digest,
                "seconds": loop.time() - began,
                "rss_mib": bot.rss(),
                "peak_mib": bot.peak(),
                "worker_mib": bot.children_rss(),
                "sent": _ok(tg.calls, "sendPhoto"),
            }
        finally:
            await bot.stop()
    return result


# --- the whole thing -----------------------------------------------------------------------------


@dataclass
class Result:
    #: Each round's run of the bot and of the bare bot, measured one right after the other.
    rounds: list[tuple[Run, Run]]
    memory: list[dict[str, Any]]
    strangers: int
    members: int
    db: str
    crowd: int

    @property
    def bot(self) -> Run:
        return self.rounds[0][0]

    @property
    def bare(self) -> Run:
        return self.rounds[0][1]

    def row(self, key: str) -> Row:
        """One burst over the rounds: medians of each bot's figures and of the ratios."""
        pairs = [(mine.bursts[key], bare.bursts[key]) for mine, bare in self.rounds]
        ratios = [m.cpu_ms / b.cpu_ms for m, b in pairs]
        return Row(
            pairs[0][0].updates,
            statistics.median(m.cpu_ms for m, _ in pairs),
            statistics.median(b.cpu_ms for _, b in pairs),
            statistics.median(ratios), tuple(ratios),
            statistics.median(m.wall / b.wall for m, b in pairs),
            statistics.median(m.wall for m, _ in pairs),
            statistics.median(b.wall for _, b in pairs),
        )  # fmt: skip


@dataclass(frozen=True)
class Row:
    """A burst's figures over the rounds: medians, and the ratio of each round."""

    updates: int
    bot_ms: float
    bare_ms: float
    ratio: float
    #: Each round's, in the order of the rounds.
    ratios: tuple[float, ...]
    wall_ratio: float
    bot_wall: float
    bare_wall: float

    def ratio_text(self) -> str:
        rounds = len(self.ratios)
        if rounds == 1:
            return f"{self.ratio:.2f}x"
        lowest, highest = min(self.ratios), max(self.ratios)
        return f"{self.ratio:.2f}x ({lowest:.2f}-{highest:.2f}x, {rounds} rounds)"


async def measure(
    strangers: int = 500,
    members: int = 200,
    digest: int = 10_000,
    large: int = 100_000,
    db_kind: str = "sqlite",
    profiler: Profiler = NO_PROFILER,
    crowd: int = 20,
    idle: float = 3.0,
    rounds: int = 1,
) -> Result:
    """Both bots through every burst, ``rounds`` times, then the memory runs.

    Each round runs both bots one after the other, the order alternating (the bot first, then
    the bare bot first, ...; the bare bot replays what the bot's first run sent), so that a
    drift of the machine's speed during the run weighs on both alike. Profiled, one round: a
    report per burst."""
    rounds = 1 if profiler.target else rounds
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        workdir = Path(tmp)

        def scene() -> tuple[People, FakeTelegram]:
            """A fresh fake Bot API and its people (the same ids every time)."""
            tg = FakeTelegram(token=TOKEN, check_results=False)
            return People.of(tg, strangers + WARM, members + WARM, crowd), tg

        found_rounds: list[tuple[Run, Run]] = []
        payloads: dict[str, Any] = {}
        for number in range(rounds):
            mine = bare = None
            for which in ("bot", "bare") if number % 2 == 0 else ("bare", "bot"):
                if which == "bot":
                    mine, sent = await bot_run(*scene(), db_kind, workdir, profiler, idle)
                    payloads = payloads or sent
                else:
                    bare = await bare_run(*scene(), payloads, workdir, idle)
            assert mine is not None and bare is not None
            found_rounds.append((mine, bare))
        sizes = [] if profiler.target else [(digest, True), (large, False)]
        found = [await memory(n, d, workdir) for n, d in sizes if n]
    return Result(found_rounds, found, strangers, members, db_kind, crowd)


def table(result: Result) -> list[str]:
    """Rows of the ``python -m bench`` table."""
    lines = []
    for kind, case, target in SCENARIOS:
        key = f"{kind}, {case}"
        row = result.row(key)
        verdict = ""
        if target is not None:
            verdict = "met" if row.ratio <= target else f"MISSED ({target}x)"
        lines.append(
            f"| cpu per update ({result.db}) | {key}, {row.updates:,} at once"
            f" | {row.bot_ms:.2f} / {row.bare_ms:.2f} ms | {row.ratio_text()}"
            f" | wall {row.bot_wall:.1f} / {row.bare_wall:.1f} s ({row.wall_ratio:.2f}x)"
            f" | {verdict} |"
        )
    copies = result.bot.copies
    lines.append(
        f"| routing ({result.db}) | {result.crowd} members ask their one katalizátor at once"
        f" | {copies:.2f} messages to the katalizátor per question | | |"
        f" {'met' if copies == 1 else 'DUPLICATES'} |"
    )
    lines.append(
        f"| memory ({result.db}) | idle, {2 * (result.members + WARM) + result.crowd + 2} members"
        f" | RSS {result.bot.idle_rss:.0f} MiB (bare {result.bare.idle_rss:.0f})"
        f" | after the bursts {result.bot.end_rss:.0f} MiB (bare {result.bare.end_rss:.0f})"
        f" | idle CPU {result.bot.idle_cpu_per_s * 1000:.1f} / "
        f"{result.bare.idle_cpu_per_s * 1000:.1f} ms/s | |"
    )
    for m in result.memory:
        if m["digest"]:
            target, case = 100, f"monthly digest sent to {m['members']:,} members"
            extra = f"peak {m['peak_mib']:.0f} MiB, all {m['sent']:,} sent in {m['seconds']:.0f} s"
        else:
            target, case = 250, f"idle, {m['members']:,} members"
            extra = f"peak {m['peak_mib']:.0f} MiB"
        verdict = "met" if m["rss_mib"] <= target else f"MISSED ({target} MiB)"
        lines.append(
            f"| memory (sqlite) | {case} | RSS {m['rss_mib']:.0f} MiB | {extra}"
            f" | chart worker {m['worker_mib']:.0f} MiB | {verdict} |"
        )
    return lines


def report(result: Result) -> list[str]:
    """The standalone table, with the Bot API calls each bot made per update (the first
    round's) and every round's ratio."""
    lines = [
        "| update | CPU per update, bot / bare (median) | ratio (median) | each round"
        " | event loop's thread, bot / bare (first round) | wall time of the burst, bot / bare"
        " | Bot API calls per update: bot; bare (first round) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, case, _ in SCENARIOS:
        key = f"{kind}, {case}"
        row, mine, bare = result.row(key), result.bot.bursts[key], result.bare.bursts[key]
        each = ", ".join(f"{ratio:.2f}x" for ratio in row.ratios)
        lines.append(
            f"| {key} ({row.updates:,}) | {row.bot_ms:.2f} / {row.bare_ms:.2f} ms"
            f" | {row.ratio:.2f}x | {each} | {mine.main_share:.0%} / {bare.main_share:.0%}"
            f" | {row.bot_wall:.1f} / {row.bare_wall:.1f} s"
            f" | {mine.calls_per_update()}; {bare.calls_per_update()} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--strangers", type=int, default=500)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--digest", type=int, default=10_000, help="0: no digest run")
    parser.add_argument("--large", type=int, default=100_000, help="0: no large run")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profile", metavar="DIR", help="profile the bot during each burst")
    parser.add_argument("--profiler", choices=["sample", "cprofile"], default="sample")
    parser.add_argument("--crowd", type=int, default=20, help="members of one katalizátor")
    parser.add_argument(
        "--rounds", type=positive, default=3, help="runs of both bots, alternating (medians)"
    )
    args = parser.parse_args(argv)
    profiler = NO_PROFILER
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profiler = Profiler(Path(args.profile).resolve(), args.profiler)
    result = asyncio.run(
        measure(
            args.strangers, args.members, args.digest, args.large, args.db, profiler,
            args.crowd, rounds=args.rounds,
        )
    )  # fmt: skip
    print("\n".join(report(result)))
    print()
    print("| measure | case | figures | | | | result |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(table(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
