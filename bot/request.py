"""A request backend that retries what Telegram's side may answer better a moment later.

Every call the bot makes (a reply, a button's answer, an edit, a delivery) goes through it: a
5xx answer, a timeout or a network error is tried again after 0.25, 0.5, 1 and 2 seconds. What
still fails surfaces as PTB's ``NetworkError``; the outbox (``bot.courier``) then retries its
rows for minutes, and routed messages wait in their table. Long polling (``getUpdates``) has its
own request and retry loop in PTB's ``Updater`` and is not wrapped.

Retrying a send that timed out can deliver it twice (Telegram may have sent it before the
answer was lost); for a governance bot a rare double is better than a lost ballot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot import metrics

log = logging.getLogger(__name__)

#: Seconds before each retry of a transient failure.
DELAYS = (0.25, 0.5, 1.0, 2.0)


def _method(url: str) -> str:
    return metrics.api_method(url)  # the token is in the URL: never log it


class RetryingRequest(BaseRequest):
    """Wraps another ``BaseRequest``; retries 5xx answers, timeouts and network errors."""

    __slots__ = ("_inner", "delays")

    def __init__(self, inner: BaseRequest, delays: tuple[float, ...] = DELAYS) -> None:
        self._inner = inner
        self.delays = delays

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = _method(url)
        metrics.API_CALLS.labels(name).inc()
        try:
            code, payload = await self._retrying(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        except NetworkError:
            metrics.API_ERRORS.labels(name).inc()
            raise
        if code >= 400:
            metrics.API_ERRORS.labels(name).inc()
        return code, payload

    async def _retrying(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        read_timeout: Any,
        write_timeout: Any,
        connect_timeout: Any,
        pool_timeout: Any,
    ) -> tuple[int, bytes]:
        for attempt, delay in enumerate((*self.delays, None)):
            try:
                code, payload = await self._inner.do_request(
                    url, method, request_data,
                    read_timeout=read_timeout, write_timeout=write_timeout,
                    connect_timeout=connect_timeout, pool_timeout=pool_timeout,
                )  # fmt: skip
            except NetworkError as exc:
                if delay is None:
                    raise
                log.info("%s: %s; try %d in %.2f s", _method(url), exc, attempt + 2, delay)
            else:
                if code < 500 or delay is None:
                    return code, payload
                log.info("%s: HTTP %d; try %d in %.2f s", _method(url), code, attempt + 2, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")
