"""Optional flood control: Telegram's 429 "Too Many Requests: retry after N" answers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from fakeapi.errors import ApiError


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Token-bucket limits: per second overall, per private chat (with a burst), per group."""

    per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0


@dataclass(slots=True)
class _Bucket:
    """A token bucket refilled continuously."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens accrued since the last look."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, count: int) -> int:
        """Whole seconds until count tokens (at most a full bucket) are available."""
        need = min(float(count), self.capacity)
        return 0 if self.tokens >= need else max(1, math.ceil((need - self.tokens) / self.rate))


@dataclass
class FloodControl:
    """Counts sent messages and refuses the ones over the limits."""

    limits: FloodLimits
    clock: Callable[[], float]
    hits: int = 0
    _buckets: dict[object, _Bucket] = field(default_factory=dict)

    def _bucket(self, key: object, capacity: float, rate: float) -> _Bucket:
        """The refilled bucket for a key."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(capacity, rate, capacity, now)
        bucket.refill(now)
        return bucket

    def _chat_buckets(self, chat_id: int, is_group: bool) -> list[_Bucket]:
        """The overall bucket and the chat's bucket."""
        lim = self.limits
        chat = (
            self._bucket(chat_id, lim.group_per_minute, lim.group_per_minute / 60)
            if is_group
            else self._bucket(chat_id, lim.private_burst, lim.private_per_second)
        )
        return [self._bucket("all", lim.per_second, lim.per_second), chat]

    def check(self, chat_id: int, is_group: bool, count: int = 1) -> None:
        """Raise 429 if sending count messages to the chat now would exceed a limit."""
        retry = max(b.wait(count) for b in self._chat_buckets(chat_id, is_group))
        if retry:
            self.hits += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def record(self, chat_id: int, is_group: bool, count: int = 1) -> None:
        """Spend tokens for count messages sent to the chat."""
        for bucket in self._chat_buckets(chat_id, is_group):
            bucket.tokens -= min(float(count), bucket.capacity)
