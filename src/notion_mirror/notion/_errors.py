"""Turning Notion error responses into the product's exception tree.

The mapping is by HTTP status first and Notion ``code`` second::

    400                     NotionValidationError
    401                     UnauthorizedError
    403                     RestrictedError
    404                     NotFoundError
    409 conflict_error      TransientError
    429 / 529               RateLimitedError (PermanentError if the reason is
                            ``public_api_request_blocked``: retrying won't help)
    other 4xx               PermanentError
    5xx                     TransientError

Error bodies from proxies and load balancers may be HTML or plain text: the
message is then a short excerpt plus the status.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from notion_mirror.errors import (
    NotFoundError,
    NotionError,
    NotionValidationError,
    PermanentError,
    RateLimitedError,
    RestrictedError,
    TransientError,
    UnauthorizedError,
)

BLOCKED_REASON = "public_api_request_blocked"
_EXCERPT = 200
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class ErrorInfo:
    """What we could read from an error response, whatever its format."""

    __slots__ = ("additional_data", "code", "message", "request_id", "status")

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        body = _json_or_none(response)
        if isinstance(body, Mapping):
            self.code = body.get("code") if isinstance(body.get("code"), str) else None
            message = body.get("message")
            self.message = str(message) if message else f"HTTP {self.status}"
            extra = body.get("additional_data")
            self.additional_data: dict[str, Any] = dict(extra) if isinstance(extra, Mapping) else {}
            rid = body.get("request_id")
        else:
            self.code = None
            self.message = _excerpt(response, self.status)
            self.additional_data = {}
            rid = None
        self.request_id = str(rid) if rid else response.headers.get("x-notion-request-id")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _excerpt(response: httpx.Response, status: int) -> str:
    try:
        text = response.content.decode("utf-8", "replace")
    except Exception:  # content can be unreadable after a broken stream
        text = ""
    text = _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()
    if len(text) > _EXCERPT:
        text = text[:_EXCERPT] + "…"
    reason = response.reason_phrase or ""
    head = f"HTTP {status} {reason}".strip()
    return f"{head}: {text}" if text else f"{head} (non-JSON error body)"


def retry_after_seconds(response: httpx.Response, info: ErrorInfo) -> float | None:
    """Seconds the server asked us to wait (header, else body), if any."""
    for value in (response.headers.get("retry-after"), info.additional_data.get("retry_after")):
        if value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            pass
        else:
            if math.isfinite(seconds):  # "inf"/"nan" are no answer, not a wait
                return max(0.0, seconds)
            continue
        try:  # HTTP-date form
            when = parsedate_to_datetime(str(value))
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError, IndexError):
            pass
    return None


def error_for(
    info: ErrorInfo,
    *,
    method: str,
    route: str,
    retry_after: float | None = None,
    scrub: Any = None,
) -> NotionError:
    """Build the exception for a final (not retried) error response."""
    status = info.status
    message = scrub(info.message) if scrub else info.message
    kw: dict[str, Any] = {
        "status": status,
        "code": info.code,
        "request_id": info.request_id,
        "additional_data": info.additional_data,
        "method": method,
        "route": route,
    }
    if status in (429, 529):
        if info.additional_data.get("rate_limit_reason") == BLOCKED_REASON:
            return PermanentError(message, **kw)
        return RateLimitedError(message, retry_after=retry_after, **kw)
    if status == 400:
        return NotionValidationError(message, **kw)
    if status == 401:
        return UnauthorizedError(message, **kw)
    if status == 403:
        return RestrictedError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status == 409 and info.code == "conflict_error":
        return TransientError(message, **kw)
    if status >= 500:
        return TransientError(message, **kw)
    return PermanentError(message, **kw)
