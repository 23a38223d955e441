"""Typed views of the Notion objects the mirror reads.

Each model is a frozen dataclass built by its ``from_api`` constructor and
keeps the whole response object in ``raw``, so nothing Notion sent is lost
even where the model has no field for it. Parsing tolerates unknown keys,
``Z`` and ``+00:00`` timestamps, and ids with or without dashes (ids are
normalised to the dashed lower-case form).

A response that lacks a field the mirror relies on raises
:class:`MalformedResponse` (the client turns it into a ``PermanentError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from notion_mirror.notion.ids import normalize_id

__all__ = [
    "DataSource",
    "DataSourceRef",
    "Database",
    "MalformedResponse",
    "Page",
    "PageMarkdown",
    "PropertySchema",
    "QueryPage",
    "User",
    "parse_result",
    "parse_timestamp",
    "plain_text",
]

Raw = Mapping[str, Any]


class MalformedResponse(ValueError):
    """A Notion response lacks something the mirror needs."""


def parse_timestamp(value: str) -> datetime:
    """Parse a Notion ISO-8601 timestamp into an aware UTC datetime."""
    if not isinstance(value, str):
        raise MalformedResponse(f"expected a timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedResponse(f"bad timestamp {value!r}") from exc
    if parsed.tzinfo is None:  # Notion always sends an offset; be lenient anyway
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def plain_text(rich_text: Any) -> str:
    """Concatenate the ``plain_text`` of a rich-text array (or one item)."""
    if isinstance(rich_text, Mapping):
        rich_text = [rich_text]
    if not isinstance(rich_text, list):
        return ""
    out = []
    for item in rich_text:
        if isinstance(item, Mapping):
            text = item.get("plain_text")
            if text is None and isinstance(item.get("text"), Mapping):
                text = item["text"].get("content")
            out.append(text or "")
    return "".join(out)


def _expect(raw: Any, kind: str) -> Raw:
    if not isinstance(raw, Mapping):
        raise MalformedResponse(f"expected a {kind} object, got {type(raw).__name__}")
    obj = raw.get("object")
    if obj != kind:
        raise MalformedResponse(f"expected object {kind!r}, got {obj!r}")
    return raw


def _id(raw: Raw, key: str = "id") -> str:
    value = raw.get(key)
    try:
        return normalize_id(value)
    except ValueError as exc:
        raise MalformedResponse(f"bad or missing {key!r}: {value!r}") from exc


def _opt_id(raw: Any, key: str) -> str | None:
    if not isinstance(raw, Mapping) or raw.get(key) is None:
        return None
    return _id(raw, key)


def _in_trash(raw: Raw) -> bool:
    # 2026-03-11 sends only in_trash; older versions also (or only) archived.
    if "in_trash" in raw:
        return bool(raw["in_trash"])
    return bool(raw.get("archived", False))


@dataclass(frozen=True)
class User:
    id: str
    name: str | None
    type: str | None
    email: str | None
    raw: Raw = field(repr=False)

    @classmethod
    def from_api(cls, raw: Any) -> User:
        raw = _expect(raw, "user")
        person = raw.get("person")
        email = person.get("email") if isinstance(person, Mapping) else None
        return cls(_id(raw), raw.get("name"), raw.get("type"), email, raw)


@dataclass(frozen=True)
class DataSourceRef:
    id: str
    name: str


@dataclass(frozen=True)
class Database:
    id: str
    title: str
    data_sources: tuple[DataSourceRef, ...]
    url: str | None
    in_trash: bool
    raw: Raw = field(repr=False)
    parent_page_id: str | None = None

    @classmethod
    def from_api(cls, raw: Any) -> Database:
        raw = _expect(raw, "database")
        refs = tuple(
            DataSourceRef(_id(ref), str(ref.get("name") or ""))
            for ref in raw.get("data_sources") or ()
            if isinstance(ref, Mapping)
        )
        return cls(
            id=_id(raw),
            title=plain_text(raw.get("title")),
            data_sources=refs,
            url=raw.get("url"),
            in_trash=_in_trash(raw),
            raw=raw,
            parent_page_id=_opt_id(raw.get("parent"), "page_id"),
        )


@dataclass(frozen=True)
class PropertySchema:
    id: str
    name: str
    type: str
    config: Mapping[str, Any]
    description: str | None

    @classmethod
    def from_api(cls, name: str, raw: Any) -> PropertySchema:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
            raise MalformedResponse(f"bad schema for property {name!r}")
        kind = raw["type"]
        config = raw.get(kind)
        return cls(
            id=str(raw.get("id", "")),
            name=str(raw.get("name", name)),
            type=kind,
            config=config if isinstance(config, Mapping) else {},
            description=raw.get("description"),
        )


@dataclass(frozen=True)
class DataSource:
    id: str
    title: str
    database_id: str | None
    properties: Mapping[str, PropertySchema]
    in_trash: bool
    url: str | None
    raw: Raw = field(repr=False)

    @classmethod
    def from_api(cls, raw: Any) -> DataSource:
        raw = _expect(raw, "data_source")
        props = raw.get("properties") or {}
        if not isinstance(props, Mapping):
            raise MalformedResponse("data source properties is not an object")
        return cls(
            id=_id(raw),
            title=plain_text(raw.get("title")),
            database_id=_opt_id(raw.get("parent"), "database_id"),
            properties={n: PropertySchema.from_api(n, p) for n, p in props.items()},
            in_trash=_in_trash(raw),
            url=raw.get("url"),
            raw=raw,
        )


@dataclass(frozen=True)
class Page:
    id: str
    created_time: datetime
    last_edited_time: datetime
    in_trash: bool
    url: str | None
    data_source_id: str | None
    database_id: str | None
    properties: Mapping[str, Mapping[str, Any]]
    raw: Raw = field(repr=False)
    parent_page_id: str | None = None

    @classmethod
    def from_api(cls, raw: Any) -> Page:
        raw = _expect(raw, "page")
        parent = raw.get("parent") or {}
        props = raw.get("properties") or {}
        if not isinstance(props, Mapping):
            raise MalformedResponse("page properties is not an object")
        return cls(
            id=_id(raw),
            created_time=parse_timestamp(raw.get("created_time")),
            last_edited_time=parse_timestamp(raw.get("last_edited_time")),
            in_trash=_in_trash(raw),
            url=raw.get("url"),
            data_source_id=_opt_id(parent, "data_source_id"),
            database_id=_opt_id(parent, "database_id"),
            properties=dict(props),
            raw=raw,
            parent_page_id=_opt_id(parent, "page_id"),
        )


@dataclass(frozen=True)
class PageMarkdown:
    id: str
    markdown: str
    truncated: bool
    unknown_block_ids: tuple[str, ...]
    raw: Raw = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any) -> PageMarkdown:
        raw = _expect(raw, "page_markdown")
        markdown = raw.get("markdown")
        if not isinstance(markdown, str):
            raise MalformedResponse("page_markdown without markdown text")
        return cls(
            id=_id(raw),
            markdown=markdown,
            truncated=bool(raw.get("truncated", False)),
            unknown_block_ids=tuple(str(b) for b in raw.get("unknown_block_ids") or ()),
            raw=raw,
        )


@dataclass(frozen=True)
class QueryPage:
    """One page of a data source query.

    ``results`` holds the rows; ``others`` anything else the query returned
    (child data sources of a wiki), raw. ``request_status`` is Notion's
    completeness report (``{"type": "incomplete", ...}`` at the 10k cap).
    """

    results: list[Page]
    next_cursor: str | None
    has_more: bool
    request_status: Mapping[str, Any] | None
    raw: Raw = field(default_factory=dict, repr=False)
    others: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_api(cls, raw: Any) -> QueryPage:
        raw = _expect(raw, "list")
        results = raw.get("results")
        if not isinstance(results, list):
            raise MalformedResponse("list without results")
        pages = [
            Page.from_api(r)
            for r in results
            if isinstance(r, Mapping) and r.get("object") == "page"
        ]
        others = tuple(
            r for r in results if not (isinstance(r, Mapping) and r.get("object") == "page")
        )
        has_more = bool(raw.get("has_more", False))
        cursor = raw.get("next_cursor")
        if has_more and not cursor:
            raise MalformedResponse("has_more without next_cursor")
        return cls(pages, cursor, has_more, raw.get("request_status"), raw, others)

    @property
    def complete(self) -> bool:
        """False when Notion says this result set was cut short."""
        status = self.request_status
        return not (isinstance(status, Mapping) and status.get("type") == "incomplete")


def parse_result(raw: Any) -> Page | DataSource | Database | User | Mapping[str, Any]:
    """Parse one search/list item by its ``object``; unknown kinds stay raw."""
    kind = raw.get("object") if isinstance(raw, Mapping) else None
    parser = {"page": Page, "data_source": DataSource, "database": Database, "user": User}.get(
        kind or ""
    )
    return parser.from_api(raw) if parser else raw
