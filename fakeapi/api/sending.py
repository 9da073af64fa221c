"""sendMessage, file senders, albums, other content, copies and forwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakeapi.api.common import (
    caption_of,
    message_text,
    post,
    reply_to,
    resolve_file,
    writable,
)
from fakeapi.api.registry import HANDLERS, Files, Handler, Params, method
from fakeapi.errors import bad_request
from fakeapi.media import MEDIA_KINDS, media_object
from fakeapi.models import FakeChat, FakeMessage

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


@method("sendMessage")
def send_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """sendMessage: text with parse_mode/entities, keyboard and reply."""
    plain, entities = message_text(tg, p)
    chat = writable(tg, p)
    msg = post(
        tg, chat, p, text=plain, html=p["text"], parse_mode=p.get("parse_mode"), entities=entities
    )
    return tg.message_dict(msg)


def _send_media(tg: FakeTelegram, p: Params, kind: str) -> Any:
    """Common body of sendPhoto, sendDocument, sendVoice and the other file senders."""
    caption, caption_entities = caption_of(tg, p)
    chat = writable(tg, p)
    stored = resolve_file(tg, kind, p[kind])
    msg = post(
        tg,
        chat,
        p,
        media_kind=kind,
        media=media_object(kind, stored, p),
        file_id=stored.file_id,
        file_bytes=stored.content,
        caption=caption,
        caption_html=p.get("caption"),
        caption_entities=caption_entities,
        parse_mode=p.get("parse_mode"),
    )
    return tg.message_dict(msg)


def _media_sender(kind: str) -> Handler:
    """A handler sending one kind of file."""

    def handler(tg: FakeTelegram, p: Params, files: Files) -> Any:
        """Send a file of the bound kind."""
        return _send_media(tg, p, kind)

    return handler


for _kind in MEDIA_KINDS:
    _camel = "".join(part.title() for part in _kind.split("_"))
    HANDLERS[f"send{_camel}"] = _media_sender(_kind)


@method("sendMediaGroup")
def send_media_group(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """sendMediaGroup: 2-10 photos/videos, documents or audios sent as an album."""
    items = p["media"]
    if not 2 <= len(items) <= 10:
        raise bad_request("wrong number of messages specified; must be between 2 and 10")
    kinds = {item["type"] for item in items}
    if len(kinds) > 1 and not kinds <= {"photo", "video"}:
        raise bad_request("documents and audio files can't be mixed with other media types")
    chat = writable(tg, p)
    prepared = []
    for item in items:
        caption, caption_entities = caption_of(tg, item)
        media = item["media"]
        if isinstance(media, str) and media.startswith("attach://"):
            media = files.get(media[len("attach://") :])
            if media is None:
                raise bad_request(f"file {item['media']} not found in the request")
        prepared.append((item, caption, caption_entities, resolve_file(tg, item["type"], media)))
    group_id = str(13_000_000_000_000_000 + tg.serial())
    reply = reply_to(tg, chat, p)
    sent = [
        tg.new_message(
            chat,
            tg.bot,
            media_kind=item["type"],
            media=media_object(item["type"], stored, item),
            file_id=stored.file_id,
            file_bytes=stored.content,
            caption=caption,
            caption_html=item.get("caption"),
            caption_entities=caption_entities,
            parse_mode=item.get("parse_mode"),
            media_group_id=group_id,
            reply_to_message_id=reply,
        )
        for item, caption, caption_entities, stored in prepared
    ]
    return [tg.message_dict(m) for m in sent]


def _content_sender(build: Callable[[Params], tuple[str, Any]]) -> Handler:
    """A handler for senders of non-file content (location, contact, venue, dice, poll)."""

    def handler(tg: FakeTelegram, p: Params, files: Files) -> Any:
        """Send the built content."""
        key, content = build(p)
        if key == "poll":
            content["id"] = str(5_000_000_000_000_000 + tg.serial())
        chat = writable(tg, p)
        return tg.message_dict(post(tg, chat, p, extra={key: content}))

    return handler


def _location(p: Params) -> dict[str, Any]:
    """A Location object from latitude/longitude parameters."""
    lat, lon = p["latitude"], p["longitude"]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad_request("wrong latitude or longitude specified")
    return {"latitude": lat, "longitude": lon}


def _venue(p: Params) -> tuple[str, Any]:
    """The venue of a sendVenue call."""
    return "venue", {"location": _location(p), "title": p["title"], "address": p["address"]}


def _contact(p: Params) -> tuple[str, Any]:
    """The contact of a sendContact call."""
    keys = ("phone_number", "first_name", "last_name", "vcard")
    return "contact", {k: p[k] for k in keys if p.get(k)}


def _dice(p: Params) -> tuple[str, Any]:
    """The dice of a sendDice call."""
    emoji = p.get("emoji") or "🎲"
    if emoji not in ("🎲", "🎯", "🏀", "⚽", "🎳", "🎰"):
        raise bad_request("EMOTICON_INVALID")
    return "dice", {"emoji": emoji, "value": 1}


def _poll(p: Params) -> tuple[str, Any]:
    """The poll of a sendPoll call."""
    options = p["options"]
    if not 2 <= len(options) <= 12:
        raise bad_request("POLL_OPTIONS_INVALID")
    if not 1 <= len(p["question"]) <= 300:
        raise bad_request("POLL_QUESTION_INVALID")
    return "poll", {
        "question": p["question"],
        "options": [
            {"persistent_id": str(n), "text": o["text"], "voter_count": 0}
            for n, o in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": bool(p.get("is_closed")),
        "is_anonymous": p.get("is_anonymous", True),
        "type": p.get("type") or "regular",
        "allows_multiple_answers": bool(p.get("allows_multiple_answers")),
        "allows_revoting": bool(p.get("allows_revoting")),
        "members_only": bool(p.get("members_only")),
    }


HANDLERS["sendLocation"] = _content_sender(lambda p: ("location", _location(p)))
HANDLERS["sendVenue"] = _content_sender(_venue)
HANDLERS["sendContact"] = _content_sender(_contact)
HANDLERS["sendDice"] = _content_sender(_dice)
HANDLERS["sendPoll"] = _content_sender(_poll)


def _source(tg: FakeTelegram, p: Params, missing: str) -> FakeMessage:
    """The message copyMessage/forwardMessage takes from from_chat_id."""
    chat = tg.resolve_chat(p["from_chat_id"])
    msg = tg.get_message(chat.id, p["message_id"])
    if msg is None:
        raise bad_request(missing)
    return msg


def _clone(
    tg: FakeTelegram, src: FakeMessage, chat: FakeChat, p: Params, **over: Any
) -> FakeMessage:
    """A bot message in chat carrying the source message's content."""
    fields: dict[str, Any] = {
        "text": src.text, "html": src.html, "parse_mode": src.parse_mode,
        "entities": list(src.entities), "caption": src.caption, "caption_html": src.caption_html,
        "caption_entities": list(src.caption_entities), "media_kind": src.media_kind,
        "media": src.media, "file_id": src.file_id, "file_bytes": src.file_bytes,
        "extra": dict(src.extra),
    }  # fmt: skip
    fields.update(over)
    return post(tg, chat, p, **fields)


@method("copyMessage")
def copy_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """copyMessage: resend a message's content without a link to the original."""
    src = _source(tg, p, "message to copy not found")
    over: dict[str, Any] = {}
    if "caption" in p:
        if src.media_kind is None:
            raise bad_request("can't specify caption for a text message")
        caption, entities = caption_of(tg, p)
        over = {"caption": caption, "caption_html": p["caption"], "caption_entities": entities}
    chat = writable(tg, p)
    return {"message_id": _clone(tg, src, chat, p, **over).message_id}


@method("copyMessages", "forwardMessages")
def copy_messages(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """copyMessages/forwardMessages: several messages, returned as MessageId objects."""
    chat = writable(tg, p)
    out = []
    for message_id in sorted(p["message_ids"]):
        src = tg.get_message(tg.resolve_chat(p["from_chat_id"]).id, message_id)
        if src is not None:
            out.append({"message_id": _clone(tg, src, chat, {}).message_id})
    if not out:
        raise bad_request("messages to copy not found")
    return out


@method("forwardMessage")
def forward_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """forwardMessage: a copy that shows where it came from (forward_origin)."""
    src = _source(tg, p, "message to forward not found")
    chat = writable(tg, p)
    origin_chat = tg.chats[src.chat_id]
    if origin_chat.type == "channel":
        origin: dict[str, Any] = {"type": "channel", "chat": origin_chat.to_dict(),
                                  "message_id": src.message_id}  # fmt: skip
    else:
        origin = {"type": "user", "sender_user": tg.users[src.from_id].to_dict()}
    extra = {**src.extra, "forward_origin": {**origin, "date": src.date}}
    return tg.message_dict(_clone(tg, src, chat, {}, extra=extra))


@method("sendChatAction")
def send_chat_action(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """sendChatAction: only the documented actions, only to reachable chats."""
    if p["action"] not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    writable(tg, p)
    return True
