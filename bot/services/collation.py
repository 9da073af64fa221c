"""Hungarian alphabetical order (digraphs, doubled digraphs, long vowels) without ICU.

PyICU has no wheels (it builds against libicu-dev with a compiler), so the rule is written out
here, after the alphabetical-order rule of *A magyar helyesírás szabályai* and ICU's ``hu``
tailoring:

- cs, dz, dzs, gy, ly, ny, sz, ty, zs are letters of their own, after their first letter;
- a doubled digraph counts as the digraph twice: ``ssz`` = sz + sz, ``ccs`` = cs + cs,
  ``ddzs`` = dzs + dzs (so "Kasza" < "Kassza", "Rosta" < "Rosszné");
- á, é, í, ó, ú sort with a, e, i, o, u; ö/ő and ü/ű are letters of their own; a short vowel
  comes before the long one only when the words are otherwise equal.

Like ICU, the rule cannot see a compound's seam: "Kisszabó" (kis + szabó) sorts as sz + sz.
"""

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
#: A doubled digraph and the digraph it stands for twice (longest first: ddzs before ddz).
_DOUBLED = {
    "ddzs": "dzs", "ccs": "cs", "ddz": "dz", "ggy": "gy", "lly": "ly", "nny": "ny", "ssz": "sz",
    "tty": "ty", "zzs": "zs",
}  # fmt: skip


def hu_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Sort key: letters by the Hungarian alphabet, then short vowel before long, then raw text."""
    folded = text.casefold()
    primary: list[int] = []
    secondary: list[int] = []
    i = 0
    while i < len(folded):
        doubled = next((d for d in _DOUBLED if folded.startswith(d, i)), None)
        if doubled is not None:
            primary += [_RANK[_DOUBLED[doubled]]] * 2
            secondary += [0, 0]
            i += len(doubled)
            continue
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
