"""Editing and deleting messages, with Telegram's "not modified" and "not found" rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeapi.api.common import (
    NOT_MODIFIED,
    caption_of,
    edit_target,
    inline_only,
    message_text,
    reply_markup,
    resolve_file,
)
from fakeapi.api.registry import Files, Params, method
from fakeapi.errors import bad_request
from fakeapi.media import media_object
from fakeapi.models import FakeChat, FakeMessage

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram


def _record_edit(tg: FakeTelegram, msg: FakeMessage, method_name: str, **changes: Any) -> Any:
    """Apply an edit, remember it in msg.edits and return the edited Message."""
    for key, value in changes.items():
        setattr(msg, key, value)
    msg.edit_date = tg.now()
    msg.edits.append({"method": method_name, **changes})
    return tg.message_dict(msg)


def _edit_texts(
    tg: FakeTelegram, p: Params, new: tuple[Any, Any], fields: tuple[str, str]
) -> tuple[FakeMessage, Any]:
    """The message an edit of its text or caption targets, and the new keyboard; Telegram's
    errors when it has no such text, or nothing changes. ``fields``: the message's attributes
    for the text (``text`` or ``caption``) and for its entities."""
    msg = edit_target(tg, p)
    kind = fields[0]
    if (msg.text if kind == "text" else msg.media_kind) is None:
        raise bad_request(f"there is no {kind} in the message to edit")
    markup = reply_markup(p, tg.chats.get(msg.chat_id))
    old = tuple(getattr(msg, name) for name in fields)
    if (*new, markup) == (*old, inline_only(msg.reply_markup)):
        raise bad_request(NOT_MODIFIED)
    return msg, markup


@method("editMessageText")
def edit_message_text(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """editMessageText: a changed text or keyboard (omitting reply_markup removes it)."""
    plain, entities = message_text(tg, p)
    msg, markup = _edit_texts(tg, p, (plain, entities), ("text", "entities"))
    return _record_edit(
        tg, msg, "editMessageText", text=plain, html=p["text"],
        parse_mode=p.get("parse_mode"), entities=entities, reply_markup=markup,
    )  # fmt: skip


@method("editMessageCaption")
def edit_message_caption(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """editMessageCaption: a changed caption or keyboard of a media message."""
    caption, entities = caption_of(tg, p)
    msg, markup = _edit_texts(tg, p, (caption, entities), ("caption", "caption_entities"))
    return _record_edit(
        tg, msg, "editMessageCaption", caption=caption, caption_html=p.get("caption"),
        caption_entities=entities, reply_markup=markup,
    )  # fmt: skip


@method("editMessageReplyMarkup")
def edit_message_reply_markup(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """editMessageReplyMarkup: a changed inline keyboard (omitted = removed)."""
    msg = edit_target(tg, p)
    markup = reply_markup(p, tg.chats.get(msg.chat_id))
    if markup == inline_only(msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    return _record_edit(tg, msg, "editMessageReplyMarkup", reply_markup=markup)


@method("editMessageMedia")
def edit_message_media(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """editMessageMedia: replace the file (and caption) of a media message."""
    msg = edit_target(tg, p)
    if msg.media_kind is None:
        raise bad_request("there is no media in the message to edit")
    item = p["media"]
    media = item["media"]
    if isinstance(media, str) and media.startswith("attach://"):
        media = files.get(media[len("attach://") :])
        if media is None:
            raise bad_request(f"file {item['media']} not found in the request")
    stored = resolve_file(tg, item["type"], media)
    caption, entities = caption_of(tg, item)
    return _record_edit(
        tg, msg, "editMessageMedia", media_kind=item["type"],
        media=media_object(item["type"], stored, item), file_id=stored.file_id,
        file_bytes=stored.content, caption=caption, caption_html=item.get("caption"),
        caption_entities=entities, reply_markup=reply_markup(p, tg.chats.get(msg.chat_id)),
    )  # fmt: skip


def _deletable(tg: FakeTelegram, chat: FakeChat, msg: FakeMessage) -> bool:
    """Whether the bot may delete this message."""
    return msg.from_bot or chat.type == "private" or tg.bot_can(chat, "can_delete_messages")


@method("deleteMessage")
def delete_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """deleteMessage: own messages, private-chat messages, or any with the admin right."""
    chat = tg.resolve_chat(p["chat_id"])
    msg = tg.get_message(chat.id, p["message_id"])
    if msg is None:
        raise bad_request("message to delete not found")
    if not _deletable(tg, chat, msg):
        raise bad_request("message can't be deleted")
    msg.deleted = True
    return True


@method("deleteMessages")
def delete_messages(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """deleteMessages: 1-100 ids; missing ones are skipped."""
    if not 1 <= len(p["message_ids"]) <= 100:
        raise bad_request("too many messages to delete")
    chat = tg.resolve_chat(p["chat_id"])
    for message_id in p["message_ids"]:
        msg = tg.get_message(chat.id, message_id)
        if msg is not None and _deletable(tg, chat, msg):
            msg.deleted = True
    return True
