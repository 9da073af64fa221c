"""Message text processing: parse modes, given entities, auto-detected entities, trimming."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fakeapi.errors import ApiError, bad_request
from fakeapi.html import parse_html
from fakeapi.textutil import EntityParseError, check_link, sort_entities, utf16_len

ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
        "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
        "date_time",
    }
)  # fmt: skip
_WORD = re.compile(r"\w")
_COMMAND = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]*)?")
_MENTION = re.compile(r"@[A-Za-z0-9_]+")
_HASHTAG = re.compile(r"[#$][\w\u200c\u00b7]+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TRIM = " \t\r\n"

UserLookup = Callable[[int], dict[str, Any] | None]


def _is_word(text: str, index: int) -> bool:
    """True if text[index] exists and is a letter, digit or underscore."""
    return 0 <= index < len(text) and bool(_WORD.match(text[index]))


def _spans(text: str) -> list[tuple[str, int, int]]:
    """Auto-detected (type, start, end) spans in Python string indices."""
    spans: list[tuple[str, int, int]] = []
    for match in _COMMAND.finditer(text):
        start, end = match.span()
        name, _, bot = match.group()[1:].partition("@")
        if "@" in match.group() and not 3 <= len(bot) <= 32:
            continue
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if len(name) > 64 or _is_word(text, start - 1) or (before in "/<>" and before):
            continue
        if _is_word(text, end) or (after and after in "/<>"):
            continue
        spans.append(("bot_command", start, end))
    for match in _MENTION.finditer(text):
        start, end = match.span()
        if 3 <= end - start <= 33 and not _is_word(text, start - 1) and not _is_word(text, end):
            spans.append(("mention", start, end))
    for match in _HASHTAG.finditer(text):
        start, end = match.span()
        body = match.group()[1:]
        if _is_word(text, start - 1) or (end < len(text) and text[end] == "#"):
            continue
        if match.group()[0] == "$":
            if re.fullmatch(r"[A-Z]{1,8}", body):
                spans.append(("cashtag", start, end))
        elif any(ch.isalpha() for ch in body):
            spans.append(("hashtag", start, min(end, start + 257)))
    for kind, pattern in (("url", _URL), ("email", _EMAIL)):
        for match in pattern.finditer(text):
            start, end = match.span()
            while end > start and text[end - 1] in ".,;:!?)]'":
                end -= 1
            spans.append((kind, start, end))
    return spans


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself: commands, mentions, hashtags, cashtags, URLs, emails."""
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for kind, start, end in sorted(_spans(text), key=lambda s: (s[1], -s[2])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        offset = utf16_len(text[:start])
        found.append({"type": kind, "offset": offset, "length": utf16_len(text[start:end])})
    sort_entities(found)
    return found


def _check_given(
    text: str, entities: list[dict[str, Any]], users: UserLookup
) -> list[dict[str, Any]]:
    """Validate entities passed in the request (types, fields, bounds) like Telegram."""
    size = utf16_len(text)
    out: list[dict[str, Any]] = []
    for raw in entities:
        entity = dict(raw)
        kind, offset, length = entity["type"], entity["offset"], entity["length"]
        if kind not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        if kind == "text_link":
            if "url" not in entity:
                raise bad_request("can't parse MessageEntity: Can't find field \"url\"")
            checked, reason = check_link(entity["url"])
            if checked is None:
                raise bad_request(f"entity URL '{entity['url']}' is invalid: {reason}")
        if kind == "text_mention":
            if "user" not in entity:
                raise bad_request("can't parse MessageEntity: Can't find field \"user\"")
            if users(entity["user"]["id"]) is None:
                raise bad_request("user not found")
            entity["user"] = users(entity["user"]["id"])
        if kind == "custom_emoji":
            if "custom_emoji_id" not in entity:
                raise bad_request("can't parse MessageEntity: Can't find field \"custom_emoji_id\"")
            emoji_id = str(entity["custom_emoji_id"])
            if not emoji_id.isdigit() or not 0 < int(emoji_id) < 2**63:
                raise bad_request(
                    'can\'t parse MessageEntity: Field "custom_emoji_id" must be a valid Number'
                )
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if length < 0:
            raise bad_request(f"receive an entity with incorrect length {length}")
        if offset > size:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > size:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        if length:
            out.append(entity)
    return out


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip outer whitespace that no entity covers, shifting entity offsets."""
    first = min((e["offset"] for e in entities), default=None)
    last = max((e["offset"] + e["length"] for e in entities), default=None)
    lead = len(text) - len(text.lstrip(_TRIM))
    lead_units = utf16_len(text[:lead])
    if first is not None and lead_units > first:
        lead, lead_units = 0, 0
    stripped = text[lead:].rstrip(_TRIM)
    if last is not None and utf16_len(stripped) < last - lead_units:
        stripped = text[lead:]
    for entity in entities:
        entity["offset"] -= lead_units
    return stripped, entities


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    users: UserLookup,
    strict_html: bool,
) -> tuple[str, list[dict[str, Any]]]:
    """Turn request text + parse_mode/entities into the (visible text, entities) Telegram stores."""
    mode = (parse_mode or "").lower()
    try:
        if entities:
            plain, found = text, _check_given(text, entities, users)
        elif mode == "html":
            plain, found = parse_html(text, strict_html)
        elif mode in ("markdown", "markdownv2"):
            # The bot speaks HTML only; the fake does not model Markdown, and says so rather
            # than accept what it cannot check.
            raise bad_request(f"the fake Bot API does not model parse_mode {parse_mode}")
        elif mode == "":
            plain, found = text, []
        else:
            raise bad_request("unsupported parse_mode")
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    resolved: list[dict[str, Any]] = []
    for entity in found:
        if "user_id" in entity:
            user = users(entity.pop("user_id"))
            if user is None:
                continue
            entity["user"] = user
        resolved.append(entity)
    plain, resolved = _trim(plain, resolved)
    taken = [(e["offset"], e["offset"] + e["length"]) for e in resolved]
    for auto in detect_entities(plain):
        start, end = auto["offset"], auto["offset"] + auto["length"]
        if not any(start < e and s < end for s, e in taken):
            resolved.append(auto)
    sort_entities(resolved)
    return plain, resolved


def check_length(plain: str, limit: int, too_long: str) -> None:
    """Raise Telegram's "too long" error if the visible text exceeds limit UTF-16 units."""
    if utf16_len(plain) > limit:
        raise ApiError(400, f"Bad Request: {too_long}")
