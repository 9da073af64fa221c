"""Split long HTML into messages that fit Telegram's 4096-character limit."""

from __future__ import annotations

import re

LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-z]+);")
_TOKEN = re.compile(
    rf"(?P<tag>{_TAG.pattern})|(?P<entity>{_ENTITY.pattern})|(?P<char>.)", re.DOTALL
)
_TAG_NAME = re.compile(r"</?\s*([\w-]+)")

Token = tuple[str, str]  # (kind: "tag", "entity" or "char"; its text)


def visible_length(html: str) -> int:
    """Length Telegram counts: tags dropped, entities as one character, in UTF-16 units."""
    text = _ENTITY.sub("x", _TAG.sub("", html))
    return len(text.encode("utf-16-le")) // 2


def split_lines(html: str, limit: int = LIMIT) -> list[str]:
    """Cut at line ends so every part fits; each line must be balanced HTML on its own. A line
    longer than a part is cut into pieces (``_pieces``): the first fills what room the part has
    left, if it can be cut there at a space; each further piece starts a part."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in html.split("\n"):
        length = visible_length(line) + 1
        if length <= limit + 1:
            if current and size + length > limit:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
            current.append(line)
            size += length
            continue
        for n, piece in enumerate(_pieces(line, limit, limit - size if current else limit)):
            if n > 0 and current:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
            if piece:
                current.append(piece)
                size += visible_length(piece) + 1
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [p for p in parts if p]


def _pieces(line: str, limit: int, room: int) -> list[str]:
    """``line`` in pieces: the first of at most ``room`` visible characters, cut at a space
    (``""`` if there is none to cut at), the others of at most ``limit``, cut at the last space
    that fits, else after the last character that fits. Never inside a tag or an entity; the
    spaces at a cut are dropped; the tags open at a cut are closed before it and opened again
    after it, so each piece is balanced HTML as the line was. Pieces with no text are left out."""
    tokens: list[Token] = [(m.lastgroup or "char", m.group()) for m in _TOKEN.finditer(line)]
    pieces: list[str] = []
    opened: list[str] = []  # the start tags open where the previous piece was cut
    start = 0
    while start < len(tokens):
        first = not pieces
        cut = _cut(tokens, start, room if first else limit, hard=not first or room == limit)
        if cut is None:
            pieces.append("")
            continue
        end, resume = cut
        body = [text for _, text in tokens[start:end]]
        still = _open_after(opened, body)
        if any(kind != "tag" and text != " " for kind, text in tokens[start:end]):
            pieces.append("".join(opened + body + [f"</{_name(t)}>" for t in reversed(still)]))
        opened, start = still, resume
    return pieces


def _cut(tokens: list[Token], start: int, room: int, *, hard: bool) -> tuple[int, int] | None:
    """Where the piece from ``start`` ends and where the next one starts: at the last space
    that fits in ``room`` after some text, else (if ``hard``) after the last character that
    fits, else nowhere (``None``)."""
    width, space, text_seen = 0, None, False
    i = start
    for i in range(start, len(tokens)):  # i: where the room ran out
        kind, text = tokens[i]
        width += _width(kind, text)
        if width > room:
            break
        if kind == "char" and text == " ":
            space = i if text_seen else space
        elif kind != "tag":
            text_seen = True
    else:
        return len(tokens), len(tokens)
    if space is not None:
        resume = space
        while resume < len(tokens) and tokens[resume] == ("char", " "):
            resume += 1
        return space, resume
    if not hard:
        return None
    end = max(i, start + 1)
    while end < len(tokens) and tokens[end][0] == "tag" and tokens[end][1].startswith("</"):
        end += 1  # an end tag right after the cut stays with its text
    return end, end


def _width(kind: str, text: str) -> int:
    """A token's visible length, as ``visible_length`` counts it."""
    if kind == "tag":
        return 0
    if kind == "entity":
        return 1
    return len(text.encode("utf-16-le")) // 2


def _open_after(opened: list[str], body: list[str]) -> list[str]:
    """The start tags still open after ``body``, which begins with ``opened`` open."""
    stack = list(opened)
    for text in body:
        if _TAG.fullmatch(text):
            if text.startswith("</"):
                if stack:
                    stack.pop()
            else:
                stack.append(text)
    return stack


def _name(tag: str) -> str:
    """The element name of a start tag (``<a href="…">`` → ``a``)."""
    found = _TAG_NAME.match(tag)
    return found.group(1) if found else ""
