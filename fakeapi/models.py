"""Plain data the fake keeps: users, chats, messages, uploaded files and recorded calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADMIN_RIGHTS: tuple[str, ...] = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


@dataclass(slots=True)
class UploadedFile:
    """One multipart file part: its file name, bytes and MIME type."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(slots=True)
class StoredFile:
    """A file the fake knows by file_id (uploaded by the bot or attached to a user message)."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None


@dataclass(eq=False)
class FakeUser:
    """A Telegram user (or the bot itself) the fake knows about."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False
    started: bool = False
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The User object as Telegram sends it."""
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.is_premium:
            out["is_premium"] = True
        return out

    @property
    def full_name(self) -> str:
        """First and last name joined by a space."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(slots=True)
class Member:
    """A user's membership in a group: status and, for admins, their rights."""

    status: str
    rights: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0
    custom_title: str | None = None


@dataclass(eq=False)
class FakeChat:
    """A private chat, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    description: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    join_requests: dict[int, int] = field(default_factory=dict)
    invite_links: list[dict[str, Any]] = field(default_factory=list)
    pinned: list[int] = field(default_factory=list)
    next_message_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The Chat object as Telegram sends it."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type in ("group", "supergroup")


@dataclass(eq=False)
class FakeMessage:
    """A message in a chat, sent by the bot or by a user, with its edits applied."""

    message_id: int
    chat_id: int
    date: int
    from_id: int
    from_bot: bool
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_html: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    media_kind: str | None = None
    media: Any = None
    file_id: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    pinned: bool = False
    deleted: bool = False
    edit_date: int | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    file_bytes: bytes | None = None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as (text, callback_data or url) pairs."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows
        ]

    @property
    def callback_data(self) -> list[str]:
        """Every callback_data of the inline keyboard, in reading order."""
        return [d for row in self.buttons for _, d in row if d is not None]

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        """The PhotoSize list of a photo message."""
        return self.media if self.media_kind == "photo" else None

    @property
    def document(self) -> dict[str, Any] | None:
        """The Document object of a document message."""
        return self.media if self.media_kind == "document" else None

    @property
    def document_bytes(self) -> bytes | None:
        """The bytes of the document, if this is a document message."""
        return self.file_bytes if self.media_kind == "document" else None

    @property
    def document_name(self) -> str | None:
        """The file name of the document, if this is a document message."""
        return self.media.get("file_name") if self.media_kind == "document" else None


@dataclass(slots=True)
class ApiCall:
    """One request the bot made: method, decoded parameters and the answer it got."""

    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None
    result: Any
    error_code: int | None = None
    base_url: str | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    #: The answer was an injected fault (``FakeTelegram.faults``), not a refusal.
    injected: bool = False


@dataclass(slots=True)
class CallbackQuery:
    """A button press the bot may answer once, before it gets too old."""

    user_id: int
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None
