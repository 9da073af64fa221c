"""The transparency Mini App's JSON API (issue 20): nothing without valid initData, members
only, by role; the register's search and filters, ballots (secret: counts only), the plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from bot.services.clock import FakeClock
from fakeapi import FakeTelegram, FakeUser
from storage.db import Database
from storage.models.ballots import Body, QuorumRule
from storage.models.meetings import Meeting, MeetingItem, MeetingStatus
from tests.e2e.conftest import bot_on
from tests.e2e.harness import BotHarness
from tests.e2e.people import Cast
from tests.e2e.processes import free_port
from tests.e2e.transparency_world import World, build, init_data

SECTIONS = ("register", "ballots", "workplan", "meeting")


@pytest.fixture
async def served(
    db: Database, tg: FakeTelegram, clock: FakeClock
) -> AsyncIterator[tuple[BotHarness, httpx.AsyncClient]]:
    port = free_port()
    async with (
        bot_on(db, tg, clock, http_listen=f"127.0.0.1:{port}") as harness,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/webapp") as client,
    ):
        yield harness, client


@pytest.fixture
async def world(db: Database, clock: FakeClock, cast: Cast) -> World:
    return await build(db, clock, cast)


async def get(
    client: httpx.AsyncClient, path: str, user: FakeUser, clock: FakeClock, **params: Any
) -> httpx.Response:
    headers = {"Authorization": f"tma {init_data(user, clock)}"}
    return await client.get(f"/api/{path}", headers=headers, params=params)


async def test_nothing_without_valid_init_data(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock
) -> None:
    _, client = served
    good = init_data(cast.internal, clock)
    tampered = dict(parse_qsl(good))
    tampered["user"] = tampered["user"].replace(str(cast.internal.id), str(cast.chair.id))
    expired = init_data(cast.internal, FakeClock(clock.now() - timedelta(days=1, minutes=1)))
    for header in (None, "Bearer x", f"tma {urlencode(tampered)}", f"tma {expired}", "tma"):
        for path in ("me", *SECTIONS):
            headers = {"Authorization": header} if header else {}
            answer = await client.get(f"/api/{path}", headers=headers)
            assert answer.status_code == 401, (header, path)
            assert answer.json()["error"] == "unauthorized"
            assert "Telegram" in answer.json()["message"]  # Hungarian, the default
            assert answer.headers["Cache-Control"] == "no-store"


async def test_strangers_and_deactivated_members_are_refused(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, db: Database
) -> None:
    _, client = served
    me = await get(client, "me", cast.stranger, clock)
    assert me.status_code == 200 and me.json()["member"] is False  # the words of the refusal
    async with db.unit() as uow:
        member = await uow.members.by_telegram_id(cast.external.id)
        assert member is not None
        member.is_active = False
    for user in (cast.stranger, cast.external):
        for path in SECTIONS:
            answer = await get(client, path, user, clock)
            assert answer.status_code == 403, (user.first_name, path)
            assert answer.json() == {
                "error": "forbidden", "message": "Ez az oldal a klaszter tagjainak szól.",
            }  # fmt: skip


async def test_every_member_kind_sees_the_sections(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, world: World
) -> None:
    _, client = served
    for role in ("external", "internal", "founder", "chair", "catalyst", "ksz"):
        user = getattr(cast, role)
        for path in ("me", *SECTIONS):
            answer = await get(client, path, user, clock)
            assert answer.status_code == 200, (role, path, answer.text)
    me = (await get(client, "me", cast.external, clock)).json()
    assert me["name"] == "Külső Kata" and me["language"] == "hu"
    assert me["roles"] == ["külső támogató tag (tanácskozási joggal)"]
    assert me["strings"]["register"] == "Határozatok"


async def test_the_register_searches_and_filters(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, world: World
) -> None:
    _, client = served
    register = (await get(client, "register", cast.external, clock)).json()
    assert register["total"] == 1 and register["summary"] == "1 határozat"
    [item] = register["items"]
    assert item["label"] == "1/2026. (XI. 27.) Kgy. határozat"
    assert item["text"] == "Elfogadja a Közgyűlés a 2027. évi költségvetést?"
    assert item["counts"] == "Igen: 3, Nem: 1, Tartózkodás: 0"
    assert item["ballot_id"] == world.secret_adopted.id
    assert item["minutes"] is None  # a ballot, not a meeting's decision
    assert register["years"] == [2026]
    for params, found in (
        ({"q": "KÖLTSÉGVETÉS"}, 1), ({"q": "Győr"}, 0), ({"body": "st"}, 0),
        ({"body": "kgy", "year": "2026"}, 1), ({"year": "2025"}, 0), ({"body": "x", "year": "y"}, 1),
    ):  # fmt: skip
        answer = (await get(client, "register", cast.internal, clock, **params)).json()
        assert answer["total"] == found, params
    empty = (await get(client, "register", cast.internal, clock, q="Győr")).json()
    assert empty["summary"] == "Nincs a keresésnek megfelelő határozat."
    # digits that str.isdigit accepts but int() does not (superscripts) are left out, not a 500
    odd = await get(client, "register", cast.internal, clock, year="²⁰²⁶", page="¹")
    assert odd.status_code == 200 and odd.json()["total"] == 1


async def test_ballots_show_turnout_and_results_never_who_voted_how(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, world: World
) -> None:
    _, client = served
    answer = (await get(client, "ballots", cast.internal, clock)).json()
    [opened] = answer["open"]
    assert opened["id"] == world.open_ballot.id and opened["counts"] == []  # counted at the close
    assert (opened["turnout"], opened["electorate"]) == (1, 4)
    assert opened["turnout_text"] == "Részvétel: 1/4 (25%)"
    assert opened["own"] == "Már szavazott."
    closed = {b["id"]: b for b in answer["closed"]}
    secret = closed[world.secret_adopted.id]
    assert secret["secret"] and secret["state"] == "ELFOGADVA"
    assert [(c["label"], c["votes"], c["winner"]) for c in secret["counts"]] == [
        ("Igen", 3, True), ("Nem", 1, False), ("Tartózkodás", 0, False),
    ]  # fmt: skip
    assert secret["resolution"] == "1/2026. (XI. 27.) Kgy. határozat"
    assert closed[world.rejected.id]["state"] == "ELUTASÍTVA"
    body = str(answer)
    for role in ("internal", "founder", "chair", "catalyst"):  # no voter is named anywhere
        assert getattr(cast, role).first_name not in body
    founder = (await get(client, "ballots", cast.founder, clock)).json()
    assert founder["open"][0]["own"].startswith("Még nem szavazott")
    external = (await get(client, "ballots", cast.external, clock)).json()
    assert external["open"][0]["own"] is None  # not on the roll: advisory right only
    one = await get(client, f"ballots/{world.rejected.id}", cast.external, clock)
    assert one.json()["question"] == "Költözzön a klaszter irodája Győrbe?"
    missing = await get(client, "ballots/999999", cast.external, clock)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


async def test_the_work_plan_and_the_meeting(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, world: World
) -> None:
    _, client = served
    plan = (await get(client, "workplan", cast.external, clock)).json()
    assert plan["plan"].startswith("A KSz 2027. évi munkaterve (2027)")
    tasks = {t["title"]: t for t in plan["tasks"]}
    assert tasks["Piackutatás"]["progress"] == 40
    assert tasks["Piackutatás"]["responsible"] == "Innováció"
    assert tasks["Piackutatás"]["deadline"] == "Határidő: 2026. december 8."
    assert tasks["Éves beszámoló"]["status_name"] == "késésben"  # past its deadline
    groups = {g["name"]: g["average"] for g in plan["groups"]}
    assert groups == {"KSz": 5, "Innováció": 60}
    meeting = (await get(client, "meeting", cast.external, clock)).json()
    assert meeting["meeting"] is None and meeting["empty"]


async def test_the_next_meeting_is_the_one_the_viewer_is_invited_to(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock
) -> None:
    harness, client = served
    form = (
        "/ules_uj\nTestület: {body}\nIdőpont: {day} 17:00\nHelyszín: Klaszteriroda <b>\n"
        "Napirend: Beszámoló 2026\nNapirend: Tagdíj 2027 | 50 000 Ft"
    )
    await harness.send(cast.chair, form.format(body="ST", day="2026.12.07"))
    await harness.send(cast.ksz, form.format(body="Közgyűlés", day="2026.12.08"))
    external = (await get(client, "meeting", cast.external, clock)).json()["meeting"]
    assert external["title"].endswith("Közgyűlés")  # the ST's earlier meeting is not theirs
    assert external["when"] == "2026. december 8., 17:00"
    assert external["place"] == "Klaszteriroda <b>"  # plain text: the page sets textContent
    assert external["agenda"] == ["Beszámoló 2026", "Tagdíj 2027"]
    founder = (await get(client, "meeting", cast.chair, clock)).json()["meeting"]
    assert founder["title"].endswith("Stratégiai Tanács")
    assert founder["when"] == "2026. december 7., 17:00"


async def test_answers_follow_the_language(
    served: tuple[BotHarness, httpx.AsyncClient], tg: FakeTelegram, clock: FakeClock, db: Database,
    world: World, cast: Cast,
) -> None:  # fmt: skip
    _, client = served
    headers = {"Authorization": f"tma {init_data(cast.internal, clock, language='en')}"}
    me = (await client.get("/api/me", headers=headers)).json()
    # The account's Telegram language was stored as hu by /start; initData says en: the stored
    # choice wins only when the member chose one, else the signed language_code.
    assert me["language"] == "en" and me["strings"]["register"] == "Register"
    ballots = (await client.get("/api/ballots", headers=headers)).json()
    assert ballots["closed"][0]["turnout_text"].startswith("Turnout")


async def test_the_page_is_served(served: tuple[BotHarness, httpx.AsyncClient]) -> None:
    _, client = served
    page = await client.get("/")
    assert page.status_code == 200 and "<html" in page.text
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await client.get("/app.js")).status_code == 200
    assert (await client.get("/../pyproject.toml")).status_code in (403, 404)


async def test_a_meetings_resolution_names_its_minutes(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock, world: World,
    db: Database,
) -> None:  # fmt: skip
    _, client = served
    async with db.unit() as uow:  # as if the meeting's agenda item had been decided by it
        meeting = Meeting(
            body=Body.KGY, starts_at=clock.now(), quorum=QuorumRule.MORE_THAN_HALF,
            status=MeetingStatus.CLOSED, created_by_label="Kovács Anna", created_at=clock.now(),
            items=[MeetingItem(position=1, title="Költségvetés", ballot_id=world.secret_adopted.id)],
        )  # fmt: skip
        uow.meetings.add(meeting)
    [item] = (await get(client, "register", cast.external, clock)).json()["items"]
    assert item["minutes"] == (
        f"Az ülés #{meeting.id} határozata; a jegyzőkönyv: /jegyzokonyv {meeting.id}"
    )


async def test_a_decision_stopped_for_a_meeting_is_listed_without_a_result(
    served: tuple[BotHarness, httpx.AsyncClient], cast: Cast, clock: FakeClock
) -> None:
    """A decision without a meeting that a member stopped (Ptk. 3:20) is closed with no result:
    the ballots page and the ballot's own page still answer, and say it was stopped."""
    harness, client = served
    form = "Kérdés: A tagdíj 2027-ben 50 000 Ft legyen?\nHatáridő: 8\nEljárás: ülés nélkül"
    ballot = await harness.publish_form(cast.ksz, form)
    message = harness.last(cast.internal)
    await harness.press_label(cast.internal, message, "Ülést kérek")
    await harness.press_label(cast.internal, harness.last(cast.internal), "Igen, ülést")
    await harness.settle()
    async with harness.app.bot_data.db.unit() as uow:
        stopped = await uow.ballots.get(ballot.id)
        assert stopped is not None and stopped.meeting_requested_at is not None
    listed = await get(client, "ballots", cast.internal, clock)
    assert listed.status_code == 200, listed.text
    [closed] = listed.json()["closed"]
    assert closed["id"] == ballot.id and closed["counts"] == []
    assert closed["state"] == "leállt: ülést kértek"
    one = await get(client, f"ballots/{ballot.id}", cast.internal, clock)
    assert one.status_code == 200, one.text
