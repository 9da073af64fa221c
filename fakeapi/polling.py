"""The getUpdates queue: offset, limit, long-polling timeout, allowed_updates, conflicts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from fakeapi.errors import ApiError

DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _Waiter:
    """One getUpdates call waiting for updates on its event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()
        self.terminated = False

    def wake(self) -> None:
        """Wake the waiting call, from any thread."""
        try:
            same_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self.event.set()
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.event.set)


class UpdateQueue:
    """Pending updates served by getUpdates with offset, limit, timeout and allowed_updates."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.allowed: frozenset[str] | None = None
        self._last_id = 100_000_000
        self._waiters: list[_Waiter] = []
        #: Called on every push (the webhook pusher), on the pushing thread.
        self.listeners: list[Callable[[], None]] = []

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, giving it the next update_id if it has none."""
        if "update_id" not in update:
            update = {"update_id": self.next_id(), **update}
        self._last_id = max(self._last_id, update["update_id"])
        self.pending.append(update)
        for waiter in list(self._waiters):
            waiter.wake()
        self.wake_listeners()
        return update

    def wake_listeners(self) -> None:
        """Tell the listeners (the webhook pusher) to look at the queue."""
        for listener in list(self.listeners):
            listener()

    def deliverable(self) -> list[dict[str, Any]]:
        """The pending updates the bot's allowed_updates lets through (others are dropped)."""
        return self._take(len(self.pending))

    def confirm(self, update_id: int) -> None:
        """One update was delivered to a webhook: it is no longer pending."""
        self.pending = [u for u in self.pending if u["update_id"] != update_id]

    def next_id(self) -> int:
        """The next update_id."""
        self._last_id += 1
        return self._last_id

    def clear(self) -> None:
        """Drop every pending update (deleteWebhook with drop_pending_updates)."""
        self.pending.clear()

    def _allowed(self, update: dict[str, Any]) -> bool:
        """Whether the bot's allowed_updates setting lets this update through."""
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def _confirm(self, offset: int) -> None:
        """Forget updates before offset (a negative offset keeps only the last -offset)."""
        if offset < 0:
            del self.pending[: max(0, len(self.pending) + offset)]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        """Up to limit deliverable updates; disallowed ones are dropped like Telegram does."""
        self.pending = [u for u in self.pending if self._allowed(u)]
        return self.pending[:limit]

    async def get(
        self, offset: int | None, limit: int, wait: int, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """Answer one getUpdates call, long-polling up to timeout seconds."""
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None
        if offset is not None:
            self._confirm(offset)
        for other in self._waiters:
            other.terminated = True
            other.wake()
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + max(0, wait)
            while True:
                if waiter.terminated:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                items = self._take(limit)
                remaining = deadline - loop.time()
                if items or remaining <= 0:
                    return items
                waiter.event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), remaining)
        finally:
            self._waiters.remove(waiter)
