"""A person's own data through the real bot: /adataim sends the files privately, /adatvedelem
shows the notice (built-in or the cluster's file), the KSz erases a former member from the card
after a confirmation (an office holder is refused with the reason), no log line written after
the erasure names them, and the retention job deletes what is due, once, on the app's clock."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from html import escape, unescape
from pathlib import Path

import pytest

from bot.cli import _setup_logging
from bot.services import ballots, identity, privacy, routing
from bot.services.clock import FakeClock
from bot.services.identity import CLI_ACTOR, MemberSpec
from bot.services.roles import standing_of
from bot.settings import load_settings
from fakeapi import FakeTelegram, FakeUser
from storage.db import Database
from storage.models import MemberKind
from storage.models.ballots import Body
from tests.e2e.harness import TOKEN, BotHarness, answers, texts
from tests.e2e.people import Cast, bind

TAMAS_ID, TAMAS_USERNAME = 624715938, "tamas_tavozo"
TAMAS = "Távozó Tamás"
LIBRARIES = ("httpx", "httpcore", "telegram", "telegram.ext.Application", "aiosqlite")


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """LOG_LEVEL=DEBUG as ``klaszterbot run`` sets it up; restored afterwards."""
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    caplog.set_level(logging.DEBUG)
    _setup_logging(
        load_settings(_env_file=None, telegram_bot_token=TOKEN, database_url="sqlite://",
                      log_level="DEBUG")
    )  # fmt: skip
    yield caplog
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _documents(harness: BotHarness, user: FakeUser) -> dict[str, bytes]:
    return {
        m.document_name: m.document_bytes
        for m in harness.tg.outbox(user)
        if m.document_name and m.document_bytes is not None
    }


# --- /adataim --------------------------------------------------------------------------------


async def test_mydata_sends_the_json_and_a_summary_privately(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    async with db.unit() as uow:
        ksz = await uow.members.by_telegram_id(cast.ksz.id)
        ballot = await ballots.publish(
            uow, ballots.BallotDraft(question="Elfogadja?", body=Body.KGY,
                                     deadline=clock.now() + timedelta(days=3)),
            standing_of(ksz), clock.now(), yes_no_labels=("Igen", "Nem", "Tartózkodom"),
            abstain_label="Tartózkodom",
        )  # fmt: skip
        bela = await uow.members.by_telegram_id(cast.internal.id)
        assert bela is not None
        await ballots.cast_vote(uow, ballot.id, bela.id, [ballot.options[0].id], clock.now())
    [intro] = texts(await harness.send(cast.internal, "/adataim"))
    assert "minden adat, amelyet a bot a személyéről tárol" in intro
    files = _documents(harness, cast.internal)
    assert set(files) == {"adataim.json", "adataim.txt"}
    data = json.loads(files["adataim.json"])
    assert data["person"] == {"member_id": bela.id, "telegram_id": cast.internal.id}
    assert [m["name"] for m in data["tables"]["members"]] == ["Belső Béla"]
    assert data["tables"]["ballot_votes"][0]["ballot_id"] == ballot.id
    assert data["context"]["options"] == {str(ballot.options[0].id): "Igen"}
    summary = files["adataim.txt"].decode()
    assert summary.startswith("Adataim a Klaszterbotban\nKészült: 2026. november 27., 14:30")
    assert "Név: Belső Béla" in summary and "Szervezet: Béta Zrt." in summary
    assert f"#{ballot.id} Elfogadja? — Igen (2026. november 27., 14:30)" in summary
    # nothing about the others: their names, accounts, organisations
    everything = files["adataim.json"].decode() + summary
    for role, user in cast.all().items():
        if role != "internal":
            assert not re.search(rf"(?<!\d){user.id}(?!\d)", everything), role
    for other in ("Menedzser Márta", "Külső Kata", "Gamma Bt.", "Alapító Aladár"):
        assert other not in everything
    # nowhere but in the private chat
    group = tg.add_group(title="Csoport", members=[cast.internal], bot_is_admin=True)
    [text] = texts(await harness.send(cast.internal, "/adataim", chat=group))
    assert "privát beszélgetésben" in text
    assert not [m for m in tg.outbox(group) if m.document_name]


async def test_a_stranger_and_an_english_reader_get_theirs(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    await harness.send(cast.stranger, "/adataim")
    data = json.loads(_documents(harness, cast.stranger)["adataim.json"])
    assert data["tables"] == {}  # looking around stores nothing about a stranger (issue 16)
    await harness.send(cast.stranger, "/start")  # starting the bot does
    await harness.send(cast.stranger, "/adataim")
    data = json.loads(_documents(harness, cast.stranger)["adataim.json"])
    assert set(data["tables"]) == {"telegram_users"}
    assert data["tables"]["telegram_users"][0]["first_name"] == "Idegen"
    reader = tg.add_user(first_name="Reader", last_name="English", language_code="en")
    [intro] = texts(await harness.send(reader, "/mydata"))
    assert "everything the bot stores about you" in intro
    files = _documents(harness, reader)
    assert set(files) == {"mydata.json", "mydata.txt"}
    assert "You are not a member of the cluster." in files["mydata.txt"].decode()


# --- /adatvedelem ----------------------------------------------------------------------------


async def test_the_privacy_notice_built_in_and_from_a_file(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, tmp_path: Path
) -> None:
    text = "\n".join(texts(await harness.send(cast.internal, "/adatvedelem")))
    assert "<b>Adatkezelési tájékoztató</b>" in text
    assert "365 napig" in text and "/adataim" in text and "„Volt tag #17”" in text
    assert not re.search(r"\bÖn\w*", text)
    english = tg.add_user(first_name="Reader", language_code="en")
    text = "\n".join(texts(await harness.send(english, "/privacy")))
    assert "<b>Privacy notice</b>" in text and "/mydata" in text
    # the cluster's own notice, per language, plain text shown as written
    (tmp_path / "notice.hu.txt").write_text("Saját <tájékoztató> & más", encoding="utf-8")
    data = harness.app.bot_data
    data.settings = data.settings.model_copy(
        update={"privacy_notice_file": str(tmp_path / "notice.{lang}.txt")}
    )
    [text] = texts(await harness.send(cast.internal, "/adatvedelem"))
    assert text == "Saját &lt;tájékoztató&gt; &amp; más"
    [text] = texts(await harness.send(english, "/privacy"))  # no English file: the default's
    assert text == "Saját &lt;tájékoztató&gt; &amp; más"


async def test_a_notice_paragraph_longer_than_a_message_is_cut_at_spaces(
    harness: BotHarness, cast: Cast, tmp_path: Path
) -> None:
    # a cluster's notice written with one paragraph a line: a line can be longer than a message
    sentence = "Az adatkezelő a tagok adatait & a klaszter működéséhez kezeli."
    paragraph = " ".join([sentence] * 80)
    assert len(paragraph) > 4096
    (tmp_path / "notice.hu.txt").write_text(paragraph + "\n\nKapcsolat: ksz@example.hu\n")
    data = harness.app.bot_data
    data.settings = data.settings.model_copy(
        update={"privacy_notice_file": str(tmp_path / "notice.{lang}.txt")}
    )
    shown = texts(await harness.send(cast.internal, "/adatvedelem"))
    assert len(shown) == 2
    assert all(len(unescape(part)) <= 4096 for part in shown)
    # cut at a space (the one at the cut dropped), every word whole, nothing lost
    assert " ".join(shown) == escape(paragraph) + "\n\nKapcsolat: ksz@example.hu"


# --- erasure ---------------------------------------------------------------------------------


async def _tamas(harness: BotHarness, db: Database, clock: FakeClock) -> tuple[FakeUser, int]:
    """A member who wrote to the katalizátor and voted, and is about to leave."""
    user = harness.tg.add_user(
        first_name="Tamás", last_name="Távozó", username=TAMAS_USERNAME, id=TAMAS_ID
    )
    member_id = await bind(
        db, clock, user, MemberSpec(TAMAS, MemberKind.INTERNAL, organisation="Távozó Kft.",
                                    workgroups=["Innováció"]),
    )  # fmt: skip
    await harness.send(user, "/start")
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        group = await uow.workgroups.by_name("Innováció")
        assert member is not None and group is not None
        await routing.record_question(
            uow, member, group, origin_chat_id=TAMAS_ID, origin_message_id=3, in_group=False,
            kind="text", body_html="Tamás kérdése", now=clock.now(),
        )  # fmt: skip
    return user, member_id


def _mentions(text: str) -> list[str]:
    found = [n for n in (TAMAS, "Tamás Távozó", TAMAS_USERNAME, "Távozó Kft.") if n in text]
    if re.search(rf"(?<!\d){TAMAS_ID}(?!\d)", text):
        found.append("the Telegram id")
    return found


async def test_the_ksz_erases_a_former_member_from_the_card(
    debug_logging: pytest.LogCaptureFixture,
    harness: BotHarness,
    cast: Cast,
    db: Database,
    clock: FakeClock,
) -> None:
    _user, member_id = await _tamas(harness, db, clock)
    alias = f"Volt tag #{member_id}"
    await harness.send(cast.ksz, f"/tag {TAMAS}")
    card = harness.last(cast.ksz)
    await harness.press_label(cast.ksz, card, "Adatok törlése")
    question = harness.last(cast.ksz).text
    assert f"{TAMAS} adatainak törlése" in question and "Ez nem vonható vissza." in question
    assert "• üzenetek katalizátornak: 1" in question and alias in question
    debug_logging.clear()  # from here on, nothing may name him
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Végleges törlés")
    done = harness.last(cast.ksz).text
    assert f"A megmaradó nyilvántartásokban „{alias}” néven szerepel." in done
    assert not any(_mentions(str(c.params)) for c in calls)
    async with db.unit() as uow:
        member = await uow.members.get(member_id)
        assert member is not None and member.name == alias and member.telegram_id is None
        assert await uow.telegram_users.get(TAMAS_ID) is None
    # the cluster goes on: the log, the directory, the card, the jobs
    [log] = texts(await harness.send(cast.ksz, "/naplo"))
    assert f"adatok törölve, a nyilvántartásban: {alias}" in log and TAMAS not in log
    await harness.send(cast.ksz, "/tagok")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Exportálás")
    [card_text] = texts(await harness.send(cast.ksz, f"/tag {alias}"))
    assert "A tag adatait töröltük; csak ez a nyilvántartás maradt meg." in card_text
    assert harness.last(cast.ksz).buttons == []
    clock.advance(days=2)
    await harness.run_due_jobs()
    lines = [record.getMessage() + (record.exc_text or "") for record in debug_logging.records]
    assert any(f"member {member_id} erased" in line for line in lines)
    named = [(line, _mentions(line)) for line in lines if _mentions(line)]
    assert not named


async def test_an_office_holder_is_refused_with_the_reason(
    harness: BotHarness, cast: Cast, db: Database
) -> None:
    await harness.send(cast.ksz, "/tag Katalizátor Kálmán")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Adatok törlése")
    refused = harness.last(cast.ksz)
    assert "Katalizátor Kálmán tisztséget visel – katalizátor: Innováció –" in refused.text
    assert [label for row in refused.buttons for label, _ in row] == ["« Vissza"]
    # a forged confirmation changes nothing either
    forged = refused.buttons[0][0][1].replace("mem:card", "era:ok")
    calls = await harness.press(cast.ksz, refused, forged, forge=True)
    assert any("tisztséget visel" in a for a in answers(calls))
    async with db.unit() as uow:
        member = await uow.members.by_name("Katalizátor Kálmán")
        assert member is not None and member.is_active and member.telegram_id == cast.catalyst.id


async def test_an_erased_member_cannot_be_erased_or_reactivated_again(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    _user, member_id = await _tamas(harness, db, clock)
    async with db.unit() as uow:
        await privacy.erase(uow, member_id, CLI_ACTOR, clock.now())
    alias = identity.pseudonym(member_id)
    for data in (f"era:ask:{member_id}", f"mem:active:{member_id}:1"):
        await harness.send(cast.ksz, "/szavazasok")  # a message to press under
        calls = await harness.press(cast.ksz, harness.last(cast.ksz), data, forge=True)
        assert any(f"„{alias}” adatait már töröltük" in a for a in answers(calls)), data


# --- retention -------------------------------------------------------------------------------


async def test_the_retention_job_deletes_what_is_due_once(
    caplog: pytest.LogCaptureFixture,
    harness: BotHarness,
    cast: Cast,
    db: Database,
    clock: FakeClock,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.jobs.privacy")
    async with db.unit() as uow:
        bela = await uow.members.by_telegram_id(cast.internal.id)
        group = await uow.workgroups.by_name("Innováció")
        assert bela is not None and group is not None
        await identity.join_workgroup(uow, group, bela, CLI_ACTOR, clock.now())

    async def question(text: str) -> None:
        async with db.unit() as uow:
            member = await uow.members.by_telegram_id(cast.internal.id)
            group = await uow.workgroups.by_name("Innováció")
            assert member is not None and group is not None
            await routing.record_question(
                uow, member, group, origin_chat_id=cast.internal.id, origin_message_id=1,
                in_group=False, kind="text", body_html=text, now=clock.now(),
            )  # fmt: skip

    await question("régi kérdés")
    await harness.send(cast.stranger, "/csatlakozas Idegen Ida, Példa Kft.")
    clock.advance(days=200)
    await question("újabb kérdés")

    async def left() -> tuple[list[str], int]:
        from sqlalchemy import func, select

        from storage.models import JoinRequest
        from storage.models.routing import RoutedMessage

        async with db.unit() as uow:
            bodies = list((await uow.session.execute(select(RoutedMessage.body_html))).scalars())
            joins = await uow.session.scalar(select(func.count()).select_from(JoinRequest))
        return sorted(bodies), int(joins or 0)

    assert await left() == (["régi kérdés", "újabb kérdés"], 1)
    clock.advance(days=164, hours=23)  # 364 days and 23 hours after the first: not yet
    await harness.run_due_jobs()
    assert await left() == (["régi kérdés", "újabb kérdés"], 1)
    clock.advance(hours=2)  # a year and an hour: the first question and the request go
    await harness.run_due_jobs()
    assert await left() == (["újabb kérdés"], 0)
    clock.advance(hours=3)
    await harness.run_due_jobs()  # nothing more is due
    assert await left() == (["újabb kérdés"], 0)
    runs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention:")]
    assert runs == ["retention: deleted 1 routed messages, 0 empty threads, 1 join requests"]
    clock.advance(days=200)
    await harness.run_due_jobs()
    assert await left() == ([], 0)
