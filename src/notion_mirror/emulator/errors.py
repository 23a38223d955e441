"""Notion-shaped error responses raised anywhere inside a request handler."""

from __future__ import annotations

import uuid
from typing import Any

MISSING_VERSION = (
    "Notion-Version header failed validation: Notion-Version header should be defined, "
    "instead was `undefined`."
)
SUPPORTED_VERSIONS = ("2022-06-28", "2025-09-03", "2026-03-11")


class ApiError(Exception):
    """A JSON error answer: ``{"object":"error","status","code","message",...}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        additional_data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.additional_data = additional_data
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.additional_data is not None:
            out["additional_data"] = self.additional_data
        out["request_id"] = str(uuid.uuid4())
        return out


def validation(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def invalid_url() -> ApiError:
    return ApiError(400, "invalid_request_url", "Invalid request URL.")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "API token is invalid.")


def not_found(kind: str, object_id: str, *, integration: str, integration_id: str) -> ApiError:
    return ApiError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        f'databases are shared with your integration "{integration}".',
        additional_data={"integration_id": integration_id},
    )


def bad_version(value: str) -> ApiError:
    accepted = ", ".join(f"`{v}`" for v in SUPPORTED_VERSIONS)
    return validation(
        f"Notion-Version header failed validation: Notion-Version header should be one of "
        f"{accepted}, instead was `{value}`."
    )
