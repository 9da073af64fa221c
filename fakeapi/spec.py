"""The vendored Bot API spec (botapi.json) as typed, cached lookup tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    const: str | None = None


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A Bot API method: its parameters and declared return type."""

    name: str
    returns: tuple[str, ...]
    fields: dict[str, Field]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A Bot API object type: its fields, or the subtypes it stands for."""

    name: str
    fields: dict[str, Field]
    subtypes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Spec:
    """All methods and types of one Bot API version."""

    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]
    _lower: dict[str, str]

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up case-insensitively, as the Bot API does."""
        real = self._lower.get(name.lower())
        return self.methods[real] if real else None


def _fields(raw: list[dict[str, Any]]) -> dict[str, Field]:
    """Build Field objects keyed by name."""
    return {
        f["name"]: Field(f["name"], tuple(f["types"]), bool(f["required"]), f.get("const"))
        for f in raw
    }


@cache
def load_spec() -> Spec:
    """Load fakeapi/botapi.json once."""
    text = resources.files("fakeapi").joinpath("botapi.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    methods = {
        name: MethodSpec(name, tuple(m["returns"]), _fields(m["fields"]))
        for name, m in raw["methods"].items()
    }
    types = {
        name: TypeSpec(name, _fields(t["fields"]), tuple(t.get("subtypes", ())))
        for name, t in raw["types"].items()
    }
    return Spec(raw["version"], methods, types, {n.lower(): n for n in methods})
