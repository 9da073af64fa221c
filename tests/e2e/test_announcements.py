"""Announcements end to end: compose, preview, confirm, deliver, report, resume after a crash."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select, update
from telegram.request import RequestData

from bot import outbox
from bot.app import BotApp
from bot.services import cluster
from bot.services.clock import FakeClock
from bot.services.identity import Actor, MemberSpec
from fakeapi import FakeRequest, FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind
from storage.models.announcements import Announcement, AnnouncementDelivery, DeliveryState
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast, bind

HEADER = "Közlemény – KSz"
STRATEGIC = "Stratégiai közlemény – az ST elnöke"


async def delivered(app: BotApp) -> None:
    async with asyncio.timeout(20):
        await outbox.wait_idle(app)


def got(tg: FakeTelegram, user: FakeUser, marker: str = HEADER) -> list[str]:
    """The announcements the bot sent this user (successful calls)."""
    return [
        str(c.params.get("text") or c.params.get("caption") or "")
        for c in tg.calls
        if c.ok
        and c.method in ("sendMessage", "sendPhoto", "sendDocument")
        and c.params.get("chat_id") == user.id
        and marker in str(c.params.get("text") or c.params.get("caption") or "")
    ]


async def compose(
    harness: BotHarness, author: FakeUser, text: str, *audiences: str, **media: Any
) -> None:
    """/kozlemeny, the text, the audience buttons (by label), Next."""
    [prompt] = texts(await harness.send(author, "/kozlemeny"))
    assert "Új közlemény" in prompt
    calls = await harness.send(author, text, **media)
    assert any("Kik kapják meg" in t for t in texts(calls)), texts(calls)
    for label in audiences:
        await harness.press_label(author, harness.last(author), label)
    await harness.press_label(author, harness.last(author), "Tovább")


async def test_preview_confirm_delivers_to_exactly_the_audience(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database
) -> None:
    await compose(
        harness,
        cast.ksz,
        "Holnap 10-kor közgyűlés & <büfé>.",
        "Külső támogatók",
        "Innováció",
        entities=[{"type": "bold", "offset": 7, "length": 6}],
    )
    panel = harness.last(cast.ksz)
    preview = tg.outbox(cast.ksz)[-2]
    assert preview.text.startswith("📢 Közlemény – KSz\nFeladó: Menedzser Márta\n\n")
    assert preview.html is not None
    assert "Holnap <b>10-kor</b> közgyűlés &amp; &lt;büfé&gt;." in preview.html
    assert "Címzettek száma: 3" in panel.text
    assert "a külső támogató tagok, Innováció munkacsoport" in panel.text
    assert not any(got(tg, u) for u in cast.all().values() if u is not cast.ksz)
    confirm = panel.buttons[-1][-1][1]
    assert confirm is not None and confirm.startswith("ann:send:")
    await harness.press_label(cast.ksz, panel, "Küldés")
    assert "A küldés elindult" in harness.last(cast.ksz).text
    assert "3 címzett" in harness.last(cast.ksz).text
    await delivered(harness.app)
    audience = {cast.external, cast.ksz, cast.catalyst}
    for user in cast.all().values():
        sent = got(tg, user)
        if user in audience:
            expected = 2 if user is cast.ksz else 1  # the author also saw the preview
            assert len(sent) == expected, (user.full_name, sent)
            assert sent[-1].endswith("\n\nHolnap <b>10-kor</b> közgyűlés &amp; &lt;büfé&gt;.")
        else:
            assert sent == [], user.full_name
    report = harness.last(cast.ksz).text
    assert "Kézbesítési jelentés" in report
    assert "Kézbesítve: 3" in report and "Letiltotta a botot: 0" in report
    # the confirm button is spent
    calls = await harness.press(cast.ksz, panel, confirm, forge=True)
    assert any("nem érvényes" in a for a in answers(calls))
    # /kozlemenyek lists it for a recipient, not for someone outside the audience
    [listing] = texts(await harness.send(cast.external, "/kozlemenyek"))
    assert "Közlemények" in listing and "operatív (KSz)" in listing
    assert "2026. november 27., 14:30" in listing and "Feladó: Menedzser Márta" in listing
    assert "Kézbesítve: 3/3" in listing and "Holnap 10-kor közgyűlés &amp; &lt;büfé&gt;." in listing
    assert "folyamatban" not in listing
    # issue 21/11: every row delivered but the worker's finish mark not (yet) written, e.g.
    # stopped between the last send and the mark: the listing says what the rows say
    async with db.unit() as uow:
        await uow.session.execute(update(Announcement).values(finished_at=None))
    [listing] = texts(await harness.send(cast.external, "/kozlemenyek"))
    assert "Kézbesítve: 3/3" in listing and "folyamatban" not in listing
    [listing] = texts(await harness.send(cast.internal, "/announcements"))
    assert "Még nincs közlemény" in listing


async def test_cancel_sends_nothing(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database
) -> None:
    await compose(harness, cast.ksz, "Elvetendő szöveg", "Minden tag")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Mégse")
    assert "semmi sem ment ki" in harness.last(cast.ksz).text
    await delivered(harness.app)
    for user in cast.all().values():
        if user is not cast.ksz:
            assert got(tg, user) == [], user.full_name
    async with db.unit() as uow:
        assert (await uow.session.execute(select(AnnouncementDelivery))).first() is None
    # /megse works in the middle of composing, too
    await harness.send(cast.ksz, "/kozlemeny")
    [text] = texts(await harness.send(cast.ksz, "/megse"))
    assert "semmi sem ment ki" in text
    calls = await harness.send(cast.ksz, "Ez már nem közlemény")
    assert not any("Kik kapják meg" in t for t in texts(calls))


async def test_members_without_the_right_are_refused(harness: BotHarness, cast: Cast) -> None:
    for user in (cast.external, cast.internal, cast.founder, cast.catalyst, cast.stranger):
        [text] = texts(await harness.send(user, "/kozlemeny"))
        assert "Elnézést, ez csak a következők számára elérhető: a KSz és az ST elnöke" in text
        calls = await harness.send(user, "Ez nem lesz közlemény")
        assert not any("Kik kapják meg" in t for t in texts(calls))


async def test_strategic_needs_the_st_chair(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    await compose(harness, cast.ksz, "Stratégiai irány", "Stratégiai Tanács")
    panel = harness.last(cast.ksz)
    serial = (panel.buttons[-1][-1][1] or "").split(":")[2]
    calls = await harness.press(cast.ksz, panel, f"ann:kind:{serial}:strategic", forge=True)
    assert any("a Stratégiai Tanács elnöke" in a for a in answers(calls))
    assert not got(tg, cast.ksz, STRATEGIC)
    # the chair may send a strategic one, and only that kind
    await compose(harness, cast.chair, "Új stratégiai irány", "Minden tag")
    assert STRATEGIC in tg.outbox(cast.chair)[-2].text
    await harness.press_label(cast.chair, harness.last(cast.chair), "Küldés")
    await delivered(harness.app)
    assert len(got(tg, cast.internal, STRATEGIC)) == 1


async def test_who_holds_both_offices_chooses_the_kind(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database
) -> None:
    async with db.unit() as uow:
        chair = await uow.members.by_telegram_id(cast.chair.id)
        assert chair is not None
        chair.is_ksz = True
    await compose(harness, cast.chair, "Kettős szerepben", "Minden tag")
    picker = harness.last(cast.chair)
    assert "Melyik legyen?" in picker.text
    await harness.press_label(cast.chair, picker, "operatív (KSz)")
    assert HEADER in tg.outbox(cast.chair)[-2].text
    await harness.press_label(cast.chair, harness.last(cast.chair), "⇄ stratégiai")
    assert STRATEGIC in tg.outbox(cast.chair)[-2].text
    await harness.press_label(cast.chair, harness.last(cast.chair), "Küldés")
    await delivered(harness.app)
    assert len(got(tg, cast.internal, STRATEGIC)) == 1
    assert got(tg, cast.internal, HEADER) == []


async def test_bad_input_gets_a_clear_answer(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    await harness.send(cast.ksz, "/kozlemeny")
    [text] = texts(await harness.send(cast.ksz, photo=True))
    assert "A közleményhez szöveg is kell" in text
    [text] = texts(await harness.send(cast.ksz, caption="x" * 1000, photo=True))
    assert "A képaláírás túl hosszú (1000 karakter)" in text
    [text] = texts(await harness.send(cast.ksz, "y" * 4090))
    assert "A szöveg túl hosszú (4090 karakter)" in text
    [text] = texts(await harness.send(cast.ksz, sticker=True))
    assert "szöveget, fényképet vagy dokumentumot" in text
    calls = await harness.send(
        cast.ksz, caption="Az éves <i>beszámoló</i>", document=("beszamolo.pdf", b"%PDF-1.4")
    )
    assert any("Kik kapják meg" in t for t in texts(calls))
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Tovább")
    assert any("legalább egy címzettkört" in a for a in answers(calls))
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Szavazati jogúak")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Tovább")
    [preview] = [c for c in tg.calls[-3:] if c.method == "sendDocument"]
    assert HEADER in str(preview.params["caption"])
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Küldés")
    await delivered(harness.app)
    docs = [c for c in tg.calls if c.method == "sendDocument" and c.ok]
    receivers = {c.params["chat_id"] for c in docs}
    assert receivers == {cast.ksz.id, cast.internal.id, cast.founder.id, cast.chair.id,
                         cast.catalyst.id}  # fmt: skip


async def test_unreachable_members_are_reported(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    blocker = tg.add_user(first_name="Blokkoló", last_name="Benő")
    await bind(db, clock, blocker, MemberSpec("Blokkoló Benő", MemberKind.INTERNAL))
    tg.message(blocker, "/start")
    blocker.blocked = True
    silent = tg.add_user(first_name="Néma", last_name="Nándor")  # never wrote to the bot
    await bind(db, clock, silent, MemberSpec("Néma Nándor", MemberKind.INTERNAL))
    async with db.unit() as uow:
        from bot.services import identity

        await identity.upsert_member(
            uow, MemberSpec("Fiók Nélküli Ferenc", MemberKind.EXTERNAL), identity.CLI_ACTOR,
            clock.now(),
        )  # fmt: skip
    await compose(harness, cast.ksz, "Mindenkinek szól", "Minden tag")
    panel = harness.last(cast.ksz)
    assert "Címzettek száma: 8" in panel.text
    assert "nem kapja meg (1): Fiók Nélküli Ferenc" in panel.text
    await harness.press_label(cast.ksz, panel, "Küldés")
    await delivered(harness.app)
    report = harness.last(cast.ksz).text
    assert "Kézbesítve: 6" in report
    assert "Letiltotta a botot: 1" in report and "Nem indította el a botot: 1" in report
    assert "Nincs összekapcsolt Telegram-fiókja: 1" in report
    assert "• Blokkoló Benő – letiltotta a botot" in report
    assert "• Néma Nándor – nem indította el a botot" in report
    assert "• Fiók Nélküli Ferenc – nincs összekapcsolt Telegram-fiókja" in report
    async with db.unit() as uow:
        for user in (blocker, silent):
            account = await uow.telegram_users.get(user.id)
            assert account is not None and account.blocked_at is not None
    # each unreachable account was tried once, not again
    tried = Counter(c.params["chat_id"] for c in tg.calls if c.method == "sendMessage")
    assert tried[blocker.id] == 1 and tried[silent.id] == 1


async def test_main_group_gets_it_pinned(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    group = tg.add_group(title="Klaszter", members=[cast.ksz], bot_is_admin=True)
    async with db.unit() as uow:
        await cluster.link_main_group(uow, group.id, Actor(None, "teszt"), clock.now())
    await compose(harness, cast.ksz, "A fő csoportnak is", "Stratégiai Tanács")
    assert "Fő csoport: nem." in harness.last(cast.ksz).text
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Fő csoport, kitűzve")
    panel = harness.last(cast.ksz)
    assert "Fő csoport: ott is megjelenik, kitűzve." in panel.text
    await harness.press_label(cast.ksz, panel, "Küldés")
    await delivered(harness.app)
    [posted] = [m for m in tg.outbox(group) if HEADER in m.text]
    assert group.pinned == [posted.message_id]
    assert "Fő csoport: kiküldve és kitűzve." in harness.last(cast.ksz).text


async def count(db: Database, state: DeliveryState) -> int:
    async with db.unit() as uow:
        rows = await uow.session.execute(
            select(AnnouncementDelivery.id).where(AnnouncementDelivery.state == state)
        )
        return len(rows.all())


class Stalling(FakeRequest):
    """Delivers the first ``allow`` announcements, then hangs every further one (a frozen
    network right before the process is killed)."""

    def __init__(self, tg: FakeTelegram, allow: int) -> None:
        super().__init__(tg)
        self.allow = allow
        self.hanging = 0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kw: Any
    ) -> tuple[int, bytes]:
        params = dict(request_data.json_parameters) if request_data else {}
        if url.endswith("/sendMessage") and "Túlélő közlemény" in params.get("text", ""):
            if self.allow <= 0:
                self.hanging += 1
                await asyncio.Event().wait()
            self.allow -= 1
        return await super().do_request(url, method, request_data, **kw)


@asynccontextmanager
async def running_bot(
    db: Database, tg: FakeTelegram, clock: FakeClock, request: FakeRequest
) -> AsyncIterator[BotApp]:
    async with bot_on(db, tg, clock, request) as restarted:
        yield restarted.app


async def test_a_killed_broadcast_completes_after_restart_without_duplicates(
    db: Database, tg: FakeTelegram, cast: Cast, clock: FakeClock
) -> None:
    crowd = [tg.add_user(first_name=f"Tag{i:02d}", last_name="Tömeg") for i in range(40)]
    for i, user in enumerate(crowd):
        await bind(db, clock, user, MemberSpec(f"Tömeg Tag{i:02d}", MemberKind.INTERNAL))
        tg.message(user, "/start")
    stalling = Stalling(tg, allow=1_000)
    async with running_bot(db, tg, clock, stalling) as first:
        harness = BotHarness(first, tg)
        await compose(harness, cast.ksz, "Túlélő közlemény", "Minden tag")
        stalling.allow = 15  # the network freezes after 15 recipients
        await harness.press_label(cast.ksz, harness.last(cast.ksz), "Küldés")
        async with asyncio.timeout(10):
            while True:  # until the network hangs and the 15 sent rows are recorded
                if stalling.hanging and await count(db, DeliveryState.SENT) == 15:
                    break
                await asyncio.sleep(0.01)
        await outbox.halt(first)  # the "kill": the frozen sends die with the process
    async with db.unit() as uow:
        states = Counter((await uow.session.execute(select(AnnouncementDelivery.state))).scalars())
    assert states[DeliveryState.SENT] == 15 and states[DeliveryState.SENDING] > 0
    assert states[DeliveryState.QUEUED] > 0  # the kill came half-way
    async with running_bot(db, tg, clock, tg.request()) as second:
        await delivered(second)
    everyone = [*crowd, *(u for u in cast.all().values() if u is not cast.stranger)]
    for user in everyone:
        marker = "Feladó: Menedzser Márta\n\nTúlélő közlemény"
        deliveries = got(tg, user, marker)
        expected = 2 if user is cast.ksz else 1  # the author's preview
        assert len(deliveries) == expected, (user.full_name, deliveries)
    reports = [m for m in tg.outbox(cast.ksz) if "Kézbesítési jelentés" in m.text]
    assert len(reports) == 1 and "Kézbesítve: 46" in reports[0].text
