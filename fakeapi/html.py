"""Telegram's HTML parse mode: validation with Telegram's errors, visible text and entities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakeapi.textutil import EntityParseError, check_link, link_user_id, sort_entities

_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE = {
    "i": "italic", "em": "italic", "b": "bold", "strong": "bold",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline", "tg-spoiler": "spoiler",
}  # fmt: skip
_SPACES = frozenset(b" \t\r\n\v\f\x00")
_NAMED = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}


@dataclass(slots=True)
class _Open:
    """A start tag waiting for its end tag."""

    tag: str
    argument: str
    utf16: int
    out_pos: int


class _Reader:
    """The UTF-8 bytes of the text, read like a NUL-terminated C string."""

    def __init__(self, text: str):
        self.data = text.encode("utf-8", "surrogatepass")

    def at(self, i: int) -> int:
        """The byte at i, or 0 past the end."""
        return self.data[i] if i < len(self.data) else 0

    def decode_entity(self, pos: int) -> tuple[int, int]:
        """Decode "&...;" at pos: (code point or 0 if not an entity, position after it)."""
        end = pos + 1
        code = 0
        if self.at(pos + 1) == 0x23:  # '#'
            end += 1
            if self.at(pos + 2) == 0x78:  # 'x'
                end += 1
                while chr(self.at(end)) in "0123456789abcdefABCDEF" and self.at(end):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while 0x30 <= self.at(end) <= 0x39:
                    code = code * 10 + self.at(end) - 0x30
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return 0, pos
        else:
            while chr(self.at(end)).isascii() and chr(self.at(end)).isalpha():
                end += 1
            named = _NAMED.get(self.data[pos + 1 : end])
            if named is None:
                return 0, pos
            code = named
        return code, end + 1 if self.at(end) == 0x3B else end


def _utf8(code: int) -> bytes:
    """UTF-8 bytes of a code point, lone surrogates included."""
    return chr(code).encode("utf-8", "surrogatepass")


def parse_html(text: str, strict_ampersand: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (visible text, entities); raise EntityParseError like Telegram."""
    reader = _Reader(text)
    at = reader.at
    out = bytearray()
    entities: list[dict[str, Any]] = []
    nested: list[_Open] = []
    utf16 = 0
    recheck = False
    i = 0
    size = len(reader.data)
    while i < size:
        c = reader.data[i]
        if c == 0x26:  # '&'
            code, after = reader.decode_entity(i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                recheck = recheck or 0xD800 <= code <= 0xDFFF
                out += _utf8(code)
                i = after
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {i} (Telegram shows it as text; '
                    "escape it as &amp;)"
                )
        if c != 0x3C:  # '<'
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != 0x2F:  # '/'
            i = _start_tag(reader, begin, i, nested, utf16, len(out))
        else:
            i = _end_tag(reader, begin, i, nested, entities, utf16, out)
        i += 1
    if nested:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1].tag}"')
    for entity in entities:
        entity.pop("_code_language", None)
    sort_entities(entities)
    try:
        visible = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        if recheck:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            ) from None
        visible = bytes(out).decode("utf-8", "replace")
    return visible, entities


def _start_tag(
    reader: _Reader, begin: int, i: int, nested: list[_Open], utf16: int, pos: int
) -> int:
    """Parse a start tag beginning at byte begin; return the index of its closing '>'."""
    at = reader.at
    while at(i) not in _SPACES and at(i) != 0x3E:
        i += 1
    if at(i) == 0:
        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
    tag = reader.data[begin + 1 : i].decode("utf-8", "replace").lower()
    if tag not in _TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while at(i) != 0x3E:
        while at(i) != 0 and at(i) in _SPACES:
            i += 1
        if at(i) == 0x3E:
            break
        name_begin = i
        while at(i) not in _SPACES and at(i) not in b"=>/\"'":
            i += 1
        name = reader.data[name_begin:i]
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while at(i) != 0 and at(i) in _SPACES:
            i += 1
        if at(i) != 0x3D:  # '='
            if at(i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while at(i) != 0 and at(i) in _SPACES:
            i += 1
        if at(i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, i = _attribute_value(reader, i)
        if at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        argument = _argument(tag, name, value, argument)
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    nested.append(_Open(tag, argument, utf16, pos))
    return i


def _attribute_value(reader: _Reader, i: int) -> tuple[str, int]:
    """Read a quoted string or a name token; return it and the index after it."""
    at = reader.at
    if at(i) not in b"'\"":
        token_begin = i
        while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-") and at(i):
            i += 1
        if at(i) not in _SPACES and at(i) != 0x3E:
            raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
        return reader.data[token_begin:i].decode("ascii").lower(), i
    quote = at(i)
    i += 1
    value = bytearray()
    while at(i) != quote and at(i) != 0:
        if at(i) == 0x26:
            code, after = reader.decode_entity(i)
            if code:
                value += _utf8(code)
                i = after
                continue
        value.append(at(i))
        i += 1
    if at(i) == quote:
        i += 1
    return bytes(value).decode("utf-8", "replace"), i


def _argument(tag: str, name: bytes, value: str, current: str) -> str:
    """The tag argument an attribute sets (href, language, spoiler class, emoji id)."""
    if tag == "a" and name == b"href":
        return value
    if tag == "code" and name == b"class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == b"class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == b"emoji-id":
        return value
    if tag == "blockquote" and name == b"expandable":
        return "1"
    return current


def _end_tag(
    reader: _Reader,
    begin: int,
    i: int,
    nested: list[_Open],
    entities: list[dict[str, Any]],
    utf16: int,
    out: bytearray,
) -> int:
    """Parse an end tag at byte begin, emit its entity; return the index of its '>'."""
    at = reader.at
    if not nested:
        raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
    while at(i) not in _SPACES and at(i) != 0x3E:
        i += 1
    end_tag = reader.data[begin + 2 : i].decode("utf-8", "replace").lower()
    while at(i) in _SPACES and at(i) != 0:
        i += 1
    if at(i) != 0x3E:
        raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
    opened = nested.pop()
    if end_tag and end_tag != opened.tag:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
            f'found "</{end_tag}>"'
        )
    if utf16 > opened.utf16:
        entity = _entity(opened, utf16 - opened.utf16, entities, out)
        if entity is not None:
            entities.append(entity)
    return i


def _entity(
    opened: _Open, length: int, entities: list[dict[str, Any]], out: bytearray
) -> dict[str, Any] | None:
    """The entity a closed tag produces (or None), merging <pre><code> like Telegram."""
    base = {"offset": opened.utf16, "length": length}
    tag, argument = opened.tag, opened.argument
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == opened.utf16 and last["length"] == length
    if tag in _SIMPLE or (tag == "span" and argument == "spoiler"):
        return {"type": _SIMPLE.get(tag, "spoiler"), **base}
    if tag == "tg-emoji":
        if not argument.isdigit() or not 0 < int(argument) < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", **base, "custom_emoji_id": argument}
    if tag == "a":
        url = argument or bytes(out[opened.out_pos :]).decode("utf-8", "replace")
        user_id = link_user_id(url)
        if user_id is not None:
            return {"type": "text_mention", **base, "user_id": user_id}
        checked, _ = check_link(url)
        return {"type": "text_link", **base, "url": checked} if checked else None
    if tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("_code_language"):
            last["type"] = "pre"
            last["language"] = last.pop("_code_language")
            return None
        return {"type": "pre", **base}
    if tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
            return None
        return {"type": "code", **base, "_code_language": argument}
    return {"type": "expandable_blockquote" if argument else "blockquote", **base}
