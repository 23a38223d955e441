"""Turn Notion API responses into complete observations of pages.

An observation is complete or it is not used: property values truncated in
page objects (over 25 references) are completed through the property item
endpoint, and bodies Notion could not render fully are marked not writable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import richtext

__all__ = [
    "BODY_NOT_FETCHED",
    "ObservedBody",
    "ObservedPage",
    "complete_properties",
    "fetch_body",
    "floor_minute",
    "iso",
    "observed_body",
    "parse_time",
    "properties_by_id",
    "schema_hash",
    "server_now",
    "title_of",
    "truncated_property_ids",
]

TRUNCATION_LIMIT = 25

# Why the body of a page in a lazy mirror cannot be sent before it was read:
# the file shows no body, and sending one would overwrite Notion's unseen text.
BODY_NOT_FETCHED = (
    "not fetched yet: open the file through the mount, or run "
    "`notion-mirror sync --fetch-bodies` (body edits made before that are not sent)"
)


@dataclass(frozen=True)
class ObservedBody:
    markdown: str  # canonical, volatile values stripped
    writable: bool
    reason: str | None


@dataclass(frozen=True)
class ObservedPage:
    page_id: str
    url: str
    last_edited_time: datetime
    in_trash: bool
    properties: dict[str, Any]  # by property id, complete
    body: ObservedBody | None


def iso(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def floor_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def server_now(client: Any) -> datetime:
    """Notion's clock as last seen in a response ``Date`` header, else ours.

    Notion's timestamps are minute-rounded on Notion's clock, so deciding
    whether a read happened after the last edit minute must use that clock.
    """
    getter = getattr(client, "server_time", None)
    seen = getter() if callable(getter) else None
    return seen if seen is not None else datetime.now(UTC)


def schema_hash(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()


def properties_by_id(page_properties: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {value["id"]: value for value in page_properties.values()}


def title_of(props_by_id: dict[str, dict[str, Any]]) -> str:
    value = props_by_id.get("title")
    return richtext.plain_text(value.get("title") or []) if value else ""


def _mention_count(items: list[dict[str, Any]]) -> int:
    return sum(1 for item in items if item.get("type") == "mention")


def _maybe_truncated(value: dict[str, Any]) -> bool:
    kind = value.get("type")
    items = value.get(kind) if kind else None
    if kind == "relation":
        return bool(value.get("has_more"))
    if not isinstance(items, list):
        return False
    if kind == "people":
        return len(items) >= TRUNCATION_LIMIT
    if kind in ("title", "rich_text"):
        return _mention_count(items) >= TRUNCATION_LIMIT
    return False


def truncated_property_ids(props_by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Properties whose page-object value may be cut at 25 references."""
    return [pid for pid, value in props_by_id.items() if _maybe_truncated(value)]


def complete_properties(
    client: Any, page_id: str, props_by_id: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Replace truncated values with the full ones from the property item endpoint."""
    out = dict(props_by_id)
    for pid in truncated_property_ids(props_by_id):
        value = props_by_id[pid]
        kind = value["type"]
        items = [item[kind] for item in client.iter_page_property_items(page_id, pid)]
        if kind == "relation":
            out[pid] = {"id": pid, "type": kind, kind: items, "has_more": False}
        else:
            out[pid] = {"id": pid, "type": kind, kind: items}
    return out


def fetch_body(client: Any, page_id: str) -> ObservedBody:
    return observed_body(client.retrieve_markdown(page_id))


def observed_body(md: Any) -> ObservedBody:
    """A markdown response (read or write) as the mirror keeps it, with writability."""
    text = body_codec.strip_volatile(md.markdown)
    if md.truncated or md.unknown_block_ids:
        count = len(md.unknown_block_ids)
        reason = "Notion returned this body incomplete (truncated"
        reason += f", {count} unknown block(s))" if count else ")"
        return ObservedBody(text, False, reason + "; edit it in Notion")
    writable, reason = body_codec.is_writable(text)
    return ObservedBody(text, writable, reason)


def overlap_start(watermark: datetime, overlap_minutes: int) -> datetime:
    return floor_minute(watermark) - timedelta(minutes=overlap_minutes)
