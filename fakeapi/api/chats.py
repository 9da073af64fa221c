"""Chats and members: info, bans, promotions, join requests, pins, invite links, files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeapi.api.common import (
    group_chat,
    need_right,
)
from fakeapi.api.registry import Files, Params, method
from fakeapi.errors import ApiError, bad_request
from fakeapi.models import FakeChat, FakeUser, Member
from fakeapi.state import MEMBER_STATUSES

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

_RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"


@method("getChat")
def get_chat(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getChat: the ChatFullInfo of a known chat."""
    return tg.chat_full_info(tg.resolve_chat(p["chat_id"]))


def _user(tg: FakeTelegram, user_id: int) -> FakeUser:
    """A known user, else "user not found"."""
    user = tg.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


@method("getChatMember")
def get_chat_member(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getChatMember: the member's status ("left" if not in the chat)."""
    chat = tg.resolve_chat(p["chat_id"])
    return tg.member_dict(chat, _user(tg, p["user_id"]).id)


@method("getChatAdministrators")
def get_chat_administrators(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getChatAdministrators: owner and administrators of a group."""
    chat = tg.resolve_chat(p["chat_id"])
    if not chat.is_group:
        raise bad_request("there are no administrators in the private chat")
    return [
        tg.member_dict(chat, uid)
        for uid, member in chat.members.items()
        if member.status in ("creator", "administrator")
    ]


@method("getChatMemberCount")
def get_chat_member_count(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getChatMemberCount: members of a group (2 in a private chat)."""
    chat = tg.resolve_chat(p["chat_id"])
    if chat.type == "private":
        return 2
    return sum(1 for m in chat.members.values() if m.status in MEMBER_STATUSES)


def _restrictable(tg: FakeTelegram, p: Params) -> tuple[FakeChat, FakeUser]:
    """Chat and target user of ban/unban/restrict, checking the bot's rights and the target."""
    chat = group_chat(tg, p)
    user = _user(tg, p["user_id"])
    need_right(tg, chat, "can_restrict_members", _RESTRICT_RIGHTS)
    status = tg.status(chat, user.id)
    if status == "creator":
        raise bad_request("can't remove chat owner")
    if status == "administrator":
        raise bad_request("user is an administrator of the chat")
    if user.id == tg.bot.id:
        raise bad_request("can't restrict self")
    return chat, user


@method("banChatMember")
def ban_chat_member(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """banChatMember: kick and ban (a chat_member update follows)."""
    chat, user = _restrictable(tg, p)
    tg.member_change(chat, user, Member("kicked", until_date=p.get("until_date") or 0), tg.bot)
    return True


@method("unbanChatMember")
def unban_chat_member(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """unbanChatMember: lift a ban; without only_if_banned it also removes a member."""
    chat, user = _restrictable(tg, p)
    status = tg.status(chat, user.id)
    if status == "left" or (p.get("only_if_banned") and status != "kicked"):
        return True
    tg.member_change(chat, user, Member("left"), tg.bot)
    return True


@method("restrictChatMember")
def restrict_chat_member(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """restrictChatMember: supergroups only; stores the permissions."""
    chat, user = _restrictable(tg, p)
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    rights = {k: v for k, v in p["permissions"].items() if isinstance(v, bool)}
    tg.member_change(chat, user, Member("restricted", rights, p.get("until_date") or 0), tg.bot)
    return True


@method("promoteChatMember")
def promote_chat_member(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """promoteChatMember: grant admin rights (all false = demote to member)."""
    chat = group_chat(tg, p)
    user = _user(tg, p["user_id"])
    need_right(tg, chat, "can_promote_members", "not enough rights")
    if tg.status(chat, user.id) == "creator":
        raise bad_request("can't change rights of the chat owner")
    if tg.status(chat, user.id) not in MEMBER_STATUSES:
        raise bad_request("user not found")
    rights = {k: v for k, v in p.items() if k.startswith("can_") and isinstance(v, bool)}
    new = tg.admin_member({r: rights.get(r, False) for r in tg.admin_member().rights})
    tg.member_change(chat, user, new if any(rights.values()) else Member("member"), tg.bot)
    return True


def _join_request(tg: FakeTelegram, p: Params) -> tuple[FakeChat, FakeUser]:
    """Chat and user of a pending join request the bot may decide on."""
    chat = group_chat(tg, p)
    user = _user(tg, p["user_id"])
    need_right(tg, chat, "can_invite_users", "CHAT_ADMIN_REQUIRED")
    if user.id not in chat.join_requests:
        if tg.status(chat, user.id) in MEMBER_STATUSES:
            raise bad_request("USER_ALREADY_PARTICIPANT")
        raise bad_request("HIDE_REQUESTER_MISSING")
    del chat.join_requests[user.id]
    return chat, user


@method("approveChatJoinRequest")
def approve_chat_join_request(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """approveChatJoinRequest: the requester becomes a member."""
    chat, user = _join_request(tg, p)
    tg.member_change(chat, user, Member("member"), tg.bot, via_join_request=True)
    return True


@method("declineChatJoinRequest")
def decline_chat_join_request(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """declineChatJoinRequest: the request is dropped."""
    _join_request(tg, p)
    return True


def _pin_chat(tg: FakeTelegram, p: Params) -> FakeChat:
    """A chat where the bot may manage pinned messages."""
    chat = tg.resolve_chat(p["chat_id"])
    need_right(
        tg, chat, "can_pin_messages", "not enough rights to manage pinned messages in the chat"
    )
    return chat


@method("pinChatMessage")
def pin_chat_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """pinChatMessage: needs can_pin_messages in groups."""
    chat = _pin_chat(tg, p)
    msg = tg.get_message(chat.id, p["message_id"])
    if msg is None:
        raise bad_request("message to pin not found")
    msg.pinned = True
    if msg.message_id in chat.pinned:
        chat.pinned.remove(msg.message_id)
    chat.pinned.append(msg.message_id)
    return True


@method("unpinChatMessage")
def unpin_chat_message(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """unpinChatMessage: the given or the most recent pinned message."""
    chat = _pin_chat(tg, p)
    message_id = p.get("message_id") or (chat.pinned[-1] if chat.pinned else None)
    if message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    tg.messages[(chat.id, message_id)].pinned = False
    return True


@method("unpinAllChatMessages")
def unpin_all_chat_messages(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """unpinAllChatMessages: clear every pin."""
    chat = _pin_chat(tg, p)
    for message_id in chat.pinned:
        tg.messages[(chat.id, message_id)].pinned = False
    chat.pinned.clear()
    return True


@method("leaveChat")
def leave_chat(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """leaveChat: the bot leaves a group."""
    chat = group_chat(tg, p)
    if tg.status(chat, tg.bot.id) not in MEMBER_STATUSES:
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
    chat.members[tg.bot.id] = Member("left")
    return True


def _invite_link(tg: FakeTelegram, chat: FakeChat, p: Params) -> dict[str, Any]:
    """Create and remember a ChatInviteLink."""
    link: dict[str, Any] = {
        "invite_link": f"https://t.me/+Fake{abs(chat.id)}x{len(chat.invite_links) + 1}",
        "creator": tg.bot.to_dict(),
        "creates_join_request": bool(p.get("creates_join_request")),
        "is_primary": False,
        "is_revoked": False,
    }
    if p.get("creates_join_request") and p.get("member_limit"):
        raise bad_request(
            "member limit can't be specified for links requiring administrator approval"
        )
    link.update({k: p[k] for k in ("name", "expire_date", "member_limit") if p.get(k)})
    chat.invite_links.append(link)
    return link


@method("createChatInviteLink")
def create_chat_invite_link(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """createChatInviteLink: needs can_invite_users."""
    chat = group_chat(tg, p)
    need_right(tg, chat, "can_invite_users", "not enough rights to manage chat invite link")
    return _invite_link(tg, chat, p)


@method("exportChatInviteLink")
def export_chat_invite_link(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """exportChatInviteLink: a new primary link as a string."""
    chat = group_chat(tg, p)
    need_right(tg, chat, "can_invite_users", "not enough rights to manage chat invite link")
    link = _invite_link(tg, chat, {})
    link["is_primary"] = True
    return link["invite_link"]


@method("setChatTitle")
def set_chat_title(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """setChatTitle: 1-128 characters, needs can_change_info."""
    chat = group_chat(tg, p)
    need_right(tg, chat, "can_change_info", "not enough rights to change chat title")
    if not 1 <= len(p["title"].strip()) <= 128:
        raise bad_request("chat title is empty" if not p["title"].strip() else "CHAT_TITLE_INVALID")
    chat.title = p["title"]
    return True


@method("setChatDescription")
def set_chat_description(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """setChatDescription: 0-255 characters, needs can_change_info."""
    chat = group_chat(tg, p)
    need_right(tg, chat, "can_change_info", "not enough rights to change chat description")
    if len(p.get("description") or "") > 255:
        raise bad_request("chat description is too long")
    if (p.get("description") or None) == chat.description:
        raise bad_request("chat description is not modified")
    chat.description = p.get("description") or None
    return True


@method("getFile")
def get_file(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getFile: a File with a file_path to download it from."""
    stored = tg.files.get(p["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


@method("getUserProfilePhotos")
def get_user_profile_photos(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getUserProfilePhotos: nobody has a profile photo here."""
    _user(tg, p["user_id"])
    return {"total_count": 0, "photos": []}
