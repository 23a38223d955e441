"""The process-wide request limiter for Notion.

Notion allows about 3 requests/second per integration, so every request a
process makes goes through one :class:`RateLimiter` (clients with the same
base URL and rate share one by default, see :func:`shared_limiter`). It
admits requests with a sliding-window log from ``pyrate_limiter`` fed with
timestamps from *our* clock, so tests drive it with a fake clock; the
library's own ``Limiter`` is not used because it sleeps on the real clock.

After a 429/529 the limiter pauses every caller until ``Retry-After`` has
passed, then runs at a reduced rate for a while, because a server that just
refused us is likely to refuse again at the same pace.

Warning: waits happen outside the internal lock so other threads can observe
the pause; a woken caller re-checks everything before it is admitted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from pyrate_limiter import InMemoryBucket, Rate, RateItem

__all__ = ["RateLimiter", "shared_limiter"]

logger = logging.getLogger("notion_mirror.notion")

DEFAULT_RATE = 3.0
DEFAULT_BURST = 3
_MIN_FACTOR = 1 / 8


def _window(rate: float, burst: int) -> Rate:
    # `burst` requests per `burst / rate` seconds: at most `burst` at once,
    # `rate` per second on average.
    return Rate(burst, max(1, round(burst * 1000.0 / rate)))


class RateLimiter:
    """Admit requests at ``rate`` per second on average with bursts of ``burst``.

    ``rate=None`` or ``0`` disables the steady-state limit; server-requested
    pauses (:meth:`pause`) are still honoured.
    """

    def __init__(
        self,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        slowdown_seconds: float = 60.0,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must be positive, 0 or None")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate) if rate else None
        self.burst = int(burst)
        self.clock = clock
        self.sleep = sleep
        self.slowdown_seconds = slowdown_seconds
        self._lock = threading.Lock()
        self._bucket = InMemoryBucket([_window(self.rate, self.burst)]) if self.rate else None
        self._paused_until = float("-inf")
        self._factor = 1.0
        self._slow_until = float("-inf")

    @property
    def current_rate(self) -> float | None:
        """The rate in force now (lower than :attr:`rate` while slowed down)."""
        with self._lock:
            self._restore_if_due(self.clock())
            return self.rate * self._factor if self.rate else None

    @property
    def paused_until(self) -> float:
        with self._lock:
            return self._paused_until

    def acquire(self) -> float:
        """Block until one request may be sent; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                wait = self._paused_until - now
                if wait <= 0:
                    self._restore_if_due(now)
                    if self._bucket is None:
                        return waited
                    stamp = int(now * 1000)
                    self._bucket.leak(stamp)
                    item = RateItem("notion", stamp)
                    if self._bucket.put(item):
                        return waited
                    wait = max(int(self._bucket.waiting(item)), 1) / 1000.0
            logger.debug("rate limiter: waiting %.3fs", wait)
            self.sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` from now, then slow down.

        Called on 429/529 with the server's ``Retry-After``. Each call halves
        the rate (down to 1/8) for :attr:`slowdown_seconds` after the pause.
        """
        with self._lock:
            now = self.clock()
            self._paused_until = max(self._paused_until, now + max(0.0, seconds))
            self._slow_until = self._paused_until + self.slowdown_seconds
            if self._bucket is not None and self.rate is not None:
                self._factor = max(_MIN_FACTOR, self._factor / 2)
                self._bucket.rates = [_window(self.rate * self._factor, self.burst)]
        logger.debug("rate limiter: paused for %.3fs, rate factor now %s", seconds, self._factor)

    def _restore_if_due(self, now: float) -> None:
        if self._factor != 1.0 and now >= self._slow_until:
            self._factor = 1.0
            if self._bucket is not None and self.rate is not None:
                self._bucket.rates = [_window(self.rate, self.burst)]

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"


_shared: dict[tuple[str, float | None, int], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(base_url: str, rate: float | None, burst: int) -> RateLimiter:
    """The one real-clock limiter of this process for ``base_url`` and this rate."""
    key = (base_url.rstrip("/"), float(rate) if rate else None, int(burst))
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = RateLimiter(rate, burst)
        return limiter
