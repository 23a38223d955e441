"""The ASGI application: auth, version, routing, stats, realism, then the handler.

Written as a plain ASGI callable (with Starlette's request/response helpers)
because two faults need control below the framework: ``reset`` sends a
response head that promises more bytes than ever arrive, and ``timeout``
holds a request open until the emulator shuts down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from notion_mirror.emulator import admin, bodycheck, routes
from notion_mirror.emulator.errors import (
    MISSING_VERSION,
    SUPPORTED_VERSIONS,
    ApiError,
    bad_version,
    invalid_url,
    unauthorized,
)
from notion_mirror.emulator.realism import Fault
from notion_mirror.emulator.request import ApiRequest

if TYPE_CHECKING:
    from notion_mirror.emulator.server import Emulator

TIMEOUT_HOLD_SECONDS = 30.0
_log = logging.getLogger(__name__)
_RESET_NOTE = "ASGI callable returned without completing response."


class _DropDeliberateResets(logging.Filter):
    """uvicorn logs our injected connection resets as application errors; they are not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _RESET_NOTE


_reset_filter = _DropDeliberateResets()


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _reset_filter not in logger.filters:
        logger.addFilter(_reset_filter)


def json_response(body: dict[str, Any], status: int = 200, headers: dict | None = None) -> Response:
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/json; charset=utf-8"
    )


def error_response(err: ApiError) -> Response:
    return json_response(err.body(), err.status, err.headers)


def fault_error(fault: Fault, *, write: bool, committed: str | None) -> ApiError:
    err = _fault_error(fault, write=write, committed=committed)
    retry_after = fault.retry_after_header
    if retry_after is not None and fault.outcome not in ("429", "529"):
        err.headers = {**(err.headers or {}), "Retry-After": retry_after}
    return err


def _fault_error(fault: Fault, *, write: bool, committed: str | None) -> ApiError:
    outcome = fault.outcome
    retry_after = fault.retry_after_header or "1"
    if outcome == "429":
        return ApiError(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
            additional_data={
                "rate_limit_reason": "public_api_request_rate_limit",
                "retry_after": retry_after,
            },
            headers={"Retry-After": retry_after},
        )
    if outcome == "529":
        return ApiError(
            529,
            "service_overload",
            "Notion is overloaded, please try again later.",
            additional_data={"retry_after": retry_after},
            headers={"Retry-After": retry_after},
        )
    if outcome == "503":
        extra: dict[str, Any] | None = None
        if write:
            extra = {
                "retry_guidance": [
                    "Read the object again before retrying.",
                    "Do not repeat the write.",
                ]
            }
            if committed:
                extra["committed_resource_id"] = committed
        return ApiError(
            503,
            "service_unavailable",
            "Notion is unavailable, please try again later.",
            additional_data=extra,
        )
    if outcome == "500":
        return ApiError(500, "internal_server_error", "Unexpected error occurred.")
    if outcome == "502":
        return ApiError(502, "bad_gateway", "Bad Gateway")
    return ApiError(504, "gateway_timeout", "Gateway Timeout")


def _bearer(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


def _connection(request: Request) -> tuple[Any, ...] | None:
    """The client's (host, port): one keep-alive connection of one client."""
    client = request.scope.get("client")
    return tuple(client) if client else None


async def send_reset(send: Send) -> None:
    """Promise a body, send part of it, and end: the client sees a dropped connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"object":"pa', "more_body": True})


class EmulatorApp:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off; nothing else is served
            return
        send = self._dated(send)
        request = Request(scope, receive)
        try:
            self._authenticate(request)
            if scope["path"].startswith("/__emulator/") or scope["path"] == "/__emulator":
                response = await admin.handle(self.emu, request)
            else:
                response = await self._api(request, send)
                if response is None:
                    return
        except ApiError as err:
            response = error_response(err)
        except Exception:
            # A bug here must still look like Notion's 500 to the client under test.
            _log.exception("emulator handler failed")
            response = error_response(
                ApiError(500, "internal_server_error", "Unexpected error occurred.")
            )
        self._watch_retry_after(request, response)
        await response(scope, receive, send)

    def _watch_retry_after(self, request: Request, response: Response) -> None:
        """Note an API answer carrying ``Retry-After`` (see ``FaultLog``)."""
        route = getattr(request.state, "emulator_route", None)
        value = response.headers.get("retry-after")
        if route is None or value is None:
            return
        try:
            seconds = float(value)
        except ValueError:
            return
        self.emu.fault_log.answered_retry_after(
            _bearer(request), _connection(request), route, response.status_code, seconds
        )

    def _dated(self, send: Send) -> Send:
        """Stamp every response with the emulator clock: clients read Notion's notion of
        "now" from the Date header (e.g. to know a minute is closed), so it must agree
        with the timestamps we hand out, also when a test moves the clock."""

        async def dated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stamp = format_datetime(self.emu.clock.now(), usegmt=True).encode()
                message = {**message, "headers": [*message.get("headers", []), (b"date", stamp)]}
            await send(message)

        return dated_send

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.emu.token:
            raise unauthorized()

    async def _api(self, request: Request, send: Send) -> Response | None:
        version = request.headers.get("notion-version")
        if version is None:
            raise ApiError(400, "missing_version", MISSING_VERSION)
        if version not in SUPPORTED_VERSIONS:
            raise bad_version(version)
        method = request.method.upper()
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        raw_path = raw_path.decode("latin-1").split("?", 1)[0]
        if not raw_path.startswith("/v1/"):
            raise invalid_url()
        template, params, handler = routes.resolve(method, raw_path)
        emu = self.emu
        emu.count(method, template)
        route = f"{method} {template}"
        request.state.emulator_route = route
        emu.fault_log.arrived(_bearer(request), _connection(request), route)
        if emu.latency_ms > 0:
            await asyncio.sleep(emu.latency_ms / 1000)
        wait = emu.limiter.acquire()
        if wait is not None:
            emu.fault_log.rate_limited(route)
            raise ApiError(
                429,
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
                additional_data={
                    "rate_limit_reason": "public_api_request_rate_limit",
                    "retry_after": str(wait),
                },
                headers={"Retry-After": str(wait)},
            )
        write = routes.is_write(method, template)
        fault = emu.faults.draw(method, template, write=write)
        if fault is not None and not fault.applied_first:
            emu.fault_log.fault(fault.kind, route)
            return await self._deliver_fault(fault, send, write=write, committed=None)

        body = bodycheck.parse_json(await request.body(), limit=emu.payload_limit)
        api_request = ApiRequest(
            method=method,
            template=template,
            params=params,
            query=list(request.query_params.multi_items()),
            body=body,
            version=version,
        )
        with emu.workspace.lock:
            result = handler(emu.workspace, api_request)
        if write:
            emu.schedule_save()
        if fault is not None:  # applied, now the failure (not if the write was refused)
            emu.fault_log.fault(fault.kind, route)
            committed = result.get("id") if template in ("/v1/pages", "/v1/databases") else None
            return await self._deliver_fault(fault, send, write=write, committed=committed)
        result["request_id"] = str(uuid.uuid4())
        return json_response(result)

    async def _deliver_fault(
        self, fault: Fault, send: Send, *, write: bool, committed: str | None
    ) -> Response | None:
        if fault.outcome == "reset":
            await send_reset(send)
            return None
        if fault.outcome == "timeout":
            deadline = time.monotonic() + TIMEOUT_HOLD_SECONDS
            while time.monotonic() < deadline and not self.emu.stopping:
                await asyncio.sleep(0.05)
            return error_response(ApiError(504, "gateway_timeout", "Gateway Timeout"))
        return error_response(fault_error(fault, write=write, committed=committed))
