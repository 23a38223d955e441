"""Realism switches: token-bucket rate limit and seeded fault injection.

Fault spec: comma list of ``KIND:PROB`` or ``KIND@METHOD /v1/template:PROB``,
optionally followed by ``:SECONDS``, the ``Retry-After`` the faulted answer carries
(statuses only; ``429`` and ``529`` default to 1 s, the others send none).
Each eligible request draws one number from the seeded RNG and picks at most
one fault by cumulative probability, so a given seed and request sequence
always produces the same faults.

:class:`FaultLog` counts what was injected and checks that clients wait out
every ``Retry-After`` they are given.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = frozenset(
    {
        "429",
        "500",
        "502",
        "503",
        "504",
        "529",
        "timeout",
        "reset",
        "applied-then-500",
        "applied-then-502",
        "applied-then-503",
        "applied-then-504",
        "applied-then-reset",
    }
)


@dataclass(frozen=True)
class Fault:
    kind: str
    probability: float
    method: str | None = None
    template: str | None = None
    # Seconds for the answer's Retry-After; None: the kind's default.
    retry_after: float | None = None

    def applies(self, method: str, template: str, *, write: bool) -> bool:
        # "Applied, then failed" only means something for a write; reads are not
        # eligible, so a test can still read back what a faulted write committed.
        if self.applied_first and not write:
            return False
        if self.method is None:
            return True
        return self.method == method and self.template == template

    @property
    def applied_first(self) -> bool:
        return self.kind.startswith("applied-then-")

    @property
    def outcome(self) -> str:
        """What the client sees: a status code string, ``timeout`` or ``reset``."""
        return self.kind.removeprefix("applied-then-")

    @property
    def retry_after_header(self) -> str | None:
        """The ``Retry-After`` value of the faulted answer, if it carries one."""
        if self.retry_after is None:
            return "1" if self.outcome in ("429", "529") else None
        return format_seconds(self.retry_after)


def format_seconds(seconds: float) -> str:
    """``1`` for 1.0, ``0.25`` for 0.25: whole seconds stay integers, as Notion sends them."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def parse_faults(spec: str) -> list[Fault]:
    """Parse a fault spec; raises ValueError with a message fit for a user."""
    faults: list[Fault] = []
    for item in (part.strip() for part in (spec or "").split(",")):
        if not item:
            continue
        head, sep, prob_text = item.rpartition(":")
        if not sep:
            raise ValueError(f"fault {item!r}: expected KIND:PROBABILITY")
        retry_after_text = None
        if ":" in head:  # KIND:PROBABILITY:RETRY_AFTER
            retry_after_text = prob_text
            head, _, prob_text = head.rpartition(":")
        try:
            prob = float(prob_text)
        except ValueError:
            raise ValueError(f"fault {item!r}: {prob_text!r} is not a probability") from None
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"fault {item!r}: probability must be between 0 and 1")
        kind, at, scope = head.partition("@")
        method = template = None
        if at:
            method, _, template = scope.strip().partition(" ")
            method, template = method.upper(), template.strip()
            if not template.startswith("/v1/"):
                raise ValueError(f"fault {item!r}: scope must be 'METHOD /v1/route/template'")
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"fault {item!r}: unknown kind {kind!r} (one of {sorted(FAULT_KINDS)})"
            )
        retry_after = None
        if retry_after_text is not None:
            if kind.removeprefix("applied-then-") in ("timeout", "reset"):
                raise ValueError(f"fault {item!r}: only an HTTP status answer has a Retry-After")
            try:
                retry_after = float(retry_after_text)
            except ValueError:
                retry_after = -1.0
            if not (math.isfinite(retry_after) and retry_after >= 0):
                raise ValueError(
                    f"fault {item!r}: Retry-After {retry_after_text!r} is not a number of seconds"
                )
        faults.append(Fault(kind, prob, method, template, retry_after))
    return faults


class FaultInjector:
    def __init__(self, spec: str = "", seed: int | None = 0) -> None:
        self._lock = threading.Lock()
        self.configure(spec, seed)

    def configure(self, spec: str, seed: int | None = None) -> None:
        faults = parse_faults(spec)
        with self._lock:
            self.spec = spec or ""
            self._faults = faults
            if seed is not None or not hasattr(self, "_rng"):
                self._rng = random.Random(seed)

    def draw(self, method: str, template: str, *, write: bool) -> Fault | None:
        with self._lock:
            candidates = [f for f in self._faults if f.applies(method, template, write=write)]
            if not candidates:
                return None
            roll = self._rng.random()
            total = 0.0
            for fault in candidates:
                total += fault.probability
                if roll < total:
                    return fault
            return None


class RateLimiter:
    """Token bucket: ``rps`` tokens per second, burst ``max(1, rps)``."""

    def __init__(self, rps: float | None) -> None:
        self._lock = threading.Lock()
        self.configure(rps)

    def configure(self, rps: float | None) -> None:
        with self._lock:
            self.rps = rps if rps and rps > 0 else None
            self._capacity = max(1.0, self.rps or 1.0)
            self._tokens = self._capacity
            self._stamp = time.monotonic()

    def acquire(self) -> int | None:
        """None when the request may go ahead, else the whole seconds to wait (≥1)."""
        with self._lock:
            if self.rps is None:
                return None
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rps)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - self._tokens) / self.rps))


@dataclass
class _Window:
    """A ``Retry-After`` answer: nothing more from its token until ``deadline``."""

    issued: float
    deadline: float
    connection: Any
    label: str
    seconds: float


@dataclass
class FaultLog:
    """What the realism switches answered, and whether clients honoured ``Retry-After``.

    Counts every faulted answer: injected faults by kind, rate-limit refusals, and both by
    route. Once a client (a bearer token) is answered ``Retry-After: N``, a request from it
    that arrives before those N seconds are over is *early*. Two allowances of
    ``tolerance`` seconds each: a request arriving that soon after the answer may have
    been sent before the client could read it (another thread's, even on the same
    keep-alive connection), so it counts as ``in_flight_requests``, not early; and one
    arriving that close to the deadline is on time.
    """

    tolerance: float = 0.05
    clock: Callable[[], float] = time.monotonic
    max_details: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _faults: Counter[str] = field(default_factory=Counter)
    _rate_limited: int = 0
    _faulted: Counter[str] = field(default_factory=Counter)
    _retry_after: Counter[str] = field(default_factory=Counter)
    _windows: dict[str, list[_Window]] = field(default_factory=dict)
    _early: int = 0
    _in_flight: int = 0
    _in_flight_latest: float = 0.0
    _details: list[dict[str, Any]] = field(default_factory=list)

    def fault(self, kind: str, route: str) -> None:
        with self._lock:
            self._faults[kind] += 1
            self._faulted[route] += 1

    def rate_limited(self, route: str) -> None:
        with self._lock:
            self._rate_limited += 1
            self._faulted[route] += 1

    def answered_retry_after(
        self, token: str, connection: Any, route: str, status: int, seconds: float
    ) -> None:
        """An answer with ``Retry-After: seconds`` is being sent to ``token``."""
        now = self.clock()
        with self._lock:
            self._retry_after[route] += 1
            windows = self._windows.setdefault(token, [])
            windows.append(_Window(now, now + seconds, connection, f"{status} {route}", seconds))

    def arrived(self, token: str, connection: Any, route: str) -> None:
        """A request from ``token`` arrived: early, if a ``Retry-After`` is still running."""
        now = self.clock()
        with self._lock:
            windows = [w for w in self._windows.get(token, ()) if w.deadline > now]
            if not windows:
                self._windows.pop(token, None)
                return
            self._windows[token] = windows
            running = [w for w in windows if now < w.deadline - self.tolerance]
            binding = [w for w in running if now >= w.issued + self.tolerance]
            if not binding:
                if running:
                    self._in_flight += 1
                    since = now - max(w.issued for w in running)
                    self._in_flight_latest = max(self._in_flight_latest, since)
                return
            worst = max(binding, key=lambda w: w.deadline)
            self._early += 1
            if len(self._details) < self.max_details:
                self._details.append(
                    {
                        "route": route,
                        "early_by_seconds": round(worst.deadline - now, 4),
                        "after": worst.label,
                        "retry_after": format_seconds(worst.seconds),
                        "same_connection": connection is not None
                        and connection == worst.connection,
                    }
                )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faulted_total": sum(self._faults.values()) + self._rate_limited,
                "faults": dict(self._faults),
                "rate_limited": self._rate_limited,
                "faulted": dict(self._faulted),
                "retry_after_answers": dict(self._retry_after),
                "early_requests": self._early,
                "early": list(self._details),
                "in_flight_requests": self._in_flight,
                "in_flight_latest_seconds": round(self._in_flight_latest, 4),
                "tolerance_seconds": self.tolerance,
            }

    def reset(self) -> None:
        """Zero the counters; running ``Retry-After`` windows stay in force."""
        with self._lock:
            self._faults.clear()
            self._faulted.clear()
            self._retry_after.clear()
            self._rate_limited = self._early = self._in_flight = 0
            self._in_flight_latest = 0.0
            self._details.clear()
