"""Realism switches: token-bucket rate limit and seeded fault injection.

Fault spec: comma list of ``KIND:PROB`` or ``KIND@METHOD /v1/template:PROB``.
Each eligible request draws one number from the seeded RNG and picks at most
one fault by cumulative probability, so a given seed and request sequence
always produces the same faults.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

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


def parse_faults(spec: str) -> list[Fault]:
    """Parse a fault spec; raises ValueError with a message fit for a user."""
    faults: list[Fault] = []
    for item in (part.strip() for part in (spec or "").split(",")):
        if not item:
            continue
        head, sep, prob_text = item.rpartition(":")
        if not sep:
            raise ValueError(f"fault {item!r}: expected KIND:PROBABILITY")
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
        faults.append(Fault(kind, prob, method, template))
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
