"""Logging: one set-up for the bot, and no secret in any log line at any level.

Three secrets must never be written to a log: the bot token (it is part of every Bot API URL),
an invitation token (the payload of ``/start`` and of an invitation link) and a secret voter's
choice (the callback data of their buttons and the text of the message that shows it). Two
layers keep them out:

1. **Quiet libraries.** The loggers that dump request URLs, request and response bodies,
   incoming updates or SQL parameters never go below the level given in :data:`QUIET`,
   whatever ``LOG_LEVEL`` says.
2. **Redaction.** A log-record factory, installed once for the whole process, rewrites every
   record before any handler sees it: the bot token (and anything shaped like one), the payload
   of ``/start`` and ``?start=`` and callback data become ``[redacted]``, in the message and in
   the formatted traceback alike. Because it acts when the record is made, it covers handlers
   added later too (an operator's own, or pytest's ``caplog``).

The bot's own code logs ids, never texts typed by members, button data or ballot choices.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

#: The lowest level each library logger may log at, and what it would leak below it.
QUIET: dict[str, int] = {
    # INFO: every request line with its URL, which holds the bot token.
    "httpx": logging.WARNING,
    # DEBUG: connection and request/response events.
    "httpcore": logging.WARNING,
    # DEBUG: the Bot API URL (with the token), then every call with its parameters (message
    # texts such as a voter's "Your choice: No", invitation links) and every result.
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
    # DEBUG: every incoming update in full ("/start <invitation token>", callback data).
    "telegram.ext.Application": logging.INFO,
    # DEBUG: webhook bodies (the same updates).
    "telegram.ext.Updater": logging.INFO,
    # DEBUG: every SQL statement with its parameters; on SQLite that would put a secret
    # voter's roll row and the tally row they incremented side by side.
    "aiosqlite": logging.INFO,
    # DEBUG: every job run; nothing secret, but noise.
    "apscheduler": logging.WARNING,
    # INFO: a line for each of Alembic's autogenerate plugins at every upgrade; noise.
    "alembic.runtime.plugins": logging.WARNING,
}

#: Anything shaped like a bot token: the bot's numeric id, a colon, 30+ URL-safe characters.
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
#: The payload after ``/start`` (a command) or ``start=`` (a deep link).
_START_PAYLOAD = re.compile(r"((?:/start(?:@\w+)?\s+)|(?:[?&]start=))[A-Za-z0-9_-]+")
#: Callback data in a repr or a dict dump: ``data='…'``, ``'data': '…'``, ``"callback_data": "…"``.
_CALLBACK_DATA = re.compile(
    r"""(\b(?:callback_)?data=|['"](?:callback_)?data['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2"""
)

_secrets: set[str] = set()


def redact(text: str) -> str:
    """``text`` without the bot token, invitation tokens or callback data."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    text = _TOKEN_SHAPE.sub(REDACTED, text)
    text = _START_PAYLOAD.sub(lambda m: m.group(1) + REDACTED, text)
    return _CALLBACK_DATA.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)


def _redacting(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_text = record.exc_text.rstrip("\n")
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    make.klaszterbot_redacting = True  # type: ignore[attr-defined]
    return make


def protect(*secrets: str | None) -> None:
    """Redact these strings (and token shapes, ``/start`` payloads, callback data) everywhere."""
    _secrets.update(s for s in secrets if s and len(s) >= 8)
    current = logging.getLogRecordFactory()
    if not getattr(current, "klaszterbot_redacting", False):
        logging.setLogRecordFactory(_redacting(current))


def quiet_libraries(level: int | str) -> None:
    """Keep the loggers of :data:`QUIET` at or above their floor, whatever ``level`` is."""
    wanted = logging.getLevelName(level) if isinstance(level, str) else level
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, int(wanted)))


class JsonFormatter(logging.Formatter):
    """One JSON object a line (``LOG_FORMAT=json``): time, level, logger, message and the
    traceback, for a log collector. Records arrive already redacted (``protect``); the
    formatted result is redacted once more, so nothing secret slips through a field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return redact(json.dumps(entry, ensure_ascii=False))


JsonFormatter.converter = time.gmtime


def configure(level: str, secrets: Iterable[str | None] = (), fmt: str = "text") -> None:
    """The process's logging: format (``text`` or ``json``) and level, quiet libraries,
    redaction of secrets."""
    protect(*secrets)
    if fmt == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler])
    else:
        logging.basicConfig(level=level, format=FORMAT)
    quiet_libraries(level)
