"""Routing workgroup chat to the katalizátor, end to end through the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bot.services import identity
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec
from fakeapi import ApiCall, FakeChat, FakeMessage, FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind
from storage.models.routing import DeliveryStatus, RoutingDelivery
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness, answers, statements, texts
from tests.e2e.people import Cast, bind

SIGNED = "– Katalizátor Kálmán, katalizátor (Innováció)"
HEADER = ("Tag: Belső Béla", "Szervezet: Béta Zrt.", "Munkacsoport: Innováció")


async def _join(db: Database, clock: FakeClock, name: str, *groups: str) -> None:
    """Add a member to workgroups (created without a katalizátor when missing)."""
    async with db.unit() as uow:
        member = await uow.members.by_name(name)
        assert member is not None
        for group_name in groups:
            group = await uow.workgroups.by_name(group_name)
            if group is None:
                group = await identity.create_workgroup(uow, group_name, "", CLI_ACTOR, clock.now())
            await identity.join_workgroup(uow, group, member, CLI_ACTOR, clock.now())


async def _process(harness: BotHarness, update: dict[str, Any]) -> list[ApiCall]:
    """Like ``harness.send`` but Telegram may refuse calls (403s are part of the story)."""
    start = len(harness.tg.calls)
    await harness.app.process_update(Update.de_json(update, harness.app.bot))
    return harness.tg.calls[start:]


def _to(calls: list[ApiCall], chat: FakeUser | FakeChat) -> list[ApiCall]:
    return [c for c in calls if c.params.get("chat_id") == chat.id and c.ok]


def _sent_by(tg: FakeTelegram, chat: FakeUser | FakeChat, user: FakeUser) -> FakeMessage:
    """The newest message ``user`` wrote in ``chat``."""
    return [m for m in tg.history(chat) if m.from_id == user.id][-1]


def _reacted(calls: list[ApiCall]) -> bool:
    return any(c.method == "setMessageReaction" for c in calls)


async def _writing(harness: BotHarness, user: FakeUser) -> str:
    """/katalizator with a single workgroup opens the session at once."""
    [text] = texts(await harness.send(user, "/katalizator"))
    return text


async def _in_session(harness: BotHarness, cast: Cast, db: Database, clock: FakeClock) -> None:
    """Belső Béla is in the Innováció workgroup and writes to its katalizátor."""
    await _join(db, clock, "Belső Béla", "Innováció")
    await _writing(harness, cast.internal)


async def _asked(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock, question: str
) -> FakeMessage:
    """Belső Béla asks the Innováció katalizátor; the copy the katalizátor got."""
    await _in_session(harness, cast, db, clock)
    await harness.send(cast.internal, question)
    return harness.last(cast.catalyst)


# --- private chat ----------------------------------------------------------------------------


async def test_a_members_command_looks_for_a_session_only_where_there_may_be_one(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """A command ends a session of writing to a katalizátor; who may have one is read once
    (``SessionMembers``), so the command of a member without one costs no query for it."""
    await _join(db, clock, "Belső Béla", "Innováció")
    await harness.send(cast.internal, "/help")  # the caller and the session members are read
    await harness.settle()
    bots = harness.app.bot_data.db  # the bot's engine, not the test's
    with statements(bots) as seen:
        [again] = texts(await harness.send(cast.internal, "/sugo"))
    assert seen == [] and "/katalizator" in again
    # A session opened since is added as its unit commits: the next command finds it, ends it.
    assert "Munkacsoport: Innováció" in await _writing(harness, cast.internal)
    with statements(bots) as seen:
        ended, _help = texts(await harness.send(cast.internal, "/help"))
    assert ended.startswith("Megszakítva: üzenetváltás a katalizátorral.") and seen
    before = len(harness.tg.outbox(cast.catalyst))
    await harness.send(cast.internal, "Ez már senkihez sem megy.")
    assert len(harness.tg.outbox(cast.catalyst)) == before


async def test_private_question_with_choice_of_workgroup_and_media(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció", "Export")
    [text] = texts(await harness.send(cast.internal, "/katalizator"))
    assert "Melyik munkacsoport katalizátorának" in text
    chooser = harness.last(cast.internal)
    assert [row[0][0] for row in chooser.buttons] == ["Export", "Innováció"]
    await harness.press_label(cast.internal, chooser, "Innováció")
    opened = harness.last(cast.internal).text
    assert "Munkacsoport: Innováció" in opened and "Katalizátor: Katalizátor Kálmán" in opened

    calls = await harness.send(cast.internal, "Mikor lesz a <következő> ülés? & hol?")
    question = harness.last(cast.catalyst)
    assert all(part in question.text for part in HEADER)
    assert "Mikor lesz a <következő> ülés? & hol?" in question.text
    sent = _to(calls, cast.catalyst)[0].params["text"]
    assert "&lt;következő&gt;" in sent and "&amp; hol?" in sent
    assert [label for row in question.buttons for label, _ in row] == [
        "Átadás a KSz-nek",
        "Megoldva",
    ]
    assert "Továbbítva a katalizátornak: Katalizátor Kálmán" in harness.last(cast.internal).text

    media: list[tuple[str, dict[str, Any]]] = [
        ("photo", {"photo": True, "caption": "Az ábra <b>"}),
        ("document", {"document": ("terv.pdf", b"%PDF-1.4 terv")}),
        ("voice", {"voice": True}),
        ("video", {"video": True, "caption": "Bemutató"}),
    ]
    for kind, fields in media:
        calls = await harness.send(cast.internal, **fields)
        copy = harness.last(cast.catalyst)
        assert copy.media_kind == kind
        assert copy.caption is not None and all(part in copy.caption for part in HEADER)
        assert [c.method for c in _to(calls, cast.catalyst)] == ["copyMessage"]
        assert _reacted(calls)  # later messages are acknowledged quietly
    photo = [m for m in tg.outbox(cast.catalyst) if m.media_kind == "photo"][-1]
    assert photo.caption is not None and photo.caption.endswith("Az ábra <b>")
    document = [m for m in tg.outbox(cast.catalyst) if m.media_kind == "document"][-1]
    assert document.document_bytes == b"%PDF-1.4 terv" and document.document_name == "terv.pdf"


async def test_answers_reach_the_member_signed_back_and_forth(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció")
    assert "Katalizátor: Katalizátor Kálmán" in await _writing(harness, cast.internal)
    await harness.send(cast.internal, "Kérdésem van a pályázatról.")
    asked = _sent_by(tg, cast.internal, cast.internal)
    question = harness.last(cast.catalyst)

    calls = await harness.send(
        cast.catalyst, "Holnap <b>küldöm</b> a részleteket.", reply_to=question
    )
    answer = harness.last(cast.internal)
    assert "Holnap <b>küldöm</b> a részleteket." in answer.text
    assert answer.text.endswith(SIGNED)
    assert answer.reply_to_message_id == asked.message_id
    # issue 21/11: the katalizátor is told whom the answer reached
    assert "Elküldve: Belső Béla" in texts(calls)

    await harness.send(cast.catalyst, photo=True, caption="Itt az ábra", reply_to=question)
    picture = harness.last(cast.internal)
    assert picture.media_kind == "photo"
    assert picture.caption is not None
    assert picture.caption.startswith("Itt az ábra") and picture.caption.endswith(SIGNED)
    await harness.send(cast.catalyst, document=("valasz.pdf", b"%PDF valasz"), reply_to=question)
    assert harness.last(cast.internal).document_bytes == b"%PDF valasz"

    # the member ends writing, then replies to the answer: the thread continues
    [done] = texts(await harness.send(cast.internal, "/kesz"))
    assert "már nem továbbítjuk" in done
    calls = await harness.send(cast.internal, "Köszönöm! Még egy kérdés.", reply_to=answer)
    follow_up = harness.last(cast.catalyst)
    assert "Köszönöm! Még egy kérdés." in follow_up.text
    catalyst_reply = _sent_by(tg, cast.catalyst, cast.catalyst)
    assert catalyst_reply.media_kind == "document"
    await harness.send(cast.catalyst, "Szívesen.", reply_to=follow_up)
    assert harness.last(cast.internal).text.startswith("Szívesen.")

    # a plain message outside a session is not routed
    calls = await harness.send(cast.internal, "csak úgy írok")
    assert not _to(calls, cast.catalyst)


async def test_a_reply_finds_its_way_after_a_restart(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    question = await _asked(harness, cast, db, clock, "Kérdés újraindítás előtt")
    async with bot_on(db, tg, clock) as fresh:
        await fresh.send(cast.catalyst, "Válasz újraindítás után", reply_to=question)
        answer = fresh.last(cast.internal)
        assert answer.text.startswith("Válasz újraindítás után") and answer.text.endswith(SIGNED)
        # the session survived as well
        await fresh.send(cast.internal, "Még egy kérdés")
        assert "Még egy kérdés" in fresh.last(cast.catalyst).text


async def test_replies_to_unmapped_messages_are_ignored(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _in_session(harness, cast, db, clock)
    prompt = harness.last(cast.internal)  # the bot's own text, not a routed message
    # not routed; since issue 21 (no silence) the fallback says so
    calls = await harness.send(cast.internal, "erre válaszolok", reply_to=prompt)
    assert not _to(calls, cast.catalyst) and "semmi sem várta" in texts(calls)[0]
    [help_text] = texts(await harness.send(cast.catalyst, "/help"))
    assert help_text
    calls = await harness.send(cast.catalyst, "hm", reply_to=harness.last(cast.catalyst))
    assert not _to(calls, cast.internal) and "semmi sem várta" in texts(calls)[0]


async def test_only_workgroup_members_can_write(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    [text] = texts(await harness.send(cast.external, "/katalizator"))
    assert "nem tagja egyetlen munkacsoportnak sem" in text
    [text] = texts(await harness.send(cast.stranger, "/katalizator"))
    assert "Elnézést" in text
    [text] = texts(await harness.send(cast.catalyst, "/catalyst"))
    assert "Katalizátorként koordinálja munkacsoportját (Innováció)" in text
    # a forged button for a workgroup the member is not in
    await _join(db, clock, "Külső Kata", "Export")
    await harness.send(cast.external, "/katalizator")
    async with db.unit() as uow:
        innovation = await uow.workgroups.by_name("Innováció")
        assert innovation is not None
    calls = await harness.press(
        cast.external, harness.last(cast.external), f"rt:wg:{innovation.id}", forge=True
    )
    assert any("csak a munkacsoport tagjai írhatnak" in str(c.params.get("text")) for c in calls)


async def test_session_ends_after_idle_time(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _in_session(harness, cast, db, clock)
    clock.advance(minutes=31)
    calls = await harness.send(cast.internal, "Van még valaki?")
    assert not _to(calls, cast.catalyst)
    assert "30 percig nem érkezett üzenet" in texts(calls)[0]
    calls = await harness.send(cast.internal, "Most sem?")
    assert not _to(calls, cast.catalyst) and "semmi sem várta" in texts(calls)[0]


# --- the workgroup's group -------------------------------------------------------------------


async def _linked_group(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> FakeChat:
    group = tg.add_group(
        "Innováció csoport",
        members=[cast.ksz, cast.internal, cast.catalyst, cast.external],
        bot_is_admin=True,
    )
    await harness.send(cast.ksz, "/csoport_osszekotes Innováció", chat=group)
    return group


async def test_group_questions_are_routed_and_answered_in_the_group(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció")
    group = await _linked_group(harness, tg, cast)

    calls = await harness.send(cast.internal, "@klaszter_test_bot mikor lesz ülés?", chat=group)
    asked = _sent_by(tg, group, cast.internal)
    question = harness.last(cast.catalyst)
    assert all(part in question.text for part in HEADER)
    assert "A munkacsoport Telegram-csoportjában kérdezte." in question.text
    assert "mikor lesz ülés?" in question.text
    assert _reacted(calls) and not _to(calls, group)[1:]

    await harness.send(cast.catalyst, "Csütörtökön.", reply_to=question)
    answer = harness.last(group)
    assert answer.text.startswith("Csütörtökön.") and answer.text.endswith(SIGNED)
    assert answer.reply_to_message_id == asked.message_id

    # #katalizator, a reply to the bot, and the command with the question
    await harness.send(cast.internal, "#katalizator van egy ötletem", chat=group)
    assert "van egy ötletem" in harness.last(cast.catalyst).text
    await harness.send(cast.internal, "És hol?", chat=group, reply_to=answer)
    assert "És hol?" in harness.last(cast.catalyst).text
    await harness.send(
        cast.internal, "/katalizator@klaszter_test_bot Ki hozza a kávét?", chat=group
    )
    assert harness.last(cast.catalyst).text.endswith("Ki hozza a kávét?")
    [usage] = texts(await harness.send(cast.internal, "/katalizator", chat=group))
    assert "Írja a kérdést a parancs után" in usage
    await harness.send(cast.internal, photo=True, caption="#katalizator ez jó így?", chat=group)
    assert harness.last(cast.catalyst).media_kind == "photo"

    # ordinary group chat is not routed; non-members of the workgroup are told
    calls = await harness.send(cast.internal, "csak beszélgetünk", chat=group)
    assert calls == []
    [text] = texts(await harness.send(cast.external, "#katalizator kérdés", chat=group))
    assert "csak a munkacsoport tagjai írhatnak" in text
    # a group that belongs to no workgroup: mentions are ignored, the command explains
    other = tg.add_group("Más csoport", members=[cast.internal], bot_is_admin=True)
    assert await harness.send(cast.internal, "@klaszter_test_bot szia", chat=other) == []
    [text] = texts(await harness.send(cast.internal, "/katalizator kérdés", chat=other))
    assert "nincs munkacsoporthoz kapcsolva" in text


async def test_group_without_admin_rights_warns_the_ksz(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = await _linked_group(harness, tg, cast)
    calls = await _process(harness, tg.my_chat_member(group, "member", by=cast.ksz))
    [alert] = texts(_to(calls, cast.ksz))
    assert "Innováció: a bot nem adminisztrátora" in alert and "#katalizator" in alert
    [listing] = texts(await harness.send(cast.ksz, "/nyitott_kerdesek"))
    assert "Innováció: a bot nem adminisztrátora" in listing
    # replies to the bot still reach it in privacy mode; back as admin, the warning is gone
    await _process(harness, tg.my_chat_member(group, "administrator", by=cast.ksz))
    [listing] = texts(await harness.send(cast.ksz, "/nyitott_kerdesek"))
    assert "adminisztrátora" not in listing and "Nincs nyitott kérdés." in listing


# --- when the katalizátor can't answer -------------------------------------------------------


async def test_no_catalyst_routes_to_the_ksz_saying_so(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Export")
    opened = await _writing(harness, cast.internal)
    assert "nincs katalizátora" in opened and "KSz" in opened
    calls = await harness.send(cast.internal, "Kinek írjak?")
    question = harness.last(cast.ksz)
    assert "Munkacsoport: Export" in question.text
    assert (
        "A munkacsoportnak nincs katalizátora, ezért a kérdés a KSz-hez érkezik." in question.text
    )
    assert [label for row in question.buttons for label, _ in row] == ["Megoldva"]
    assert any("Továbbítva a klasztermenedzsment szervezetnek" in t for t in texts(calls))
    await harness.send(cast.ksz, "Nekünk.", reply_to=question)
    answer = harness.last(cast.internal)
    assert answer.text.endswith("– Menedzser Márta, klasztermenedzsment szervezet (KSz)")


async def test_catalyst_hands_a_thread_to_the_ksz(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    question = await _asked(harness, cast, db, clock, "Ez inkább KSz-ügy.")
    hand, resolve = question.callback_data
    calls = await harness.press_label(cast.catalyst, question, "Átadás a KSz-nek")
    assert "Átadva a KSz-nek." in answers(calls)
    to_ksz = harness.last(cast.ksz)
    assert "Átadta a KSz-nek: Katalizátor Kálmán" in to_ksz.text
    assert "Ez inkább KSz-ügy." in to_ksz.text
    assert any("átadták a klasztermenedzsment" in t for t in texts(_to(calls, cast.internal)))
    assert [label for row in harness.last(cast.catalyst).buttons for label, _ in row] == [
        "Megoldva"
    ]
    # later messages go to the KSz; pressing again is refused politely
    await harness.send(cast.internal, "Még valami.")
    assert "Még valami." in harness.last(cast.ksz).text
    calls = await harness.press(cast.catalyst, question, hand, forge=True)
    assert any("már átadták" in a for a in answers(calls))
    # someone who is neither catalyst nor KSz cannot hand over or resolve
    calls = await harness.press(cast.founder, question, resolve, forge=True)
    assert any("csak a munkacsoport katalizátora vagy a KSz" in a for a in answers(calls))


async def test_a_follow_up_is_sent_as_recorded_without_reading_it_back(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """The unit that records a question checks by id that nothing older waits for the
    recipient's chat and sends the rows it wrote, joined as it holds them: no statement of a
    follow-up reads a routed message back (the read-back joined six tables for each). The
    header still names the asker, their organisation, the workgroup and, once the thread is
    handed over, who handed it."""
    question = await _asked(harness, cast, db, clock, "Első kérdés.")
    with statements(harness.app.bot_data.db) as seen:
        calls = await harness.send(cast.internal, "Második kérdés.")
    follow_up = harness.last(cast.catalyst)
    assert "Második kérdés." in follow_up.text and all(p in follow_up.text for p in HEADER)
    assert _reacted(calls)
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert reads and not any("routing_messages" in s for s in reads), reads
    await harness.press_label(cast.catalyst, question, "Átadás a KSz-nek")
    await harness.send(cast.internal, "Harmadik kérdés.")
    to_ksz = harness.last(cast.ksz)
    assert "Harmadik kérdés." in to_ksz.text and all(p in to_ksz.text for p in HEADER)
    assert "Átadta a KSz-nek: Katalizátor Kálmán" in to_ksz.text


async def test_a_follow_up_reads_its_session_and_thread_at_once(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """A message in a session reads the session, its workgroup and katalizátor, and the open
    thread it continues in one statement, and nothing else: whether anything else waits for
    the katalizátor's chat comes back from the delivery's insert. A reply to an answer, which
    names its thread, reads that one."""
    await _asked(harness, cast, db, clock, "Első kérdés.")
    with statements(harness.app.bot_data.db) as seen:
        await harness.send(cast.internal, "Második kérdés.")
    reads = [s for s in seen if s.lstrip().startswith("SELECT") and "cluster_settings" not in s]
    assert len(reads) == 1 and "routing_threads" in reads[0], reads
    assert "Második kérdés." in harness.last(cast.catalyst).text
    await harness.send(cast.catalyst, "Válasz.", reply_to=harness.last(cast.catalyst))
    await harness.send(cast.internal, "Köszönöm.", reply_to=harness.last(cast.internal))
    thanks = harness.last(cast.catalyst)
    assert "Köszönöm." in thanks.text and all(part in thanks.text for part in HEADER)
    async with db.unit() as uow:
        [thread] = await uow.routing.open_threads()
        assert await uow.routing.count_messages([thread.id]) == {thread.id: 4}


async def test_a_message_writes_its_thread_only_when_it_reopens_it(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """A follow-up and an answer write their message, not the thread: the thread's own time
    changes when it starts, is handed over, resolved or reopened (retention reads the
    messages' times for the rest). A reply that reopens a resolved thread writes it once."""
    question = await _asked(harness, cast, db, clock, "Első kérdés.")
    clock.advance(minutes=5)
    with statements(harness.app.bot_data.db) as seen:
        await harness.send(cast.internal, "Második kérdés.")
        assert "Második kérdés." in harness.last(cast.catalyst).text
        await harness.send(cast.catalyst, "Válasz.", reply_to=question)
    answer = harness.last(cast.internal)
    assert answer.text.startswith("Válasz.")
    assert not [s for s in seen if s.lstrip().startswith("UPDATE routing_threads")], seen
    await harness.press_label(cast.catalyst, question, "Megoldva")
    clock.advance(minutes=5)
    with statements(harness.app.bot_data.db) as seen:
        await harness.send(cast.internal, "Mégis kérdeznék.", reply_to=answer)
    assert "Mégis kérdeznék." in harness.last(cast.catalyst).text
    assert len([s for s in seen if s.lstrip().startswith("UPDATE routing_threads")]) == 1, seen
    async with db.unit() as uow:
        [thread] = await uow.routing.open_threads()
        assert (thread.last_activity_at, thread.resolved_at) == (clock.now(), None)


async def test_unreachable_catalyst_loses_nothing(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    newcomer = tg.add_user(first_name="Nóra", last_name="Új")  # has never started the bot
    await bind(
        db, clock, newcomer, MemberSpec("Új Nóra", MemberKind.INTERNAL, catalyst_of=["Export"])
    )
    await _join(db, clock, "Belső Béla", "Export")
    await _writing(harness, cast.internal)

    calls = await _process(harness, tg.message(cast.internal, "Első kérdés"))
    refused = [c for c in calls if not c.ok]
    assert [(c.method, c.error_code) for c in refused] == [("sendMessage", 403)]
    [notice] = texts(_to(calls, cast.internal))
    assert "nem érjük el a katalizátort (Új Nóra)" in notice and "elmentettük" in notice
    [alert] = texts(_to(calls, cast.ksz))
    assert "Egy katalizátor nem érhető el" in alert and "Kérdező: Belső Béla" in alert

    # known unreachable: no new 403, no second alert, still saved
    calls = await harness.send(cast.internal, document=("melleklet.pdf", b"%PDF 1"))
    assert not _to(calls, cast.ksz) and not _to(calls, newcomer)
    async with db.unit() as uow:
        waiting = await uow.session.scalar(
            select(func.count())
            .select_from(RoutingDelivery)
            .where(RoutingDelivery.status == DeliveryStatus.PENDING)
        )
    assert waiting == 2

    # the katalizátor starts the bot: everything arrives, in order, and can be answered
    calls = await harness.send(newcomer, "/start")
    delivered = tg.outbox(newcomer)
    assert "Amíg nem értük el, 2 üzenet érkezett:" in delivered[0].text
    assert "Első kérdés" in delivered[1].text and "Munkacsoport: Export" in delivered[1].text
    assert delivered[2].media_kind == "document"
    await harness.send(newcomer, "Megkaptam.", reply_to=delivered[1])
    assert harness.last(cast.internal).text.endswith("– Új Nóra, katalizátor (Export)")


async def test_blocked_catalyst_and_ksz_takes_over(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció")
    await _process(harness, tg.block_bot(cast.catalyst))
    await _writing(harness, cast.internal)
    calls = await harness.send(cast.internal, "Sürgős kérdés")  # no 403: known to be blocked
    assert "nem érjük el a katalizátort" in texts(_to(calls, cast.internal))[0]
    alert = harness.last(cast.ksz)
    calls = await harness.press_label(cast.ksz, alert, "Átvétel")
    taken = harness.last(cast.ksz)
    assert "Sürgős kérdés" in taken.text and "Átadta a KSz-nek: Menedzser Márta" in taken.text
    await harness.send(cast.ksz, "Intézem.", reply_to=taken)
    assert harness.last(cast.internal).text.endswith(
        "– Menedzser Márta, klasztermenedzsment szervezet (KSz)"
    )
    # the katalizátor comes back and still gets what waited for them
    calls = await _process(harness, tg.unblock_bot(cast.catalyst))
    assert any("Sürgős kérdés" in str(c.params.get("text")) for c in _to(calls, cast.catalyst))


async def test_blocked_member_gets_the_answer_later(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    question = await _asked(harness, cast, db, clock, "Kérdés, aztán letiltom a botot")
    tg.block_bot(cast.internal)
    calls = await _process(harness, tg.message(cast.catalyst, "A válasz", reply_to=question))
    assert "elmentettük" in texts(_to(calls, cast.catalyst))[0]
    tg.unblock_bot(cast.internal)
    await harness.send(cast.internal, "/start")
    assert any(m.text and m.text.startswith("A válasz") for m in tg.outbox(cast.internal))


async def test_each_recipient_reads_in_their_own_language(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """The katalizátor's language, read with what waits for them, whoever sends it: the
    asker's own handler, or a flush when they come back."""
    await harness.send(cast.catalyst, "/nyelv")
    await harness.press_label(cast.catalyst, harness.last(cast.catalyst), "English")
    question = await _asked(harness, cast, db, clock, "Mikor?")  # the asker's handler sends it
    assert question.text is not None and "Member: Belső Béla" in question.text
    await _process(harness, tg.block_bot(cast.catalyst))
    await harness.send(cast.internal, "Még valami?")  # waits for the katalizátor
    calls = await _process(harness, tg.unblock_bot(cast.catalyst))  # a flush sends it
    [later] = [t for t in texts(_to(calls, cast.catalyst)) if "Még valami?" in t]
    assert "Member: Belső Béla" in later and "Workgroup: Innováció" in later
    await harness.send(cast.catalyst, "Holnap.", reply_to=question)
    assert harness.last(cast.internal).text == f"Holnap.\n\n{SIGNED}"  # the member's language


# --- abuse and bad input ---------------------------------------------------------------------


async def test_flooding_member_is_slowed_down(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _in_session(harness, cast, db, clock)
    for n in range(10):
        calls = await harness.send(cast.internal, f"üzenet {n}")
        assert _to(calls, cast.catalyst)
    calls = await harness.send(cast.internal, "tizenegyedik")
    assert not _to(calls, cast.catalyst)
    assert "Kérjük, lassítson: percenként legfeljebb 10 üzenetet" in texts(calls)[0]
    assert await harness.send(cast.internal, "tizenkettedik") == []
    clock.advance(seconds=61)
    calls = await harness.send(cast.internal, "egy perc múlva")
    assert _to(calls, cast.catalyst)


async def test_stickers_and_polls_are_refused(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _in_session(harness, cast, db, clock)
    for fields in ({"sticker": True}, {"poll": "Mikor találkozzunk?"}):
        calls = await harness.send(cast.internal, **fields)
        assert not _to(calls, cast.catalyst)
        assert "Csak szöveg, fénykép, dokumentum, hang- és videoüzenet" in texts(calls)[0]
    # the katalizátor cannot answer with a sticker either
    await harness.send(cast.internal, "Kérdés")
    calls = await harness.send(cast.catalyst, sticker=True, reply_to=harness.last(cast.catalyst))
    assert not _to(calls, cast.internal) and "Csak szöveg" in texts(calls)[0]


async def test_deactivated_member_is_not_routed(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    answer_to = await _asked(harness, cast, db, clock, "Kérdés")
    await harness.send(cast.catalyst, "Válasz", reply_to=answer_to)
    answer = harness.last(cast.internal)
    async with db.unit() as uow:
        member = await uow.members.by_name("Belső Béla")
        assert member is not None
        await identity.set_flag(uow, member, "active", False, CLI_ACTOR, clock.now())
    for reply_to in (None, answer):
        calls = await harness.send(cast.internal, "Még mindig itt vagyok", reply_to=reply_to)
        assert not _to(calls, cast.catalyst)
        assert "Tagsága inaktív" in texts(calls)[0]


# --- the KSz's overview ----------------------------------------------------------------------


async def test_open_questions_list_their_age_and_resolve(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _join(db, clock, "Belső Béla", "Innováció")
    await _join(db, clock, "Külső Kata", "Export")
    await _writing(harness, cast.internal)
    await harness.send(cast.internal, "Első")
    clock.advance(hours=3)
    await _writing(harness, cast.external)
    await harness.send(cast.external, "Második")
    clock.advance(minutes=20)
    [listing] = texts(await harness.send(cast.ksz, "/nyitott_kerdesek"))
    assert "<b>Nyitott kérdések</b> (2)" in listing
    assert "<b>Innováció</b> – Belső Béla (Béta Zrt.)" in listing
    assert "3 órája nyitott · 1 üzenet · a katalizátornál" in listing
    assert "20 perce nyitott · 1 üzenet · a KSz-nél" in listing
    clock.advance(days=3)
    [listing] = texts(await harness.send(cast.ksz, "/openquestions"))
    assert "3 napja nyitott" in listing
    overview = harness.last(cast.ksz)
    calls = await harness.press_label(cast.ksz, overview, "Innováció – Belső Béla")
    assert "Megoldottnak jelölve." in answers(calls)
    assert "<b>Nyitott kérdések</b> (1)" in harness.last(cast.ksz).html
    [notice] = texts(_to(calls, cast.internal))
    assert "megoldottnak jelölték" in notice and "Munkacsoport: Innováció" in notice
    # a new message (in a new session: the old one has timed out) opens a new thread
    await _writing(harness, cast.internal)
    await harness.send(cast.internal, "Új kérdés")
    [listing] = texts(await harness.send(cast.ksz, "/nyitott_kerdesek"))
    assert "(2)" in listing and "most nyílt" in listing
    # the katalizátor can resolve from the question itself
    question = harness.last(cast.catalyst)
    calls = await harness.press_label(cast.catalyst, question, "Megoldva")
    assert "Megoldottnak jelölve." in answers(calls)
    assert harness.last(cast.catalyst).buttons == []


async def test_long_text_goes_as_header_and_copy(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    await _in_session(harness, cast, db, clock)
    long_text = "hosszú " * 580
    calls = await harness.send(cast.internal, long_text.strip())
    assert [c.method for c in _to(calls, cast.catalyst)] == ["sendMessage", "copyMessage"]
    header, copy = tg.outbox(cast.catalyst)[-2:]
    assert "Tag: Belső Béla" in header.text and copy.reply_to_message_id == header.message_id
    await harness.send(cast.catalyst, "Röviden: igen.", reply_to=copy)
    assert harness.last(cast.internal).text.startswith("Röviden: igen.")


async def test_many_members_asking_at_once_reach_the_catalyst_once_each(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """Their updates run in parallel (different chats), and each starts a flush of the
    katalizátor's chat: every question must still arrive exactly once (bench/cpu.py found 20
    copies of each before the flush of a chat was made one at a time)."""
    askers = []
    for i in range(8):
        user = tg.add_user(first_name=f"Kérdező{i}", last_name="Tag")
        await bind(db, clock, user, MemberSpec(f"Tag Kérdező{i}", MemberKind.INTERNAL))
        await _join(db, clock, f"Tag Kérdező{i}", "Innováció")
        await harness.send(user, "/start")
        await _writing(harness, user)
        askers.append(user)
    bot = harness.app.bot
    updates = [
        Update.de_json(tg.message(user, f"Egyszerre kérdezek, {i}."), bot)
        for i, user in enumerate(askers)
    ]
    await harness.during(asyncio.gather(*(harness.app.process_update(u) for u in updates)))
    got = [m.text for m in tg.outbox(cast.catalyst) if "Egyszerre kérdezek" in m.text]
    for i in range(len(askers)):
        assert sum(f"Egyszerre kérdezek, {i}." in text for text in got) == 1, got
    for user in askers:  # each asker hears that it went, none that it waits
        assert not any("elmentettük" in m.text for m in tg.outbox(user))


async def test_a_question_its_asker_sends_itself_keeps_its_place_in_each_chat(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """A question for two KSz members is sent by the asker's handler, to one after the other.
    A later question for the second one, whose own handler sends it while the first handler
    still waits for Telegram at the first chat, must not overtake the earlier one there: each
    chat gets its deliveries oldest first, each once."""
    zita = tg.add_user(first_name="Zita", last_name="Zöld", language_code="hu")
    await bind(db, clock, zita, MemberSpec("Zöld Zita", MemberKind.INTERNAL, ksz=True))
    await harness.send(zita, "/start")
    await _join(db, clock, "Belső Béla", "Nincs")  # no katalizátor: to Márta, then Zita
    await _join(db, clock, "Külső Kata", "Export")
    async with db.unit() as uow:
        export = await uow.workgroups.by_name("Export")
        member = await uow.members.by_name("Zöld Zita")
        assert export is not None and member is not None
        await identity.set_catalyst(uow, export, member, CLI_ACTOR, clock.now())
    await _writing(harness, cast.internal)
    await _writing(harness, cast.external)
    held, go = asyncio.Event(), asyncio.Event()
    real = tg.handle

    async def slow_at_marta(method: str, url: str, params: dict[str, Any], files: Any) -> Any:
        if str(params.get("chat_id")) == str(cast.ksz.id) and "Első" in str(params.get("text")):
            held.set()
            await go.wait()  # Telegram is slow to answer this one
        return await real(method, url, params, files)

    tg.handle = slow_at_marta  # type: ignore[method-assign]
    first = asyncio.create_task(harness.send(cast.internal, "Első kérdés a KSz-nek."))
    try:
        await asyncio.wait_for(held.wait(), 5)
        await harness.send(cast.external, "Második kérdés Zitának.")
    finally:
        go.set()
        await first
    got = [m.text for m in tg.outbox(zita) if "kérdés" in m.text]
    assert len(got) == 2 and "Első" in got[0] and "Második" in got[1], got
    assert len([m for m in tg.outbox(cast.ksz) if "Első kérdés" in m.text]) == 1
    assert not any("elmentettük" in m.text for m in tg.outbox(cast.internal))
