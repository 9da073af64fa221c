"""Pushing updates to the bot's webhook, as Telegram does once ``setWebhook`` has a URL.

Each pending update is POSTed as JSON to a webhook URL with ``X-Telegram-Bot-Api-Secret-Token``
when the bot set a secret. An answer other than 2xx, a refused connection or a timeout leaves
the update pending and it is tried again a moment later (on another target, if there are
several); a target that failed rests for ``REST`` seconds while others are up. Up to
``max_connections`` requests are in flight at once, but never two of one chat, so one chat's
updates arrive in order (a conversation depends on it).

Several targets: with ``tg.webhook_spread`` every URL the bot (its replicas) set is kept, and
updates go round-robin over them, as a load balancer in front of replicas would spread them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

from fakeapi.polling import _Waiter

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Seconds a failed target is left alone while another one is up.
REST = 1.0
#: Seconds before a failed update is tried again.
RETRY = 0.05
TIMEOUT = 30.0


def chat_key(update: dict[str, Any]) -> int | None:
    """The chat (or user) an update belongs to: their updates go one at a time."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        for holder in (value, value.get("message") or {}):
            chat = holder.get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
        sender = value.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return None


class Pusher:
    """Delivers a FakeTelegram's pending updates to its webhook targets."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.delivered: dict[str, int] = {}  # per target URL (tests check the spread)
        self.failures = 0
        #: Tests: ``route(update)`` names the target URL of an update (None: round-robin).
        self.route: Callable[[dict[str, Any]], str | None] | None = None
        self._waiter = _Waiter()  # the same wake-up as a waiting getUpdates call
        self._wake = self._waiter.event
        self._in_flight: set[int] = set()
        self._busy_chats: set[int | None] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._resting: dict[str, float] = {}
        self._turn = itertools.count()
        self._client = httpx.AsyncClient(timeout=TIMEOUT)
        tg.queue.listeners.append(self.wake)

    def wake(self) -> None:
        """Look at the queue (from any thread)."""
        self._waiter.wake()

    async def run(self) -> None:
        """Start a delivery for every update that may go now; sleep until something changes."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self.tg.webhook_targets:
                continue
            for update in self.tg.queue.deliverable():
                if len(self._in_flight) >= self.tg.webhook_max_connections:
                    break
                key = chat_key(update)
                if update["update_id"] in self._in_flight or (
                    key is not None and key in self._busy_chats
                ):
                    continue
                self._in_flight.add(update["update_id"])
                self._busy_chats.add(key)
                task = asyncio.create_task(self._deliver(update, key))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _target(self, update: dict[str, Any]) -> tuple[str, str | None] | None:
        targets = list(self.tg.webhook_targets.items())
        if not targets:
            return None
        chosen = self.route(update) if self.route is not None else None
        if chosen in self.tg.webhook_targets:
            return chosen, self.tg.webhook_targets[chosen]
        now = time.monotonic()
        up = [t for t in targets if self._resting.get(t[0], 0.0) <= now] or targets
        return up[next(self._turn) % len(up)]

    async def _deliver(self, update: dict[str, Any], key: int | None) -> None:
        ok = False
        try:
            target = self._target(update)
            if target is None:
                return
            url, secret = target
            headers = {"Content-Type": "application/json"}
            if secret:
                headers[SECRET_HEADER] = secret
            body = json.dumps(update, ensure_ascii=False).encode()
            try:
                answer = await self._client.post(url, content=body, headers=headers)
                ok = 200 <= answer.status_code < 300
                error = f"Wrong response from the webhook: {answer.status_code}"
            except httpx.HTTPError as exc:
                error = f"Connection refused ({type(exc).__name__})"
            if ok:
                self.tg.queue.confirm(update["update_id"])
                self.delivered[url] = self.delivered.get(url, 0) + 1
            else:
                self.failures += 1
                self._resting[url] = time.monotonic() + REST
                self.tg.webhook_last_error = (int(time.time()), error)
                await asyncio.sleep(RETRY)
        finally:
            self._in_flight.discard(update["update_id"])
            self._busy_chats.discard(key)
            self._wake.set()

    async def close(self) -> None:
        """Stop delivering; updates not yet delivered stay pending."""
        self.tg.queue.listeners.remove(self.wake)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()


@contextlib.asynccontextmanager
async def pushing(tg: FakeTelegram) -> AsyncIterator[Pusher]:
    """Push ``tg``'s updates to its webhook while the block runs."""
    pusher = Pusher(tg)
    runner = asyncio.create_task(pusher.run(), name="fakeapi-webhook")
    pusher.wake()
    try:
        yield pusher
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await pusher.close()
