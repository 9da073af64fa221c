"""Time source, replaceable in tests.

Everything time-based reads one ``Clock``: the services, the JobQueue (``bot.scheduler``) and the
work-plan tick. A ``FakeClock`` tells whoever subscribed when it moves, so a test that moves it
moves the schedule too, and no test depends on the machine's date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to, and tells its subscribers that it moved."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._current = start
        self._listeners: list[Callable[[], None]] = []

    @property
    def current(self) -> datetime:
        return self._current

    @current.setter
    def current(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._current = when
        for listener in list(self._listeners):
            listener()

    def now(self) -> datetime:
        return self._current

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.current = self._current + timedelta(**delta)
        return self._current

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` whenever the clock moves; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe
