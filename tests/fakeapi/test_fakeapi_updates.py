"""Update builders and getUpdates: what the bot receives, and when."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, Update
from telegram.error import Conflict

from fakeapi import FakeTelegram, FakeUser


def test_messages_parse_with_telegram_entities(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    update = Update.de_json(tg.message(anna, "/start payload"), bot)
    assert update.message is not None and update.effective_chat is not None
    assert update.effective_chat.type == "private" and update.message.text == "/start payload"
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        ("bot_command", 0, 6)
    ]
    text = "/help@klaszter_test_bot kérdés @bela #kérdés"
    entities = Update.de_json(tg.message(anna, text), bot).message.entities  # type: ignore[union-attr]
    assert [(e.type, e.offset, e.length) for e in entities] == [
        ("bot_command", 0, 23),
        ("mention", 31, 5),
        ("hashtag", 37, 7),
    ]
    first, second = tg.message(anna, "a"), tg.message(anna, "b")
    assert second["update_id"] == first["update_id"] + 1


def test_group_messages_replies_and_media(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    group = tg.add_group("Munkacsoport 1", [anna], bot_is_admin=True)
    assert group.id < 0 and group.type == "supergroup"
    said = tg.message(anna, "Sziasztok", chat=group)
    original = tg.find_message(group, said["message"]["message_id"])
    reply = Update.de_json(tg.message(anna, "Még valami", chat=group, reply_to=original), bot)
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.text == "Sziasztok"
    assert reply.message.chat.title == "Munkacsoport 1"
    doc = Update.de_json(
        tg.message(anna, document=("jelenlet.pdf", b"%PDF-1.4"), caption="Lista"), bot
    )
    assert doc.message is not None and doc.message.document is not None
    assert doc.message.document.file_name == "jelenlet.pdf" and doc.message.caption == "Lista"
    assert doc.message.document.mime_type == "application/pdf"
    kinds = {"photo": True, "voice": True, "video": True, "sticker": True, "poll": "Mikor?"}
    for kind, value in kinds.items():
        message = Update.de_json(tg.message(anna, **{kind: value}), bot).message
        assert message is not None and getattr(message, kind)
    with pytest.raises(ValueError, match="either text or exactly one kind"):
        tg.message(anna, "szöveg", photo=True)
    stranger = tg.add_user("Kívülálló")
    with pytest.raises(ValueError, match="not a member"):
        tg.message(stranger, "Helló", chat=group)


async def test_press_join_and_member_updates_parse(
    tg: FakeTelegram, bot: Bot, anna: FakeUser
) -> None:
    sent = await bot.send_message(
        anna.id,
        "Válassz",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    press = Update.de_json(tg.press(anna, tg.last_sent(anna), "a"), bot)
    assert press.callback_query is not None and press.callback_query.data == "a"
    assert press.callback_query.message is not None
    assert press.callback_query.message.message_id == sent.message_id
    forged = Update.de_json(tg.press(anna, tg.last_sent(anna), "xyz", forge=True), bot)
    assert forged.callback_query is not None and forged.callback_query.data == "xyz"
    group = tg.add_group("Klaszter", [tg.add_user("Tulaj")], bot_is_admin=True)
    join = Update.de_json(tg.join_request(anna, group, bio="Szia"), bot)
    assert join.chat_join_request is not None and join.chat_join_request.bio == "Szia"
    change = Update.de_json(tg.chat_member(group, anna, "member"), bot)
    assert change.chat_member is not None and change.chat_member.new_chat_member.status == "member"
    promoted = Update.de_json(tg.my_chat_member(group, "member", by=anna), bot)
    assert promoted.my_chat_member is not None
    assert promoted.my_chat_member.old_chat_member.status == "administrator"


async def test_get_updates_offset_limit_and_long_poll(
    tg: FakeTelegram, bot: Bot, anna: FakeUser
) -> None:
    first = (await bot.get_updates())[0]
    assert first.message is not None and first.message.text == "/start"
    tg.message(anna, "egy")
    tg.message(anna, "kettő")
    assert len(await bot.get_updates(offset=first.update_id + 1, limit=1)) == 1
    assert len(tg.pending_updates) == 2
    last_id = (await bot.get_updates(offset=first.update_id + 1))[-1].update_id
    assert await bot.get_updates(offset=last_id + 1) == ()
    waiting = asyncio.create_task(bot.get_updates(offset=last_id + 1, timeout=5))
    await asyncio.sleep(0.05)
    tg.message(anna, "három")
    [woken] = await asyncio.wait_for(waiting, 1)
    assert woken.message is not None and woken.message.text == "három"
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(offset=woken.update_id + 1, timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_second_poller_terminates_the_first(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 1)
    tg.push({"message": tg.message(tg.add_user("X"), "hi", deliver=False)["message"]})
    assert len(await asyncio.wait_for(second, 1)) == 1


async def test_chat_member_updates_need_allowed_updates(tg: FakeTelegram, bot: Bot) -> None:
    owner, newcomer = tg.add_user("Tulaj"), tg.add_user("Új")
    group = tg.add_group("Klaszter", [owner], bot_is_admin=True)
    tg.chat_member(group, newcomer, "member")
    assert await bot.get_updates() == ()
    tg.chat_member(group, newcomer, "left")
    [update] = await bot.get_updates(allowed_updates=["chat_member", "message"])
    assert update.chat_member is not None


async def test_privacy_mode_in_groups(tg: FakeTelegram, bot: Bot, anna: FakeUser) -> None:
    group = tg.add_group("Privát mód", [anna])
    await bot.get_updates(offset=-1)
    ours = await bot.send_message(group.id, "Kérdés a csoportnak")
    seen = [
        tg.message(anna, "csak beszélgetünk", chat=group),
        tg.message(anna, "/help", chat=group),
        tg.message(anna, "/help@klaszter_test_bot", chat=group),
        tg.message(anna, "/help@other_bot", chat=group),
        tg.message(anna, "válasz", chat=group, reply_to=tg.find_message(group, ours.message_id)),
        tg.message(anna, photo=True, chat=group),
    ]
    delivered = {u.update_id for u in await bot.get_updates(offset=seen[0]["update_id"])}
    assert [u["update_id"] in delivered for u in seen] == [False, True, True, False, True, False]
