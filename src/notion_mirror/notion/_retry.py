"""Which failures are retried, and how long to wait between attempts.

A request is *safe* when repeating it cannot change anything: every GET and
the read-only POSTs (data source query, search). Safe requests are retried on
429/529, 409 ``conflict_error``, 5xx, timeouts and connection errors.

A *write* is retried only when Notion certainly did not act on it: a 429/529
(refused before processing), a connection error raised before the request
left (connect error/timeout, pool timeout), or a 503 whose
``additional_data.retry_guidance`` says repeating is safe. Any other failure
after sending (5xx, 409 conflict, timeout, reset) is an ambiguous outcome and
is never retried here: the caller must re-observe first.

Waits: a ``Retry-After`` (429/529, or any retried 5xx that carries one) is
honoured exactly and by every thread of the process (the limiter pauses),
never shortened; without one, 5xx/409/transport failures back off
exponentially with jitter. A ``Retry-After`` longer than ``max_retry_after``
is not waited out by the request (it fails with the server's value), and the
process-wide pause is capped there so a bogus value cannot freeze the process.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["RetryPolicy"]

SAFE_POSTS = frozenset({"/v1/data_sources/{data_source_id}/query", "/v1/search"})

# Raised before any byte of the request reached the server.
PRE_SEND_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)

RETRYABLE_5XX = frozenset({500, 502, 503, 504})


def is_safe(method: str, route: str) -> bool:
    return method == "GET" or (method == "POST" and route in SAFE_POSTS)


def guidance_allows_retry(additional_data: Mapping[str, Any]) -> bool:
    """Whether a 503 on a write says, unmistakably, that nothing was committed.

    Conservative: any committed resource, any "do not repeat"/"read again"
    advice, or no guidance at all means the outcome is ambiguous.
    """
    if additional_data.get("committed_resource_id") or additional_data.get("committed_child_ids"):
        return False
    guidance = additional_data.get("retry_guidance")
    if isinstance(guidance, str):
        guidance = [guidance]
    if not isinstance(guidance, list) or not guidance:
        return False
    text = " ".join(str(g) for g in guidance).lower()
    if any(w in text for w in ("do not", "don't", "read the object", "may have", "might have")):
        return False
    return any(
        w in text for w in ("safe to retry", "not committed", "not applied", "was not written")
    )


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter, capped per wait, per attempt count and overall.

    The n-th retry waits ``min(max_delay, base_delay * 2**(n-1))`` scaled by
    a random factor in ``[1 - jitter, 1]`` drawn from ``rng`` (seed it for
    reproducible tests). ``max_attempts`` counts every send, the first
    included; ``max_elapsed`` caps the time from the first send: a retry
    whose wait would cross it is not made. ``max_retry_after`` is the longest
    server-requested wait (``Retry-After``) the process honours for one answer.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_elapsed: float = 180.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, repr=False)
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.max_retry_after > 0:
            raise ValueError("max_retry_after must be positive")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        cap = min(self.max_delay, self.base_delay * (2 ** max(0, retry_number - 1)))
        return cap * (1.0 - self.jitter * self.rng.random())
