"""The vendored, trimmed Bot API spec: reproducible, licensed, and covering what PTB calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram import Bot

import fakeapi
from fakeapi._trim_spec import trim
from fakeapi.spec import load_spec

PACKAGE = Path(fakeapi.__file__).parent
SOURCE = Path("/work/shared/botapi/api-10.0.json")


def test_spec_is_bundled_with_its_license() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.0"
    assert "MIT License" in (PACKAGE / "BOTAPI-LICENSE").read_text(encoding="utf-8")
    send = spec.methods["sendMessage"]
    assert send.returns == ("Message",) and send.fields["chat_id"].required
    assert spec.method("SENDMESSAGE") is send
    assert spec.types["BotCommandScopeChat"].fields["type"].const == "chat"


@pytest.mark.skipif(not SOURCE.exists(), reason="the full spec is only in the build environment")
def test_trimmed_spec_is_reproducible() -> None:
    bundled = json.loads((PACKAGE / "botapi.json").read_text(encoding="utf-8"))
    assert trim(json.loads(SOURCE.read_text(encoding="utf-8"))) == bundled


def test_every_ptb_bot_method_is_in_the_spec() -> None:
    spec = load_spec()
    camel = {
        name
        for name in dir(Bot)
        if name[0].islower() and any(c.isupper() for c in name) and callable(getattr(Bot, name))
    }
    assert camel, "PTB exposes camelCase aliases of the Bot API methods"
    assert sorted(name for name in camel if spec.method(name) is None) == []
