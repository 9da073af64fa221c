"""Shared text helpers: UTF-16 lengths, Telegram's link checks and entity ordering."""

from __future__ import annotations

import re
from typing import Any

_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_USER_LINK = re.compile(r"tg://user\?id=(\d+)\Z", re.IGNORECASE)
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\Z"
    r"|\d{1,3}(?:\.\d{1,3}){3}\Z",
    re.IGNORECASE,
)


class EntityParseError(Exception):
    """Markup that Telegram's parser rejects; the message is Telegram's own wording."""


def utf16_len(text: str) -> int:
    """Length of a string in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring covering the given UTF-16 code unit range."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", "replace")


def link_user_id(url: str) -> int | None:
    """The user id of a tg://user?id=... link, else None."""
    match = _USER_LINK.match(url.strip())
    return int(match.group(1)) if match else None


def check_link(url: str) -> tuple[str | None, str | None]:
    """Validate a link like Telegram: (normalized URL, None) or (None, reason)."""
    url = url.strip()
    if not url:
        return None, "URL host is empty"
    lower = url.lower()
    if "://" in url:
        scheme, rest = lower.split("://", 1)
    elif lower.startswith(("tg:", "ton:")):
        return url, None
    else:
        scheme, rest = "", lower
    if scheme in ("tg", "ton"):
        return url, None
    if scheme not in ("", "http", "https"):
        return None, "Unsupported URL protocol"
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = re.sub(r":\d{1,5}\Z", "", host)
    if not host:
        return None, "URL host is empty"
    if not _HOST.match(host):
        return None, "Wrong HTTP URL"
    return (url if scheme else f"http://{url}"), None


def sort_entities(entities: list[dict[str, Any]]) -> None:
    """Order entities like Telegram: by offset, longer first, then by type priority."""

    def key(entity: dict[str, Any]) -> tuple[int, int, int]:
        """Sort key of one entity."""
        priority = _PRIORITY.get(entity["type"], 50)
        if entity["type"] == "pre":
            priority = 10 if entity.get("language") else 11
        return entity["offset"], -entity["length"], priority

    entities.sort(key=key)
