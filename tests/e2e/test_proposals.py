"""Strategy proposals end to end: draft, ST ballot, discussion, Közgyűlés ballot, adoption."""

from __future__ import annotations

from bot.services.clock import FakeClock
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models.proposals import ProposalStage
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast


async def _stage(db: Database) -> ProposalStage:
    async with db.unit() as uow:
        [proposal] = await uow.proposals.recent(1)
        return proposal.stage


async def test_from_draft_to_adoption(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    [card] = texts(
        await harness.send(
            cast.founder, "/javaslat Zöld átállás 2030 | A klaszter <2030>-ig szén-semleges lesz."
        )
    )
    assert "Stratégiai javaslat #1: Zöld átállás 2030" in card
    assert "&lt;2030&gt;" in card
    # only the ST chair may submit directly
    calls = await harness.press_label(cast.founder, harness.last(cast.founder), "Benyújtás")
    assert any("Elnézést" in a for a in answers(calls))
    await harness.press_label(cast.founder, harness.last(cast.founder), "ST-szavazás")
    assert await _stage(db) is ProposalStage.ST_VOTE
    for founder in (cast.founder, cast.chair):
        ballot = next(
            m for m in reversed(tg.outbox(founder)) if m.buttons and "Stratégiai Tanács" in m.text
        )
        await harness.press_label(founder, ballot, "Igen")
    clock.advance(days=8)
    await harness.run_due_jobs()  # the ST ballot closes at its deadline
    assert await _stage(db) is ProposalStage.DISCUSSION
    notice = next(m for m in tg.outbox(cast.external) if "Vitára bocsátott" in m.text)
    # an external supporter comments (advisory right)
    await harness.press_label(cast.external, notice, "Hozzászólás")
    [text] = texts(await harness.send(cast.external, "Támogatom, de legyen <ütemterv>."))
    assert "hozzászólása megjelent" in text
    await harness.send(cast.internal, "/javaslatok")
    await harness.press_label(cast.internal, harness.last(cast.internal), "#1")
    assert "&lt;ütemterv&gt;" in harness.last(cast.internal).html
    assert any(j.name == "proposal:1:discussion" for j in harness.app.job_queue.jobs())
    clock.advance(days=8)
    await harness.run_due_jobs()  # the discussion ends: the Közgyűlés ballot opens
    assert await _stage(db) is ProposalStage.KGY_VOTE
    # issue 21/11: the Közgyűlés ballot names the proposal and carries its discussion
    kgy = next(m for m in reversed(tg.outbox(cast.internal)) if "Közgyűlés" in m.text)
    assert "Stratégiai javaslat #1: Zöld átállás 2030 (/javaslatok)" in kgy.text
    assert "Vita: 1 hozzászólás" in kgy.text
    await harness.press_label(cast.internal, kgy, "Vita")
    assert "&lt;ütemterv&gt;" in (harness.last(cast.internal).html or "")
    for role in ("internal", "founder", "chair", "catalyst"):
        user = getattr(cast, role)
        ballot = next(m for m in reversed(tg.outbox(user)) if m.buttons and "Közgyűlés" in m.text)
        await harness.press_label(user, ballot, "Igen")
    clock.advance(days=8)
    await harness.run_due_jobs()
    assert await _stage(db) is ProposalStage.ADOPTED
    [listing] = texts(await harness.send(cast.external, "/javaslatok"))
    assert "elfogadva" in listing


async def test_only_founders_draft_and_bad_input(harness: BotHarness, cast: Cast) -> None:
    [text] = texts(await harness.send(cast.internal, "/javaslat Cím | szöveg"))
    assert "Elnézést" in text
    [text] = texts(await harness.send(cast.founder, "/javaslat"))
    assert "Használat" in text
    [text] = texts(await harness.send(cast.founder, "/javaslat Csak cím"))
    assert "kötelező megadni" in text
