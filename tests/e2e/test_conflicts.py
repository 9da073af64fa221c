"""Conflicts of interest (Ptk. 3:19 (2)) end to end: /erintett, the refused vote, the quorum
base, the result and the register."""

from __future__ import annotations

from bot.services.clock import FakeClock
from fakeapi import FakeTelegram
from storage.db import Database
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast


async def test_affected_members_do_not_vote_and_leave_the_quorum_base(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, clock: FakeClock, db: Database
) -> None:
    ballot = await harness.publish_form(
        cast.ksz, "Kérdés: Szerződést köt a klaszter a Béta Zrt.-vel?\nHatáridő: 3"
    )
    ballot_message = harness.last(cast.internal)
    chair_ballot, catalyst_ballot = harness.last(cast.chair), harness.last(cast.catalyst)
    # a member declares themself affected: out of the base (4 -> 3), told so
    [reply] = texts(
        await harness.send(cast.internal, f"/erintett {ballot.id} a cégem a szerződő fél")
    )
    assert f"Rögzítve, hogy érintett (szavazás #{ballot.id}, Ptk. 3:19 (2))" in reply
    assert "Indok: a cégem a szerződő fél" in reply
    assert "legalább 2 fő; jogosultak: 3" in reply
    # the vote button answers politely why
    calls = await harness.press_label(cast.internal, ballot_message, "Igen")
    assert any("érintett (Ptk. 3:19 (2)), ezért nem szavazhat" in a for a in answers(calls))
    # the KSz marks another member; the member is told through the outbox
    await harness.send(cast.ksz, f"/erintett {ballot.id} Alapító Aladár: a fia a cég vezetője")
    reply = harness.last(cast.ksz).text
    assert "Alapító Aladár" in reply and "értesítettük" in reply
    await harness.settle()
    notice = harness.last(cast.founder)
    assert "Menedzser Márta érintettnek jelölte" in notice.text
    assert "Indok: a fia a cég vezetője" in notice.text
    # twice, or by a member about another, or by someone without a vote: refused
    [again] = texts(await harness.send(cast.founder, f"/erintett {ballot.id} igen"))
    assert "Már érintettként szerepel" in again
    [refused] = texts(
        await harness.send(cast.catalyst, f"/erintett {ballot.id} Elnök Emese: rokon")
    )
    assert "csak a KSz vagy az elnök" in refused
    [no_vote] = texts(await harness.send(cast.external, f"/erintett {ballot.id} bármi"))
    assert "nincs szavazati joga" in no_vote
    [usage] = texts(await harness.send(cast.internal, "/erintett"))
    assert "/erintett 12" in usage
    # the two others vote; a member who has voted can no longer be marked
    await harness.press_label(cast.chair, chair_ballot, "Igen")
    await harness.press_label(cast.catalyst, catalyst_ballot, "Nem")
    [late] = texts(await harness.send(cast.ksz, f"/erintett {ballot.id} Elnök Emese: rokon"))
    assert "Már szavazott" in late and "vonja vissza" in late
    # the close: 2 of 3... the base is 2 (4 on the roll, 2 affected), both voted
    clock.advance(days=3, minutes=1)
    await harness.run_due_jobs()
    await harness.settle()
    result = harness.last(cast.internal).text
    assert f"Szavazás #{ballot.id} eredménye" in result
    assert "Részvétel: 2/2 (100%)" in result
    assert (
        "Érintettek, nem szavaztak, a határozatképességbe nem számítanak bele "
        "(Ptk. 3:19 (2)): Alapító Aladár, Belső Béla"
    ) in result
    # not adopted: 1 for of 2 is no majority; the affected line is in the result anyway
    assert "ELUTASÍTVA" in result


async def test_the_register_says_who_was_affected(
    harness: BotHarness, cast: Cast, clock: FakeClock
) -> None:
    ballot = await harness.publish_form(
        cast.ksz, "Kérdés: Tagdíjkedvezmény a Béta Zrt.-nek?\nHatáridő: 3"
    )
    voters = [getattr(cast, role) for role in ("founder", "chair", "catalyst")]
    messages = [harness.last(voter) for voter in voters]
    await harness.send(cast.internal, f"/erintett {ballot.id} a cégem kapná")
    for voter, message in zip(voters, messages, strict=True):
        await harness.press_label(voter, message, "Igen")
    clock.advance(days=3, minutes=1)
    await harness.run_due_jobs()
    await harness.settle()
    result = harness.last(cast.chair).text
    assert "Részvétel: 3/3 (100%)" in result and "ELFOGADVA" in result
    [register] = texts(await harness.send(cast.chair, "/hatarozatok"))
    assert (
        "Érintett, nem szavazott, a határozatképességbe nem számít bele (Ptk. 3:19 (2)): Belső Béla"
    ) in register


async def test_a_number_written_in_superscript_is_bad_input_not_an_error(
    harness: BotHarness, cast: Cast
) -> None:
    """``²`` passes str.isdigit but not int(): the member gets the answer for a wrong number,
    as for letters, not the apology for an error on our side."""
    [letters] = texts(await harness.send(cast.internal, "/erintett x a cégem a szerződő fél"))
    [superscript] = texts(await harness.send(cast.internal, "/erintett ² a cégem a szerződő fél"))
    assert superscript == letters
    assert letters == "szavazás: kötelező megadni."  # the field's name in Hungarian too
    assert "Sorry" not in superscript and "Elnézést" not in superscript
    # the same in the meetings' commands, and a reconvened meeting's time
    for command in ("/ules_szavazas ² 1", "/ules_zaras ²", "/ules_megismetelt 1 ²"):
        [answer] = texts(await harness.send(cast.ksz, command))
        assert "Elnézést" not in answer, command
