"""Checks shared by the API methods: text, captions, keyboards, replies, files, targets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fakeapi.api.registry import Params
from fakeapi.entities import check_length, format_text
from fakeapi.errors import ApiError, bad_request
from fakeapi.models import FakeChat, FakeMessage, StoredFile, UploadedFile
from fakeapi.textutil import check_link

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
PRIVATE_STATUS = "chat member status can't be changed in private chats"
_BUTTON_FIXED = frozenset({"text", "icon_custom_emoji_id", "style"})
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")
_MAX_UPLOAD = 50 * 1024 * 1024


def parse_text(tg: FakeTelegram, text: str, mode: Any, entities: Any) -> tuple[str, list[Any]]:
    """Parse text with parse_mode or entities into visible text and entities."""
    return format_text(text, mode, entities, tg.user_dict, tg.strict_html)


def message_text(tg: FakeTelegram, p: Params) -> tuple[str, list[Any]]:
    """A message text: parsed, non-empty and at most 4096 UTF-16 units."""
    plain, entities = parse_text(tg, p["text"], p.get("parse_mode"), p.get("entities"))
    if not plain:
        raise bad_request("text must be non-empty")
    check_length(plain, 4096, "message is too long")
    return plain, entities


def caption_of(tg: FakeTelegram, p: Params) -> tuple[str | None, list[Any]]:
    """An optional caption: parsed and at most 1024 UTF-16 units."""
    if p.get("caption") is None:
        return None, []
    plain, entities = parse_text(tg, p["caption"], p.get("parse_mode"), p.get("caption_entities"))
    check_length(plain, 1024, "message caption is too long")
    return plain or None, entities


def check_button(button: dict[str, Any], private: bool = True) -> None:
    """One inline keyboard button: text, exactly one action, valid data/URL; a Web App button
    only in a private chat (``private``)."""
    prefix = "can't parse inline keyboard button: "
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [k for k, v in button.items() if k not in _BUTTON_FIXED and v not in ("", None)]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(prefix + f"exactly one action field must be used, got {actions}")
    action, value = actions[0], button[actions[0]]
    if action == "callback_data" and len(value.encode("utf-8")) > 64:
        raise bad_request("BUTTON_DATA_INVALID")
    if action == "url":
        checked, reason = check_link(value)
        if checked is None:
            raise bad_request(f"inline keyboard button URL '{value}' is invalid: {reason}")
    if action == "web_app" and not private:
        raise bad_request("BUTTON_TYPE_INVALID")
    if action == "web_app" and not value["url"].lower().startswith("https://"):
        raise bad_request(
            f"inline keyboard button Web App URL '{value['url']}' is invalid: "
            "Only HTTPS links are allowed"
        )
    if action in ("pay", "callback_game"):
        raise bad_request("BUTTON_TYPE_INVALID")
    if action == "copy_text" and not 1 <= len(value["text"]) <= 256:
        raise bad_request("BUTTON_COPY_TEXT_INVALID")
    if button.get("style") not in (None, "danger", "success", "primary"):
        raise bad_request("BUTTON_STYLE_INVALID")


def reply_markup(p: Params, chat: FakeChat | None = None) -> dict[str, Any] | None:
    """The reply_markup, with Telegram's semantic checks on keyboards (in ``chat``)."""
    markup: dict[str, Any] | None = p.get("reply_markup")
    if markup is None:
        return None
    rows = markup.get("inline_keyboard", markup.get("keyboard"))
    if rows is not None:
        if sum(len(row) for row in rows) > 100:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        for row in rows:
            for button in row:
                if "inline_keyboard" in markup:
                    check_button(button, chat is None or chat.type == "private")
                elif not button["text"].strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
    return markup


def inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only an inline keyboard counts as a message's markup."""
    return markup if markup and "inline_keyboard" in markup else None


def reply_to(tg: FakeTelegram, chat: FakeChat, p: Params) -> int | None:
    """The message id a new message replies to, checking it exists."""
    params = p.get("reply_parameters")
    if not params:
        return None
    target = tg.resolve_chat(params.get("chat_id", chat.id))
    if tg.get_message(target.id, params["message_id"]) is None:
        if params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return int(params["message_id"]) if target.id == chat.id else None


def writable(tg: FakeTelegram, p: Params) -> FakeChat:
    """The target chat of a send, with business/thread parameters checked."""
    if p.get("business_connection_id"):
        raise bad_request("business connection not found")
    chat = tg.writable_chat(p["chat_id"])
    if p.get("message_thread_id"):
        raise bad_request("message thread not found")
    return chat


def post(tg: FakeTelegram, chat: FakeChat, p: Params, **fields: Any) -> FakeMessage:
    """Create a bot message with the request's markup and reply target."""
    markup = reply_markup(p, chat)
    reply = reply_to(tg, chat, p)
    return tg.new_message(chat, tg.bot, reply_markup=markup, reply_to_message_id=reply, **fields)


def resolve_file(tg: FakeTelegram, kind: str, value: Any) -> StoredFile:
    """Resolve an upload, a known file_id or an HTTP URL to a stored file."""
    if isinstance(value, UploadedFile):
        if not value.content:
            raise bad_request("file must be non-empty")
        if len(value.content) > _MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and not (
            value.content.startswith(_IMAGE_MAGIC) or value.content[8:12] == b"WEBP"
        ):
            raise bad_request("IMAGE_PROCESS_FAILED")
        return tg.store_file(kind, value.content, value.filename, value.mime_type)
    stored = tg.files.get(value)
    if stored is not None:
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored
    if re.match(r"https?://[^/\s]+\.[^/\s]+", value, re.IGNORECASE):
        name = value.rstrip("/").rsplit("/", 1)[-1] or None
        return tg.store_file(kind, b"", name, None)
    raise bad_request("wrong file identifier/HTTP URL specified")


def edit_target(tg: FakeTelegram, p: Params) -> FakeMessage:
    """The bot message an edit method addresses."""
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    if p.get("chat_id") in (None, ""):
        raise bad_request("chat_id is empty")
    if p.get("message_id") is None:
        raise bad_request("message identifier is not specified")
    chat = tg.writable_chat(p["chat_id"])
    msg = tg.get_message(chat.id, p["message_id"])
    if msg is None:
        raise bad_request("message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


def group_chat(tg: FakeTelegram, p: Params) -> FakeChat:
    """A group chat for member management (private chats are refused)."""
    chat = tg.resolve_chat(p["chat_id"])
    if not chat.is_group:
        raise bad_request(PRIVATE_STATUS)
    return chat


def need_right(tg: FakeTelegram, chat: FakeChat, right: str, message: str) -> None:
    """Fail unless the bot holds an admin right in the chat."""
    if not tg.bot_can(chat, right):
        raise bad_request(message)
