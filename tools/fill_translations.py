"""Fill Hungarian msgstrs from a Python file defining ``T = {msgid: msgstr, ...}``.

Keys are the msgid, ``(context, msgid)`` for pgettext, or ``(singular, plural)`` for ngettext
(then the value is a ``(form0, form1)`` pair). Run after tools/update_catalogs.sh:

    flock /tmp/klaszterbot-po.lock .venv/bin/python tools/fill_translations.py my_strings.py

It prints the Hungarian entries still missing a translation.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "bot/locales/hu/LC_MESSAGES/messages.po"


def main(source: str) -> int:
    table = runpy.run_path(source)["T"]
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="hu")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            key: object = tuple(message.id)
        elif message.context:
            key = (message.context, message.id)
        else:
            key = message.id
        if key in table:
            value = table[key]
            message.string = tuple(value) if isinstance(value, tuple) else value
            message.flags.discard("fuzzy")
        elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            missing.append(message.id)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=0)
    for item in missing:
        print(f"missing: {item!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
