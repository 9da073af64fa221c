"""Splitting long HTML into messages: at line ends, and a line longer than a message at its
spaces (failing that, between characters), never inside a tag or an entity; every part is
balanced HTML that Telegram accepts, within its limit as Telegram counts it (UTF-16 units)."""

from __future__ import annotations

import random
from html import escape

import pytest

from bot.views.split import LIMIT, split_lines, visible_length
from fakeapi.html import parse_html
from fakeapi.textutil import utf16_len


def _telegram_accepts(parts: list[str], limit: int) -> list[str]:
    """The visible text of each part, checked as Telegram checks a message."""
    shown = []
    for part in parts:
        visible, _ = parse_html(part)  # raises on an unbalanced tag or a broken entity
        assert 0 < utf16_len(visible) <= limit, part
        assert visible_length(part) == utf16_len(visible)
        shown.append(visible)
    return shown


def test_short_lines_are_kept_whole_and_cut_only_at_line_ends() -> None:
    lines = [f"<b>{n}.</b> sor &amp; szöveg" for n in range(600)]
    parts = split_lines("\n".join(lines))
    assert len(parts) > 1
    assert "\n".join(parts).split("\n") == lines
    _telegram_accepts(parts, LIMIT)


def test_a_long_line_is_cut_at_spaces() -> None:
    words = ["Az", "adatkezelő", "a", "tagok", "adatait", "kezeli."] * 900
    line = " ".join(words)
    parts = split_lines("Első sor\n" + line + "\nUtolsó sor")
    # the long line fills the part its first piece joins; each part is as full as it can be
    assert parts[0].startswith("Első sor\nAz adatkezelő") and parts[-1].endswith("\nUtolsó sor")
    assert all(visible_length(p) > LIMIT - len(" adatkezelő") for p in parts[:-1])
    assert " ".join(parts) == "Első sor\n" + line + "\nUtolsó sor"  # no word is cut
    _telegram_accepts(parts, LIMIT)


def test_a_long_line_starts_a_new_part_if_it_cannot_be_cut_in_the_room_left() -> None:
    parts = split_lines("Első sor\n" + "x" * 5000 + " vége", 4096)
    assert parts == ["Első sor", "x" * 4096, "x" * 904 + " vége"]


def test_the_tags_open_at_a_cut_are_closed_and_opened_again() -> None:
    line = '<b>Kiemelt <a href="https://example.hu/a?b=1&amp;c=2">hosszú hivatkozás</a> ' + (
        "szöveg &lt;x&gt; " * 10 + "</b> vége <i>dőlt</i>"
    )
    parts = split_lines(line, 20)
    shown = _telegram_accepts(parts, 20)
    assert (
        " ".join(" ".join(shown).split())
        == "Kiemelt hosszú hivatkozás " + "szöveg <x> " * 10 + "vége dőlt"
    )
    assert parts[:2] == [
        '<b>Kiemelt <a href="https://example.hu/a?b=1&amp;c=2">hosszú</a></b>',
        '<b><a href="https://example.hu/a?b=1&amp;c=2">hivatkozás</a> szöveg</b>',
    ]


def test_a_line_without_spaces_is_cut_between_characters_never_in_an_entity() -> None:
    line = "<i>" + "x&amp;😀" * 3000 + "</i>"  # 4 UTF-16 units a repeat, 12,000 in all
    parts = split_lines(line)
    shown = _telegram_accepts(parts, LIMIT)
    assert "".join(shown) == "x&😀" * 3000
    assert [utf16_len(s) for s in shown[:-1]] in ([4096, 4096], [4095, 4096], [4096, 4095])


@pytest.mark.parametrize("limit", [7, 30, 200])
def test_any_text_becomes_parts_telegram_accepts(limit: int) -> None:
    rng = random.Random(limit)
    pieces = ["a", "ő", " ", "  ", "😀", "&amp;", "&lt;", "\nw", "szó", "<b>", "<i>"]
    for _ in range(50):
        html, opened = "w", []
        for _ in range(rng.randrange(1, 400)):
            piece = rng.choice(pieces)
            if piece == "\nw":
                piece = "".join(f"</{t}>" for t in reversed(opened)) + "\nw"
                opened = []
            elif piece.startswith("<"):
                if piece[1:-1] in opened:
                    continue
                opened.append(piece[1:-1])
            html += piece
        html += "".join(f"</{t}>" for t in reversed(opened))
        parts = split_lines(html, limit)
        shown = _telegram_accepts(parts, limit)
        expected, _ = parse_html(html)
        assert "".join("".join(shown).split()) == "".join(expected.split())


def test_plain_text_cut_into_parts_loses_nothing() -> None:
    text = escape("„Idézet” & <jel> ") * 700
    parts = split_lines(text)
    assert " ".join(parts) == text
    _telegram_accepts(parts, LIMIT)
