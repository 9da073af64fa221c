"""The last command wins: starting a dialogue ends every other pending one of the person, says
which, and the next message goes to the new one (issue 21, item 1)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models.ballots import BallotComment
from storage.models.proposals import ProposalComment
from storage.models.workplan import TaskEvent
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast
from tests.e2e.test_routing import _join

SECRET = "Bizalmas: a cégünk nem tudja kifizetni a tagdíjat"
PLAN = "cím;felelős;határidő;állapot;készültség;leírás\nPályázatfigyelés;KSz;2027.01.15;;;\n"


@dataclass
class World:
    harness: BotHarness
    tg: FakeTelegram
    cast: Cast
    db: Database


async def _setup(w: World, clock: FakeClock) -> None:
    """An open Közgyűlés ballot, a proposal in discussion, a task; the KSz in a workgroup."""
    h, cast = w.harness, w.cast
    await _join(w.db, clock, "Menedzser Márta", "Innováció")
    await h.send(cast.ksz, "/szavazas_uj\nKérdés: Elfogadja a tagdíjat?\nHatáridő: 3")
    await h.press_label(cast.ksz, h.last(cast.ksz), "Közzététel")
    await h.send(cast.chair, "/javaslat Zöld átállás | A klaszter szén-semleges lesz.")
    await h.press_label(cast.chair, h.last(cast.chair), "Benyújtás")
    async with w.db.unit() as uow:
        await import_tasks(
            uow, parse_tasks_csv(PLAN.encode()), CLI_ACTOR, clock.now(),
            period="2027", title="Munkaterv",
        )  # fmt: skip
    w.tg.clear_calls()


async def _ballot_comment(w: World) -> None:
    ballot = next(m for m in reversed(w.tg.outbox(w.cast.ksz)) if "Elfogadja" in m.text)
    await w.harness.press_label(w.cast.ksz, ballot, "Hozzászólás")


async def _new_ballot(w: World) -> None:
    await w.harness.send(w.cast.ksz, "/szavazas_uj")


async def _announcement(w: World) -> None:
    await w.harness.send(w.cast.ksz, "/kozlemeny")


async def _progress_note(w: World) -> None:
    h, ksz = w.harness, w.cast.ksz
    await h.send(ksz, "/elorehaladas")
    await h.press_label(ksz, h.last(ksz), "Pályázatfigyelés")
    await h.press_label(ksz, h.last(ksz), "60%")
    await h.press_label(ksz, h.last(ksz), "Megjegyzés hozzáadása")


async def _proposal_comment(w: World) -> None:
    notice = next(m for m in reversed(w.tg.outbox(w.cast.ksz)) if "Vitára bocsátott" in m.text)
    await w.harness.press_label(w.cast.ksz, notice, "Hozzászólás")


async def _catalyst(w: World) -> None:
    await w.harness.send(w.cast.ksz, "/katalizator")


async def _comments(w: World, model: type[BallotComment] | type[ProposalComment]) -> list[str]:
    async with w.db.unit() as uow:
        return list((await uow.session.scalars(select(model.text))).all())


async def _got_ballot_comment(w: World) -> bool:
    return SECRET in await _comments(w, BallotComment)


async def _got_proposal_comment(w: World) -> bool:
    return SECRET in await _comments(w, ProposalComment)


async def _got_question(w: World) -> bool:
    draft = w.harness.app.user_data[w.cast.ksz.id].ballot_draft
    return draft is not None and draft.question == SECRET


async def _got_announcement(w: World) -> bool:
    draft = w.harness.app.user_data[w.cast.ksz.id].announcement_draft
    return draft is not None and draft.text == SECRET


async def _got_note(w: World) -> bool:
    async with w.db.unit() as uow:
        return SECRET in (await uow.session.scalars(select(TaskEvent.note))).all()


async def _got_catalyst(w: World) -> bool:
    return any(SECRET in m.text for m in w.tg.outbox(w.cast.catalyst))


@dataclass(frozen=True)
class Kind:
    start: Callable[[World], Awaitable[None]]
    got: Callable[[World], Awaitable[bool]]
    label: str


KINDS = {
    "ballot_comment": Kind(_ballot_comment, _got_ballot_comment, "hozzászólás a szavazáshoz"),
    "new_ballot": Kind(_new_ballot, _got_question, "az új szavazás összeállítása"),
    "announcement": Kind(_announcement, _got_announcement, "a közlemény összeállítása"),
    "progress_note": Kind(_progress_note, _got_note, "megjegyzés az előrehaladási jelentéshez"),
    "proposal_comment": Kind(_proposal_comment, _got_proposal_comment, "hozzászólás a javaslathoz"),
    "catalyst": Kind(_catalyst, _got_catalyst, "üzenetváltás a katalizátorral"),
}


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(KINDS, 2)))
async def test_the_last_dialogue_wins(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock,
    first: str, second: str,
) -> None:  # fmt: skip
    w = World(harness, tg, cast, db)
    await _setup(w, clock)
    await KINDS[first].start(w)
    start = len(tg.calls)
    await KINDS[second].start(w)
    said = texts(tg.calls[start:])
    [notice] = [t for t in said if t.startswith("Megszakítva:")]
    assert KINDS[first].label in notice
    assert "A következő üzenete már nem oda kerül" in notice
    await harness.send(cast.ksz, SECRET)
    assert await KINDS[second].got(w), f"the message did not reach {second}"
    assert not await KINDS[first].got(w), f"the message went to {first}"


async def test_a_command_of_the_same_dialogue_ends_nothing(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.ksz, "/szavazas_uj")
    said = texts(await harness.send(cast.ksz, "/szavazas_uj"))
    assert not any(t.startswith("Megszakítva:") for t in said)
    said = texts(await harness.send(cast.ksz, "/sugo"))
    assert said[0].startswith("Megszakítva: az új szavazás összeállítása.")
    said = texts(await harness.send(cast.ksz, "/sugo"))
    assert not any(t.startswith("Megszakítva:") for t in said)
