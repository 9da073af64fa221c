"""Redaction of secrets in log records (bot/logs.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot import logs

TOKEN = "987654321:AAH-unit-test-token-abcdefghijklmnop"


@pytest.fixture
def redacting(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    factory = logging.getLogRecordFactory()
    logs.protect(TOKEN)
    caplog.set_level(logging.DEBUG)
    yield caplog
    logging.setLogRecordFactory(factory)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"POST https://api.telegram.org/bot{TOKEN}/getMe", "POST https://api.telegram.org/bot[redacted]/getMe"),
        ("url bot1234567:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123/x", "url bot[redacted]/x"),
        ("text='/start abcDEF123_-xyz'", "text='/start [redacted]'"),
        ("/start@klaszter_bot abcDEF123", "/start@klaszter_bot [redacted]"),
        ("https://t.me/klaszter_bot?start=abcDEF123_-xyz\n", "https://t.me/klaszter_bot?start=[redacted]\n"),
        ("CallbackQuery(data='vote:k:12:1', id='5')", "CallbackQuery(data='[redacted]', id='5')"),
        ("{'callback_data': 'vote:p:3:2', 'text': 'Nem'}", "{'callback_data': '[redacted]', 'text': 'Nem'}"),
        ('{"data": "vote:k:1:0"}', '{"data": "[redacted]"}'),
        ("/start", "/start"),
        ("ballot 12 closed", "ballot 12 closed"),
    ],
)  # fmt: skip
def test_redact(raw: str, clean: str) -> None:
    logs.protect(TOKEN)
    assert logs.redact(raw) == clean


def test_records_are_redacted_for_every_handler(redacting: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("some.library")
    log.debug("calling %s/getMe with %s", f"https://x/bot{TOKEN}", {"data": "vote:k:1:0"})
    try:
        raise RuntimeError(f"could not reach https://x/bot{TOKEN}/getMe")
    except RuntimeError:
        log.exception("failed")
    text = redacting.text + "".join(r.exc_text or "" for r in redacting.records)
    assert TOKEN not in text and "vote:k:1:0" not in text
    assert "RuntimeError: could not reach https://x/bot[redacted]/getMe" in text
    assert "calling https://x/bot[redacted]/getMe" in text


def test_libraries_never_log_below_their_floor() -> None:
    levels = {name: logging.getLogger(name).level for name in logs.QUIET}
    try:
        logs.quiet_libraries("DEBUG")
        assert logging.getLogger("telegram.ext.ExtBot").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
        logs.quiet_libraries("ERROR")
        assert logging.getLogger("telegram.ext.ExtBot").getEffectiveLevel() == logging.ERROR
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
