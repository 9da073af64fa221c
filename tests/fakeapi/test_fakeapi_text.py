"""Telegram's parse modes as the fake implements them: visible text, entities and errors."""

from __future__ import annotations

import pytest

from fakeapi.entities import detect_entities
from fakeapi.html import parse_html
from fakeapi.textutil import EntityParseError, check_link, utf16_len


def test_html_text_entities_and_utf16_offsets() -> None:
    text, entities = parse_html(
        '<b>Szia</b> <i>😀 x</i> &lt;tag&gt; &amp; &#33;&#x21; <a href="https://example.com">link</a>'
    )
    assert text == "Szia 😀 x <tag> & !! link"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 21, "length": 4, "url": "https://example.com"},
    ]


def test_html_pre_code_spoiler_quote_and_mentions() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">print(1)</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote><code>c</code>"
        '<a href="tg://user?id=1001">A</a><a href="not a link">x</a>'
    )
    assert text == "print(1)stqcAx"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 8, "language": "python"},
        {"type": "spoiler", "offset": 8, "length": 1},
        {"type": "spoiler", "offset": 9, "length": 1},
        {"type": "expandable_blockquote", "offset": 10, "length": 1},
        {"type": "code", "offset": 11, "length": 1},
        {"type": "text_mention", "offset": 12, "length": 1, "user_id": 1001},
    ]


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Ár: 5<10 Ft", 'Unsupported start tag "10" at byte offset 6'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>test</b></i>",
            'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<a href=x/y>z</a>", "Unexpected end of name token at byte offset 8"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("Kovács & Társa", 'Unescaped "&" at byte offset 8'),
    ],
)
def test_html_errors_use_telegrams_wording(markup: str, error: str) -> None:
    with pytest.raises(EntityParseError) as info:
        parse_html(markup, strict_ampersand=True)
    assert str(info.value).startswith(error)


def test_bare_ampersand_is_text_for_telegram() -> None:
    assert parse_html("AT&T &nbsp;") == ("AT&T &nbsp;", [])


def test_detected_entities() -> None:
    text = "/start@klaszter_test_bot hi @anna #hír $USD https://x.hu/a. mail: a@b.hu"
    kinds = [(e["type"], e["offset"], e["length"]) for e in detect_entities(text)]
    assert kinds == [
        ("bot_command", 0, 24),
        ("mention", 28, 5),
        ("hashtag", 34, 4),
        ("cashtag", 39, 4),
        ("url", 44, 14),
        ("email", 66, 6),
    ]


def test_utf16_and_links() -> None:
    assert utf16_len("😀é") == 3
    assert check_link("example.com") == ("http://example.com", None)
    assert check_link("not-a-url") == (None, "Wrong HTTP URL")
    assert check_link("ftp://example.com") == (None, "Unsupported URL protocol")
    assert check_link("tg://resolve?domain=x") == ("tg://resolve?domain=x", None)
