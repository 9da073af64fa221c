"""A real telegram.Bot against the fake: what works, and what Telegram would refuse."""

from __future__ import annotations

import io

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    MenuButtonWebApp,
    ReplyParameters,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter

from fakeapi import FakeTelegram, FakeUser
from fakeapi.api.common import NOT_MODIFIED
from tests.fakeapi.conftest import call_raw, said

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Igen", callback_data="yes"),
            InlineKeyboardButton("Nem", callback_data="no"),
        ]
    ]
)


async def test_send_html_with_inline_keyboard(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    sent = await bot.send_message(
        anna.id, "<b>Szia</b> Anna &amp; Béla", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "Szia Anna & Béla"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]
    assert sent.reply_markup == KEYBOARD
    assert sent.from_user is not None and sent.from_user.username == "klaszter_test_bot"
    [msg] = tg.outbox(anna)
    assert (msg.text, msg.html, msg.parse_mode) == (
        sent.text,
        "<b>Szia</b> Anna &amp; Béla",
        "HTML",
    )
    assert msg.buttons == [[("Igen", "yes"), ("Nem", "no")]]
    call = tg.calls_to("sendMessage")[-1]
    assert call.ok and call.params["chat_id"] == anna.id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


async def test_edit_message_and_not_modified(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    sent = await bot.send_message(anna.id, "Első", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Második", anna.id, sent.message_id, reply_markup=KEYBOARD)
    assert edited.text == "Második" and edited.edit_date is not None
    with pytest.raises(BadRequest, match=said(NOT_MODIFIED)):
        await bot.edit_message_text("Második", anna.id, sent.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_text("Második", anna.id, sent.message_id)  # drops the keyboard
    msg = tg.outbox(anna)[0]
    assert msg.buttons == [] and [e["method"] for e in msg.edits] == ["editMessageText"] * 2
    with pytest.raises(BadRequest, match=said(NOT_MODIFIED)):
        await bot.edit_message_reply_markup(anna.id, sent.message_id)
    with pytest.raises(BadRequest, match=said("message to edit not found")):
        await bot.edit_message_text("x", anna.id, 999)
    users_own = tg.history(anna)[0]
    with pytest.raises(BadRequest, match=said("message can't be edited")):
        await bot.edit_message_text("x", anna.id, users_own.message_id)


async def test_callback_query_answer_rules(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    await bot.send_message(anna.id, "Kérdés", reply_markup=KEYBOARD)
    update = tg.press(anna, tg.last_sent(anna), "yes")
    query_id = update["callback_query"]["id"]
    with pytest.raises(BadRequest, match=said("MESSAGE_TOO_LONG")):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert await bot.answer_callback_query(query_id, "Rögzítve")
    assert tg.callback_answer(update) == {"text": "Rögzítve"}
    too_old = "query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(BadRequest, match=said(too_old)):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=said(too_old)):
        await bot.answer_callback_query("123")
    with pytest.raises(ValueError, match=said("no button")):
        tg.press(anna, tg.last_sent(anna), "maybe")


async def test_callback_query_expires() -> None:
    now = [0.0]
    tg = FakeTelegram(callback_ttl=10, clock=lambda: now[0])
    user = tg.add_user("Béla")
    tg.message(user, "/start")
    async with Bot(tg.token, request=tg.request()) as bot:
        await bot.send_message(user.id, "Kérdés", reply_markup=KEYBOARD)
        update = tg.press(user, tg.last_sent(user), "no")
        now[0] = 11.0
        with pytest.raises(BadRequest, match=said("query is too old")):
            await bot.answer_callback_query(update["callback_query"]["id"])


async def test_photo_and_document_uploads(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    photo = await bot.send_photo(anna.id, PNG, caption="<i>Kép</i>", parse_mode="HTML")
    assert photo.photo and photo.caption == "Kép" and photo.caption_entities[0].type == "italic"
    csv = "név;szervezet\nAnna;Alfa Kft.\n".encode()
    doc = await bot.send_document(anna.id, InputFile(io.BytesIO(csv), filename="tagok.csv"))
    assert doc.document is not None and doc.document.file_name == "tagok.csv"
    msg = tg.last_sent(anna)
    assert msg.document_bytes == csv and msg.document_name == "tagok.csv"
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == csv
    again = await bot.send_document(anna.id, doc.document.file_id)
    assert again.document is not None and again.document.file_id == doc.document.file_id
    with pytest.raises(BadRequest, match=said("can't use file of type Document as Photo")):
        await bot.send_photo(anna.id, doc.document.file_id)
    with pytest.raises(BadRequest, match=said("IMAGE_PROCESS_FAILED")):
        await bot.send_photo(anna.id, b"not an image")
    with pytest.raises(BadRequest, match=said("wrong file identifier/HTTP URL specified")):
        await bot.send_voice(anna.id, "no-such-file-id")
    with pytest.raises(BadRequest, match=said("message caption is too long")):
        await bot.send_photo(anna.id, PNG, caption="x" * 1025)
    album = await bot.send_media_group(anna.id, [InputMediaPhoto(PNG), InputMediaPhoto(PNG)])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id


async def test_get_me_and_chat_info(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    me = await bot.get_me()
    assert (me.is_bot, me.username, me.first_name) == (True, "klaszter_test_bot", "Klaszterbot")
    assert me.can_read_all_group_messages is False and me.supports_inline_queries is False
    group = tg.add_group("Munkacsoport 1", [anna], bot_is_admin=True)
    info = await bot.get_chat(group.id)
    assert isinstance(info, ChatFullInfo) and info.title == "Munkacsoport 1"
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id: a.status for a in admins} == {anna.id: "creator", tg.bot.id: "administrator"}
    stranger = tg.add_user("Idegen")
    assert (await bot.get_chat_member(group.id, stranger.id)).status == "left"
    with pytest.raises(BadRequest, match=said("user not found")):
        await bot.get_chat_member(group.id, 424242)


async def test_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    commands = [BotCommand("start", "Indítás"), BotCommand("profil", "Saját adatok")]
    assert await bot.set_my_commands(commands, language_code="hu")
    assert await bot.set_my_commands(commands[:1], scope=BotCommandScopeAllGroupChats())
    assert list(await bot.get_my_commands(language_code="hu")) == commands
    assert list(await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())) == commands[:1]
    assert list(await bot.get_my_commands()) == []
    for bad, error in [
        (BotCommand("Start", "x"), "BOT_COMMAND_INVALID"),
        (BotCommand("a" * 33, "x"), "BOT_COMMAND_INVALID"),
        (BotCommand("start", ""), "command description must be non-empty"),
        (BotCommand("start", "x" * 257), "BOT_COMMAND_DESCRIPTION_INVALID"),
    ]:
        with pytest.raises(BadRequest, match=said(error)):
            await bot.set_my_commands([bad])
    with pytest.raises(BadRequest, match=said("BOT_COMMANDS_TOO_MUCH")):
        await bot.set_my_commands([BotCommand(f"c{i}", "x") for i in range(101)])
    with pytest.raises(BadRequest, match=said("invalid language code")):
        await bot.set_my_commands(commands, language_code="hun")


async def test_join_request_approval(tg: FakeTelegram, bot: Bot) -> None:
    owner = tg.add_user("Tulaj")
    group = tg.add_group("Klaszter", [owner], bot_is_admin=True)
    applicant = tg.add_user("Jelentkező")
    update = tg.join_request(applicant, group, bio="Helló")
    assert update["chat_join_request"]["user_chat_id"] == applicant.id
    await bot.send_message(applicant.id, "Megkaptuk a kérésed")  # allowed after a join request
    assert await bot.approve_chat_join_request(group.id, applicant.id)
    assert (await bot.get_chat_member(group.id, applicant.id)).status == "member"
    with pytest.raises(BadRequest, match=said("USER_ALREADY_PARTICIPANT")):
        await bot.approve_chat_join_request(group.id, applicant.id)
    with pytest.raises(BadRequest, match=said("HIDE_REQUESTER_MISSING")):
        await bot.decline_chat_join_request(group.id, tg.add_user("Senki").id)


async def test_transport_errors(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert tg.calls[-1].error == "Not Found"
    wrong = Bot("123456:WRONG-token-for-the-fake-api-00000000", request=tg.request())
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    assert tg.calls[-1].error_code == 401
    custom = Bot(tg.token, base_url="https://api.example.test/bot", request=tg.request())
    await custom.get_me()
    assert tg.calls[-1].base_url == "https://api.example.test/bot"
    assert tg.base_urls == ["https://api.telegram.org/bot", "https://api.example.test/bot"]


async def test_parameter_checks(tg: FakeTelegram, anna: FakeUser) -> None:
    for params, error in [
        ({"text": "x"}, "chat_id is empty"),
        ({"chat_id": anna.id}, "message text is empty"),
        ({"chat_id": anna.id, "text": ""}, "message text is empty"),
        ({"chat_id": anna.id, "text": "x", "foo": 1}, 'parameter "foo" is not a parameter'),
        ({"chat_id": anna.id, "text": "x", "protect_content": "yes"}, "must be of type Boolean"),
        ({"chat_id": anna.id, "text": "x", "message_thread_id": "a"}, "must be of type Number"),
        ({"chat_id": anna.id, "text": "x", "reply_markup": "{"}, "can't parse reply keyboard"),
        (
            {"chat_id": anna.id, "text": "x", "reply_parameters": {"quote": "q"}},
            'can\'t find field "message_id"',
        ),
        (
            {"chat_id": anna.id, "text": "x", "entities": [{"type": "bold", "offset": 0}]},
            "can't parse MessageEntity: Can't find field \"length\"",
        ),
        (
            {
                "chat_id": anna.id,
                "text": "x",
                "entities": [{"type": "b", "offset": 0, "length": 1}],
            },
            "can't parse MessageEntity: Unsupported type specified",
        ),
        (
            {
                "chat_id": anna.id,
                "text": "hi",
                "entities": [{"type": "bold", "offset": 0, "length": 9}],
            },
            "entity beginning at UTF-16 offset 0 ends after the end of the text at UTF-16 offset 9",
        ),
    ]:
        with pytest.raises(BadRequest, match=said(error)):
            await call_raw(tg, "sendMessage", **params)


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ({"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]}, "BUTTON_DATA_INVALID"),
        ({"inline_keyboard": [[{"text": "x"}]]}, "Text buttons are unallowed"),
        ({"inline_keyboard": [[{"text": "x", "callback_data": ""}]]}, "Text buttons are unallowed"),
        ({"inline_keyboard": [[{"text": " ", "callback_data": "a"}]]}, "BUTTON_TEXT_INVALID"),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://a.hu"}]]},
            "exactly one action field",
        ),
        ({"inline_keyboard": [[{"callback_data": "a"}]]}, 'Can\'t find field "text"'),
        (
            {"inline_keyboard": [[{"text": "x", "url": None}]]},
            'can\'t parse inline keyboard button: Field "url" must be of type String',
        ),
        (
            {"inline_keyboard": [[{"text": "x", "url": "not-a-url"}]]},
            "inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        ),
        ({"inline_keyboard": "bad"}, 'field "inline_keyboard" must be of type Array'),
        ({"keyboard": [[{"text": "A"}]], "selective": "yes"}, 'field "selective" must be of type'),
    ],
)
async def test_keyboard_checks(
    tg: FakeTelegram, anna: FakeUser, markup: object, error: str
) -> None:
    with pytest.raises(BadRequest, match=said(error)):
        await call_raw(tg, "sendMessage", chat_id=anna.id, text="x", reply_markup=markup)
    assert await call_raw(
        tg, "sendMessage", chat_id=anna.id, text="x",
        reply_markup={"inline_keyboard": [[{"text": "x", "callback_data": "é" * 32}]]},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "mode", "error"),
    [
        (
            "<foo>x</foo>",
            "HTML",
            'can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
        ),
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", "HTML", 'Unsupported start tag "" at byte offset 2'),
        ("A & B", "HTML", 'Unescaped "&" at byte offset 2'),
        ("*x*", "MarkdownV2", "does not model parse_mode MarkdownV2"),
        ("x", "Markdown2", "unsupported parse_mode"),
        ("   ", None, "text must be non-empty"),
        ("<b></b>", "HTML", "text must be non-empty"),
        ("x" * 4097, None, "message is too long"),
        ("😀" * 2049, None, "message is too long"),
    ],
)
async def test_text_checks(
    bot: Bot, anna: FakeUser, text: str, mode: str | None, error: str
) -> None:
    with pytest.raises(BadRequest, match=said(error)):
        await bot.send_message(anna.id, text, parse_mode=mode)


async def test_text_limits_accept_the_maximum(bot: Bot, anna: FakeUser) -> None:
    assert (await bot.send_message(anna.id, "x" * 4096)).text == "x" * 4096
    assert (await bot.send_message(anna.id, "😀" * 2048)).text == "😀" * 2048


async def test_who_the_bot_may_write_to(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    shy = tg.add_user("Félénk")
    with pytest.raises(Forbidden, match=said("bot can't initiate conversation with a user")):
        await bot.send_message(shy.id, "Szia")
    update = tg.block_bot(anna)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match=said("bot was blocked by the user")):
        await bot.send_message(anna.id, "Szia")
    tg.unblock_bot(anna)
    await bot.send_message(anna.id, "Újra itt")
    with pytest.raises(BadRequest, match=said("chat not found")):
        await bot.send_message(987654, "Szia")
    group = tg.add_group("Régi csoport", [anna])
    tg.my_chat_member(group, "kicked", by=anna)
    with pytest.raises(Forbidden, match=said("bot was kicked from the supergroup chat")):
        await bot.send_message(group.id, "Szia")


async def test_replies_copies_deletes_and_pins(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    first = await bot.send_message(anna.id, "Első")
    reply = await bot.send_message(
        anna.id, "Válasz", reply_parameters=ReplyParameters(first.message_id)
    )
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "Első"
    with pytest.raises(BadRequest, match=said("message to be replied not found")):
        await bot.send_message(anna.id, "x", reply_parameters=ReplyParameters(999))
    loose = ReplyParameters(999, allow_sending_without_reply=True)
    assert (await bot.send_message(anna.id, "x", reply_parameters=loose)).reply_to_message is None
    copied = await bot.copy_message(anna.id, anna.id, first.message_id)
    assert tg.find_message(anna, copied.message_id).text == "Első"
    with pytest.raises(BadRequest, match=said("message to copy not found")):
        await bot.copy_message(anna.id, anna.id, 999)
    forwarded = await bot.forward_message(anna.id, anna.id, first.message_id)
    assert forwarded.forward_origin is not None
    assert await bot.delete_message(anna.id, first.message_id)
    with pytest.raises(BadRequest, match=said("message to delete not found")):
        await bot.delete_message(anna.id, first.message_id)
    assert first.message_id not in [m.message_id for m in tg.outbox(anna)]
    group = tg.add_group("Csoport", [anna])
    in_group = await bot.send_message(group.id, "Hirdetmény")
    with pytest.raises(BadRequest, match=said("not enough rights to manage pinned messages")):
        await bot.pin_chat_message(group.id, in_group.message_id)
    assert await bot.pin_chat_message(anna.id, reply.message_id)
    assert tg.find_message(anna, reply.message_id).pinned


async def test_member_management_needs_rights(tg: FakeTelegram, bot: Bot) -> None:
    owner, member = tg.add_user("Tulaj"), tg.add_user("Tag")
    weak = tg.add_group("Gyenge", [owner, member])
    with pytest.raises(
        BadRequest, match=said("not enough rights to restrict/unrestrict chat member")
    ):
        await bot.ban_chat_member(weak.id, member.id)
    strong = tg.add_group("Erős", [owner, member], bot_is_admin=True)
    with pytest.raises(BadRequest, match=said("can't remove chat owner")):
        await bot.ban_chat_member(strong.id, owner.id)
    assert await bot.ban_chat_member(strong.id, member.id)
    assert (await bot.get_chat_member(strong.id, member.id)).status == "kicked"
    assert await bot.unban_chat_member(strong.id, member.id, only_if_banned=True)
    assert (await bot.get_chat_member(strong.id, member.id)).status == "left"
    link = await bot.create_chat_invite_link(strong.id, creates_join_request=True)
    assert link.creates_join_request and link.invite_link.startswith("https://t.me/+")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control() -> None:
    now = [100.0]
    tg = FakeTelegram(flood_limits=True, clock=lambda: now[0])
    user = tg.add_user("Sietős")
    tg.message(user, "/start")
    async with Bot(tg.token, request=tg.request()) as bot:
        for _ in range(3):
            await bot.send_message(user.id, "gyors")
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(user.id, "túl gyors")
        assert info.value.message == "Flood control exceeded. Retry in 1 seconds"
        assert tg.calls[-1].error == "Too Many Requests: retry after 1"
        assert tg.flood_hits == 1
        now[0] += 1.0
        await bot.send_message(user.id, "most jó")


async def test_webhook_blocks_polling(bot: Bot) -> None:
    await bot.set_webhook("https://bot.example.hu/hook")
    with pytest.raises(
        Exception, match=said("can't use getUpdates method while webhook is active")
    ):
        await bot.get_updates()
    with pytest.raises(BadRequest, match=said("An HTTPS URL must be provided")):
        await bot.set_webhook("http://bot.example.hu/hook")
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_channels_need_admin_rights(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_channel("Klaszter hírek", username="klaszter_hirek")
    post = await bot.send_message("@klaszter_hirek", "Új hír")
    assert post.chat.type == "channel" and post.sender_chat is not None
    quiet = tg.add_channel("Másik csatorna", bot_is_admin=False)
    with pytest.raises(BadRequest, match=said("need administrator rights in the channel chat")):
        await bot.send_message(quiet.id, "x")
    with pytest.raises(BadRequest, match=said("chat not found")):
        await bot.send_message("@nincs_ilyen", "x")


async def test_web_app_buttons_only_in_private_chats(
    tg: FakeTelegram, bot: Bot, anna: FakeUser
) -> None:
    """Bot API: a web_app button is "available only in private chats between a user and the
    bot"; the URL must be https."""
    button = InlineKeyboardMarkup(
        [[InlineKeyboardButton("App", web_app=WebAppInfo("https://bot.example/webapp/"))]]
    )
    sent = await bot.send_message(anna.id, "Nyissa meg", reply_markup=button)
    group = tg.add_group("Klaszter", [anna], bot_is_admin=True)
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await bot.send_message(group.id, "Nyissa meg", reply_markup=button)
    in_group = await bot.send_message(group.id, "Szöveg")
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await bot.edit_message_reply_markup(group.id, in_group.message_id, reply_markup=button)
    plain = InlineKeyboardMarkup([[InlineKeyboardButton("App", web_app=WebAppInfo("http://x.hu"))]])
    with pytest.raises(BadRequest, match="only https links are allowed"):
        await bot.edit_message_reply_markup(anna.id, sent.message_id, reply_markup=plain)


async def test_chat_menu_button(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    app = MenuButtonWebApp("Átláthatóság", WebAppInfo("https://bot.example/webapp/"))
    assert await bot.set_chat_menu_button(menu_button=app)
    assert (await bot.get_chat_menu_button(anna.id)) == app  # the default applies to every chat
    assert tg.menu_buttons[0]["web_app"] == {"url": "https://bot.example/webapp/"}
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp("App", WebAppInfo("http://bot.example/"))
        )
    group = tg.add_group("Klaszter", [anna], bot_is_admin=True)
    with pytest.raises(BadRequest, match="private chat"):
        await bot.set_chat_menu_button(group.id, menu_button=app)
