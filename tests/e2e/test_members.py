"""Member identity end to end: invitations, joining, profile, directory, KSz management."""

from __future__ import annotations

import csv
import io
import re

from bot.services.clock import FakeClock
from bot.services.collation import hu_sort_key
from bot.services.identity import CLI_ACTOR, MemberSpec, upsert_member
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models import MemberKind
from tests.e2e.harness import BotHarness, answers, texts
from tests.e2e.people import Cast, bind

LINK = re.compile(r"https://t\.me/klaszter_test_bot\?start=([A-Za-z0-9_-]+)")


async def _invite(harness: BotHarness, cast: Cast, name: str) -> str:
    [text] = texts(await harness.send(cast.ksz, f"/meghivo {name}"))
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def test_invitation_link_binds_and_profile_shows_rights(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    async with db.unit() as uow:
        from bot.services import identity

        await identity.upsert_member(
            uow, MemberSpec("Új Ubul", MemberKind.INTERNAL, organisation="Delta Kft."),
            identity.CLI_ACTOR, clock.now(),
        )  # fmt: skip
    token = await _invite(harness, cast, "Új Ubul")
    newcomer = tg.add_user(first_name="Ubul", last_name="Új")
    [text] = texts(await harness.send(newcomer, f"/start {token}"))
    assert "Fiókja összekapcsolva" in text and "Új Ubul" in text
    [profile] = texts(await harness.send(newcomer, "/profil"))
    assert "Név: Új Ubul" in profile
    assert "Szervezet: Delta Kft." in profile
    assert "belső társult tag" in profile
    assert "Jogok: szavazati jog" in profile
    # the same link again, by someone else: refused, nothing bound
    thief = tg.add_user(first_name="Tolvaj")
    [text] = texts(await harness.send(thief, f"/start {token}"))
    assert "már felhasználták" in text
    [text] = texts(await harness.send(thief, "/profil"))
    assert "Elnézést" in text


async def test_unknown_and_expired_links(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    user = tg.add_user(first_name="Próba")
    [text] = texts(await harness.send(user, "/start nincs_ilyen_token"))
    assert "érvénytelen" in text
    async with db.unit() as uow:
        from bot.services import identity

        await identity.upsert_member(
            uow, MemberSpec("Késő Kálmán", MemberKind.INTERNAL), identity.CLI_ACTOR, clock.now()
        )
    token = await _invite(harness, cast, "Késő Kálmán")
    clock.advance(hours=73)
    [text] = texts(await harness.send(user, f"/start {token}"))
    assert "lejárt" in text


async def test_account_bound_to_one_member_only(harness: BotHarness, cast: Cast) -> None:
    token = await _invite(harness, cast, "Külső Kata")
    [text] = texts(await harness.send(cast.internal, f"/start {token}"))
    assert "már egy másik taghoz tartozik" in text and "Belső Béla" in text


async def test_external_member_has_advisory_right(harness: BotHarness, cast: Cast) -> None:
    [profile] = texts(await harness.send(cast.external, "/profil"))
    assert "külső támogató tag" in profile
    assert "tanácskozási jog" in profile
    assert "szavazati jog\n" not in profile


async def test_offices_in_profile(harness: BotHarness, cast: Cast) -> None:
    [chair] = texts(await harness.send(cast.chair, "/profil"))
    assert "a Stratégiai Tanács elnöke" in chair
    [catalyst] = texts(await harness.send(cast.catalyst, "/profil"))
    assert "katalizátor: Innováció" in catalyst
    assert "Munkacsoportok: Innováció" in catalyst


async def test_join_request_approved_by_ksz(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    applicant = tg.add_user(first_name="Jenő", last_name="Jelentkező", username="jeno")
    [text] = texts(await harness.send(applicant, "/csatlakozas"))
    assert "rövid bemutatkozást" in text
    calls = await harness.send(applicant, "/csatlakozas Jelentkező Jenő, <Omega> & Társa Kft.")
    to_ksz = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == cast.ksz.id]
    assert len(to_ksz) == 1
    assert "&lt;Omega&gt; &amp; Társa Kft." in str(to_ksz[0].params["text"])
    again = texts(await harness.send(applicant, "/csatlakozas újra"))
    assert "már a KSz döntésére vár" in again[0]
    request = harness.last(cast.ksz)
    approve = request.buttons[0][0][1]
    assert approve is not None
    # someone without the right presses the button (a forged press): refused
    calls = await harness.press(cast.internal, request, approve, forge=True)
    assert any("Elnézést" in a for a in answers(calls))
    calls = await harness.press_label(cast.ksz, request, "Jóváhagyás: külső")
    assert "Jóváhagyta: Menedzser Márta" in harness.last(cast.ksz).text
    assert any("jóváhagyták" in t for t in texts(calls) if t)
    [profile] = texts(await harness.send(applicant, "/profil"))
    assert "Név: Jelentkező Jenő" in profile and "külső támogató tag" in profile
    # a second press on the same request is refused politely
    calls = await harness.press(cast.ksz, request, approve, forge=True)
    assert any("már döntöttek" in a for a in answers(calls))


async def test_join_request_cannot_take_an_unbound_founders_seat(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """Named like a founder + KSz member who has not used her invitation: warned, refused."""
    async with db.unit() as uow:
        from bot.services import identity

        await identity.upsert_member(
            uow, MemberSpec("Alapító Anna", MemberKind.INTERNAL, founder=True, ksz=True),
            identity.CLI_ACTOR, clock.now(),
        )  # fmt: skip
    stranger = tg.add_user(first_name="Anna", last_name="Alapító")
    await harness.send(stranger, "/csatlakozas Alapító Anna vagyok")
    card = harness.last(cast.ksz)
    assert "Figyelem" in card.text and "Alapító Anna" in card.text
    assert "alapító tag" in card.text and "klasztermenedzsment szervezet (KSz)" in card.text
    for label in ("Jóváhagyás: külső", "Jóváhagyás: belső"):
        calls = await harness.press_label(cast.ksz, card, label)
        [alert] = answers(calls)
        assert "Alapító Anna" in alert and "/meghivo" in alert
        assert len(alert) <= 200
        assert not [c for c in calls if c.method == "sendMessage"]
    [text] = texts(await harness.send(stranger, "/profil"))
    assert "Elnézést" in text
    async with db.unit() as uow:
        anna = await uow.members.by_name("Alapító Anna")
        assert anna is not None and anna.telegram_id is None and anna.is_founder and anna.is_ksz
    # rejecting still works
    calls = await harness.press_label(cast.ksz, card, "Elutasítás")
    assert "Elutasította" in harness.last(cast.ksz).text


async def test_join_request_rejected(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> None:
    applicant = tg.add_user(first_name="Elutasított", language_code="en")
    await harness.send(applicant, "/join Hello, Example Ltd.")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Elutasítás")
    assert any("did not approve" in t for t in texts(calls))
    [text] = texts(await harness.send(applicant, "/profile"))
    assert "Sorry, only members of the cluster" in text


async def test_hostile_names_are_shown_safely(
    harness: BotHarness, tg: FakeTelegram, cast: Cast, db: Database, clock: FakeClock
) -> None:
    nasty = tg.add_user(first_name="X")
    long_org = "Nagyon Hosszú Nevű Szervezet " * 6
    await bind(
        db, clock, nasty,
        MemberSpec("<script>alert(1)</script> & Co 😀 " + "é" * 150, MemberKind.INTERNAL,
                   organisation=long_org),
    )  # fmt: skip
    for i in range(25):
        user = tg.add_user(first_name=f"Tag{i}")
        await bind(db, clock, user, MemberSpec(f"Hosszú{i:02d} " + "ő" * 190, MemberKind.INTERNAL,
                                               organisation="Ü" * 200))  # fmt: skip
    [profile] = texts(await harness.send(nasty, "/profil"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co 😀" in profile
    [page] = texts(await harness.send(nasty, "/tagok"))
    assert "32 tag" in page
    directory = harness.last(nasty)
    await harness.press_label(nasty, directory, "▶")
    assert "2/2. oldal" in harness.last(nasty).text
    await harness.send(nasty, "/munkacsoportok")
    await harness.send(nasty, "/naplo")


async def test_directory_csv_export_for_ksz(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.internal, "/tagok")
    assert "Exportálás" not in str(harness.last(cast.internal).buttons)
    calls = await harness.press(cast.internal, harness.last(cast.internal), "dir:csv", forge=True)
    assert any("Elnézést" in a for a in answers(calls))
    await harness.send(cast.ksz, "/tagok")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Exportálás")
    [doc] = [c for c in calls if c.method == "sendDocument"]
    sent = harness.last(cast.ksz)
    rows = list(csv.reader(io.StringIO(sent.document_bytes.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["név", "tagság", "szervezet"]
    names = [r[0] for r in rows[1:]]
    assert names == sorted(names, key=hu_sort_key)
    assert "Elnök Emese" in names and len(names) == 6
    assert doc.params["chat_id"] == cast.ksz.id


async def test_ksz_manages_a_member_from_the_card(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.ksz, "/tag Belső Béla")
    card = harness.last(cast.ksz)
    assert "Belső Béla" in card.text and "belső társult tag" in card.text
    # not a founder yet: cannot be ST chair (refused at the first press, before confirming)
    calls = await harness.press_label(cast.ksz, card, "Legyen az ST elnöke")
    assert any("Az ST elnöke csak alapító tag lehet" in a for a in answers(calls))
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen alapító tag")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen, módosítom")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen az ST elnöke")
    question = harness.last(cast.ksz)
    assert "A tisztség átkerül a jelenlegi elnöktől: Elnök Emese" in question.text
    await harness.press_label(cast.ksz, question, "Igen, módosítom")
    card = harness.last(cast.ksz)
    assert "Korábbi ST-elnök: Elnök Emese" in card.text
    [profile] = texts(await harness.send(cast.internal, "/profil"))
    assert "a Stratégiai Tanács elnöke" in profile
    [log] = texts(await harness.send(cast.external, "/naplo"))
    assert "Belső Béla: ST elnöke nem → igen" in log
    assert "(Menedzser Márta)" in log


async def test_workgroups_and_catalyst_from_the_card(harness: BotHarness, cast: Cast) -> None:
    [text] = texts(
        await harness.send(cast.ksz, "/munkacsoport_uj Export | Közös <külpiaci> megjelenés")
    )
    assert "Munkacsoport létrehozva: Export" in text
    await harness.send(cast.ksz, "/tag Külső Kata")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Munkacsoportok…")
    menu = harness.last(cast.ksz)
    export_row = next(row for row in menu.buttons if "Export" in row[0][0])
    await harness.press(cast.ksz, menu, export_row[0][1])
    menu = harness.last(cast.ksz)
    assert any(row[0][0] == "✓ Export" for row in menu.buttons)
    export_row = next(row for row in menu.buttons if "Export" in row[0][0])
    calls = await harness.press(cast.ksz, menu, export_row[1][1])
    assert any("Katalizátor csak belső társult tag lehet" in a for a in answers(calls))
    [listing] = texts(await harness.send(cast.internal, "/munkacsoportok"))
    assert "<b>Export</b>" in listing and "Közös &lt;külpiaci&gt; megjelenés" in listing
    assert "Katalizátor: Katalizátor Kálmán" in listing


async def test_workgroups_in_hungarian_order_and_the_count_is_of_the_names_listed(
    harness: BotHarness, cast: Cast, db: Database, clock: FakeClock
) -> None:
    """Issue 14: "Tagok (4):" listed 3 names (the katalizátor has a line of its own), and a plain
    sort() put "Ágazati…" after "Zöld…" and "Kassza" before "Kasza"."""
    async with db.unit() as uow:
        for spec in (
            MemberSpec("Kassza Béla", MemberKind.INTERNAL, workgroups=["Zöld jövő", "Ágazati kör"]),
            MemberSpec("Ádám Éva", MemberKind.INTERNAL, catalyst_of=["Ágazati kör"]),
            MemberSpec("Kasza Anna", MemberKind.EXTERNAL, workgroups=["Ágazati kör"]),
            MemberSpec("Zsoldos Zoé", MemberKind.INTERNAL, workgroups=["Ágazati kör"]),
        ):
            await upsert_member(uow, spec, CLI_ACTOR, clock.now())
    [listing] = texts(await harness.send(cast.internal, "/munkacsoportok"))
    headings = re.findall(r"<b>([^<]+)</b>", listing)
    assert headings == ["Munkacsoportok", "Ágazati kör", "Innováció", "Zöld jövő"]
    assert (
        "<b>Ágazati kör</b>\nKatalizátor: Ádám Éva\nTagok (3): Kasza Anna, Kassza Béla, Zsoldos Zoé"
    ) in listing
    assert "<b>Innováció</b>\nKatalizátor: Katalizátor Kálmán\nTagok (0): nincs" in listing
    assert "<b>Zöld jövő</b>\nKatalizátor: még nincs\nTag (1): Kassza Béla" in listing


async def test_deactivated_member_loses_rights(harness: BotHarness, cast: Cast) -> None:
    await harness.send(cast.ksz, "/tag Belső Béla")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Inaktiválás")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen, módosítom")
    assert "Állapot: inaktív" in harness.last(cast.ksz).text
    [text] = texts(await harness.send(cast.internal, "/profil"))
    assert "Elnézést" in text
    [text] = texts(await harness.send(cast.internal, "/start"))
    assert "inaktív" in text


async def test_linked_group_admits_only_workgroup_members(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group(title="Innováció csoport", members=[cast.ksz], bot_is_admin=True)
    [text] = texts(await harness.send(cast.ksz, "/csoport_osszekotes Innováció", chat=group))
    assert "mostantól a munkacsoporthoz tartozik" in text
    calls = await harness.join_request(cast.catalyst, group)
    assert [c.method for c in calls] == ["approveChatJoinRequest"]
    calls = await harness.join_request(cast.external, group)
    assert [c.method for c in calls][:1] == ["declineChatJoinRequest"]
    assert any("csak a munkacsoport tagjai számára" in t for t in texts(calls))
    # removing the catalyst from the workgroup removes them from the group
    await harness.send(cast.ksz, "/tag Katalizátor Kálmán")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Munkacsoportok…")
    menu = harness.last(cast.ksz)
    row = next(r for r in menu.buttons if "Innováció" in r[0][0])
    calls = await harness.press(cast.ksz, menu, row[0][1])
    assert [c.method for c in calls if "ChatMember" in c.method] == [
        "banChatMember",
        "unbanChatMember",
    ]


async def test_linking_needs_admin_rights(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    group = tg.add_group(title="Nem admin", members=[cast.ksz], bot_is_admin=False)
    [text] = texts(await harness.send(cast.ksz, "/csoport_osszekotes Innováció", chat=group))
    assert "adminisztrátorának kell lennie" in text


async def test_unknown_member_and_ambiguous_names(harness: BotHarness, cast: Cast) -> None:
    [text] = texts(await harness.send(cast.ksz, "/tag Senki Sándor"))
    assert "Nincs ilyen nevű tag: „Senki Sándor”" in text
    [text] = texts(await harness.send(cast.ksz, "/meghivo a"))
    assert "Több tag is megfelel" in text


async def test_card_changes_ask_for_confirmation_first(harness: BotHarness, cast: Cast) -> None:
    """Issue 21/2: a change of office, kind or activity is made only at the second press."""
    await harness.send(cast.ksz, "/tag Belső Béla")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen külső tag")
    question = harness.last(cast.ksz)
    assert "Kérjük, erősítse meg a módosítást" in question.text
    assert not any("Mentve" in a for a in answers(calls))
    [profile] = texts(await harness.send(cast.internal, "/profil"))
    assert "belső társult tag" in profile  # nothing changed yet
    await harness.press_label(cast.ksz, question, "Mégse")
    card = harness.last(cast.ksz)
    assert "Tagság: belső társult tag" in card.text
    await harness.press_label(cast.ksz, card, "Legyen külső tag")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen, módosítom")
    assert any("Mentve" in a for a in answers(calls))
    [profile] = texts(await harness.send(cast.internal, "/profil"))
    assert "külső támogató tag" in profile


async def test_the_only_ksz_cannot_remove_her_own_office(harness: BotHarness, cast: Cast) -> None:
    """Issue 21/2: removing (or deactivating) the last KSz is refused; she keeps her commands."""
    await harness.send(cast.ksz, "/tag Menedzser Márta")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Ne legyen KSz-tag")
    assert any("egyetlen aktív tagja" in a for a in answers(calls))
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Inaktiválás")
    assert any("egyetlen aktív tagja" in a for a in answers(calls))
    [text] = texts(await harness.send(cast.ksz, "/tag Menedzser Márta"))
    assert "klasztermenedzsment szervezet (KSz)" in text
    # a forged confirmation is refused by the service too
    card = harness.last(cast.ksz)
    member_id = card.buttons[0][0][1].split(":")[2]
    calls = await harness.press(cast.ksz, card, f"mem:do:{member_id}:ksz:0", forge=True)
    assert any("egyetlen aktív tagja" in a for a in answers(calls))
    # with a second KSz, she may step down
    await harness.send(cast.ksz, "/tag Belső Béla")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen KSz-tag")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen, módosítom")
    await harness.send(cast.ksz, "/tag Menedzser Márta")
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Ne legyen KSz-tag")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Igen, módosítom")
    assert any("Mentve" in a for a in answers(calls))


async def test_st_chair_is_moved_not_removed_and_deactivation_says_so(
    harness: BotHarness, cast: Cast
) -> None:
    """Issue 21/2: the ST chair is never just removed; deactivating the chair warns twice."""
    await harness.send(cast.ksz, "/tag Elnök Emese")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Ne legyen az ST elnöke")
    assert any("Legyen az ST elnöke" in a for a in answers(calls))
    await harness.press_label(cast.ksz, harness.last(cast.ksz), "Inaktiválás")
    question = harness.last(cast.ksz)
    assert "az újraaktiválás nem állítja vissza" in question.text
    await harness.press_label(cast.ksz, question, "Igen, módosítom")
    card = harness.last(cast.ksz)
    assert "Állapot: inaktív" in card.text
    assert "Az ST elnöki tisztsége az inaktiválással megszűnt" in card.text
    await harness.press_label(cast.ksz, card, "Újraaktiválás")
    question = harness.last(cast.ksz)
    assert "nem állítja vissza" in question.text
    await harness.press_label(cast.ksz, question, "Igen, módosítom")
    assert "a Stratégiai Tanács elnöke" not in harness.last(cast.ksz).text


async def test_an_external_supporter_cannot_become_a_founder(
    harness: BotHarness, cast: Cast
) -> None:
    """Issue 21/3: the ST is its active internal founders, so a founder must be internal."""
    await harness.send(cast.ksz, "/tag Külső Kata")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen alapító tag")
    assert any("Alapító tag csak belső társult tag lehet" in a for a in answers(calls))
    card = harness.last(cast.ksz)
    member_id = card.buttons[0][0][1].split(":")[2]
    calls = await harness.press(cast.ksz, card, f"mem:do:{member_id}:founder:1", forge=True)
    assert any("Alapító tag csak belső társult tag lehet" in a for a in answers(calls))
    [profile] = texts(await harness.send(cast.external, "/profil"))
    assert "alapító" not in profile and "tanácskozási jog" in profile
    # and a founder cannot be made external while a founder
    await harness.send(cast.ksz, "/tag Alapító Aladár")
    calls = await harness.press_label(cast.ksz, harness.last(cast.ksz), "Legyen külső tag")
    assert any("Távolítsa el előbb az alapítói státuszt" in a for a in answers(calls))


async def test_unknown_name_for_an_invitation_says_how_to_add_a_member(
    harness: BotHarness, cast: Cast
) -> None:
    """Issue 21/11: /meghivo Új Ubul says how a new member is added, not only "no match"."""
    [text] = texts(await harness.send(cast.ksz, "/meghivo Új Ubul"))
    assert "Nincs ilyen nevű tag: „Új Ubul”" in text
    assert "/csatlakozas" in text and "klaszterbot members add" in text


async def test_log_names_the_command_line_not_cli(harness: BotHarness, cast: Cast) -> None:
    """Issue 21/11: changes made at the command line show as "parancssor (KSz)" in /naplo."""
    [log] = texts(await harness.send(cast.internal, "/naplo"))
    assert "(parancssor (KSz))" in log
    assert "(CLI)" not in log


async def test_profile_in_a_group_is_answered_privately(
    harness: BotHarness, tg: FakeTelegram, cast: Cast
) -> None:
    """Issue 21/11: own data is not posted in the group."""
    group = tg.add_group(title="Klaszter", members=[cast.internal, cast.ksz])
    calls = await harness.send(cast.internal, "/profil", chat=group)
    sent = [c for c in calls if c.method == "sendMessage"]
    in_group = [c for c in sent if c.params["chat_id"] == group.id]
    private = [c for c in sent if c.params["chat_id"] == cast.internal.id]
    assert len(in_group) == 1 and "Belső Béla" not in str(in_group[0].params["text"])
    assert "privát üzenetben" in str(in_group[0].params["text"])
    assert len(private) == 1 and "Név: Belső Béla" in str(private[0].params["text"])
