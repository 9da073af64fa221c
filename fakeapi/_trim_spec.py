"""Trim the Bot API spec to what fakeapi needs: ``python -m fakeapi._trim_spec SRC DEST``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_CONST = re.compile(r'(?:always|must be) "?([a-z][a-z0-9_]*)"?$')
_DISCRIMINATORS = ("type", "status", "source")


def _field(raw: dict[str, Any], in_subtype: bool) -> dict[str, Any]:
    """Keep a field's name, types and requiredness, plus its constant value for a subtype tag."""
    out: dict[str, Any] = {
        "name": raw["name"],
        "types": list(raw["types"]),
        "required": bool(raw["required"]),
    }
    if in_subtype and raw["name"] in _DISCRIMINATORS:
        match = _CONST.search(raw.get("description", "").strip().rstrip("."))
        if match:
            out["const"] = match.group(1)
    return out


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """Return the trimmed spec as a JSON-ready dict."""
    methods = {
        name: {
            "name": name,
            "returns": list(method["returns"]),
            "fields": [_field(f, False) for f in method.get("fields", [])],
        }
        for name, method in spec["methods"].items()
    }
    types: dict[str, Any] = {}
    for name, typ in spec["types"].items():
        in_subtype = bool(typ.get("subtype_of"))
        entry: dict[str, Any] = {
            "name": name,
            "fields": [_field(f, in_subtype) for f in typ.get("fields", [])],
        }
        if typ.get("subtypes"):
            entry["subtypes"] = list(typ["subtypes"])
        types[name] = entry
    return {
        "version": spec["version"],
        "source": "PaulSonOfLars/telegram-bot-api-spec (MIT, see BOTAPI-LICENSE)",
        "methods": methods,
        "types": types,
    }


def main(argv: list[str]) -> int:
    """Read SRC, write the trimmed spec to DEST."""
    if len(argv) != 2:
        print("usage: python -m fakeapi._trim_spec SRC DEST", file=sys.stderr)
        return 2
    src, dest = Path(argv[0]), Path(argv[1])
    trimmed = trim(json.loads(src.read_text(encoding="utf-8")))
    dest.write_text(json.dumps(trimmed, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
