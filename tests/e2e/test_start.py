"""/start, /help, /nyelv, menus, the error handler and the Bot API base URL, end to end."""

from __future__ import annotations

from telegram import Update
from telegram.ext import AIORateLimiter, CommandHandler

from bot.context import BotContext
from bot.services import cluster
from bot.services.clock import FakeClock
from bot.services.identity import MemberSpec
from fakeapi import FakeTelegram
from storage.db import Database
from storage.models import MemberKind
from tests.e2e.harness import BotHarness, texts
from tests.e2e.people import Cast, bind


async def test_stranger_gets_a_hungarian_welcome(harness: BotHarness, tg: FakeTelegram) -> None:
    user = tg.add_user(first_name="Idegen", last_name="Ilona", language_code="hu")
    [text] = texts(await harness.send(user, "/start"))
    assert "Üdvözöljük a Klaszterbotban" in text
    assert "/csatlakozas" in text
    assert "KSz" in text


async def test_english_client_gets_english(harness: BotHarness, tg: FakeTelegram) -> None:
    user = tg.add_user(first_name="John", last_name="Smith", language_code="en")
    [text] = texts(await harness.send(user, "/start"))
    assert "Welcome to Klaszterbot" in text
    assert "/join" in text
    [help_text] = texts(await harness.send(user, "/help"))
    assert "/help" in help_text and "/language" in help_text


async def test_unknown_language_falls_back_to_hungarian(
    harness: BotHarness, tg: FakeTelegram
) -> None:
    user = tg.add_user(first_name="Hans", language_code="de")
    [text] = texts(await harness.send(user, "/start"))
    assert "Üdvözöljük" in text


async def test_known_member_is_greeted_by_name(harness: BotHarness, cast: Cast) -> None:
    [text] = texts(await harness.send(cast.internal, "/start"))
    assert "Üdvözöljük, Belső Béla!" in text


async def test_help_lists_by_role(harness: BotHarness, tg: FakeTelegram, cast: Cast) -> None:
    stranger = tg.add_user(first_name="Kíváncsi")
    [text] = texts(await harness.send(stranger, "/sugo"))
    assert "/csatlakozas" in text and "/nyelv" in text
    assert "/tagok" not in text and "/meghivo" not in text
    [text] = texts(await harness.send(cast.internal, "/help"))
    assert "/profil" in text and "/tagok" in text
    assert "/meghivo" not in text
    # issue 21/11: not a command the caller would be refused
    assert "/elorehaladas" not in text
    [text] = texts(await harness.send(cast.external, "/help"))
    assert "/elorehaladas" not in text
    [text] = texts(await harness.send(cast.catalyst, "/help"))
    assert "/elorehaladas" in text
    [text] = texts(await harness.send(cast.ksz, "/help"))
    assert "A KSz-nek" in text and "/meghivo" in text and "/tag " in text


async def test_a_member_with_every_office_gets_the_whole_help_in_parts(
    harness: BotHarness, tg: FakeTelegram, db: Database, clock: FakeClock
) -> None:
    """A founder with the vote who is also KSz staff and the ST chair may use nearly every
    command: in Hungarian the list is longer than one message (4,096 characters), so it comes
    in parts cut at line ends, every command in one of them."""
    user = tg.add_user(first_name="Mindenes", language_code="hu")
    spec = MemberSpec(
        "Mindenes Mária", MemberKind.INTERNAL, founder=True, st_chair=True, ksz=True,
        catalyst_of=["Innováció"],
    )  # fmt: skip
    await bind(db, clock, user, spec)
    parts = texts(await harness.send(user, "/sugo"))
    assert len(parts) == 2  # fakeapi refuses a message over 4,096 characters
    whole = "\n".join(parts)
    for command in (
        "/sugo",
        "/meghivo",
        "/ules_uj",
        "/meghatalmazas",
        "/elorehaladas",
        "/erintett",
    ):
        assert command in whole
    assert "katalizátor" in parts[-1].splitlines()[-1]  # the gloss closes the last part


async def test_language_switch_is_remembered(harness: BotHarness, tg: FakeTelegram) -> None:
    user = tg.add_user(first_name="Váltó", language_code="hu")
    await harness.send(user, "/nyelv")
    prompt = harness.last(user)
    assert "Válassza ki" in prompt.text
    calls = await harness.press_label(user, prompt, "English")
    assert any(c.method == "editMessageText" for c in calls)
    assert "English" in harness.last(user).text
    [text] = texts(await harness.send(user, "/start"))
    assert "Welcome to Klaszterbot" in text
    await harness.press_label(user, (await _prompt(harness, user)), "Magyar")
    [text] = texts(await harness.send(user, "/start"))
    assert "Üdvözöljük" in text


async def _prompt(harness: BotHarness, user):  # type: ignore[no-untyped-def]
    await harness.send(user, "/language")
    return harness.last(user)


async def test_forged_language_button_is_refused(harness: BotHarness, tg: FakeTelegram) -> None:
    user = tg.add_user(first_name="Hamis")
    await harness.send(user, "/nyelv")
    calls = await harness.press(user, harness.last(user), "lang:set:xx", forge=True)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "már nem érvényes" in str(answer.params["text"])


async def test_menus_are_set_in_both_languages(harness: BotHarness, tg: FakeTelegram) -> None:
    calls = [c for c in tg.calls if c.method == "setMyCommands"]
    assert len(calls) == 2
    default = next(c for c in calls if "language_code" not in c.params)
    english = next(c for c in calls if c.params.get("language_code") == "en")
    names = [c["command"] for c in default.params["commands"]]
    assert "start" in names and "nyelv" in names and "profil" in names
    assert "meghivo" not in names  # KSz-only commands stay out of everyone's menu
    assert "language" in [c["command"] for c in english.params["commands"]]
    assert any("nyelv" in c["description"] for c in default.params["commands"])


async def test_every_call_goes_to_the_configured_base_url(
    harness: BotHarness, tg: FakeTelegram
) -> None:
    user = tg.add_user(first_name="Bárki")
    await harness.send(user, "/start")
    assert tg.calls
    assert {c.base_url for c in tg.calls} == {"https://api.telegram.example/bot"}


async def test_error_handler_apologises_and_the_bot_keeps_serving(
    harness: BotHarness, tg: FakeTelegram
) -> None:
    async def boom(update: Update, context: BotContext) -> None:
        raise RuntimeError("kaboom")

    harness.app.add_handler(CommandHandler("boom", boom), group=-5)
    user = tg.add_user(first_name="Szerencsétlen", language_code="en")
    start = len(tg.calls)
    update = Update.de_json(tg.message(user, "/boom"), harness.app.bot)
    await harness.app.process_update(update)
    # process_update hands errors to the error handler as a task; let it finish
    import asyncio

    for _ in range(50):
        if texts(tg.calls[start:]):
            break
        await asyncio.sleep(0.01)
    assert texts(tg.calls[start:]) == [
        "Sorry, something went wrong on our side. Please try again later."
    ]
    [text] = texts(await harness.send(user, "/start"))
    assert "Welcome" in text


def test_rate_limiter_is_on(harness: BotHarness) -> None:
    assert isinstance(harness.app.bot.rate_limiter, AIORateLimiter)


async def test_start_remembers_the_bots_username(harness: BotHarness, db: Database) -> None:
    """The command line makes invitation links from it without asking Telegram."""
    async with db.unit() as uow:
        assert await cluster.bot_username(uow) == "klaszter_test_bot"
