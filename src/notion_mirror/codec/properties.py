"""Page property values <-> frontmatter values <-> write payloads.

Three views of one property value:

* the Notion *read* value object, ``{"id", "type", <type>: value, "has_more"?}``;
* the *frontmatter* value a user edits (docs/file-format.md is the contract);
* the *write payload* ``{<type>: value}`` for ``PATCH /v1/pages``.

:func:`canonical_value` and :func:`frontmatter_to_canonical` map a remote and a
local value into one comparable, JSON-able form free of response-only noise
(option ids and colours, ``plain_text``, ``href``, signed file URLs, the
spelling of an instant), so the planner can compare base, local and remote.

Warning: a status cleared locally (``null``) is written as ``null``, which Notion
turns into the data source's default option; the read-back differs from the
local value by design.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notion_mirror.codec import richtext
from notion_mirror.codec.document import DateValue
from notion_mirror.errors import FileInputError

__all__ = [
    "COMPUTED_TYPES",
    "EDITABLE_TYPES",
    "UnknownOptionError",
    "canonical_json",
    "canonical_value",
    "from_frontmatter",
    "frontmatter_to_canonical",
    "is_editable",
    "person_label",
    "to_frontmatter",
]

EDITABLE_TYPES = frozenset({
    "title", "rich_text", "number", "select", "multi_select", "status", "date", "people",
    "files", "checkbox", "url", "email", "phone_number", "relation", "place",
})  # fmt: skip
COMPUTED_TYPES = frozenset({
    "formula", "rollup", "created_time", "created_by", "last_edited_time", "last_edited_by",
    "unique_id", "verification", "button",
})  # fmt: skip

# Request limits (reference §5): one write must fit, or the value is not editable.
MAX_ITEMS = 100
MAX_URL = 2000
MAX_EMAIL_PHONE = 200
MAX_OPTION_NAME = 100
MAX_EXACT_INT = 2**53  # Notion numbers are doubles; bigger ints would come back changed
# The longest inline markdown a writable text value renders to: every run at
# Notion's 2,000 characters, each a line break ("<br>"), plus a link and styles.
# Longer text cannot be a value Notion accepts, and is refused before parsing.
MAX_TEXT_MARKDOWN = MAX_ITEMS * (4 * richtext.MAX_TEXT + MAX_URL + 1000)

_UUID = re.compile(
    r"(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})"
)
_PERSON = re.compile(rf"(?:(?P<label>.*?)\s*<(?P<g1>group:)?(?P<id1>{_UUID.pattern})>"
                     rf"|(?P<g2>group:)?(?P<id2>{_UUID.pattern}))", re.DOTALL)  # fmt: skip
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_SCHEME_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_PLACE_KEYS = ("lat", "lon", "name", "address", "google_place_id", "aws_place_id")


class UnknownOptionError(FileInputError):
    """A select/multi_select value names options the schema doesn't have.

    Notion would create them on write; the caller decides by policy whether to
    allow that (``from_frontmatter(..., allow_new_options=True)``).
    ``options`` are the unknown names in file order, ``known`` the schema's.
    """

    def __init__(self, path: str, message: str, *, options: list[str], known: list[str],
                 line: int | None = None, prop: str | None = None) -> None:  # fmt: skip
        super().__init__(path, message, line=line, prop=prop)
        self.options = tuple(options)
        self.known = tuple(known)


# ------------------------------------------------------------------------- helpers


def _dashed(value: str) -> str:
    h = value.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" if len(h) == 32 else value


def person_label(user: dict[str, Any] | None) -> str | None:
    """``"Name <id>"`` (``<group:id>`` for groups), or the bare id when there is no name."""
    if not user or not user.get("id"):
        return None
    ident = _dashed(user["id"])
    if user.get("object") == "group":
        ident = f"group:{ident}"
    name = user.get("name")
    # A name is a label for humans only; line breaks in it would break the one-line form.
    name = " ".join(name.split()) if isinstance(name, str) else ""
    return f"{name} <{ident}>" if name else ident


def _found(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


class _Ctx:
    """Where a value came from, so every error names file, line and property."""

    def __init__(self, prop: dict[str, Any], path: str, line: int | None) -> None:
        self.prop, self.path, self.line = prop, path, line
        self.name: str = prop.get("name", prop.get("id", "?"))

    def error(self, message: str) -> FileInputError:
        return FileInputError(self.path, message, line=self.line, prop=self.name)

    def expected(self, what: str, value: Any, hint: str = "") -> FileInputError:
        return self.error(f"expected {what}, found {_found(value)}{hint}")


def _quote_hint(value: Any) -> str:
    if isinstance(value, bool | int | float) or value is None:
        return " (put the text in quotes)"
    return ""


def _text(ctx: _Ctx, value: Any, what: str, *, limit: int, nullable: bool = True) -> str | None:
    if value is None or (nullable and value == ""):
        return None
    if not isinstance(value, str):
        raise ctx.expected(what, value, _quote_hint(value))
    if len(value) > limit:
        raise ctx.error(f"is {len(value)} characters long; Notion accepts at most {limit}")
    return value


def _list(ctx: _Ctx, value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.expected(f"a list of {what}", value)
    if len(value) > MAX_ITEMS:
        raise ctx.error(f"has {len(value)} entries; Notion accepts at most {MAX_ITEMS} per write")
    return value


def _no_duplicates(ctx: _Ctx, items: list[str], shown: list[str]) -> None:
    seen: set[str] = set()
    for item, label in zip(items, shown, strict=True):
        if item in seen:
            raise ctx.error(f"lists {label} twice")
        seen.add(item)


def _stripped_url(url: str) -> str:
    """A Notion-hosted file URL without its signature (query and fragment)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# ----------------------------------------------------------------------------- dates


def _check_instant(ctx: _Ctx, value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ctx.expected(f"{field} as a date (YYYY-MM-DD) or an ISO 8601 date-time", value)
    try:
        if _DATE.fullmatch(value):
            date.fromisoformat(value)
            return value
        if _DATETIME.fullmatch(value):
            datetime.fromisoformat(value)
            return value
    except ValueError:
        raise ctx.error(f"{field} {value!r} is not a real date or time") from None
    raise ctx.expected(f"{field} as a date (YYYY-MM-DD) or an ISO 8601 date-time "
                       "(YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM])", value)  # fmt: skip


def _date_payload(ctx: _Ctx, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"start": _check_instant(ctx, value, "the date")}
    if not isinstance(value, dict):
        raise ctx.expected("a date string or a mapping with start, end and time_zone", value)
    extra = sorted(set(value) - {"start", "end", "time_zone"})
    if extra:
        raise ctx.error(f"unexpected key {extra[0]!r} in the date; allowed: start, end, time_zone")
    if value.get("start") is None:
        raise ctx.error("the date mapping needs a start")
    out: dict[str, Any] = {"start": _check_instant(ctx, value["start"], "start")}
    if value.get("end") is not None:
        out["end"] = _check_instant(ctx, value["end"], "end")
        if bool(_DATE.fullmatch(out["start"])) != bool(_DATE.fullmatch(out["end"])):
            raise ctx.error("start and end must both be dates or both be date-times")
    tz = value.get("time_zone")
    if tz is not None:
        if not isinstance(tz, str) or not _valid_zone(tz):
            raise ctx.expected("time_zone as an IANA time zone name (e.g. Europe/Paris)", tz)
        out["time_zone"] = tz
    return out


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _canon_instant(value: str, tz: str | None) -> str:
    """One spelling per instant: UTC ``...Z`` or, with a time zone, its wall clock."""
    if _DATE.fullmatch(value):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if tz and _valid_zone(tz):
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        return moment.isoformat(timespec="milliseconds")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _canon_date(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value or not value.get("start"):
        return None
    tz = value.get("time_zone") or None
    end = value.get("end")
    return {"start": _canon_instant(value["start"], tz),
            "end": _canon_instant(end, tz) if end else None, "time_zone": tz}  # fmt: skip


def _date_fm(value: dict[str, Any] | None) -> Any:
    if not value or not value.get("start"):
        return None
    if value.get("end") is None and value.get("time_zone") is None:
        return DateValue(value["start"])
    end = value.get("end")
    return {"start": DateValue(value["start"]), "end": DateValue(end) if end else None,
            "time_zone": value.get("time_zone")}  # fmt: skip


# ---------------------------------------------------------------------- read -> file


def _file_fm(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type")
    url = (item.get(kind) or {}).get("url", "") if kind else ""
    if kind == "external":
        return {"name": item.get("name", ""), "url": url}
    return {"name": item.get("name", ""), "url": _stripped_url(url), "hosted": True}


def _rollup_fm(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    kind = value.get("type")
    if kind == "number":
        return value.get("number")
    if kind == "date":
        return _date_fm(value.get("date"))
    if kind == "array":
        return [_computed_item(item) for item in value.get("array") or []]
    return None  # incomplete / unsupported: Notion has no value to show


def _computed_item(item: dict[str, Any]) -> Any:
    kind = item.get("type", "")
    return to_frontmatter({"type": kind, "name": ""}, item)


def _formula_fm(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    kind = value.get("type")
    if kind == "date":
        return _date_fm(value.get("date"))
    if kind in ("string", "number", "boolean"):
        return value.get(kind)
    return None


def _unique_id_fm(value: dict[str, Any] | None) -> Any:
    if not value or value.get("number") is None:
        return None
    prefix = value.get("prefix")
    return f"{prefix}-{value['number']}" if prefix else value["number"]


def _verification_fm(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    out: dict[str, Any] = {"state": value.get("state")}
    if value.get("date"):
        out["date"] = _date_fm(value["date"])
    if value.get("verified_by"):
        out["verified_by"] = person_label(value["verified_by"])
    return out


def _place_fm(value: dict[str, Any] | None) -> Any:
    if not value:
        return None
    return {k: value[k] for k in _PLACE_KEYS if value.get(k) is not None}


def _plain(value: Any) -> Any:
    """A JSON-like deep copy (str subclasses become str) for values we only show."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


_READ: dict[str, Callable[[Any], Any]] = {
    "title": lambda v: richtext.to_markdown(v or []),
    "rich_text": lambda v: richtext.to_markdown(v or []),
    "number": lambda v: v,
    "select": lambda v: v.get("name") if v else None,
    "status": lambda v: v.get("name") if v else None,
    "multi_select": lambda v: [o.get("name") for o in v or []],
    "date": _date_fm,
    "checkbox": bool,
    "url": lambda v: v,
    "email": lambda v: v,
    "phone_number": lambda v: v,
    "relation": lambda v: [_dashed(r["id"]) for r in v or []],
    "people": lambda v: [person_label(u) for u in v or []],
    "files": lambda v: [_file_fm(f) for f in v or []],
    "place": _place_fm,
    "formula": _formula_fm,
    "rollup": _rollup_fm,
    "created_time": lambda v: DateValue(v) if v else None,
    "last_edited_time": lambda v: DateValue(v) if v else None,
    "created_by": person_label,
    "last_edited_by": person_label,
    "unique_id": _unique_id_fm,
    "verification": _verification_fm,
    "button": lambda v: None,
}


def _kind(schema_prop: dict[str, Any], value_obj: dict[str, Any]) -> str:
    return value_obj.get("type") or schema_prop["type"]


def to_frontmatter(schema_prop: dict[str, Any], value_obj: dict[str, Any]) -> Any:
    """The frontmatter value for a Notion read value object (deterministic)."""
    kind = _kind(schema_prop, value_obj)
    reader = _READ.get(kind)
    if reader is None:  # a type newer than this code: show it as Notion gave it
        return _plain(value_obj.get(kind))
    return reader(value_obj.get(kind))


def is_editable(schema_prop: dict[str, Any], value_obj: dict[str, Any]) -> bool:
    """Whether this value goes at top level (writable back losslessly) or under computed."""
    kind = schema_prop["type"]
    if kind not in EDITABLE_TYPES or _kind(schema_prop, value_obj) != kind:
        return False
    if value_obj.get("has_more"):
        return False  # truncated: writing it back would drop the hidden part
    raw = value_obj.get(kind)
    if kind in ("title", "rich_text"):
        return _richtext_round_trips(raw or [])
    if kind in ("multi_select", "people", "relation", "files") and len(raw or []) > MAX_ITEMS:
        return False
    if kind == "files":
        return all(f.get("type") == "external" for f in raw or [])
    return True


def _richtext_round_trips(items: list[dict[str, Any]]) -> bool:
    # Fail closed: anything inline markdown can't carry back exactly (link previews,
    # template mentions, custom emoji...) makes the whole value read-only.
    try:
        again = richtext.from_markdown(richtext.to_markdown(items))
    except ValueError:
        return False
    return len(again) <= MAX_ITEMS and (
        richtext.canonical_richtext(again) == richtext.canonical_richtext(items)
    )


# ------------------------------------------------------------------------- canonical


def _canon_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_INT:
        return int(value)
    return value


def _canon_file(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type") or ("external" if "external" in item else "file")
    url = (item.get(kind) or {}).get("url", "")
    return {"name": item.get("name") or "", "type": kind,
            "url": url if kind == "external" else _stripped_url(url)}  # fmt: skip


def _canon_place(value: Any) -> Any:
    if not value:
        return None
    out = {k: value[k] for k in _PLACE_KEYS if value.get(k) is not None}
    for k in ("lat", "lon"):
        if k in out:
            out[k] = float(out[k])
    return out


_CANON: dict[str, Callable[[Any], Any]] = {
    "title": lambda v: richtext.canonical_richtext(v or []),
    "rich_text": lambda v: richtext.canonical_richtext(v or []),
    "number": _canon_number,
    "select": lambda v: v.get("name") if v else None,
    "status": lambda v: v.get("name") if v else None,
    "multi_select": lambda v: [o.get("name") for o in v or []],
    "date": _canon_date,
    "checkbox": bool,
    "url": lambda v: v or None,
    "email": lambda v: v or None,
    "phone_number": lambda v: v or None,
    "relation": lambda v: [_dashed(r["id"]) for r in v or []],
    "people": lambda v: [_dashed(u["id"]) for u in v or []],
    "files": lambda v: [_canon_file(f) for f in v or []],
    "place": _canon_place,
}


def canonical_value(schema_prop: dict[str, Any], value_obj: dict[str, Any]) -> Any:
    """A JSON-able form of a remote value for equality checks (see module doc)."""
    kind = _kind(schema_prop, value_obj)
    canon = _CANON.get(kind)
    if canon is None:
        return _plain(to_frontmatter(schema_prop, value_obj))
    value = canon(value_obj.get(kind))
    if value_obj.get("has_more"):
        # A truncated list must never compare equal to a complete one.
        return {"incomplete": value}
    return value


def canonical_json(value: Any) -> str:
    """Stable text for a canonical value, for hashing and storage."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def frontmatter_to_canonical(
    schema_prop: dict[str, Any], fm_value: Any, *, path: str = "<frontmatter>",
    line: int | None = None,
) -> Any:  # fmt: skip
    """The canonical form of a LOCAL value, comparable with :func:`canonical_value`.

    Unknown select options are allowed here (the comparison doesn't depend on
    policy); other invalid values raise :class:`FileInputError` as in
    :func:`from_frontmatter`.
    """
    kind = schema_prop["type"]
    if kind not in EDITABLE_TYPES:
        return _plain(fm_value)
    payload = from_frontmatter(schema_prop, fm_value, path=path, line=line,
                               allow_new_options=True)  # fmt: skip
    return canonical_value(schema_prop, {"type": kind, kind: payload[kind]})


# ---------------------------------------------------------------------- file -> write


def _w_richtext(ctx: _Ctx, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, str):
        raise ctx.expected("a string", value, _quote_hint(value))
    if len(value) > MAX_TEXT_MARKDOWN:
        raise ctx.error(f"is {len(value):,} characters long; Notion holds at most "
                        f"{MAX_ITEMS} runs of {richtext.MAX_TEXT:,} characters (put long "
                        "text in the page body)")  # fmt: skip
    try:
        items = richtext.from_markdown(value)
    except ValueError as exc:
        raise ctx.error(f"cannot read the inline markdown: {exc}") from None
    if len(items) > MAX_ITEMS:
        raise ctx.error(f"needs {len(items)} rich text runs; Notion accepts at most "
                        f"{MAX_ITEMS} per write (shorten it or use fewer styles)")  # fmt: skip
    for item in items:
        link = (item.get("text") or {}).get("link") or {}
        if len(link.get("url") or "") > MAX_URL:
            raise ctx.error(f"has a link longer than {MAX_URL} characters")
    return items


def _w_number(ctx: _Ctx, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.expected("a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ctx.expected("a finite number", value)
    if isinstance(value, int) and abs(value) > MAX_EXACT_INT:
        raise ctx.error(f"{value} is too large for Notion to store exactly "
                        f"(at most {MAX_EXACT_INT}); write it as a decimal")  # fmt: skip
    return value


def _option_names(ctx: _Ctx) -> list[str]:
    config = ctx.prop.get(ctx.prop["type"]) or {}
    return [o["name"] for o in config.get("options") or [] if isinstance(o, dict)]


def _check_option(ctx: _Ctx, value: Any, known: list[str]) -> tuple[str, bool]:
    """(name, is_known) for one option name, or a FileInputError."""
    if not isinstance(value, str):
        raise ctx.expected("an option name", value, _quote_hint(value))
    if value in known:
        return value, True
    if not value.strip():
        raise ctx.error("option names cannot be empty")
    if "," in value:
        raise ctx.error(f"option {value!r} contains a comma, which Notion does not allow")
    if len(value) > MAX_OPTION_NAME:
        raise ctx.error(f"option names can be at most {MAX_OPTION_NAME} characters long")
    return value, False


def _options_hint(value: str, known: list[str]) -> str:
    near = [k for k in known if k.casefold() == value.casefold()]
    if near:
        return f" (did you mean {near[0]!r}? names are case-sensitive)"
    return f"; known options: {', '.join(map(repr, known))}" if known else ""


def _w_select(ctx: _Ctx, value: Any, allow_new: bool) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    known = _option_names(ctx)
    name, ok = _check_option(ctx, value, known)
    if not ok and not allow_new:
        raise UnknownOptionError(
            ctx.path, f"{name!r} is not an option of this select{_options_hint(name, known)}",
            options=[name], known=known, line=ctx.line, prop=ctx.name,
        )
    return {"name": name}


def _w_status(ctx: _Ctx, value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    known = _option_names(ctx)
    name, ok = _check_option(ctx, value, known)
    if not ok:
        raise ctx.error(f"{name!r} is not a status of this data source; statuses must already "
                        f"exist{_options_hint(name, known)}")  # fmt: skip
    return {"name": name}


def _w_multi_select(ctx: _Ctx, value: Any, allow_new: bool) -> list[dict[str, Any]]:
    known = _option_names(ctx)
    names: list[str] = []
    unknown: list[str] = []
    for item in _list(ctx, value, "option names"):
        name, ok = _check_option(ctx, item, known)
        names.append(name)
        if not ok:
            unknown.append(name)
    _no_duplicates(ctx, names, [repr(n) for n in names])
    if unknown and not allow_new:
        hint = _options_hint(unknown[0], known)
        raise UnknownOptionError(
            ctx.path, f"{', '.join(map(repr, unknown))} "
            f"{'is not an option' if len(unknown) == 1 else 'are not options'} of this "
            f"multi-select{hint}", options=unknown, known=known, line=ctx.line, prop=ctx.name,
        )
    return [{"name": n} for n in names]


def _w_checkbox(ctx: _Ctx, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.expected("true or false", value)
    return value


def _w_email(ctx: _Ctx, value: Any) -> str | None:
    text = _text(ctx, value, "an email address", limit=MAX_EMAIL_PHONE)
    if text is not None and ("@" not in text or any(c.isspace() for c in text)):
        raise ctx.expected("an email address (name@example.com)", text)
    return text


def _w_ids(ctx: _Ctx, value: Any) -> list[dict[str, Any]]:
    ids: list[str] = []
    for item in _list(ctx, value, "page ids"):
        if not isinstance(item, str) or not _UUID.fullmatch(item):
            raise ctx.expected("a page id (32 hex digits, dashes optional)", item)
        ids.append(_dashed(item))
    _no_duplicates(ctx, ids, ids)
    return [{"id": i} for i in ids]


def _w_people(ctx: _Ctx, value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in _list(ctx, value, "people"):
        match = _PERSON.fullmatch(item.strip()) if isinstance(item, str) else None
        if match is None:
            raise ctx.expected('a user id or "Name <user-id>"', item)
        ident = _dashed(match["id1"] or match["id2"])
        entry: dict[str, Any] = {"id": ident}
        if match["g1"] or match["g2"]:
            entry["object"] = "group"
        out.append(entry)
    ids = [e["id"] for e in out]
    _no_duplicates(ctx, ids, ids)
    return out


def _w_files(ctx: _Ctx, value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in _list(ctx, value, "files ({name, url} mappings)"):
        entry = {"url": item} if isinstance(item, str) else item
        if not isinstance(entry, dict):
            raise ctx.expected("a file as a {name, url} mapping or a URL", item)
        if entry.get("hosted"):
            raise ctx.error("Notion-hosted files cannot be written back; only external URLs")
        extra = sorted(set(entry) - {"name", "url", "hosted"})
        if extra:
            raise ctx.error(f"unexpected key {extra[0]!r} in a file; allowed: name, url")
        url = entry.get("url")
        if not isinstance(url, str) or not _SCHEME_URL.fullmatch(url):
            raise ctx.expected("the file url as an absolute URL (https://...)", url)
        if len(url) > MAX_URL:
            raise ctx.error(f"has a file URL longer than {MAX_URL} characters")
        name = entry.get("name", url)
        if not isinstance(name, str) or not name:
            raise ctx.expected("the file name as a non-empty string", name, _quote_hint(name))
        if len(name) > MAX_URL:
            raise ctx.error(f"has a file name longer than {MAX_URL} characters")
        out.append({"name": name, "type": "external", "external": {"url": url}})
    return out


def _w_place(ctx: _Ctx, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ctx.expected("a place mapping with lat and lon", value)
    extra = sorted(set(value) - set(_PLACE_KEYS))
    if extra:
        raise ctx.error(f"unexpected key {extra[0]!r} in the place; allowed: "
                        f"{', '.join(_PLACE_KEYS)}")  # fmt: skip
    out: dict[str, Any] = {}
    for key, bound in (("lat", 90), ("lon", 180)):
        num = value.get(key)
        if isinstance(num, bool) or not isinstance(num, int | float) or not abs(num) <= bound:
            raise ctx.expected(f"{key} as a number between -{bound} and {bound}", num)
        out[key] = num
    for key in _PLACE_KEYS[2:]:
        if value.get(key) is not None:
            out[key] = _text(ctx, value[key], f"{key} as a string", limit=MAX_URL)
    return out


def from_frontmatter(
    schema_prop: dict[str, Any], fm_value: Any, *, path: str, line: int | None = None,
    allow_new_options: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The write payload ``{<type>: value}`` for a frontmatter value, validated.

    Raises :class:`FileInputError` naming ``path``, ``line`` and the property,
    or :class:`UnknownOptionError` for select/multi_select names the schema
    lacks (unless ``allow_new_options``).
    """
    ctx = _Ctx(schema_prop, path, line)
    kind = schema_prop["type"]
    if kind in COMPUTED_TYPES:
        raise ctx.error(f"is a {kind} property, which Notion computes; it cannot be written "
                        "(its value is shown under _notion.computed)")  # fmt: skip
    value: Any
    if kind in ("title", "rich_text"):
        value = _w_richtext(ctx, fm_value)
    elif kind == "number":
        value = _w_number(ctx, fm_value)
    elif kind == "select":
        value = _w_select(ctx, fm_value, allow_new_options)
    elif kind == "status":
        value = _w_status(ctx, fm_value)
    elif kind == "multi_select":
        value = _w_multi_select(ctx, fm_value, allow_new_options)
    elif kind == "date":
        value = _date_payload(ctx, fm_value)
    elif kind == "checkbox":
        value = _w_checkbox(ctx, fm_value)
    elif kind == "url":
        value = _text(ctx, fm_value, "a URL string", limit=MAX_URL)
    elif kind == "email":
        value = _w_email(ctx, fm_value)
    elif kind == "phone_number":
        value = _text(ctx, fm_value, "a phone number string", limit=MAX_EMAIL_PHONE)
    elif kind == "relation":
        value = _w_ids(ctx, fm_value)
    elif kind == "people":
        value = _w_people(ctx, fm_value)
    elif kind == "files":
        value = _w_files(ctx, fm_value)
    elif kind == "place":
        value = _w_place(ctx, fm_value)
    else:
        raise ctx.error(f"has type {kind!r}, which notion-mirror cannot write")
    return {kind: value}
