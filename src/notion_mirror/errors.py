"""The one exception tree of notion-mirror.

Every error the library raises derives from :class:`MirrorError`, and every
family knows the process exit code the CLI maps it to::

    MirrorError                      exit 1
    ├── UsageError                   exit 2  bad arguments, not a mirror, wrong binding
    ├── FileInputError               exit 1  one file is invalid (path, line, property)
    └── NotionError                  exit 3  anything that came from talking to Notion
        ├── TransientError                   429/529/5xx/network, retries exhausted
        │   └── RateLimitedError             429 or 529 with a Retry-After
        ├── PermanentError                   401/403/404/409-row-limit/other 4xx
        │   ├── UnauthorizedError            401
        │   ├── RestrictedError              403
        │   └── NotFoundError                404 (missing or not shared)
        ├── NotionValidationError            400 validation_error: the request was wrong
        └── AmbiguousOutcomeError            a write may or may not have been applied

Per-file errors (:class:`FileInputError`) are collected and reported by the
caller; they never abort a whole run.

Warning: messages and reprs must never contain the API token. Errors built
from Notion responses carry only Notion's own ``code``, ``message``,
``status`` and ``request_id``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXIT_CONFLICT",
    "EXIT_OK",
    "EXIT_REMOTE",
    "EXIT_USAGE",
    "AmbiguousOutcomeError",
    "FileInputError",
    "MirrorError",
    "NotFoundError",
    "NotionError",
    "NotionValidationError",
    "PermanentError",
    "RateLimitedError",
    "RequestTooLargeError",
    "RestrictedError",
    "TransientError",
    "UnauthorizedError",
    "UsageError",
]

EXIT_OK = 0
EXIT_CONFLICT = 1  # something is left blocked or in conflict
EXIT_USAGE = 2
EXIT_REMOTE = 3  # Notion or the network failed


class MirrorError(Exception):
    """Root of every notion-mirror error."""

    exit_code: int = EXIT_CONFLICT


class UsageError(MirrorError):
    """The command was used wrongly (arguments, folder, binding)."""

    exit_code = EXIT_USAGE


class FileInputError(MirrorError):
    """One mirror file cannot be used as it is; nothing is sent for it.

    ``path`` is relative to the mirror root where possible; ``line`` is
    1-based when known; ``prop`` names the frontmatter key concerned.
    """

    exit_code = EXIT_CONFLICT

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        prop: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.prop = prop
        self.reason = message
        where = path if line is None else f"{path}:{line}"
        if prop is not None:
            where = f"{where}: property {prop!r}"
        super().__init__(f"{where}: {message}")


class NotionError(MirrorError):
    """An error reported by Notion (or by the transport on the way to it)."""

    exit_code = EXIT_REMOTE

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        additional_data: dict[str, Any] | None = None,
        method: str | None = None,
        route: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.additional_data = dict(additional_data or {})
        self.method = method
        self.route = route
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.method and self.route:
            parts.append(f"{self.method} {self.route}")
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        tail = f" (request_id {self.request_id})" if self.request_id else ""
        return f"{head}: {self.message}{tail}" if head else f"{self.message}{tail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class TransientError(NotionError):
    """Retrying later may succeed (rate limits, 5xx, timeouts, resets)."""


class RateLimitedError(TransientError):
    """429 ``rate_limited`` or 529 ``service_overload``."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class PermanentError(NotionError):
    """Retrying the same request will fail the same way."""


class UnauthorizedError(PermanentError):
    """401: the token is invalid or revoked."""


class RestrictedError(PermanentError):
    """403: the integration lacks a capability for this resource."""


class NotFoundError(PermanentError):
    """404: the object does not exist or is not shared with the integration."""


class NotionValidationError(NotionError):
    """400 ``validation_error`` (or another 400): the request itself was wrong."""


class RequestTooLargeError(NotionValidationError):
    """A request over Notion's payload limit: refused here, before anything is sent."""


class AmbiguousOutcomeError(NotionError):
    """A write was sent but its outcome is unknown (dropped connection,
    timeout, or a 5xx on a non-idempotent request).

    The write may have been applied. The caller must re-observe the target
    before deciding to retry; it is never retried blindly.
    """

    def __init__(self, message: str, *, cause: BaseException | None = None, **kw: Any) -> None:
        self.cause = cause
        super().__init__(message, **kw)
