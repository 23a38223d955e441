"""Guarded schema commands: see a data source's schema and change it safely.

Every change follows the same steps (``apply``):

1. read the data source and compare the hash of its properties with the hash
   the mirror stored at its last sync: a schema that moved since is refused
   (sync first, then decide again) — nothing is written;
2. build the request against that schema (which is the mirror's), refusing
   destructive changes (delete, type change, option removal or rename);
3. ``PATCH /v1/data_sources/{id}`` with only what changes;
4. read the data source back and verify the change is there;
5. pull, so files follow the new schema and the mirror stores it.

Notion has no compare-and-swap: between steps 1 and 3 someone may still
change the schema; that window is one request long, and step 4 catches a
change that did not land.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from notion_mirror.codec import properties as codec
from notion_mirror.errors import MirrorError, UsageError
from notion_mirror.notion.models import plain_text

__all__ = [
    "CREATABLE_TYPES",
    "OPTION_COLORS",
    "Change",
    "RefusedError",
    "SchemaResult",
    "StaleSchemaError",
    "VerifyError",
    "add_option",
    "add_property",
    "apply",
    "describe",
    "refuse_destructive",
    "rename_property",
    "set_description",
    "set_title",
]

# Types add-property creates from a name alone (no other configuration needed).
CREATABLE_TYPES = (
    "rich_text", "number", "select", "multi_select", "status", "date", "people", "files",
    "checkbox", "url", "email", "phone_number", "created_time", "created_by",
    "last_edited_time", "last_edited_by",
)  # fmt: skip
OPTION_COLORS = (
    "default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
)  # fmt: skip
IN_NOTION = "do it in Notion; the next `notion-mirror sync` follows it safely"


class StaleSchemaError(MirrorError):
    """The schema changed in Notion since the mirror last synced: nothing written."""


class RefusedError(UsageError):
    """A change this tool does not make (destructive, or impossible through the API)."""


class VerifyError(MirrorError):
    """Notion answered, but reading the schema back does not show the change."""


@dataclass(frozen=True)
class Change:
    """One schema change: what to send and how to recognise it in a read-back."""

    summary: str
    request: dict[str, Any]  # keyword arguments of NotionClient.update_data_source
    check: Callable[[Mapping[str, Any]], str | None]  # raw data source -> problem or None
    noop: bool = False


@dataclass
class SchemaResult:
    change: str
    request: dict[str, Any]
    dry_run: bool
    applied: bool = False
    pull: dict[str, Any] | None = None
    schema: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "request": self.request,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "pull": self.pull,
            "schema": self.schema,
        }


# ------------------------------------------------------------------ show


def _options(prop: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    config = prop.get(str(prop.get("type")))
    if not isinstance(config, Mapping) or "options" not in config:
        return None
    return [
        {"id": o.get("id"), "name": o.get("name"), "color": o.get("color", "default")}
        for o in config.get("options") or []
        if isinstance(o, Mapping)
    ]


def writable_reason(prop: Mapping[str, Any]) -> str | None:
    """Why the mirror cannot write this property's values, or None when it can."""
    kind = prop.get("type")
    if kind in codec.EDITABLE_TYPES:
        return None
    if kind in codec.COMPUTED_TYPES:
        return f"{kind} values are computed by Notion"
    return f"type {kind!r} is not supported for writing"


def describe(raw: Mapping[str, Any], stored_hash: str | None = None) -> dict[str, Any]:
    """The schema as ``schema show`` prints it (``raw``: the data source object)."""
    from notion_mirror.sync.observe import schema_hash

    props = raw.get("properties") or {}
    out = []
    for name, prop in props.items():
        reason = writable_reason(prop)
        entry: dict[str, Any] = {
            "id": prop.get("id"),
            "name": prop.get("name", name),
            "type": prop.get("type"),
            "writable": reason is None,
        }
        if reason is not None:
            entry["read_only_reason"] = reason
        options = _options(prop)
        if options is not None:
            entry["options"] = options
        out.append(entry)
    current = schema_hash(dict(props))
    return {
        "data_source_id": raw.get("id"),
        "title": plain_text(raw.get("title")),
        "description": plain_text(raw.get("description")),
        "properties": out,
        "schema_hash": current,
        "synced": stored_hash == current,
    }


# ------------------------------------------------------------------ building changes


def _find(schema: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for key, prop in schema.items():
        if prop.get("name", key) == name:
            return dict(prop)
    for prop in schema.values():  # an id works too
        if prop.get("id") == name:
            return dict(prop)
    return None


def _prop_by_id(raw: Mapping[str, Any], pid: str) -> dict[str, Any] | None:
    for prop in (raw.get("properties") or {}).values():
        if prop.get("id") == pid:
            return dict(prop)
    return None


def _check_name(name: str, what: str) -> None:
    if not name.strip():
        raise UsageError(f"{what} cannot be empty")
    if name == "_notion":
        raise UsageError("'_notion' is reserved for the mirror's own frontmatter key")


def add_property(
    raw: Mapping[str, Any], name: str, kind: str, options: list[str] | None = None
) -> Change:
    schema = raw.get("properties") or {}
    _check_name(name, "the property name")
    options = options or []
    if kind == "title":
        raise RefusedError("a data source has exactly one title property")
    if kind not in CREATABLE_TYPES:
        raise RefusedError(
            f"add-property creates {', '.join(CREATABLE_TYPES)}; a {kind} property needs "
            f"configuration this command does not take: {IN_NOTION}"
        )
    existing = _find(schema, name)
    if existing is not None:
        if existing.get("type") != kind:
            raise RefusedError(
                f"{name!r} already exists as a {existing.get('type')} property; changing its "
                f"type can lose values: {IN_NOTION}"
            )
        raise UsageError(f"{name!r} already exists ({kind})")
    if options and kind not in ("select", "multi_select"):
        raise UsageError("--option is only for select and multi_select properties")
    if len(set(options)) != len(options):
        raise UsageError("--option names must be distinct")
    for opt in options:
        _check_option_name(opt)
    config: dict[str, Any] = {}
    if options:
        config = {"options": [{"name": o} for o in options]}

    def check(after: Mapping[str, Any]) -> str | None:
        got = _find(after.get("properties") or {}, name)
        if got is None or got.get("type") != kind:
            return f"{name!r} is not a {kind} property in Notion"
        have = [o["name"] for o in _options(got) or []]
        missing = [o for o in options if o not in have]
        return f"options {missing} are missing" if missing else None

    shown = f" with options {', '.join(map(repr, options))}" if options else ""
    return Change(
        f"add {kind} property {name!r}{shown}",
        {"properties": {name: {kind: config}}},
        check,
    )


def rename_property(raw: Mapping[str, Any], old: str, new: str) -> Change:
    schema = raw.get("properties") or {}
    _check_name(new, "the new name")
    prop = _find(schema, old)
    if prop is None:
        raise UsageError(f"{old!r} is not a property of this data source")
    if prop.get("name") == new:
        return Change(f"{old!r} is already called {new!r}", {}, lambda _: None, noop=True)
    clash = _find(schema, new)
    if clash is not None and clash.get("id") != prop.get("id"):
        raise UsageError(f"a property named {new!r} already exists")
    pid = str(prop["id"])

    def check(after: Mapping[str, Any]) -> str | None:
        got = _prop_by_id(after, pid)
        return None if got and got.get("name") == new else f"{old!r} was not renamed"

    return Change(
        f"rename property {prop['name']!r} to {new!r} (id {pid})",
        {"properties": {pid: {"name": new}}},
        check,
    )


def _check_option_name(name: str) -> None:
    if not name.strip():
        raise UsageError("option names cannot be empty")
    if "," in name:
        raise UsageError(f"option {name!r} contains a comma, which Notion does not allow")
    if len(name) > codec.MAX_OPTION_NAME:
        raise UsageError(f"option names can be at most {codec.MAX_OPTION_NAME} characters long")


def add_option(
    raw: Mapping[str, Any], prop_name: str, option: str, color: str | None = None
) -> Change:
    schema = raw.get("properties") or {}
    prop = _find(schema, prop_name)
    if prop is None:
        raise UsageError(f"{prop_name!r} is not a property of this data source")
    kind = prop.get("type")
    if kind == "status":
        raise RefusedError(
            f"{prop_name!r} is a status property: its options cannot be changed through the "
            "API this tool uses; add the status in Notion (the next sync picks it up)"
        )
    if kind not in ("select", "multi_select"):
        raise UsageError(f"{prop_name!r} is a {kind} property; options exist only on "
                         "select and multi_select")  # fmt: skip
    _check_option_name(option)
    if color is not None and color not in OPTION_COLORS:
        raise UsageError(f"--color must be one of {', '.join(OPTION_COLORS)}")
    current = _options(prop) or []
    if any(o["name"] == option for o in current):
        return Change(
            f"{prop['name']!r} already has option {option!r}", {}, lambda _: None, noop=True
        )
    # The options list replaces Notion's: every existing option is listed by id
    # so none is removed (the schema is the one just verified against the hash).
    new_opt: dict[str, Any] = {"name": option}
    if color is not None:
        new_opt["color"] = color
    listed = [{"id": o["id"]} for o in current] + [new_opt]
    pid = str(prop["id"])
    before = [o["id"] for o in current]

    def check(after: Mapping[str, Any]) -> str | None:
        got = _prop_by_id(after, pid)
        opts = _options(got or {}) or []
        if not any(o["name"] == option for o in opts):
            return f"option {option!r} is missing"
        lost = set(before) - {o["id"] for o in opts}
        return f"{len(lost)} existing option(s) disappeared" if lost else None

    return Change(
        f"add option {option!r} to {prop['name']!r}",
        {"properties": {pid: {kind: {"options": listed}}}},
        check,
    )


def _text_change(raw: Mapping[str, Any], field_name: str, text: str) -> Change:
    if plain_text(raw.get(field_name)) == text:
        return Change(f"the {field_name} is already {text!r}", {}, lambda _: None, noop=True)

    def check(after: Mapping[str, Any]) -> str | None:
        got = plain_text(after.get(field_name))
        return None if got == text else f"the {field_name} reads {got!r}"

    return Change(f"set the data source {field_name} to {text!r}", {field_name: text}, check)


def set_title(raw: Mapping[str, Any], title: str) -> Change:
    if not title.strip():
        raise UsageError("the title cannot be empty")
    return _text_change(raw, "title", title)


def set_description(raw: Mapping[str, Any], text: str) -> Change:
    return _text_change(raw, "description", text)


def refuse_destructive(what: str) -> RefusedError:
    return RefusedError(f"{what} is destructive (values or options can be lost): {IN_NOTION}")


# ------------------------------------------------------------------ applying


def apply(
    mirror: Any,
    client: Any,
    build: Callable[[Mapping[str, Any]], Change],
    *,
    dry_run: bool = False,
    pull: bool = True,
) -> SchemaResult:
    """Run one guarded schema change on ``mirror``'s data source (see the module doc)."""
    from notion_mirror.sync.observe import schema_hash
    from notion_mirror.sync.pull import PullOptions, _Pull

    ds_id = mirror.config.data_source_id
    with mirror.open_store() as store:
        stored = store.get_meta("schema_hash")
        if stored is None:
            raise UsageError("the mirror has no synced schema yet; run `notion-mirror sync` first")
        before = client.retrieve_data_source(ds_id).raw
        if schema_hash(dict(before.get("properties") or {})) != stored:
            raise StaleSchemaError(
                "the schema changed in Notion since this mirror last synced; nothing was "
                "written. Run `notion-mirror sync` (files follow the change), then run this "
                "command again if it still makes sense"
            )
        change = build(before)
        result = SchemaResult(change.summary, change.request, dry_run)
        if dry_run or change.noop:
            result.schema = describe(before, stored)
            return result
        client.update_data_source(ds_id, **change.request)
        after = client.retrieve_data_source(ds_id).raw
        problem = change.check(after)
        if problem is not None:
            raise VerifyError(
                f"Notion accepted the change but reading it back shows {problem}; run "
                "`notion-mirror schema show` to see the schema as it is"
            )
        result.applied = True
        result.schema = describe(after)
        if pull:
            report = _Pull(mirror, client, store, PullOptions()).run()
            result.pull = report.to_json()
            result.schema["synced"] = True
        return result
