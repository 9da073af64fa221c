"""Builders for what users do: messages, button presses, join requests, member changes."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from fakeapi.entities import detect_entities
from fakeapi.media import media_object
from fakeapi.models import CallbackQuery, FakeChat, FakeMessage, FakeUser, Member
from fakeapi.polling import UpdateQueue
from fakeapi.state import MEMBER_STATUSES, World


class UpdateBuilders(World):
    """Builders that play users: messages, button presses, join requests, member changes."""

    def __init__(
        self,
        bot: FakeUser,
        can_read_all_group_messages: bool,
        auto_deliver: bool,
        clock: Callable[[], float],
    ):
        super().__init__(bot)
        self.queue = UpdateQueue()
        self.can_read_all_group_messages = can_read_all_group_messages
        self.auto_deliver = auto_deliver
        self.clock = clock
        self.callbacks: dict[str, CallbackQuery] = {}
        self._next_user_id = 1001
        self._next_group = 1

    def add_user(
        self,
        first_name: str = "Teszt",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "hu",
        *,
        id: int | None = None,
        is_premium: bool = False,
    ) -> FakeUser:
        """Create a user the bot can meet (ids 1001, 1002, ... unless given)."""
        if id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            id = self._next_user_id
        if id in self.users:
            raise ValueError(f"user id {id} already exists")
        user = FakeUser(id, first_name, last_name, username, language_code, is_premium=is_premium)
        self.users[id] = user
        return user

    def add_group(
        self,
        title: str,
        members: Iterable[FakeUser] = (),
        *,
        bot_is_admin: bool = False,
        supergroup: bool = True,
        owner: FakeUser | None = None,
        admins: Iterable[FakeUser] = (),
        username: str | None = None,
        description: str | None = None,
        bot_rights: dict[str, bool] | None = None,
    ) -> FakeChat:
        """Create a group with the bot in it; the owner defaults to the first member."""
        seq = self._next_group
        self._next_group += 1
        chat_id = -1001000000000 - seq if supergroup else -4000000000 - seq
        chat = FakeChat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            description=description,
        )
        members = list(members)
        for user in members:
            chat.members[user.id] = Member("member")
        owner = owner or (members[0] if members else None)
        if owner is not None:
            chat.members[owner.id] = Member("creator")
        for admin in admins:
            chat.members[admin.id] = self.admin_member()
        if bot_is_admin:
            chat.members[self.bot.id] = self.admin_member(bot_rights)
        else:
            chat.members[self.bot.id] = Member("member")
        self.chats[chat.id] = chat
        return chat

    def add_channel(
        self, title: str, *, username: str | None = None, bot_is_admin: bool = True
    ) -> FakeChat:
        """Create a channel; the bot can post there only as an administrator."""
        seq = self._next_group
        self._next_group += 1
        chat = FakeChat(id=-1002000000000 - seq, type="channel", title=title, username=username)
        chat.members[self.bot.id] = self.admin_member() if bot_is_admin else Member("member")
        self.chats[chat.id] = chat
        return chat

    def _emit(self, update: dict[str, Any], visible: bool, deliver: bool | None) -> dict[str, Any]:
        """Give the update an id and queue it if the bot would receive it."""
        update = {"update_id": self.queue.next_id(), **update}
        if visible and (self.auto_deliver if deliver is None else deliver):
            self.queue.push(update)
        return update

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a hand-made update for getUpdates (an update_id is added if missing)."""
        return self.queue.push(update)

    def _bot_sees(self, chat: FakeChat, msg: FakeMessage) -> bool:
        """Whether a group message reaches the bot, honouring privacy mode."""
        status = self.status(chat, self.bot.id)
        if status not in MEMBER_STATUSES:
            return False
        if self.can_read_all_group_messages or status in ("creator", "administrator"):
            return True
        if msg.reply_to_message_id is not None:
            replied = self.get_message(chat.id, msg.reply_to_message_id)
            if replied is not None and replied.from_bot:
                return True
        name = (self.bot.username or "").lower()
        for entity in msg.entities:
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                target = (msg.text or "")[: entity["length"]].partition("@")[2].lower()
                return target in ("", name)
        return bool(msg.extra)

    def message(
        self,
        user: FakeUser,
        text: str | None = None,
        *,
        chat: FakeChat | None = None,
        reply_to: FakeMessage | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        photo: bool | bytes = False,
        document: tuple[str, bytes] | None = None,
        voice: bool = False,
        video: bool = False,
        sticker: bool = False,
        poll: bool | str = False,
        deliver: bool | None = None,
    ) -> dict[str, Any]:
        """A user sends a message (private chat unless chat is given); returns the Update."""
        chat = self._sender_chat(user, chat)
        fields = self._content(
            text, entities, caption, photo, document, voice, video, sticker, poll
        )
        if reply_to is not None:
            if reply_to.chat_id != chat.id or reply_to.deleted:
                raise ValueError("reply_to must be a live message of the same chat")
            fields["reply_to_message_id"] = reply_to.message_id
        msg = self.new_message(chat, user, **fields)
        visible = chat.type == "private" or self._bot_sees(chat, msg)
        return self._emit({"message": self.message_dict(msg)}, visible, deliver)

    def _sender_chat(self, user: FakeUser, chat: FakeChat | None) -> FakeChat:
        """The chat a user writes in, checking they can write there."""
        if chat is None:
            if user.blocked:
                raise ValueError(f"{user.full_name} blocked the bot; call unblock_bot first")
            user.started = True
            return self.private_chat(user)
        if chat.type == "private":
            if chat.id != user.id:
                raise ValueError("a user can only write in their own private chat with the bot")
            user.started = True
        elif self.status(chat, user.id) not in MEMBER_STATUSES:
            raise ValueError(f"{user.full_name} is not a member of {chat.title!r}")
        return chat

    def _content(
        self,
        text: str | None,
        entities: list[dict[str, Any]] | None,
        caption: str | None,
        photo: bool | bytes,
        document: tuple[str, bytes] | None,
        voice: bool,
        video: bool,
        sticker: bool,
        poll: bool | str,
    ) -> dict[str, Any]:
        """Message fields for text or one kind of media (with optional caption)."""
        kinds = {
            "photo": photo is not False,
            "document": document is not None,
            "voice": voice,
            "video": video,
            "sticker": sticker,
            "poll": poll is not False,
        }
        chosen = [k for k, on in kinds.items() if on]
        if len(chosen) > 1 or (chosen and text is not None) or not (chosen or text is not None):
            raise ValueError("give either text or exactly one kind of media")
        if text is not None:
            return {"text": text, "entities": entities or detect_entities(text)}
        kind = chosen[0]
        fields: dict[str, Any] = {"media_kind": kind}
        if kind == "poll":
            fields["media"] = self._poll(poll if isinstance(poll, str) else "Szavazás")
            return fields
        content = photo if isinstance(photo, bytes) else b""
        name: str | None = None
        mime: str | None = None
        if document is not None:
            name, content = document
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = self.store_file(kind, content, name, mime)
        fields.update(media=media_object(kind, stored), file_id=stored.file_id, file_bytes=content)
        if caption is not None and kind != "sticker":
            fields.update(caption=caption, caption_entities=detect_entities(caption))
        return fields

    def _poll(self, question: str) -> dict[str, Any]:
        """A regular anonymous poll with two options."""
        options = [
            {"persistent_id": str(n), "text": text, "voter_count": 0}
            for n, text in enumerate(("Igen", "Nem"))
        ]
        return {
            "id": str(5_000_000_000_000_000 + self.serial()),
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }

    def press(
        self,
        user: FakeUser,
        message: FakeMessage,
        data: str,
        *,
        forge: bool = False,
        deliver: bool | None = None,
    ) -> dict[str, Any]:
        """A user presses a button of a bot message (forge: any data, any user); returns Update."""
        if message.deleted or not message.from_bot:
            raise ValueError("only live messages sent by the bot have buttons to press")
        if not forge and data not in message.callback_data:
            raise ValueError(f"no button with callback_data {data!r}; buttons: {message.buttons}")
        chat = self.chats[message.chat_id]
        if not forge:
            self._sender_chat(user, chat)
        query_id = str(4_000_000_000_000_000 + self.serial())
        self.callbacks[query_id] = CallbackQuery(user.id, self.clock())
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self.message_dict(message),
            "chat_instance": str(abs(chat.id) * 1_000_003 % 2**62),
            "data": data,
        }
        return self._emit({"callback_query": query}, True, deliver)

    def join_request(
        self,
        user: FakeUser,
        chat: FakeChat,
        *,
        bio: str | None = None,
        deliver: bool | None = None,
    ) -> dict[str, Any]:
        """A user asks to join a group; the bot sees it if it may invite users."""
        if not chat.is_group:
            raise ValueError("join requests exist only in groups")
        if self.status(chat, user.id) in MEMBER_STATUSES:
            raise ValueError(f"{user.full_name} is already a member")
        date = self.now()
        chat.join_requests[user.id] = date
        self.may_message.add(user.id)
        request: dict[str, Any] = {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": date,
        }
        if bio is not None:
            request["bio"] = bio
        visible = self.bot_can(chat, "can_invite_users")
        return self._emit({"chat_join_request": request}, visible, deliver)

    def member_change(
        self,
        chat: FakeChat,
        user: FakeUser,
        new: Member,
        by: FakeUser,
        deliver: bool | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Apply a membership change and build its (my_)chat_member Update."""
        old = self.member_dict(chat, user.id)
        chat.members[user.id] = new
        change = {
            "chat": chat.to_dict(),
            "from": by.to_dict(),
            "date": self.now(),
            "old_chat_member": old,
            "new_chat_member": self.member_dict(chat, user.id),
            **extra,
        }
        if user.id == self.bot.id:
            return self._emit({"my_chat_member": change}, True, deliver)
        visible = self.status(chat, self.bot.id) in ("creator", "administrator")
        return self._emit({"chat_member": change}, visible, deliver)

    def my_chat_member(
        self,
        chat: FakeChat,
        status: str,
        *,
        by: FakeUser,
        rights: dict[str, bool] | None = None,
        deliver: bool | None = None,
    ) -> dict[str, Any]:
        """Someone changes the bot's status in a group (member, administrator, left, kicked)."""
        new = self.admin_member(rights) if status == "administrator" else Member(status)
        return self.member_change(chat, self.bot, new, by, deliver)

    def chat_member(
        self,
        chat: FakeChat,
        user: FakeUser,
        status: str,
        *,
        by: FakeUser | None = None,
        deliver: bool | None = None,
    ) -> dict[str, Any]:
        """A user's status in a group changes (joins, leaves, is promoted...)."""
        new = self.admin_member() if status == "administrator" else Member(status)
        return self.member_change(chat, user, new, by or user, deliver)

    def _private_bot_change(self, user: FakeUser, old: str, new: str) -> dict[str, Any]:
        """The my_chat_member Update a user's block or unblock produces."""
        chat = self.private_chat(user)
        bot = self.bot.to_dict()
        new_member: dict[str, Any] = {"status": new, "user": bot}
        old_member: dict[str, Any] = {"status": old, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        change = {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "date": self.now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._emit({"my_chat_member": change}, True, None)

    def block_bot(self, user: FakeUser) -> dict[str, Any]:
        """The user blocks the bot: later sends get 403; returns the my_chat_member Update."""
        user.blocked = True
        return self._private_bot_change(user, "member", "kicked")

    def unblock_bot(self, user: FakeUser) -> dict[str, Any]:
        """The user unblocks (restarts) the bot; returns the my_chat_member Update."""
        user.blocked = False
        user.started = True
        return self._private_bot_change(user, "kicked", "member")
