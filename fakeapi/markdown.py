"""Telegram's Markdown and MarkdownV2 parse modes, with Telegram's error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fakeapi.textutil import EntityParseError, check_link, link_user_id, sort_entities

_SPACES = frozenset(b" \t\r\n\v\f\x00")
_V2_RESERVED = frozenset(b"_*[]()~`>#+-=|{}.!\n")
_CODE_TYPES = frozenset({"Code", "Pre", "PreCode"})
_EMOJI_LINK = re.compile(r"tg://emoji\?id=(\d+)\Z", re.IGNORECASE)


class _Text:
    """UTF-8 bytes read like a NUL-terminated C string, plus the output being built."""

    def __init__(self, text: str):
        self.data = text.encode("utf-8", "surrogatepass")
        self.size = len(self.data)
        self.out = bytearray()
        self.utf16 = 0

    def at(self, i: int) -> int:
        """The byte at i, or 0 past the end."""
        return self.data[i] if i < self.size else 0

    def copy(self, c: int) -> None:
        """Append one input byte to the output, counting UTF-16 units."""
        if c & 0xC0 != 0x80:
            self.utf16 += 1 + (c >= 0xF0)
        self.out.append(c)

    def result(self) -> str:
        """The visible text built so far."""
        return bytes(self.out).decode("utf-8", "replace")


def _link_entity(url: str, offset: int, length: int) -> dict[str, Any] | None:
    """A text_mention or text_link entity for a link target, or None if the link is invalid."""
    user_id = link_user_id(url)
    if user_id is not None:
        return {"type": "text_mention", "offset": offset, "length": length, "user_id": user_id}
    checked, _ = check_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown into (visible text, entities) like Telegram."""
    t = _Text(text)
    entities: list[dict[str, Any]] = []
    i = 0
    while i < t.size:
        c = t.data[i]
        if c == 0x5C and t.at(i + 1) in b"_*`[" and t.at(i + 1):
            i += 1
            t.out.append(t.data[i])
            t.utf16 += 1
            i += 1
            continue
        if c not in b"_*`[":
            t.copy(c)
            i += 1
            continue
        begin = i
        end_char = 0x5D if c == 0x5B else c
        i += 1
        is_pre = False
        language = ""
        if c == 0x60 and t.at(i) == 0x60 and t.at(i + 1) == 0x60:
            i += 2
            is_pre = True
            end = i
            while t.at(end) not in _SPACES and t.at(end) != 0x60:
                end += 1
            if i != end and end < t.size and t.at(end) != 0x60:
                language = t.data[i:end].decode("utf-8", "replace")
                i = end
            i = _skip_newline(t, i)
        offset = t.utf16
        while i < t.size and (
            t.data[i] != end_char or (is_pre and not (t.at(i + 1) == 0x60 and t.at(i + 2) == 0x60))
        ):
            t.copy(t.data[i])
            i += 1
        if i == t.size:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        if offset != t.utf16:
            entity, i = _legacy_entity(t, c, begin, i, offset, is_pre, language)
            if entity is not None:
                entities.append(entity)
        if is_pre:
            i += 2
        i += 1
    return t.result(), entities


def _skip_newline(t: _Text, i: int) -> int:
    """Skip one line break (\\n, \\r, \\r\\n or \\n\\r) at i."""
    if t.at(i) in b"\r\n" and t.at(i):
        pair = t.at(i + 1) in b"\r\n" and t.at(i + 1) and t.at(i) != t.at(i + 1)
        return i + (2 if pair else 1)
    return i


def _legacy_entity(
    t: _Text, c: int, begin: int, i: int, offset: int, is_pre: bool, language: str
) -> tuple[dict[str, Any] | None, int]:
    """The entity a closed legacy-Markdown marker produces, and the new position."""
    length = t.utf16 - offset
    if c == 0x5F:
        return {"type": "italic", "offset": offset, "length": length}, i
    if c == 0x2A:
        return {"type": "bold", "offset": offset, "length": length}, i
    if c == 0x5B:
        if t.at(i + 1) != 0x28:
            url = t.data[begin + 1 : i].decode("utf-8", "replace")
        else:
            i += 2
            start = i
            while i < t.size and t.data[i] != 0x29:
                i += 1
            url = t.data[start:i].decode("utf-8", "replace")
        return _link_entity(url, offset, length), i
    if is_pre and language:
        return {"type": "pre", "offset": offset, "length": length, "language": language}, i
    return {"type": "pre" if is_pre else "code", "offset": offset, "length": length}, i


@dataclass(slots=True)
class _Open:
    """A MarkdownV2 entity waiting for its end marker."""

    type: str
    argument: str
    utf16: int
    byte_offset: int
    out_pos: int


def _reserved(char: int) -> EntityParseError:
    """Telegram's error for an unescaped reserved character."""
    return EntityParseError(
        f"Character '{chr(char)}' is reserved and must be escaped with the preceding '\\'"
    )


def _no_end(opened: _Open) -> EntityParseError:
    """Telegram's error for an entity that is never closed."""
    return EntityParseError(
        f"Can't find end of {opened.type} entity at byte offset {opened.byte_offset}"
    )


def _is_end(t: _Text, i: int, nested: list[_Open], have_quote: bool) -> bool:
    """Whether the reserved character at i closes the innermost open entity."""
    if not nested:
        return False
    c = t.data[i]
    if have_quote and c == 0x0A and (i + 1 == t.size or t.at(i + 1) != 0x3E):
        return True
    kind = nested[-1].type
    checks = {
        "Bold": c == 0x2A,
        "Italic": c == 0x5F and t.at(i + 1) != 0x5F,
        "Code": c == 0x60,
        "Pre": c == 0x60 and t.at(i + 1) == 0x60 and t.at(i + 2) == 0x60,
        "PreCode": c == 0x60 and t.at(i + 1) == 0x60 and t.at(i + 2) == 0x60,
        "TextUrl": c == 0x5D,
        "Underline": c == 0x5F and t.at(i + 1) == 0x5F,
        "Strikethrough": c == 0x7E,
        "Spoiler": c == 0x7C and t.at(i + 1) == 0x7C,
        "CustomEmoji": c == 0x5D,
    }
    return checks.get(kind, False)


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into (visible text, entities) like Telegram."""
    t = _Text(text)
    entities: list[dict[str, Any]] = []
    nested: list[_Open] = []
    state = {"quote": False, "can_quote": True}
    i = 0
    while i < t.size:
        c = t.data[i]
        if c == 0x5C and 0 < t.at(i + 1) <= 126:
            i += 1
            t.utf16 += 1
            t.out.append(t.data[i])
            if t.data[i] != 0x0D:
                state["can_quote"] = t.data[i] == 0x0A
            i += 1
            continue
        in_code = bool(nested) and nested[-1].type in _CODE_TYPES
        if c != 0x60 if in_code else c not in _V2_RESERVED:
            t.copy(c)
            if c & 0xC0 != 0x80 and c != 0x0D:
                state["can_quote"] = False
            i += 1
            continue
        if _is_end(t, i, nested, state["quote"]):
            i = _v2_close(t, i, nested, entities, state)
        else:
            i = _v2_open(t, i, nested, state)
        i += 1
    if state["quote"]:
        kind = "BlockQuote"
        if nested[-1].type == "Spoiler" and nested[-1].byte_offset == t.size - 2:
            nested.pop()
            kind = "ExpandableBlockQuote"
        if nested[-1].type == "BlockQuote":
            opened = nested.pop()
            entity = _v2_entity(kind, opened, t.utf16, opened.argument)
            if t.utf16 != opened.utf16 and entity is not None:
                entities.append(entity)
    if nested:
        raise _no_end(nested[-1])
    sort_entities(entities)
    return t.result(), entities


def _v2_open(t: _Text, i: int, nested: list[_Open], state: dict[str, bool]) -> int:
    """Handle a reserved character that starts an entity; return the last index consumed."""
    c = t.data[i]
    start = i
    argument = ""
    kind: str | None
    if c == 0x5F:
        kind = "Underline" if t.at(i + 1) == 0x5F else "Italic"
        i += kind == "Underline"
    elif c == 0x2A:
        kind = "Bold"
    elif c == 0x7E:
        kind = "Strikethrough"
    elif c == 0x7C:
        if t.at(i + 1) != 0x7C:
            raise _reserved(c)
        i += 1
        kind = "Spoiler"
    elif c == 0x5B:
        kind = "TextUrl"
    elif c == 0x60:
        kind, argument, i = _v2_code_start(t, i)
    elif c == 0x21:
        if t.at(i + 1) != 0x5B:
            raise _reserved(c)
        i += 1
        kind = "CustomEmoji"
    elif c == 0x0A:
        t.utf16 += 1
        t.out.append(0x0A)
        state["can_quote"] = True
        kind = None
    elif c == 0x3E:
        if not state["can_quote"]:
            raise _reserved(c)
        kind = None if state["quote"] else "BlockQuote"
        state["quote"] = True
    else:
        raise _reserved(c)
    if kind is not None:
        nested.append(_Open(kind, argument, t.utf16, start, len(t.out)))
    return i


def _v2_code_start(t: _Text, i: int) -> tuple[str, str, int]:
    """Start of ` or ``` (with optional language); return kind, language, last index."""
    if not (t.at(i + 1) == 0x60 and t.at(i + 2) == 0x60):
        return "Code", "", i
    i += 3
    kind, language = "Pre", ""
    end = i
    while t.at(end) not in _SPACES and t.at(end) != 0x60:
        end += 1
    if i != end and end < t.size and t.at(end) != 0x60:
        kind = "PreCode"
        language = t.data[i:end].decode("utf-8", "replace")
        i = end
    return kind, language, _skip_newline(t, i) - 1


def _read_url(t: _Text, i: int) -> tuple[str, int, int]:
    """Read "(url)" whose '(' is at i-1; return url, its start and the index of ')'."""
    start = i
    url = bytearray()
    while i < t.size and t.data[i] != 0x29:
        if t.data[i] == 0x5C and 0 < t.at(i + 1) <= 126:
            url.append(t.data[i + 1])
            i += 2
            continue
        url.append(t.data[i])
        i += 1
    return bytes(url).decode("utf-8", "replace"), start, i


def _emoji_id(url: str) -> str:
    """The custom emoji id of a tg://emoji?id=... link."""
    if not url.lower().startswith("tg:"):
        raise EntityParseError("Custom emoji URL must have scheme tg")
    match = _EMOJI_LINK.match(url)
    if not match:
        raise EntityParseError("Custom emoji URL must have an emoji identifier")
    if not 0 < int(match.group(1)) < 2**63:
        raise EntityParseError("Invalid custom emoji identifier specified")
    return match.group(1)


def _v2_close(
    t: _Text, i: int, nested: list[_Open], entities: list[dict[str, Any]], state: dict[str, bool]
) -> int:
    """Handle a reserved character that closes an entity; return the last index consumed."""
    c = t.data[i]
    kind = nested[-1].type
    if c == 0x0A and kind != "BlockQuote":
        spoiler = nested[-1]
        just_opened = spoiler.byte_offset == i - 2 or (
            spoiler.byte_offset == i - 3 and t.out and t.out[-1] == 0x0D
        )
        if kind != "Spoiler" or not just_opened:
            raise _no_end(spoiler)
        nested.pop()
        if nested[-1].type != "BlockQuote":
            raise _no_end(nested[-1])
        kind = "ExpandableBlockQuote"
    opened = nested[-1]
    argument = opened.argument
    skip = t.utf16 == opened.utf16
    if kind in ("Underline", "Spoiler"):
        i += 1
    elif kind in ("Pre", "PreCode"):
        i += 2
    elif kind == "TextUrl":
        if t.at(i + 1) != 0x28:
            url = bytes(t.out[opened.out_pos :]).decode("utf-8", "replace")
        else:
            url, start, i = _read_url(t, i + 2)
            if t.at(i) != 0x29:
                raise EntityParseError(f"Can't find end of a URL at byte offset {start}")
        argument = url
    elif kind == "CustomEmoji":
        if t.at(i + 1) != 0x28:
            raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
        url, start, i = _read_url(t, i + 2)
        if t.at(i) != 0x29:
            raise EntityParseError(f"Can't find end of a custom emoji URL at byte offset {start}")
        argument = _emoji_id(url)
    elif kind in ("BlockQuote", "ExpandableBlockQuote"):
        state["quote"] = False
        t.out.append(c)
        state["can_quote"] = True
        t.utf16 += 1
        skip = False
    if not skip:
        entity = _v2_entity(kind, opened, t.utf16, argument)
        if entity is not None:
            entities.append(entity)
    nested.pop()
    return i


_V2_NAMES = {
    "Bold": "bold",
    "Italic": "italic",
    "Underline": "underline",
    "Strikethrough": "strikethrough",
    "Spoiler": "spoiler",
    "Code": "code",
    "Pre": "pre",
    "BlockQuote": "blockquote",
    "ExpandableBlockQuote": "expandable_blockquote",
}


def _v2_entity(kind: str, opened: _Open, end: int, argument: str) -> dict[str, Any] | None:
    """The Bot API entity for a closed MarkdownV2 entity."""
    offset, length = opened.utf16, end - opened.utf16
    if kind == "TextUrl":
        return _link_entity(argument, offset, length)
    if kind == "CustomEmoji":
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": argument,
        }
    if kind == "PreCode":
        return {"type": "pre", "offset": offset, "length": length, "language": argument}
    return {"type": _V2_NAMES[kind], "offset": offset, "length": length}
