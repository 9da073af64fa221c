"""Hungarian alphabetical order (digraphs, long vowels) without ICU."""

from __future__ import annotations

import unicodedata

_PRIMARY = [
    "a", "b", "c", "cs", "d", "dz", "dzs", "e", "f", "g", "gy", "h", "i", "j", "k", "l", "ly",
    "m", "n", "ny", "o", "ö", "p", "q", "r", "s", "sz", "t", "ty", "u", "ü", "v", "w", "x", "y",
    "z", "zs",
]  # fmt: skip
_RANK = {letter: index + 1 for index, letter in enumerate(_PRIMARY)}
_LONG = {"á": "a", "é": "e", "í": "i", "ó": "o", "ő": "ö", "ú": "u", "ű": "ü"}
_MULTI = sorted((k for k in _RANK if len(k) > 1), key=len, reverse=True)


def hu_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Sort key: letters by the Hungarian alphabet, then short vowel before long, then raw text."""
    folded = text.casefold()
    primary: list[int] = []
    secondary: list[int] = []
    i = 0
    while i < len(folded):
        for multi in _MULTI:
            if folded.startswith(multi, i):
                primary.append(_RANK[multi])
                secondary.append(0)
                i += len(multi)
                break
        else:
            char = folded[i]
            base = _LONG.get(char, char)
            if base in _RANK:
                primary.append(_RANK[base])
                secondary.append(1 if char in _LONG else 0)
            elif char.isdigit():
                primary.append(int(char) - 10)
                secondary.append(0)
            elif char.isalnum():
                stripped = unicodedata.normalize("NFD", char)[0]
                primary.append(_RANK.get(stripped, 100 + ord(stripped)))
                secondary.append(2)
            else:
                primary.append(0)
                secondary.append(0)
            i += 1
    return tuple(primary), tuple(secondary), text


def hu_collation_string(text: str) -> str:
    """A digits-only string whose plain ordering is the Hungarian order (for an indexed column)."""
    primary, secondary, _ = hu_sort_key(text)
    units = []
    for rank in primary:
        if rank == 0:
            units.append("10")
        elif rank < 0:
            units.append(str(11 + rank + 10))
        elif rank <= len(_PRIMARY):
            units.append(str(20 + rank))
        else:
            units.append("90")
    return "".join(units) + "0" + "".join(str(s) for s in secondary)
