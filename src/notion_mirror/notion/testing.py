"""Test helpers for code that uses the Notion client.

:class:`FakeClock` stands in for ``time.monotonic`` and ``time.sleep`` so
retry and rate-limit behaviour is tested in zero wall time::

    clock = FakeClock()
    client = NotionClient(token="t", clock=clock.now, sleep=clock.sleep, ...)
"""

from __future__ import annotations

import threading

__all__ = ["FakeClock"]


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it.

    ``sleep(s)`` returns at once and advances time by ``s``; every sleep is
    recorded in :attr:`sleeps`. Thread-safe: concurrent sleepers each advance
    the shared time, which over-counts elapsed time but never under-counts,
    so "at least N seconds passed" assertions stay sound.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        with self._lock:
            self.sleeps.append(float(seconds))
            self._now += float(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (time passing elsewhere)."""
        with self._lock:
            self._now += float(seconds)

    @property
    def slept(self) -> float:
        """Total seconds slept so far."""
        with self._lock:
            return sum(self.sleeps)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now:.3f}, sleeps={len(self.sleeps)})"
