"""Updates of different chats are processed concurrently; one chat's updates stay in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across chats (a vote burst is absorbed in parallel), order within a chat.

    Conversations and "reply to continue" flows rely on one chat's updates arriving in order,
    so each chat (or user, for updates without a chat) has a lock; other chats do not wait.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def _key(self, update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        try:
            await self._in_order(update, coroutine)
        finally:
            # Metrics on the hot path: one observation and one increment, nothing more.
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)
            metrics.UPDATES.inc()

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
