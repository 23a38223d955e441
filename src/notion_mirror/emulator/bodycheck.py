"""Strict request-body validation with Notion's ``body failed validation`` wording."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from notion_mirror.emulator.errors import ApiError, validation

_MISSING = object()


def show(value: Any) -> str:
    if value is _MISSING:
        return "`undefined`"
    try:
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    except (TypeError, ValueError):
        return f"`{value!r}`"


def fail(path: str, expectation: str, got: Any = _MISSING) -> ApiError:
    return validation(
        f"body failed validation: {path} should be {expectation}, instead was {show(got)}."
    )


def obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(path, "an object", value)
    return value


def only_keys(body: dict[str, Any], allowed: Iterable[str], path: str = "body") -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            raise validation(f"body failed validation: {path}.{key} should be not present")


def required(body: dict[str, Any], key: str, path: str = "body") -> Any:
    if key not in body:
        raise fail(f"{path}.{key}", "defined")
    return body[key]


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(path, "a boolean", value)
    return value


def string(value: Any, path: str, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise fail(path, "a string", value)
    if non_empty and not value:
        raise validation(f"body failed validation: {path} should be non-empty.")
    return value


def array(value: Any, path: str, *, max_len: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise fail(path, "an array", value)
    if max_len is not None and len(value) > max_len:
        raise validation(
            f"body failed validation: {path}.length should be ≤ `{max_len}`, "
            f"instead was `{len(value)}`."
        )
    return value


def page_size(value: Any, path: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(path, "a number", value)
    if not 1 <= value <= 100:
        raise validation(
            f"body failed validation: {path} should be ≤ `100` and ≥ `1`, instead was `{value}`."
        )
    return value


# Notion's request limit: "Whole payload: 500 KB" (request-limits).
MAX_PAYLOAD_BYTES = 500_000


def parse_json(raw: bytes, *, limit: int | None = MAX_PAYLOAD_BYTES) -> Any:
    if limit is not None and len(raw) > limit:
        raise validation(f"Request body is {len(raw)} bytes, over the {limit // 1000} KB limit.")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
