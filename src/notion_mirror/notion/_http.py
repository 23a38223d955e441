"""One Notion request: rate limit, send, classify, retry or raise.

This is where the retry policy of :mod:`._retry` meets the wire. Everything
is keyed by *route template* (``GET /v1/pages/{page_id}``) so logs and
counters never carry ids, and nothing here logs bodies or headers.

Warning: the token lives only in the ``httpx.Client`` default headers and in
:class:`Secret`; every message built from a server response is scrubbed of
it before it is raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from notion_mirror import tracing
from notion_mirror.errors import (
    AmbiguousOutcomeError,
    NotionError,
    RequestTooLargeError,
    TransientError,
)
from notion_mirror.notion._errors import (
    BLOCKED_REASON,
    ErrorInfo,
    error_for,
    retry_after_seconds,
)
from notion_mirror.notion._limiter import RateLimiter
from notion_mirror.notion._retry import (
    PRE_SEND_ERRORS,
    RetryPolicy,
    guidance_allows_retry,
    is_safe,
)
from notion_mirror.notion._stats import ClientStats

__all__ = ["Requester", "Secret", "render_path"]

logger = logging.getLogger("notion_mirror.notion")

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class Secret:
    """A string that never shows itself in ``str``/``repr``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._value, "<redacted>") if self._value else text

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


def render_path(route: str, path_params: Mapping[str, str]) -> str:
    # Property ids arrive already percent-encoded (e.g. "a%3Bb"): keep "%" so
    # they are not encoded twice.
    return route.format_map({k: quote(str(v), safe="%") for k, v in path_params.items()})


class _Trace:
    """What one request's span reports when it ends."""

    __slots__ = (
        "attempts",
        "rate_limit_wait",
        "rate_limited",
        "span",
        "status",
        "transport_errors",
    )

    def __init__(self, span: Any) -> None:
        self.span = span
        self.attempts = 0
        self.status: int | None = None
        self.rate_limit_wait = 0.0
        self.rate_limited = 0
        self.transport_errors = 0

    def finish(self) -> None:
        s = self.span
        if self.status is not None:
            s.set_attribute("http.response.status_code", self.status)
        s.set_attribute("notion.attempts", self.attempts)
        s.set_attribute("notion.retry_count", max(0, self.attempts - 1))
        s.set_attribute("notion.rate_limit_wait_s", round(self.rate_limit_wait, 6))
        s.set_attribute("notion.rate_limited", self.rate_limited)
        if self.transport_errors:
            s.set_attribute("notion.transport_errors", self.transport_errors)


class Requester:
    """Sends requests for one client; safe to share between threads."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        secret: Secret,
        limiter: RateLimiter,
        policy: RetryPolicy,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        stats: ClientStats,
    ) -> None:
        self.http = http
        self.secret = secret
        self.limiter = limiter
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.stats = stats
        # Notion's clock, from the Date header of the latest response: its
        # timestamps are minute-rounded on that clock, not on ours.
        self.server_date: datetime | None = None

    def _note_date(self, response: httpx.Response) -> None:
        value = response.headers.get("date")
        if not value:
            return
        try:
            seen = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        self.server_date = seen.astimezone(UTC)

    def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Params = None,
        body: Any = None,
    ) -> Any:
        """Send until success or a final failure; return the parsed JSON body.

        One ``notion.request`` span covers every attempt: method, route
        template, final status, retries and time spent waiting on the rate
        limit (never the path's ids, the body or the token).
        """
        with tracing.span(
            f"notion {method} {route}", **{"http.request.method": method, "notion.route": route}
        ) as span:
            trace = _Trace(span)
            try:
                return self._request(method, route, path_params, params, body, trace)
            finally:
                trace.finish()

    def _request(
        self,
        method: str,
        route: str,
        path_params: Mapping[str, str] | None,
        params: Params,
        body: Any,
        trace: _Trace,
    ) -> Any:
        path = render_path(route, path_params or {})
        content = _encode(method, route, body)
        safe = is_safe(method, route)
        key = f"{method} {route}"
        start: float | None = None
        attempt = 0
        while True:
            attempt += 1
            waited = self.limiter.acquire()
            trace.attempts = attempt
            trace.rate_limit_wait += waited
            if start is None:
                # The retry budget starts at the first send: queueing behind
                # other threads in the limiter is not this request's failure.
                start = self.clock()
            self.stats.record_sent(key, retry=attempt > 1, waited=waited)
            logger.debug("send %s attempt=%d waited=%.3fs", key, attempt, waited)
            try:
                response = self.http.request(
                    method, path, params=params, content=content, headers=_JSON if content else None
                )
            except httpx.RequestError as exc:  # transport, decoding, redirects
                self.stats.record_status(0)
                trace.transport_errors += 1
                logger.debug("%s attempt=%d failed: %s", key, attempt, type(exc).__name__)
                delay = self.policy.backoff(attempt)
                if (safe or isinstance(exc, PRE_SEND_ERRORS)) and self._may_retry(
                    attempt, start, delay
                ):
                    self._backoff(key, delay)
                    continue
                raise self._transport_error(exc, method, route, safe, attempt) from exc

            status = response.status_code
            trace.status = status
            self._note_date(response)
            self.stats.record_status(status)
            logger.debug("recv %s status=%d attempt=%d", key, status, attempt)
            if 200 <= status < 300:
                try:
                    return json.loads(response.content) if response.content else {}
                except ValueError as exc:
                    err = self._bad_success_body(method, route, status, safe, response)
                    delay = self.policy.backoff(attempt)
                    if safe and self._may_retry(attempt, start, delay):
                        self._backoff(key, delay)
                        continue
                    raise err from exc

            info = ErrorInfo(response)
            if status in (429, 529) and info.additional_data.get("rate_limit_reason") != (
                BLOCKED_REASON
            ):
                wait = retry_after_seconds(response, info)
                if wait is None:
                    wait = max(1.0, self.policy.backoff(attempt))
                # Every thread of the process holds off, not just this one; the
                # retry below goes through the limiter, so it waits too.
                self._hold_all(key, status, wait)
                trace.rate_limited += 1
                trace.rate_limit_wait += wait
                if wait <= self.policy.max_retry_after and self._may_retry(attempt, start, wait):
                    continue
                raise error_for(
                    info, method=method, route=route, retry_after=wait, scrub=self.secret.scrub
                )

            transient = status >= 500 or (status == 409 and info.code == "conflict_error")
            if not transient:
                raise error_for(info, method=method, route=route, scrub=self.secret.scrub)
            # A 5xx may say how long the service is out: nobody sends before then.
            server_wait = retry_after_seconds(response, info)
            if server_wait is not None:
                self._hold_all(key, status, server_wait)
            delay = self.policy.backoff(attempt)
            may_repeat = safe or (status == 503 and guidance_allows_retry(info.additional_data))
            if not may_repeat:
                raise AmbiguousOutcomeError(
                    self.secret.scrub(
                        f"{info.message} — the write may have been applied; re-read before retrying"
                    ),
                    status=status,
                    code=info.code,
                    request_id=info.request_id,
                    additional_data=info.additional_data,
                    method=method,
                    route=route,
                )
            wait = delay if server_wait is None else max(delay, server_wait)
            if wait <= self.policy.max_retry_after and self._may_retry(attempt, start, wait):
                # The limiter holds the rest of a Retry-After longer than the backoff.
                self._backoff(key, delay)
                continue
            raise error_for(info, method=method, route=route, scrub=self.secret.scrub)

    def _hold_all(self, key: str, status: int, seconds: float) -> None:
        """Pause every request of the process (the shared limiter) for ``seconds``,
        capped at ``max_retry_after`` so a bogus value cannot freeze the process."""
        seconds = min(seconds, self.policy.max_retry_after)
        self.limiter.pause(seconds)
        logger.debug("%s answered %d: pausing all requests %.3fs", key, status, seconds)

    def _may_retry(self, attempt: int, start: float | None, wait: float) -> bool:
        if attempt >= self.policy.max_attempts:
            return False
        elapsed = 0.0 if start is None else self.clock() - start
        return elapsed + wait <= self.policy.max_elapsed

    def _backoff(self, key: str, delay: float) -> None:
        logger.debug("%s backing off %.3fs", key, delay)
        self.stats.record_backoff(delay)
        self.sleep(delay)

    def _transport_error(
        self, exc: httpx.RequestError, method: str, route: str, safe: bool, attempts: int
    ) -> NotionError:
        detail = self.secret.scrub(f"{type(exc).__name__}: {exc}")[:300]
        if safe or isinstance(exc, PRE_SEND_ERRORS):
            return TransientError(
                f"network error after {attempts} attempt(s): {detail}", method=method, route=route
            )
        return AmbiguousOutcomeError(
            f"connection failed after the request was sent ({detail}); "
            "the write may have been applied; re-read before retrying",
            cause=exc,
            method=method,
            route=route,
        )

    def _bad_success_body(
        self, method: str, route: str, status: int, safe: bool, response: httpx.Response
    ) -> NotionError:
        request_id = response.headers.get("x-notion-request-id")
        message = f"HTTP {status} with a body that is not JSON"
        if safe:
            return TransientError(
                message, status=status, request_id=request_id, method=method, route=route
            )
        return AmbiguousOutcomeError(
            message + "; the write may have been applied",
            status=status,
            request_id=request_id,
            method=method,
            route=route,
        )


# Notion's request limit ("Whole payload: 500 KB"); over it the answer is a 400.
MAX_PAYLOAD_BYTES = 500_000


_JSON = {"Content-Type": "application/json"}


def _encode(method: str, route: str, body: Any) -> bytes | None:
    """The request body as sent, encoded once for every attempt; a body Notion would
    refuse for its size raises here, before anything is sent."""
    if body is None:
        return None
    # As httpx encodes ``json=``: compact, UTF-8, not ASCII-escaped, no NaN.
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    content = data.encode("utf-8")
    if len(content) > MAX_PAYLOAD_BYTES:
        raise RequestTooLargeError(
            f"the request is {len(content) // 1000} KB and Notion accepts at most "
            f"{MAX_PAYLOAD_BYTES // 1000} KB in one request; nothing was sent",
            code="request_too_large",
            method=method,
            route=route,
        )
    return content
