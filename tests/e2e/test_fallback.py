"""No silence (issue 21, item 4): in a private chat every message gets an answer with /sugo;
in a group the bot answers only what is addressed to it; routing keeps working."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR
from bot.services.workplan_import import import_tasks, parse_tasks_csv
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models.workplan import TaskEvent
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast
from tests.e2e.test_routing import _join

NOTHING_WAITED = "Ezt az üzenetet semmi sem várta"


async def test_private_messages_nobody_takes_get_a_hint(harness: BotHarness, cast: Cast) -> None:
    for user in (cast.internal, cast.stranger):
        [text] = texts(await harness.send(user, "Szia bot!"))
        assert NOTHING_WAITED in text and "/sugo" in text
    [text] = texts(await harness.send(cast.internal, "/"))
    assert "/sugo" in text
    [text] = texts(await harness.send(cast.internal, "/nincsilyen"))
    assert text == "Ismeretlen parancs: /nincsilyen. Az elérhető parancsok: /sugo"
    [text] = texts(await harness.send(cast.internal, sticker=True))
    assert "nem tudunk mit kezdeni" in text and "/sugo" in text
    # a known command is answered by its feature only
    said = texts(await harness.send(cast.internal, "/sugo"))
    assert len(said) == 1 and NOTHING_WAITED not in said[0]


async def test_an_english_reader_is_told_the_english_commands(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    """Issue 14: the English hints name /help and /catalyst, never /sugo or /katalizator, and
    the help's notes the English commands and keywords."""
    user = tg.add_user(first_name="John", last_name="Smith", language_code="en")
    [text] = texts(await harness.send(user, "Hello bot!"))
    assert "start with /catalyst" in text and text.endswith("What you can do: /help")
    [text] = texts(await harness.send(user, "/nosuch"))
    assert text == "Unknown command: /nosuch. The commands you can use: /help"
    await harness.send(cast.ksz, "/nyelv")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "English")
    [help_text] = texts(await harness.send(cast.ksz, "/help"))
    assert "Catalysts and the KSz: <code>/progress</code> lists your tasks" in help_text
    assert "<code>Question: …</code>, <code>Deadline: 2026.12.05 18:00</code>" in help_text
    [help_text] = texts(await harness.send(cast.catalyst, "/sugo"))
    assert "a <code>/elorehaladas</code> gombokként mutatja" in help_text


async def test_text_where_a_button_is_expected(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.ksz, "/szavazas_uj")
    await harness.send(cast.ksz, "Elfogadja a tagdíjat?")  # the question; buttons follow
    [text] = texts(await harness.send(cast.ksz, "Közgyűlés"))
    assert "a fenti gombokkal válaszoljon" in text and "/megse" in text
    # an unknown command neither ends the wizard nor goes unanswered
    said = texts(await harness.send(cast.ksz, "/szavazas_u"))
    assert said == ["Ismeretlen parancs: /szavazas_u. Az elérhető parancsok: /sugo"]
    assert harness.app.user_data[cast.ksz.id].ballot_draft is not None


async def test_a_note_typed_without_the_button_is_answered(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    plan = "cím;felelős;határidő;állapot;készültség;leírás\nPályázatfigyelés;KSz;2027.01.15;;;\n"
    async with db.unit() as uow:
        await import_tasks(
            uow, parse_tasks_csv(plan.encode()), CLI_ACTOR, clock.now(),
            period="2027", title="Munkaterv",
        )  # fmt: skip
    await harness.send(cast.ksz, "/elorehaladas")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Pályázatfigyelés")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "60%")
    [text] = texts(await harness.send(cast.ksz, "Két pályázat beadva"))
    assert NOTHING_WAITED in text and "Megjegyzés hozzáadása" in text
    async with db.unit() as uow:
        notes = (await uow.session.scalars(select(TaskEvent.note))).all()
    assert "Két pályázat beadva" not in notes


async def test_routing_still_takes_free_text(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció")
    await harness.send(cast.internal, "/katalizator")
    calls = await harness.send(cast.internal, "Kérdésem van a pályázatról")
    assert not any(NOTHING_WAITED in t for t in texts(calls))
    assert any("Kérdésem van" in m.text for m in harness.tg.outbox(cast.catalyst))


async def test_groups_stay_quiet_unless_addressed(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group("Klaszter", members=[cast.internal], bot_is_admin=True)
    assert not texts(await harness.send(cast.internal, "Szia mindenki!", chat=group))
    assert not texts(await harness.send(cast.internal, "/nincsilyen", chat=group))
    assert not texts(await harness.send(cast.internal, "/x@masik_bot", chat=group))
    [text] = texts(await harness.send(cast.internal, "/nincsilyen@klaszter_test_bot", chat=group))
    assert text.startswith("Ismeretlen parancs: /nincsilyen.")
