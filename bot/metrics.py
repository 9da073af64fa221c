"""The process's Prometheus metrics (served by ``bot.ops`` at ``/metrics``).

Recording one costs a counter increment or a histogram observation, nothing more: these sit on
the update path (``bot.concurrency``), on every Bot API call (``bot.request``) and on every job
run (``bot.scheduler``). What needs the database (the outbox depth) is read when scraped.

A process that serves no ``/metrics`` (polling mode without ``HTTP_LISTEN``) records nothing and
never loads ``prometheus-client``: until :func:`serve` is called every metric is a no-op.
"""

from __future__ import annotations

from typing import Any


class _Unserved:
    """A metric of a process that serves none: every recording is dropped."""

    def labels(self, *_values: str) -> _Unserved:
        return self

    def inc(self, _amount: float = 1) -> None:
        pass

    def observe(self, _value: float) -> None:
        pass

    def set(self, _value: float) -> None:
        pass


_UNSERVED = _Unserved()
UPDATES: Any = _UNSERVED
UPDATE_SECONDS: Any = _UNSERVED
API_CALLS: Any = _UNSERVED
API_ERRORS: Any = _UNSERVED
OUTBOX_DEPTH: Any = _UNSERVED
JOB_LAG: Any = _UNSERVED


def serve() -> None:
    """Make the metrics real (once a process): the webhook server or ``HTTP_LISTEN`` will
    answer ``/metrics``."""
    global UPDATES, UPDATE_SECONDS, API_CALLS, API_ERRORS, OUTBOX_DEPTH, JOB_LAG
    if UPDATES is not _UNSERVED:
        return
    from prometheus_client import Counter, Gauge, Histogram

    UPDATES = Counter("klaszterbot_updates_total", "Updates handled (each one counted when done).")
    UPDATE_SECONDS = Histogram(
        "klaszterbot_update_seconds",
        "Time from the start of handling an update to its end (handler latency).",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    )
    API_CALLS = Counter("klaszterbot_bot_api_calls_total", "Bot API calls, by method.", ["method"])
    API_ERRORS = Counter(
        "klaszterbot_bot_api_errors_total",
        "Bot API calls that failed (HTTP 4xx/5xx or a network error), by method.",
        ["method"],
    )
    OUTBOX_DEPTH = Gauge(
        "klaszterbot_outbox_depth",
        "Messages queued or being sent, by outbox (read from the database when scraped).",
        ["outbox"],
    )
    JOB_LAG = Histogram(
        "klaszterbot_job_lag_seconds",
        "How late a scheduled job started after its due time.",
        buckets=(0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 3600.0),
    )


def api_method(url: str) -> str:
    """The Bot API method of a request URL (the token is in the URL: never keep the rest)."""
    return url.rsplit("/", 1)[-1]
