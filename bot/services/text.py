"""Text from users and files, checked once: names and titles, longer bodies, CSV input."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable

from bot.services.errors import InvalidInput

#: The largest record number a user or a button may give (a command's argument, callback data):
#: the records' ids are ``INTEGER`` columns, 32 bits on PostgreSQL, so a larger number is bad
#: input, never a query the driver cannot take.
ID_MAX = 2**31 - 1


def parse_id(text: str) -> int | None:
    """A record's number as a command or a button gives it (``12``, or ``#12`` as typed):
    ASCII digits, at most ID_MAX; None for anything else, a number too large among them."""
    digits = text.strip().lstrip("#")
    if not digits.isascii() or not digits.isdigit() or len(digits) > len(str(ID_MAX)):
        return None
    number = int(digits)
    return number if number <= ID_MAX else None


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with "…" (a title on a
    button, a value quoted back in an error): a shortened text never passes for the whole."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_text(value: str, field_name: str, limit: int, *, required: bool = True) -> str:
    """Fold whitespace, refuse control characters and over-long or (if required) empty text."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise InvalidInput(field_name, "control_chars")
    folded = " ".join(value.split())
    if required and not folded:
        raise InvalidInput(field_name, "empty")
    if len(folded) > limit:
        raise InvalidInput(field_name, "too_long", limit=limit)
    return folded


def clean_body(value: str, field_name: str, limit: int) -> str:
    """A longer text (a question, a comment): trimmed, its lines kept, not empty, not too long."""
    text = value.strip()
    if not text:
        raise InvalidInput(field_name, "empty")
    if len(text) > limit:
        raise InvalidInput(field_name, "too_long", limit=limit)
    return text


def csv_reader(data: bytes, column: Callable[[str], str]) -> csv.DictReader[str] | None:
    """Rows of a CSV file as dicts: UTF-8 (a BOM is fine), ``;`` or ``,`` as Excel wrote it,
    header names passed through ``column`` (after trimming and casefolding). None when the file
    is not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [column(h.strip().casefold()) for h in reader.fieldnames or []]
    return reader
