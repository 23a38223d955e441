"""Opaque cursors and the list envelope shared by the paginated endpoints."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from notion_mirror.emulator.errors import validation


def encode(scope: str, offset: int, next_id: str) -> str:
    raw = json.dumps([scope, offset, next_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def start_index(scope: str, cursor: str | None, ordered_ids: list[str]) -> int:
    """Where a page of results starts; follows the item the cursor named if it moved."""
    if cursor is None:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        got_scope, offset, next_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise validation(f"start_cursor provided is invalid: {cursor}") from None
    if got_scope != scope or not isinstance(offset, int) or offset < 0:
        raise validation(f"start_cursor provided is invalid: {cursor}")
    try:
        return ordered_ids.index(next_id)
    except ValueError:
        return min(offset, len(ordered_ids))


def envelope(
    scope: str, items: list[Any], ids_of: list[str], start: int, size: int, kind: str
) -> dict[str, Any]:
    page = items[start : start + size]
    end = start + len(page)
    has_more = end < len(items)
    return {
        "object": "list",
        "results": page,
        "next_cursor": encode(scope, end, ids_of[end]) if has_more else None,
        "has_more": has_more,
        "type": kind,
        kind: {},
    }
