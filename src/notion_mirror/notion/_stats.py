"""Per-client request counters, read by benchmarks and tracing."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["ClientStats"]


@dataclass
class ClientStats:
    """Counters of one client; updated from many threads, so go through the methods.

    ``requests`` counts requests *sent* (attempts, retries included) keyed by
    ``"METHOD /route/{template}"``; ``statuses`` counts responses by HTTP
    status (``0`` for transport failures); ``retries`` counts re-sends;
    ``rate_limit_wait_seconds`` is the time spent waiting on the limiter
    (including server-requested pauses), ``backoff_wait_seconds`` the time
    spent in retry backoff.
    """

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    rate_limit_wait_seconds: float = 0.0
    backoff_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def requests_total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def record_sent(self, key: str, *, retry: bool, waited: float) -> None:
        with self._lock:
            self.requests[key] += 1
            if retry:
                self.retries += 1
            self.rate_limit_wait_seconds += waited

    def record_status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1
            if status in (429, 529):
                self.rate_limited += 1

    def record_backoff(self, seconds: float) -> None:
        with self._lock:
            self.backoff_wait_seconds += seconds

    def snapshot(self) -> dict[str, object]:
        """A plain-data copy, safe to serialise."""
        with self._lock:
            return {
                "requests_total": sum(self.requests.values()),
                "requests": dict(self.requests),
                "statuses": dict(self.statuses),
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "rate_limit_wait_seconds": self.rate_limit_wait_seconds,
                "backoff_wait_seconds": self.backoff_wait_seconds,
            }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.retries = self.rate_limited = 0
            self.rate_limit_wait_seconds = self.backoff_wait_seconds = 0.0
