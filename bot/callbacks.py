"""Callback data from one codec: `feature:action[:arg...]`, at most 64 bytes, never trusted."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.services.text import parse_id

MAX_BYTES = 64
_SAFE = re.compile(r"^[A-Za-z0-9_\-]*$")


class Feature(enum.StrEnum):
    """Feature prefixes; the handler pattern for each is generated from here."""

    LANGUAGE = "lang"
    DIRECTORY = "dir"
    AUDIT = "log"
    JOIN = "join"
    MEMBER = "mem"
    MEMBER_GROUPS = "mwg"
    ROUTING = "rt"
    NEW_BALLOT = "nb"
    VOTE = "vote"
    DEBATE = "deb"
    REGISTER = "reg"
    CLOSE_BALLOT = "cls"
    PROPOSAL = "prop"
    ANNOUNCE = "ann"
    ANNOUNCEMENTS = "anl"
    WORKPLAN = "wp"
    PROGRESS = "wpp"
    PROGRESS_NOTE = "wpn"
    ERASE = "era"
    MINUTES = "min"
    PROXY = "mgh"


class ForgedCallback(Exception):
    """Callback data that our codec did not produce (or that no longer fits)."""


@dataclass(frozen=True, slots=True)
class Callback:
    """A decoded button press."""

    feature: Feature
    action: str
    args: tuple[str, ...] = ()

    def int_arg(self, index: int) -> int:
        """Argument ``index`` as an int; a forged value raises ForgedCallback."""
        try:
            value = self.args[index]
        except IndexError:
            raise ForgedCallback(f"missing argument {index}") from None
        number = parse_id(value) if value.isdigit() else None
        if number is None:
            raise ForgedCallback(f"argument {index} is not an id")
        return number

    def arg(self, index: int, allowed: frozenset[str] | set[str]) -> str:
        """Argument ``index``, which must be one of ``allowed``."""
        try:
            value = self.args[index]
        except IndexError:
            raise ForgedCallback(f"missing argument {index}") from None
        if value not in allowed:
            raise ForgedCallback(f"unexpected value in argument {index}")
        return value


def encode(feature: Feature, action: str, *args: object) -> str:
    """Build callback data; raises ValueError when it would not fit Telegram's 64 bytes."""
    parts = [feature.value, action, *(str(a) for a in args)]
    for part in parts:
        if not _SAFE.match(part):
            raise ValueError(f"unsafe callback part {part!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None, feature: Feature, actions: frozenset[str] | set[str]) -> Callback:
    """Parse and check callback data of ``feature``; anything unexpected raises ForgedCallback."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise ForgedCallback("empty or oversized")
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != feature.value or parts[1] not in actions:
        raise ForgedCallback(f"unexpected data for {feature.value}")
    if not all(_SAFE.match(p) for p in parts):
        raise ForgedCallback("unsafe characters")
    return Callback(feature, parts[1], tuple(parts[2:]))


def pattern(feature: Feature) -> str:
    """The CallbackQueryHandler pattern of a feature."""
    return f"^{re.escape(feature.value)}:"
