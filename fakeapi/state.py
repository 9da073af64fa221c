"""The fake's world: users, chats, messages and files, plus the lookups API methods share."""

from __future__ import annotations

import itertools
import mimetypes
import time
from typing import Any

from fakeapi.errors import bad_request, forbidden
from fakeapi.models import ADMIN_RIGHTS, FakeChat, FakeMessage, FakeUser, Member, StoredFile

_FILE_PREFIX = {
    "photo": "AgAC", "document": "BQAC", "voice": "AwAC", "video": "BAAC", "audio": "CQAC",
    "animation": "CgAC", "sticker": "CAAC", "video_note": "DQAC",
}  # fmt: skip
_PERMISSIONS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
    "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
)  # fmt: skip
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})


class World:
    """Users, chats, messages and files, with the lookups the API methods share."""

    def __init__(self, bot: FakeUser):
        self.bot = bot
        self.users: dict[int, FakeUser] = {bot.id: bot}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[tuple[int, int], FakeMessage] = {}
        self.chat_messages: dict[int, list[FakeMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.may_message: set[int] = set()
        #: Keep every message and call (tests inspect them); a benchmark that sends tens of
        #: thousands turns it off, so the fake's history does not weigh on the process it
        #: measures (the bot's own garbage collections).
        self.keep_history = True
        self._serial = itertools.count(1)

    def serial(self) -> int:
        """A fresh number for fake identifiers (file, poll, query and album ids)."""
        return next(self._serial)

    @staticmethod
    def now() -> int:
        """Current Unix time, as Telegram puts in "date" fields."""
        return int(time.time())

    def user_dict(self, user_id: int) -> dict[str, Any] | None:
        """The User object of a known user, else None."""
        user = self.users.get(user_id)
        return user.to_dict() if user else None

    def private_chat(self, user: FakeUser) -> FakeChat:
        """The private chat between the bot and a user (created on first use)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = FakeChat(
                id=user.id,
                type="private",
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
            )
            self.chats[user.id] = chat
        return chat

    def resolve_chat(self, chat_id: int | str) -> FakeChat:
        """Find a chat by id or @username, or fail with "chat not found"."""
        if isinstance(chat_id, str):
            name = chat_id[1:].lower() if chat_id.startswith("@") else None
            for known in self.chats.values():
                if name and known.type != "private" and (known.username or "").lower() == name:
                    return known
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        user = self.users.get(chat_id)
        if user is None or user.is_bot:
            raise bad_request("chat not found")
        return self.private_chat(user)

    def writable_chat(self, chat_id: int | str) -> FakeChat:
        """A chat the bot may send to now, else Telegram's 403 (blocked, not started, kicked)."""
        chat = self.resolve_chat(chat_id)
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started and user.id not in self.may_message:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        status = self.status(chat, self.bot.id)
        kind = "channel" if chat.type == "channel" else f"{chat.type} chat"
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if status not in MEMBER_STATUSES:
            raise forbidden(f"bot is not a member of the {kind}")
        if chat.type == "channel" and status == "member":
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def get_message(self, chat_id: int, message_id: int) -> FakeMessage | None:
        """A message that exists and is not deleted."""
        msg = self.messages.get((chat_id, message_id))
        return None if msg is None or msg.deleted else msg

    def new_message(self, chat: FakeChat, sender: FakeUser, **fields: Any) -> FakeMessage:
        """Store a new message in a chat with the next message id."""
        msg = FakeMessage(
            message_id=chat.next_message_id,
            chat_id=chat.id,
            date=self.now(),
            from_id=sender.id,
            from_bot=sender.id == self.bot.id,
            **fields,
        )
        chat.next_message_id += 1
        if self.keep_history:
            self.messages[(chat.id, msg.message_id)] = msg
            self.chat_messages.setdefault(chat.id, []).append(msg)
        return msg

    def message_dict(self, msg: FakeMessage, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as Telegram sends it."""
        chat = self.chats[msg.chat_id].to_dict()
        out: dict[str, Any] = {"message_id": msg.message_id}
        if chat["type"] == "channel":
            out["sender_chat"] = chat
        else:
            out["from"] = self.users[msg.from_id].to_dict()
        out.update(date=msg.date, chat=chat)
        if with_reply and msg.reply_to_message_id is not None:
            replied = self.get_message(msg.chat_id, msg.reply_to_message_id)
            if replied is not None:
                out["reply_to_message"] = self.message_dict(replied, with_reply=False)
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if msg.media_group_id is not None:
            out["media_group_id"] = msg.media_group_id
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.media_kind is not None:
            out[msg.media_kind] = msg.media
        if msg.caption:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
        out.update(msg.extra)
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    def status(self, chat: FakeChat, user_id: int) -> str:
        """A user's member status in a chat ("left" if never there)."""
        if chat.type == "private":
            return "member" if user_id in (chat.id, self.bot.id) else "left"
        member = chat.members.get(user_id)
        return member.status if member else "left"

    def bot_can(self, chat: FakeChat, right: str) -> bool:
        """Whether the bot holds an admin right in a group (always true in private chats)."""
        if chat.type == "private":
            return True
        member = chat.members.get(self.bot.id)
        if member is None:
            return False
        return member.status == "creator" or (
            member.status == "administrator" and member.rights.get(right, False)
        )

    def member_dict(self, chat: FakeChat, user_id: int) -> dict[str, Any]:
        """The ChatMember object of a user in a chat."""
        user = self.users[user_id].to_dict()
        status = self.status(chat, user_id)
        member = chat.members.get(user_id, Member(status))
        out: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out.update({"can_be_edited": False, "is_anonymous": False})
            out.update({r: member.rights.get(r, False) for r in ADMIN_RIGHTS})
        elif status == "restricted":
            out["is_member"] = True
            out.update({p: member.rights.get(p, False) for p in _PERMISSIONS})
            out["until_date"] = member.until_date
        elif status == "kicked":
            out["until_date"] = member.until_date
        if member.custom_title and status in ("creator", "administrator"):
            out["custom_title"] = member.custom_title
        return out

    def chat_full_info(self, chat: FakeChat) -> dict[str, Any]:
        """The ChatFullInfo object getChat returns."""
        out = chat.to_dict()
        out.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        if chat.is_group:
            out["permissions"] = {p: True for p in _PERMISSIONS if p != "can_manage_topics"}
            if chat.description:
                out["description"] = chat.description
        if chat.pinned:
            pinned = self.get_message(chat.id, chat.pinned[-1])
            if pinned is not None:
                out["pinned_message"] = self.message_dict(pinned)
        return out

    def store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Register file bytes under a new fake file_id."""
        seq = self.serial()
        ext = mimetypes.guess_extension(mime_type or "") or ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQAC')}AgADFake{seq:08d}",
            file_unique_id=f"AQADFake{seq:08d}",
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{kind}s/file_{seq}{ext}",
        )
        self.files[stored.file_id] = stored
        return stored

    def admin_member(self, rights: dict[str, bool] | None = None) -> Member:
        """An administrator membership with the given rights (default: all)."""
        granted = {r: True for r in ADMIN_RIGHTS}
        granted.update(rights or {})
        return Member("administrator", granted)
