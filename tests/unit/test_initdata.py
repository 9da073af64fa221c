"""The Mini App's initData: Telegram's HMAC with a key derived from the bot token, freshness."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.services.initdata import InitDataError, check_string, sign, user_fields, validate

TOKEN = "123456:TEST-token"
SIGNED = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def fresh(**extra: str) -> str:
    return sign({**user_fields(4242, "Kovács Anna", SIGNED, "hu"), **extra}, TOKEN)


def reason(init_data: str, now: datetime = SIGNED, token: str = TOKEN) -> str:
    with pytest.raises(InitDataError) as caught:
        validate(init_data, token, now, DAY)
    return caught.value.reason


def test_valid_data_gives_the_signed_user() -> None:
    user = validate(fresh(), TOKEN, SIGNED + timedelta(hours=3), DAY)
    assert (user.id, user.first_name, user.language_code) == (4242, "Kovács Anna", "hu")
    assert user.auth_date == SIGNED


def test_the_signature_is_telegrams_documented_one() -> None:
    """Computed independently of ``sign``: key = HMAC("WebAppData", token), sorted lines."""
    fields = user_fields(4242, "Anna", SIGNED)
    lines = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, lines.encode(), hashlib.sha256).hexdigest()
    assert check_string({**fields, "hash": "x"}) == lines
    assert validate(urlencode({**fields, "hash": digest}), TOKEN, SIGNED, DAY).id == 4242


def test_tampered_data_is_refused() -> None:
    fields = dict(parse_qsl(fresh()))
    fields["user"] = fields["user"].replace("4242", "4243")
    assert reason(urlencode(fields)) == "bad_hash"
    later = dict(parse_qsl(fresh()), auth_date=str(int(SIGNED.timestamp()) + 60))
    assert reason(urlencode(later)) == "bad_hash"


def test_another_bots_signature_is_refused() -> None:
    assert reason(fresh(), token="999:other") == "bad_hash"


def test_expired_data_is_refused() -> None:
    assert validate(fresh(), TOKEN, SIGNED + DAY, DAY).id == 4242  # exactly the limit
    assert reason(fresh(), now=SIGNED + DAY + timedelta(seconds=1)) == "expired"
    assert reason(fresh(), now=SIGNED - timedelta(hours=1)) == "expired"  # signed in the future


def test_missing_or_malformed_data_is_refused() -> None:
    fields = dict(parse_qsl(fresh()))
    del fields["hash"]
    assert reason(urlencode(fields)) == "missing_hash"
    assert reason("") == "missing"
    assert reason("user") == "malformed"
    assert reason(fresh() + "&hash=abc") == "duplicate_field"
    no_date = {k: v for k, v in user_fields(1, "A", SIGNED).items() if k != "auth_date"}
    assert reason(sign(no_date, TOKEN)) == "no_auth_date"
    no_user = {k: v for k, v in user_fields(1, "A", SIGNED).items() if k != "user"}
    assert reason(sign(no_user, TOKEN)) == "no_user"


def test_extra_fields_are_signed_too() -> None:
    signed = fresh(signature="abc", chat_type="private")
    assert validate(signed, TOKEN, SIGNED, DAY).id == 4242
    assert reason(signed.replace("chat_type=private", "chat_type=group")) == "bad_hash"


def test_a_hash_that_is_not_hex_is_refused_not_an_error() -> None:
    """A forged hash with non-ASCII characters (percent-encoded, or latin-1 in the header) is a
    bad signature like any other, not a TypeError from ``hmac.compare_digest`` (a 500)."""
    fields = dict(parse_qsl(fresh()))
    fields["hash"] = "é" * 64
    assert reason(urlencode(fields)) == "bad_hash"
