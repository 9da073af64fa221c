"""Split long HTML into messages that fit Telegram's 4096-character limit."""

from __future__ import annotations

import re

LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-z]+);")


def visible_length(html: str) -> int:
    """Length Telegram counts: tags dropped, entities as one character, in UTF-16 units."""
    text = _ENTITY.sub("x", _TAG.sub("", html))
    return len(text.encode("utf-16-le")) // 2


def split_lines(html: str, limit: int = LIMIT) -> list[str]:
    """Cut at line ends so every part fits; each line must be balanced HTML on its own."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in html.split("\n"):
        length = visible_length(line) + 1
        if current and size + length > limit:
            parts.append("\n".join(current).strip("\n"))
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [p for p in parts if p]
