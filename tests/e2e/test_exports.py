"""The KSz's CSV exports (tagok.csv, hatarozatok.csv) never carry a live spreadsheet formula."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.services import ballots
from bot.services.ballots import BallotDraft
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from bot.services.roles import standing_of
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import BallotKind
from tests.e2e.harness import BotHarness
from tests.e2e.people import Cast

FORMULA = '=HYPERLINK("http://x","y")'


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _no_live_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert cell[:1] not in set("=+-@\t\r"), cell


async def test_member_export_neutralises_formulas(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    async with db.unit() as uow:
        await upsert_member(
            uow,
            MemberSpec(FORMULA, MemberKind.INTERNAL, organisation="+36 1 234 5678",
                       workgroups=["@otthon"]),
            CLI_ACTOR, clock.now(),
        )  # fmt: skip
    await harness.send(cast.ksz, "/tagok")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Exportálás")
    sent = harness.last(cast.ksz)
    assert sent.document_name == "tagok.csv"
    rows = _rows(sent.document_bytes)
    [row] = [r for r in rows if FORMULA in r[0]]
    assert row[0] == "'" + FORMULA
    assert row[2] == "'+36 1 234 5678"
    assert row[9] == "'@otthon"
    _no_live_formula(rows)


async def test_register_export_neutralises_formulas(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    async with db.unit() as uow:
        ksz = await uow.members.by_name("Menedzser Márta")
        assert ksz is not None
        creator = standing_of(ksz, [])
        draft = BallotDraft(
            question=FORMULA,
            kind=BallotKind.SINGLE,
            options=["-1", "@a"],
            deadline=clock.now() + timedelta(days=3),
        )
        ballot = await ballots.publish(
            uow, draft, creator, clock.now(), yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )  # fmt: skip
        roll = [m.id for m in await uow.members.all() if m.kind is MemberKind.INTERNAL]
    for member_id in roll:
        async with db.unit() as uow:
            await ballots.cast_vote(uow, ballot.id, member_id, [ballot.options[0].id], clock.now())
    async with db.unit() as uow:
        closing = await ballots.close(uow, ballot.id, clock.now(), "teszt", ZoneInfo("UTC"))
        assert closing is not None and closing.resolution is not None
    await harness.send(cast.ksz, "/hatarozatok")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "CSV")
    sent = harness.last(cast.ksz)
    assert sent.document_name == "hatarozatok.csv"
    rows = _rows(sent.document_bytes)
    assert rows[1][3] == "'" + FORMULA
    assert rows[1][6].startswith("'-1: ")
    _no_live_formula(rows)
