"""Telegram Mini App ``initData``: checked by its HMAC with the bot token, and fresh enough.

Telegram's rule ("Validating data received via the Mini App"): the data-check-string is every
received field but ``hash``, sorted by key, as ``key=value`` lines joined by ``\\n``; the secret
key is ``HMAC_SHA256(key="WebAppData", message=bot_token)``; ``hash`` is the hex HMAC-SHA256 of
the data-check-string with that key. So no secret beyond the bot token is needed. ``auth_date``
(Unix seconds) says when Telegram signed it: older than the allowed age, it is refused.

Telegram-free on purpose: the web server calls it, and the tests sign their own data with
``sign``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: A signature may come from a client whose clock is a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)


class InitDataError(Exception):
    """``initData`` that must not be trusted; ``reason`` is a stable code for logs and tests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """Who opened the Mini App, as Telegram signed it."""

    id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    """The key Telegram signs ``initData`` with: derived from the bot token alone."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_string(fields: dict[str, str]) -> str:
    """The data-check-string: every field but ``hash``, sorted, ``key=value`` per line."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _digest(fields: dict[str, str], bot_token: str) -> str:
    payload = check_string(fields).encode()
    return hmac.new(secret_key(bot_token), payload, hashlib.sha256).hexdigest()


def _fields(init_data: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("duplicate_field")
    return fields


def _user(fields: dict[str, str], signed_at: datetime) -> WebAppUser:
    try:
        user: Any = json.loads(fields["user"])
        return WebAppUser(
            int(user["id"]), str(user.get("first_name", "")), user.get("language_code"), signed_at
        )
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no_user") from None


def validate(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user of genuine ``initData`` signed at most ``max_age`` before ``now``; else
    ``InitDataError`` (malformed, missing_hash, bad_hash, no_auth_date, expired, no_user)."""
    if not init_data:
        raise InitDataError("missing")
    fields = _fields(init_data)
    received = fields.get("hash")
    if not received:
        raise InitDataError("missing_hash")
    # bytes: compare_digest refuses str with non-ASCII characters (TypeError, a 500)
    if not hmac.compare_digest(_digest(fields, bot_token).encode(), received.lower().encode()):
        raise InitDataError("bad_hash")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError):
        raise InitDataError("no_auth_date") from None
    if now - signed_at > max_age or signed_at - now > CLOCK_SKEW:
        raise InitDataError("expired")
    return _user(fields, signed_at)


def sign(fields: dict[str, str], bot_token: str) -> str:
    """``initData`` for ``fields`` as Telegram would send it (tests, the demo, the browser test)."""
    signed = {key: value for key, value in fields.items() if key != "hash"}
    signed["hash"] = _digest(signed, bot_token)
    return urlencode(signed)


def user_fields(
    telegram_id: int, first_name: str, signed_at: datetime, language_code: str | None = None
) -> dict[str, str]:
    """The fields Telegram puts in ``initData`` for a user who opened the app."""
    user: dict[str, Any] = {"id": telegram_id, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return {
        "auth_date": str(int(signed_at.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
    }
