"""Decode request parameters by their spec types and check JSON objects against the spec."""

from __future__ import annotations

import json
import re
from typing import Any

from fakeapi.errors import ApiError, bad_request
from fakeapi.models import UploadedFile
from fakeapi.spec import SCALARS, MethodSpec, Spec, TypeSpec

_INT = re.compile(r"-?\d+\Z")
_ARRAY = "Array of "
_MEDIA_PARAMS = frozenset(
    {"photo", "document", "audio", "video", "voice", "animation", "sticker", "video_note"}
)
_OWNER_LABELS = {
    "InlineKeyboardButton": "inline keyboard button",
    "KeyboardButton": "keyboard button",
}
_JSON_LABELS = {
    "reply_markup": "reply keyboard markup",
    "reply_parameters": "reply parameters",
    "link_preview_options": "link preview options",
    "entities": "entities",
    "caption_entities": "entities",
    "scope": "BotCommandScope",
}
_TYPE_WORDS = {"Integer": "Number", "Float": "Number", "InputFile": "String"}


def missing_message(param: str) -> str:
    """Telegram's wording for an absent required parameter."""
    if param == "text":
        return "message text is empty"
    if param in _MEDIA_PARAMS:
        return f"there is no {param} in the request"
    return f"{param} is empty"


def _type_word(types: tuple[str, ...]) -> str:
    """How Telegram names the expected JSON type in error messages."""
    words: list[str] = []
    for typ in types:
        if typ.startswith(_ARRAY):
            word = "Array"
        elif typ in SCALARS:
            word = _TYPE_WORDS.get(typ, typ)
        else:
            word = "Object"
        if word not in words:
            words.append(word)
    return " or ".join(words)


def _common_prefix(names: tuple[str, ...]) -> str:
    """The shared start of type names, e.g. "InputMedia" for InputMediaPhoto/InputMediaVideo."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix or names[0]


def _err(owner: str | None, text: str) -> ApiError:
    """A 400 error, prefixed with "can't parse <owner>:" inside array elements like Telegram."""
    if owner:
        return bad_request(f"can't parse {owner}: {text[0].upper()}{text[1:]}")
    return bad_request(text)


class Checker:
    """Validates JSON values against spec type expressions (strict: unknown fields rejected)."""

    def __init__(self, spec: Spec, strict: bool):
        self.spec = spec
        self.strict = strict

    def value(self, value: Any, types: tuple[str, ...], owner: str | None, name: str) -> None:
        """Check one value against alternatives such as ("Integer", "String")."""
        if isinstance(value, dict) and len(types) > 1:
            types = tuple(sorted(types, key=lambda t: self._shape_misfit(value, t)))
        if len(types) > 1 and all(t.startswith(_ARRAY) for t in types):
            if not isinstance(value, list):
                raise _err(owner, f'field "{name}" must be of type Array')
            inner = tuple(t[len(_ARRAY) :] for t in types)
            for item in value:
                self.value(item, inner, _common_prefix(inner), name)
            return
        errors: list[ApiError] = []
        for typ in types:
            try:
                self._one(value, typ, owner, name)
                return
            except ApiError as exc:
                errors.append(exc)
        if len(types) > 1 and not isinstance(value, dict | list):
            raise _err(owner, f'field "{name}" must be of type {_type_word(types)}')
        tagged = [e for e in errors if not e.description.endswith("nsupported type specified")]
        raise (tagged or errors)[0]

    def _one(self, value: Any, typ: str, owner: str | None, name: str) -> None:
        """Check a value against a single type expression."""
        if typ.startswith(_ARRAY):
            if not isinstance(value, list):
                raise _err(owner, f'field "{name}" must be of type Array')
            inner = typ[len(_ARRAY) :]
            inner_owner = owner
            if inner in self.spec.types:
                inner_owner = _OWNER_LABELS.get(inner, inner)
            for item in value:
                self.value(item, (inner,), inner_owner, name)
            return
        if typ in SCALARS:
            if not _scalar_ok(value, typ):
                raise _err(owner, f'field "{name}" must be of type {_type_word((typ,))}')
            return
        if not isinstance(value, dict):
            raise _err(owner, f'field "{name}" must be of type Object')
        self.obj(value, self.spec.types[typ], owner)

    def obj(self, value: dict[str, Any], tspec: TypeSpec, owner: str | None) -> None:
        """Check an object's required, unknown and typed fields."""
        if tspec.subtypes:
            tspec = self._pick(value, tspec, owner)
        for required in tspec.fields.values():
            if required.required and required.name not in value:
                raise _err(owner, f'can\'t find field "{required.name}"')
        for key, item in value.items():
            fld = tspec.fields.get(key)
            if fld is None:
                if self.strict:
                    raise _err(
                        owner,
                        f'field "{key}" is not defined for {tspec.name} in {self.spec.version}',
                    )
                continue
            if fld.const is not None and item != fld.const:
                raise _err(owner or tspec.name, "unsupported type specified")
            self.value(item, fld.types, owner, key)

    def _shape_misfit(self, value: dict[str, Any], typ: str) -> tuple[int, int]:
        """How badly an object fits a type: (missing required fields, unknown fields)."""
        tspec = self.spec.types.get(typ)
        if tspec is None:
            return (1_000, 1_000)
        if tspec.subtypes:
            return min(self._shape_misfit(value, sub) for sub in tspec.subtypes)
        missing = sum(1 for f in tspec.fields.values() if f.required and f.name not in value)
        return missing, sum(1 for k in value if k not in tspec.fields)

    def _pick(self, value: dict[str, Any], tspec: TypeSpec, owner: str | None) -> TypeSpec:
        """Choose the subtype a tagged or shaped object stands for."""
        best: tuple[tuple[int, int], TypeSpec] | None = None
        for sub_name in tspec.subtypes:
            sub = self.spec.types[sub_name]
            tags = [f for f in sub.fields.values() if f.const is not None]
            if any(value.get(f.name) != f.const for f in tags):
                continue
            misfit = self._shape_misfit(value, sub_name)
            if best is None or misfit < best[0]:
                best = (misfit, sub)
        if best is None:
            raise _err(owner or tspec.name, "unsupported type specified")
        return best[1]


def _scalar_ok(value: Any, typ: str) -> bool:
    """True if a JSON value has the given scalar type."""
    if typ == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


class Decoder:
    """Turns the string parameters an HTTP server receives into typed values, per the spec."""

    def __init__(self, spec: Spec, strict: bool):
        self.spec = spec
        self.strict = strict
        self.checker = Checker(spec, strict)

    def decode(
        self, method: MethodSpec, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        """Check presence, names and types of all parameters; return the decoded values."""
        if self.strict:
            for key in raw:
                if key not in method.fields:
                    raise bad_request(
                        f'parameter "{key}" is not a parameter of {method.name} '
                        f"in {self.spec.version}"
                    )
        missing = [
            f.name
            for f in method.fields.values()
            if f.required and raw.get(f.name) in (None, "") and f.name not in files
        ]
        if missing:
            first = "text" if "text" in missing else missing[0]
            raise bad_request(missing_message(first))
        out: dict[str, Any] = {}
        for name, fld in method.fields.items():
            if name in raw:
                out[name] = self._coerce(raw[name], fld.types, name, files)
            elif name in files and "InputFile" in fld.types:
                out[name] = files[name]
        return out

    def _coerce(
        self, value: Any, types: tuple[str, ...], name: str, files: dict[str, UploadedFile]
    ) -> Any:
        """Decode one top-level parameter value."""
        if "InputFile" in types and isinstance(value, str):
            if value.startswith("attach://"):
                upload = files.get(value[len("attach://") :])
                if upload is None:
                    raise bad_request(f"file {value} not found in the request")
                return upload
            return value
        if types == ("Integer", "String"):
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            text = str(value)
            return int(text) if _INT.match(text) else text
        if types in (("Integer",), ("Float",), ("Boolean",), ("String",)):
            return _scalar(value, types[0], name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(
                    f"can't parse {_JSON_LABELS.get(name, name)} JSON object"
                ) from None
        if not isinstance(value, dict | list):
            raise bad_request(f"can't parse {_JSON_LABELS.get(name, name)} JSON object")
        self.checker.value(value, types, None, name)
        return value


def _scalar(value: Any, typ: str, name: str) -> Any:
    """Decode an Integer, Float, Boolean or String parameter sent as text or JSON."""
    if typ == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif typ == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value)
    elif typ == "Float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif isinstance(value, bool):
        return value
    elif isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise bad_request(f'parameter "{name}" must be of type {_type_word((typ,))}')


def result_problem(checker: Checker, value: Any, returns: tuple[str, ...]) -> str | None:
    """Why a result does not match the declared return type, or None if it does."""
    try:
        checker.value(value, returns, None, "result")
    except ApiError as exc:
        return exc.description
    return None
