"""Property schemas and page property values of the emulator, as pure functions.

Everything here works on plain dicts and never does I/O: the server owns the
store and passes a :class:`ValueContext` for the few cross-page facts we need
(users, whether a page exists and where it lives, related pages' values).

Storage model:

* A schema is ``{prop_id: {"id", "name", "description", "type", <type>: config}}``
  in property order, title first — exactly Notion's response shape per property.
* Page values are ``{prop_id: stored value}`` for writable types only, each the
  full, untruncated Notion *read* shape. Computed types (formula, rollup,
  timestamps, unique_id, ...) are derived on every read from the page meta
  (``id, created_time, last_edited_time, created_by, last_edited_by,
  unique_number``) and from the context.
* Option values (select, multi_select, status) are stored as ``{id, name, color}``
  copies and re-resolved against the current schema on read, so option renames,
  recolours and removals show up the way they do in Notion.

Warning: a schema type change does not rewrite stored values; reads reinterpret
the old value through its plain text (Notion stores values as text internally,
so conversions behave similarly, but not identically).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notion_mirror.emulator.formula import (
    FDate,
    Formula,
    FormulaError,
    FormulaSyntaxError,
    parse_formula,
)

__all__ = [
    "COMPUTED_TYPES",
    "PROPERTY_TYPES",
    "SchemaError",
    "ValueContext",
    "build_schema",
    "find_property",
    "formula_value",
    "initial_values",
    "normalize_id",
    "normalize_rich_text",
    "parse_notion_datetime",
    "plain_text",
    "property_item",
    "property_value",
    "property_view",
    "update_schema",
    "write_values",
]

# --- constants ---------------------------------------------------------------

WRITABLE_TYPES = frozenset({
    "title", "rich_text", "number", "select", "multi_select", "status", "date", "people",
    "files", "checkbox", "url", "email", "phone_number", "relation", "place",
})  # fmt: skip
COMPUTED_TYPES = frozenset({
    "formula", "rollup", "created_time", "created_by", "last_edited_time", "last_edited_by",
    "unique_id", "button", "verification",
})  # fmt: skip
PROPERTY_TYPES = WRITABLE_TYPES | COMPUTED_TYPES
# Button and verification exist in schemas Notion gives us but cannot be created via the API.
_NOT_CREATABLE = frozenset({"button", "verification"})
_EMPTY_CONFIG_TYPES = frozenset({
    "title", "rich_text", "url", "email", "phone_number", "date", "checkbox", "people", "files",
    "created_time", "created_by", "last_edited_time", "last_edited_by", "place", "button",
    "verification",
})  # fmt: skip

NUMBER_FORMATS = frozenset({
    "number", "number_with_commas", "percent", "dollar", "australian_dollar", "canadian_dollar",
    "singapore_dollar", "euro", "pound", "yen", "ruble", "rupee", "won", "yuan", "real", "lira",
    "rupiah", "franc", "hong_kong_dollar", "new_zealand_dollar", "krona", "norwegian_krone",
    "mexican_peso", "rand", "new_taiwan_dollar", "danish_krone", "zloty", "baht", "forint",
    "koruna", "shekel", "chilean_peso", "philippine_peso", "dirham", "colombian_peso", "riyal",
    "ringgit", "leu", "argentine_peso", "uruguayan_peso", "peruvian_sol", "vietnamese_dong",
    "pakistani_rupee", "nigerian_naira", "bitcoin",
})  # fmt: skip
SELECT_COLORS = frozenset(
    {"default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"}
)
TEXT_COLORS = SELECT_COLORS | {f"{c}_background" for c in SELECT_COLORS - {"default"}}
ROLLUP_FUNCTIONS = frozenset({
    "count", "count_values", "empty", "not_empty", "unique", "show_unique", "percent_empty",
    "percent_not_empty", "sum", "average", "median", "min", "max", "range", "earliest_date",
    "latest_date", "date_range", "checked", "unchecked", "percent_checked", "percent_unchecked",
    "count_per_group", "percent_per_group", "show_original",
})  # fmt: skip
STATUS_GROUPS = ("To-do", "In progress", "Complete")
_STATUS_GROUP_COLORS = {"To-do": "gray", "In progress": "blue", "Complete": "green"}
_DEFAULT_STATUS = (("Not started", "default", "To-do"), ("In progress", "blue", "In progress"),
                   ("Done", "green", "Complete"))  # fmt: skip
_ANNOTATION_DEFAULTS = {"bold": False, "italic": False, "strikethrough": False,
                        "underline": False, "code": False, "color": "default"}  # fmt: skip

# Request-size limits (reference §5)
MAX_TEXT = 2000
MAX_EQUATION = 1000
MAX_ARRAY = 100
MAX_URL = 2000
MAX_EMAIL_PHONE = 200
MAX_DESCRIPTION = 280
MAX_OPTION_NAME = 100
# Page objects show at most this many references per property (reference §12.3)
VIEW_LIMIT = 25
MAX_PAGE_SIZE = 100

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                      r"[0-9a-fA-F]{12}$")  # fmt: skip
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


class SchemaError(ValueError):
    """Anything Notion answers with HTTP 400 ``validation_error``; ``str()`` is the message."""


# --- context -----------------------------------------------------------------


def _never(_page_id: str) -> bool:
    return False


def _nothing(_key: str) -> Any:
    return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass
class ValueContext:
    """The cross-page facts value functions need; the server passes its own callables.

    Defaults describe an empty workspace, so unit tests only fill what they use.
    ``me_id`` is the requesting bot (for ``"me"`` in people filters),
    ``get_page_meta`` feeds computed values of related pages in rollups,
    ``resolve_file_upload(id) -> {"name","url","expiry_time"} | None`` turns an
    uploaded file into a stored ``file`` value, ``new_uuid`` names auto-created options.
    """

    users: dict[str, dict] = field(default_factory=dict)
    page_exists: Callable[[str], bool] = _never
    data_source_of: Callable[[str], str | None] = _nothing
    get_page_values: Callable[[str], dict | None] = _nothing
    schema_of_page: Callable[[str], dict | None] = _nothing
    now: Callable[[], datetime] = _utcnow
    get_page_meta: Callable[[str], dict | None] = _nothing
    resolve_file_upload: Callable[[str], dict | None] = _nothing
    new_uuid: Callable[[], str] = _new_uuid
    me_id: str | None = None


# --- small helpers -----------------------------------------------------------


def normalize_id(value: str) -> str:
    """Dashed lower-case UUID when `value` is a UUID (dashless accepted), else unchanged."""
    if isinstance(value, str) and _UUID_RE.match(value):
        h = value.replace("-", "").lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return value


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _invalid(path: str, expectation: str, got: Any) -> SchemaError:
    return SchemaError(
        f"body failed validation: {path} should be {expectation}, instead was {_show(got)}."
    )


def _too_long(path: str, limit: int, got: int) -> SchemaError:
    return SchemaError(
        f"body failed validation: {path}.length should be ≤ `{limit}`, instead was `{got}`."
    )


def find_property(schema: dict[str, dict], key: str) -> tuple[str, dict] | None:
    """Look a property up by name first, then by id (requests may use either)."""
    if not isinstance(key, str):
        return None
    for pid, prop in schema.items():
        if prop["name"] == key:
            return pid, prop
    if key in schema:
        return key, schema[key]
    return None


def plain_text(rich: Iterable[dict] | None) -> str:
    """Concatenated ``plain_text`` of a rich text array."""
    return "".join(item.get("plain_text", "") for item in rich or [])


# --- schema ------------------------------------------------------------------


def _prop_type_of_request(name: str, req: dict, *, allow_none: bool) -> str | None:
    type_keys = [k for k in req if k not in {"type", "name", "description", "id"}]
    for k in type_keys:
        if k not in PROPERTY_TYPES:
            raise SchemaError(
                f"body failed validation: body.properties.{name}.{k} should be not present."
            )
    declared = req.get("type")
    if declared is not None and declared not in PROPERTY_TYPES:
        raise _invalid(f"body.properties.{name}.type", "a valid property type", declared)
    if len(type_keys) > 1:
        raise SchemaError(
            f"body failed validation: body.properties.{name} should have exactly one type key, "
            f"instead had {_show(type_keys)}."
        )
    if type_keys:
        if declared is not None and declared != type_keys[0]:
            raise SchemaError(f"{name} is expected to be {declared}.")
        return type_keys[0]
    if declared is not None:
        return declared
    if allow_none:
        return None
    raise SchemaError(
        f"body failed validation: body.properties.{name} should define a property type."
    )


def _description(name: str, req: dict) -> str | None:
    desc = req.get("description")
    if desc is None:
        return None
    if not isinstance(desc, str) or not desc:
        raise _invalid(f"body.properties.{name}.description", "a non-empty string", desc)
    if len(desc) > MAX_DESCRIPTION:
        raise _too_long(f"body.properties.{name}.description", MAX_DESCRIPTION, len(desc))
    return desc


def _option_name(path: str, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise _invalid(f"{path}.name", "a non-empty string", name)
    if "," in name:
        raise SchemaError(f"Select option names cannot contain commas: {_show(name)}.")
    if len(name) > MAX_OPTION_NAME:
        raise _too_long(f"{path}.name", MAX_OPTION_NAME, len(name))
    return name


def _option_color(path: str, color: Any) -> str:
    if color is None:
        return "default"
    if color not in SELECT_COLORS:
        raise _invalid(f"{path}.color", f"one of {sorted(SELECT_COLORS)}", color)
    return color


def _new_option(path: str, spec: dict, new_option_id: Callable[[], str]) -> dict:
    if not isinstance(spec, dict):
        raise _invalid(path, "an object", spec)
    desc = spec.get("description")
    if desc is not None and not isinstance(desc, str):
        raise _invalid(f"{path}.description", "a string or null", desc)
    return {
        "id": new_option_id(),
        "name": _option_name(path, spec.get("name")),
        "color": _option_color(path, spec.get("color")),
        "description": desc,
    }


def _check_unique_options(name: str, options: list[dict]) -> None:
    seen: set[str] = set()
    for opt in options:
        key = opt["name"].casefold()
        if key in seen:
            raise SchemaError(f"Duplicate option name {_show(opt['name'])} in property {name}.")
        seen.add(key)


def _options_list(path: str, config: dict) -> list:
    options = config.get("options", [])
    if not isinstance(options, list):
        raise _invalid(f"{path}.options", "an array", options)
    return options


def _build_select(name: str, ptype: str, config: dict, new_option_id: Callable[[], str]) -> dict:
    path = f"body.properties.{name}.{ptype}"
    options = [
        _new_option(f"{path}.options[{i}]", spec, new_option_id)
        for i, spec in enumerate(_options_list(path, config))
    ]
    _check_unique_options(name, options)
    return {"options": options}


def _status_config(name: str, options: list[dict], group_of: dict[str, str]) -> dict:
    _check_unique_options(name, options)
    groups = []
    for gname in STATUS_GROUPS:
        groups.append({
            "id": _group_id(gname),
            "name": gname,
            "color": _STATUS_GROUP_COLORS[gname],
            "option_ids": [o["id"] for o in options if group_of[o["id"]] == gname],
        })  # fmt: skip
    return {"options": options, "groups": groups}


def _group_id(group_name: str) -> str:
    # Stable per group name so schema diffs don't churn on every edit
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"notion-mirror-status-group:{group_name}"))


def _status_group_of(config: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for group in config.get("groups", []):
        for oid in group.get("option_ids", []):
            out[oid] = group["name"]
    return out


def _build_status(name: str, config: dict, new_option_id: Callable[[], str]) -> dict:
    path = f"body.properties.{name}.status"
    specs = config.get("options")
    if specs is None or specs == []:
        specs = [{"name": n, "color": c, "group": g} for n, c, g in _DEFAULT_STATUS]
    elif not isinstance(specs, list):
        raise _invalid(f"{path}.options", "an array", specs)
    options, group_of = [], {}
    for i, spec in enumerate(specs):
        opath = f"{path}.options[{i}]"
        group = spec.get("group", "To-do") if isinstance(spec, dict) else None
        if group not in STATUS_GROUPS:
            raise _invalid(f"{opath}.group", f"one of {list(STATUS_GROUPS)}", group)
        clean = {k: v for k, v in spec.items() if k != "group"}
        opt = _new_option(opath, clean, new_option_id)
        options.append(opt)
        group_of[opt["id"]] = group
    return _status_config(name, options, group_of)


def _build_relation(
    name: str, config: dict, database_of: Callable[[str], str | None] | None
) -> dict:
    path = f"body.properties.{name}.relation"
    ds = config.get("data_source_id") or config.get("database_id")
    if not isinstance(ds, str) or not ds:
        raise _invalid(f"{path}.data_source_id", "a string", ds)
    ds = normalize_id(ds)
    database_id = None
    if database_of is not None:
        database_id = database_of(ds)
        if database_id is None:
            raise SchemaError(f"Could not find data source with ID: {ds}.")
    if "dual_property" in config:
        dual = config["dual_property"] or {}
        # The server creates the reverse property and fills these in
        kind, body = "dual_property", {
            "synced_property_id": dual.get("synced_property_id"),
            "synced_property_name": dual.get("synced_property_name"),
        }
    else:
        kind, body = "single_property", {}
    return {"database_id": database_id, "data_source_id": ds, "type": kind, kind: body}


def _build_config(
    name: str,
    ptype: str,
    config: Any,
    *,
    new_option_id: Callable[[], str],
    database_of: Callable[[str], str | None] | None,
) -> dict:
    path = f"body.properties.{name}.{ptype}"
    if ptype in _NOT_CREATABLE:
        raise SchemaError(f"{ptype} properties cannot be created or updated via the API.")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise _invalid(path, "an object", config)
    if ptype in _EMPTY_CONFIG_TYPES:
        return {}
    if ptype == "number":
        fmt = config.get("format", "number")
        if fmt not in NUMBER_FORMATS:
            raise _invalid(f"{path}.format", "a valid number format", fmt)
        return {"format": fmt}
    if ptype in {"select", "multi_select"}:
        return _build_select(name, ptype, config, new_option_id)
    if ptype == "status":
        return _build_status(name, config, new_option_id)
    if ptype == "relation":
        return _build_relation(name, config, database_of)
    if ptype == "formula":
        expression = config.get("expression")
        try:
            parse_formula(expression)
        except FormulaSyntaxError as exc:
            raise SchemaError(f"Formula for {name} is invalid: {exc}") from exc
        return {"expression": expression}
    if ptype == "unique_id":
        prefix = config.get("prefix")
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise _invalid(f"{path}.prefix", "a non-empty string or null", prefix)
        return {"prefix": prefix}
    if ptype == "rollup":
        function = config.get("function")
        if function not in ROLLUP_FUNCTIONS:
            raise _invalid(f"{path}.function", "a valid rollup function", function)
        return {
            "relation_property_name": config.get("relation_property_name"),
            "relation_property_id": config.get("relation_property_id"),
            "rollup_property_name": config.get("rollup_property_name"),
            "rollup_property_id": config.get("rollup_property_id"),
            "function": function,
        }
    raise SchemaError(f"Unsupported property type {ptype}.")  # pragma: no cover


def _finish_schema(
    schema: dict[str, dict],
    touched: set[str],
    schema_of_data_source: Callable[[str], dict | None] | None,
) -> None:
    """Cross-property checks for entries created or changed in this request."""
    titles = [pid for pid, p in schema.items() if p["type"] == "title"]
    if len(titles) != 1:
        raise SchemaError(
            "body failed validation: a data source must have exactly one title property, "
            f"instead had {len(titles)}."
        )
    for pid in touched:
        prop = schema.get(pid)
        if prop is None:
            continue
        if prop["type"] == "formula":
            formula = parse_formula(prop["formula"]["expression"])
            for ref, by_id in formula.references():
                found = schema.get(ref) if by_id else find_property(schema, ref)
                if found is None:
                    raise SchemaError(
                        f"Formula for {prop['name']} is invalid: "
                        f"{ref} is not a property that exists."
                    )
        elif prop["type"] == "rollup":
            _resolve_rollup_config(schema, prop, schema_of_data_source)


def _resolve_rollup_config(
    schema: dict[str, dict],
    prop: dict,
    schema_of_data_source: Callable[[str], dict | None] | None,
) -> None:
    cfg = prop["rollup"]
    rel_key = cfg.get("relation_property_id") or cfg.get("relation_property_name")
    rel = None
    if cfg.get("relation_property_id") in schema:
        rel = (cfg["relation_property_id"], schema[cfg["relation_property_id"]])
    elif rel_key is not None:
        rel = find_property(schema, rel_key)
    if rel is None or rel[1]["type"] != "relation":
        raise SchemaError(
            f"Rollup {prop['name']}: relation property {_show(rel_key)} does not exist."
        )
    cfg["relation_property_id"], cfg["relation_property_name"] = rel[0], rel[1]["name"]
    target_key = cfg.get("rollup_property_id") or cfg.get("rollup_property_name")
    if target_key is None:
        raise SchemaError(f"Rollup {prop['name']}: rollup_property_name should be defined.")
    if schema_of_data_source is not None:
        target_schema = schema_of_data_source(rel[1]["relation"]["data_source_id"]) or {}
        by_id = cfg.get("rollup_property_id")
        target = (
            (by_id, target_schema[by_id])
            if by_id in target_schema
            else find_property(target_schema, target_key)
        )
        if target is None:
            raise SchemaError(
                f"Rollup {prop['name']}: {_show(target_key)} is not a property that exists."
            )
        cfg["rollup_property_id"], cfg["rollup_property_name"] = target[0], target[1]["name"]


def _fresh_id(schema: dict[str, dict], new_id: Callable[[], str]) -> str:
    for _ in range(1000):
        pid = new_id()
        if pid not in schema and pid != "title":
            return pid
    raise RuntimeError("new_id keeps returning ids that are taken")  # pragma: no cover


def build_schema(
    request_properties: dict,
    *,
    new_id: Callable[[], str],
    new_option_id: Callable[[], str] = _new_uuid,
    database_of: Callable[[str], str | None] | None = None,
    schema_of_data_source: Callable[[str], dict | None] | None = None,
) -> dict[str, dict]:
    """The stored schema for a create request's ``properties`` (title first).

    Optional resolvers let the server fill relation ``database_id`` (and reject
    unknown data sources) and resolve rollup targets in the related schema;
    without them those fields are kept as given (``database_id`` null).
    """
    if not isinstance(request_properties, dict):
        raise _invalid("body.properties", "an object", request_properties)
    entries: list[tuple[str, dict]] = []
    for name, req in request_properties.items():
        if not isinstance(req, dict):
            raise _invalid(f"body.properties.{name}", "an object", req)
        _check_name(name)
        ptype = _prop_type_of_request(name, req, allow_none=False)
        assert ptype is not None
        config = _build_config(name, ptype, req.get(ptype), new_option_id=new_option_id,
                               database_of=database_of)  # fmt: skip
        entries.append((name, {"name": req.get("name", name), "description":
                               _description(name, req), "type": ptype, ptype: config}))  # fmt: skip
    # title first: Notion lists the title property ahead of the rest
    entries.sort(key=lambda e: e[1]["type"] != "title")
    schema: dict[str, dict] = {}
    for _name, entry in entries:
        pid = "title" if entry["type"] == "title" and "title" not in schema else None
        pid = pid or _fresh_id(schema, new_id)
        schema[pid] = {"id": pid, **entry}
    _check_unique_names(schema)
    _finish_schema(schema, set(schema), schema_of_data_source)
    return schema


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise _invalid("body.properties", "keyed by non-empty property names", name)


def _check_unique_names(schema: dict[str, dict]) -> None:
    seen: set[str] = set()
    for prop in schema.values():
        if prop["name"] in seen:
            raise SchemaError(f"Property name {_show(prop['name'])} is used more than once.")
        seen.add(prop["name"])


def _update_options(
    name: str,
    ptype: str,
    old: dict | None,
    config: dict,
    new_option_id: Callable[[], str],
) -> dict:
    """Apply a full desired options list: listed entries kept/added, the rest removed."""
    path = f"body.properties.{name}.{ptype}"
    specs = _options_list(path, config)
    by_id = {o["id"]: o for o in (old or {}).get("options", [])}
    by_name = {o["name"]: o for o in by_id.values()}
    out: list[dict] = []
    group_of = _status_group_of(old or {})
    for i, spec in enumerate(specs):
        opath = f"{path}.options[{i}]"
        if not isinstance(spec, dict):
            raise _invalid(opath, "an object", spec)
        existing = None
        if spec.get("id") is not None:
            existing = by_id.get(spec["id"])
            if existing is None:
                raise SchemaError(f"Invalid option id {_show(spec['id'])} for property {name}.")
        elif spec.get("name") in by_name:
            existing = by_name[spec["name"]]
        if existing is not None:
            opt = dict(existing)
            # The SDK types allow renaming/recolouring an option by id, so we do too
            if "name" in spec:
                opt["name"] = _option_name(opath, spec["name"])
            if "color" in spec:
                opt["color"] = _option_color(opath, spec["color"])
            if "description" in spec:
                opt["description"] = spec["description"]
        else:
            opt = _new_option(opath, spec, new_option_id)
            if ptype == "status":
                group_of[opt["id"]] = "To-do"
        out.append(opt)
    if ptype == "status":
        return _status_config(name, out, group_of)
    _check_unique_options(name, out)
    return {"options": out}


def update_schema(
    schema: dict[str, dict],
    request_properties: dict,
    *,
    new_id: Callable[[], str],
    new_option_id: Callable[[], str] = _new_uuid,
    database_of: Callable[[str], str | None] | None = None,
    schema_of_data_source: Callable[[str], dict | None] | None = None,
) -> dict[str, dict]:
    """A new schema with a PATCH's ``properties`` applied (the input is not modified).

    Keys are names or ids; ``null`` deletes, ``{"name"}`` renames, a type key adds
    or reconfigures. Renames are propagated into ``prop("Old")`` formula references.
    """
    if not isinstance(request_properties, dict):
        raise _invalid("body.properties", "an object", request_properties)
    out = copy.deepcopy(schema)
    touched: set[str] = set()
    for key, req in request_properties.items():
        found = (key, out[key]) if key in out else find_property(out, key)
        if req is None:
            if found is None:
                raise SchemaError(f"{key} is not a property that exists.")
            if found[1]["type"] == "title":
                raise SchemaError("Cannot delete the title property.")
            del out[found[0]]
            continue
        if not isinstance(req, dict):
            raise _invalid(f"body.properties.{key}", "an object or null", req)
        ptype = _prop_type_of_request(key, req, allow_none=True)
        if found is None:
            if ptype is None:
                raise SchemaError(f"{key} is not a property that exists.")
            _check_name(key)
            if ptype == "title":
                raise SchemaError("A data source can only have one title property.")
            config = _build_config(key, ptype, req.get(ptype), new_option_id=new_option_id,
                                   database_of=database_of)  # fmt: skip
            pid = _fresh_id(out, new_id)
            out[pid] = {"id": pid, "name": req.get("name", key),
                        "description": _description(key, req), "type": ptype, ptype: config}
            touched.add(pid)
            continue
        pid, prop = found
        new_prop = dict(prop)
        if ptype is not None:
            if (ptype == "title") != (prop["type"] == "title"):
                raise SchemaError(
                    f"Cannot change property {prop['name']} from {prop['type']} to {ptype}."
                )
            if "place" in {ptype, prop["type"]} and ptype != prop["type"]:
                raise SchemaError(f"Cannot convert property {prop['name']} to or from place.")
            raw = req.get(ptype)
            if raw is not None and not isinstance(raw, dict):
                raise _invalid(f"body.properties.{key}.{ptype}", "an object", raw)
            raw = raw or {}
            old_cfg = prop.get(prop["type"]) if prop["type"] in {ptype} else None
            if ptype in {"select", "multi_select", "status"} and "options" in raw:
                carry = prop.get(prop["type"]) if prop["type"] in {
                    "select", "multi_select", "status"} else None  # fmt: skip
                config = _update_options(key, ptype, carry, raw, new_option_id)
            elif ptype in {"select", "multi_select"} and prop["type"] in {"select",
                                                                          "multi_select"}:
                # select <-> multi_select keeps the options, as converting in the UI does
                config = {"options": copy.deepcopy(prop[prop["type"]]["options"])}
            elif ptype == "status" and old_cfg is not None:
                config = old_cfg
            else:
                config = _build_config(key, ptype, raw, new_option_id=new_option_id,
                                       database_of=database_of)  # fmt: skip
            for k in (prop["type"],):
                new_prop.pop(k, None)
            new_prop["type"] = ptype
            new_prop[ptype] = config
            touched.add(pid)
        if "description" in req:
            new_prop["description"] = _description(key, req)
        if "name" in req:
            new_name = req["name"]
            _check_name(new_name)
            if new_name != prop["name"]:
                clash = find_property(out, new_name)
                if clash is not None and clash[0] != pid and clash[1]["name"] == new_name:
                    raise SchemaError(f"A property named {_show(new_name)} already exists.")
                _rename_formula_refs(out, prop["name"], new_name)
            new_prop["name"] = new_name
        out[pid] = new_prop
    _check_unique_names(out)
    _finish_schema(out, touched, schema_of_data_source)
    return out


def _rename_formula_refs(schema: dict[str, dict], old: str, new: str) -> None:
    pattern = re.compile(r'prop\(\s*"' + re.escape(_escape_str(old)) + r'"\s*\)')
    replacement = f'prop("{_escape_str(new)}")'
    for prop in schema.values():
        if prop["type"] == "formula":
            expr = prop["formula"]["expression"]
            prop["formula"] = {"expression": pattern.sub(lambda _m: replacement, expr)}
        elif prop["type"] == "rollup" and prop["rollup"].get("relation_property_name") == old:
            prop["rollup"] = {**prop["rollup"], "relation_property_name": new}


def _escape_str(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


# --- rich text -----------------------------------------------------------------


def _annotations(path: str, raw: Any) -> dict:
    if raw is None:
        return dict(_ANNOTATION_DEFAULTS)
    if not isinstance(raw, dict):
        raise _invalid(f"{path}.annotations", "an object", raw)
    out = dict(_ANNOTATION_DEFAULTS)
    for k, v in raw.items():
        if k not in _ANNOTATION_DEFAULTS:
            raise SchemaError(
                f"body failed validation: {path}.annotations.{k} should be not present."
            )
        if k == "color":
            if v not in TEXT_COLORS:
                raise _invalid(f"{path}.annotations.color", "a valid color", v)
        elif not isinstance(v, bool):
            raise _invalid(f"{path}.annotations.{k}", "a boolean", v)
        out[k] = v
    return out


def _page_url(page_id: str) -> str:
    return f"https://www.notion.so/{page_id.replace('-', '')}"


def _page_title(page_id: str, ctx: Any) -> str:
    values = ctx.get_page_values(page_id)
    schema = ctx.schema_of_page(page_id)
    if not values or not schema:
        return "Untitled"
    for pid, prop in schema.items():
        if prop["type"] == "title":
            return plain_text(values.get(pid)) or "Untitled"
    return "Untitled"


def _user_name(user_id: str, ctx: Any) -> str | None:
    user = ctx.users.get(user_id)
    return user.get("name") if user else None


def _date_plain(d: dict) -> str:
    return d["start"] if not d.get("end") else f"{d['start']} → {d['end']}"


def _mention(path: str, raw: Any, ctx: Any) -> tuple[dict, str, str | None]:
    if not isinstance(raw, dict):
        raise _invalid(f"{path}.mention", "an object", raw)
    kinds = [k for k in raw if k != "type"]
    mtype = raw.get("type") or (kinds[0] if len(kinds) == 1 else None)
    if mtype not in raw:
        raise _invalid(f"{path}.mention", "a user, page, database, date or template_mention", raw)
    body = raw[mtype]
    mpath = f"{path}.mention.{mtype}"
    if mtype == "user":
        uid = normalize_id(body.get("id")) if isinstance(body, dict) else None
        if not uid or uid not in ctx.users:
            raise SchemaError(f"Could not find user with ID: {uid}.")
        name = _user_name(uid, ctx)
        return ({"type": "user", "user": {"object": "user", "id": uid}},
                f"@{name or 'Anonymous'}", None)  # fmt: skip
    if mtype in {"page", "database"}:
        pid = normalize_id(body.get("id")) if isinstance(body, dict) else None
        if not pid:
            raise _invalid(f"{mpath}.id", "a string", body)
        title = _page_title(pid, ctx) if mtype == "page" else "Untitled"
        return {"type": mtype, mtype: {"id": pid}}, title, _page_url(pid)
    if mtype == "date":
        d = _date_value(mpath, body)
        if d is None:
            raise _invalid(mpath, "an object", body)
        return {"type": "date", "date": d}, _date_plain(d), None
    if mtype == "template_mention":
        ttype = body.get("type") if isinstance(body, dict) else None
        value = body.get(ttype) if ttype else None
        ok = {"template_mention_date": {"today", "now"}, "template_mention_user": {"me"}}
        if ttype not in ok or value not in ok[ttype]:
            raise _invalid(mpath, "a template mention", body)
        return ({"type": "template_mention", "template_mention": {"type": ttype, ttype: value}},
                "@" + value.capitalize(), None)  # fmt: skip
    raise _invalid(f"{path}.mention.type", "one of user, page, database, date, template_mention",
                   mtype)  # fmt: skip


def _rich_text_item(path: str, raw: Any, ctx: Any) -> dict:
    if not isinstance(raw, dict):
        raise _invalid(path, "an object", raw)
    rtype = raw.get("type")
    if rtype is None:
        rtype = next((k for k in ("text", "mention", "equation") if k in raw), None)
    if rtype not in {"text", "mention", "equation"} or rtype not in raw:
        raise _invalid(path, "a text, mention or equation rich text object", raw)
    annotations = _annotations(path, raw.get("annotations"))
    if rtype == "text":
        text = raw["text"]
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise _invalid(f"{path}.text.content", "a string", text)
        content = text["content"]
        if len(content) > MAX_TEXT:
            raise _too_long(f"{path}.text.content", MAX_TEXT, len(content))
        link = text.get("link")
        if link is not None:
            url = link.get("url") if isinstance(link, dict) else None
            if not isinstance(url, str) or not url:
                raise _invalid(f"{path}.text.link.url", "a non-empty string", url)
            if len(url) > MAX_URL:
                raise _too_long(f"{path}.text.link.url", MAX_URL, len(url))
            link = {"url": url}
        return {"type": "text", "text": {"content": content, "link": link},
                "annotations": annotations, "plain_text": content,
                "href": link["url"] if link else None}  # fmt: skip
    if rtype == "equation":
        eq = raw["equation"]
        expr = eq.get("expression") if isinstance(eq, dict) else None
        if not isinstance(expr, str):
            raise _invalid(f"{path}.equation.expression", "a string", expr)
        if len(expr) > MAX_EQUATION:
            raise _too_long(f"{path}.equation.expression", MAX_EQUATION, len(expr))
        return {"type": "equation", "equation": {"expression": expr},
                "annotations": annotations, "plain_text": expr, "href": None}  # fmt: skip
    mention, plain, href = _mention(path, raw["mention"], ctx)
    return {"type": "mention", "mention": mention, "annotations": annotations,
            "plain_text": plain, "href": href}  # fmt: skip


def normalize_rich_text(path: str, raw: Any, ctx: Any) -> list[dict]:
    """Request rich text -> full response objects (validated against request limits)."""
    if not isinstance(raw, list):
        raise _invalid(path, "an array", raw)
    if len(raw) > MAX_ARRAY:
        raise _too_long(path, MAX_ARRAY, len(raw))
    return [_rich_text_item(f"{path}[{i}]", item, ctx) for i, item in enumerate(raw)]


# --- dates -------------------------------------------------------------------


def _normalize_datetime(path: str, value: Any, has_tz: bool) -> str:
    if not isinstance(value, str):
        raise _invalid(path, "an ISO 8601 date or date-time string", value)
    if _DATE_RE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _invalid(path, "a valid ISO 8601 date", value) from None
        return value
    if not _DATETIME_RE.match(value):
        raise _invalid(path, "an ISO 8601 date or date-time string", value)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(path, "a valid ISO 8601 date-time", value) from None
    if dt.tzinfo is None:
        if has_tz:
            # With a time_zone, Notion keeps the local wall-clock time
            return dt.isoformat(timespec="milliseconds")
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat(timespec="milliseconds")


def _date_value(path: str, raw: Any) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid(path, "an object or null", raw)
    for k in raw:
        if k not in {"start", "end", "time_zone"}:
            raise SchemaError(f"body failed validation: {path}.{k} should be not present.")
    tz = raw.get("time_zone")
    if tz is not None:
        if not isinstance(tz, str):
            raise _invalid(f"{path}.time_zone", "a string", tz)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid(f"{path}.time_zone", "a valid IANA time zone", tz) from None
    if "start" not in raw:
        raise _invalid(f"{path}.start", "defined", None)
    start = _normalize_datetime(f"{path}.start", raw["start"], tz is not None)
    end = raw.get("end")
    if end is not None:
        end = _normalize_datetime(f"{path}.end", end, tz is not None)
    return {"start": start, "end": end, "time_zone": tz}


def parse_notion_datetime(value: str, time_zone: str | None = None) -> datetime:
    """An aware datetime for a stored date string (date-only -> midnight UTC)."""
    if _DATE_RE.match(value):
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        tz = ZoneInfo(time_zone) if time_zone else UTC
        dt = dt.replace(tzinfo=tz)
    return dt


# --- writes ------------------------------------------------------------------


def _find_option(options: list[dict], spec: dict) -> dict | None:
    if spec.get("id") is not None:
        return next((o for o in options if o["id"] == spec["id"]), None)
    name = spec.get("name")
    return next((o for o in options if o["name"] == name), None)


def _write_option(
    path: str, prop: dict, spec: Any, ctx: Any, *, create: bool
) -> dict:
    """Resolve a select/multi_select option reference, auto-creating by name if allowed."""
    if not isinstance(spec, dict) or (spec.get("id") is None and spec.get("name") is None):
        raise _invalid(path, "an object with a name or an id", spec)
    config = prop[prop["type"]]
    opt = _find_option(config["options"], spec)
    if opt is None:
        if spec.get("id") is not None:
            raise SchemaError(
                f"Invalid select option id {_show(spec['id'])} for property {prop['name']}."
            )
        if not create:
            raise SchemaError(f"Invalid option {_show(spec['name'])} for {prop['name']}.")
        opt = _new_option(path, {"name": spec["name"], "color": spec.get("color")}, ctx.new_uuid)
        config["options"].append(opt)
    return {"id": opt["id"], "name": opt["name"], "color": opt["color"]}


def _check_list(path: str, raw: Any) -> list:
    if not isinstance(raw, list):
        raise _invalid(path, "an array", raw)
    if len(raw) > MAX_ARRAY:
        raise _too_long(path, MAX_ARRAY, len(raw))
    return raw


def _string_value(path: str, raw: Any, limit: int) -> str | None:
    if raw is None or raw == "":
        # Notion represents empty strings as null
        return None
    if not isinstance(raw, str):
        raise _invalid(path, "a string or null", raw)
    if len(raw) > limit:
        raise _too_long(path, limit, len(raw))
    return raw


def _write_one(path: str, prop: dict, raw: Any, ctx: Any, schema: dict) -> Any:
    ptype = prop["type"]
    if ptype in {"title", "rich_text"}:
        return normalize_rich_text(path, raw, ctx)
    if ptype == "number":
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise _invalid(path, "a number or null", raw)
        return raw
    if ptype == "checkbox":
        if not isinstance(raw, bool):
            raise _invalid(path, "a boolean", raw)
        return raw
    if ptype in {"url", "email", "phone_number"}:
        return _string_value(path, raw, MAX_URL if ptype == "url" else MAX_EMAIL_PHONE)
    if ptype == "select":
        return None if raw is None else _write_option(path, prop, raw, ctx, create=True)
    if ptype == "multi_select":
        out: list[dict] = []
        for i, spec in enumerate(_check_list(path, raw)):
            opt = _write_option(f"{path}[{i}]", prop, spec, ctx, create=True)
            if all(o["id"] != opt["id"] for o in out):
                out.append(opt)
        return out
    if ptype == "status":
        if raw is None:
            return _default_status(prop)
        if not isinstance(raw, dict) or (raw.get("id") is None and raw.get("name") is None):
            raise _invalid(path, "an object with a name or an id", raw)
        opt = _find_option(prop["status"]["options"], raw)
        if opt is None:
            label = raw.get("name") if raw.get("name") is not None else raw.get("id")
            raise SchemaError(
                f'Invalid status option. Status option "{label}" does not exist".'
            )
        return {"id": opt["id"], "name": opt["name"], "color": opt["color"]}
    if ptype == "date":
        return _date_value(path, raw)
    if ptype == "people":
        people: list[dict] = []
        for i, spec in enumerate(_check_list(path, raw)):
            uid = spec.get("id") if isinstance(spec, dict) else None
            if not isinstance(uid, str):
                raise _invalid(f"{path}[{i}].id", "a string", uid)
            uid = normalize_id(uid)
            user = ctx.users.get(uid)
            if user is None:
                raise SchemaError(f"Could not find user with ID: {uid}.")
            entry = {"object": user.get("object", "user"), "id": uid}
            if entry["object"] == "group":
                entry["name"] = user.get("name")
            if all(p["id"] != uid for p in people):
                people.append(entry)
        return people
    if ptype == "relation":
        target = normalize_id(prop["relation"]["data_source_id"])
        rel: list[dict] = []
        for i, spec in enumerate(_check_list(path, raw)):
            rid = spec.get("id") if isinstance(spec, dict) else None
            if not isinstance(rid, str):
                raise _invalid(f"{path}[{i}].id", "a string", rid)
            rid = normalize_id(rid)
            if not ctx.page_exists(rid):
                raise SchemaError(f"Could not find page with ID: {rid}.")
            source = ctx.data_source_of(rid)
            if source is None or normalize_id(source) != target:
                raise SchemaError(
                    f"Relation {prop['name']}: page {rid} does not belong to data source {target}."
                )
            if all(r["id"] != rid for r in rel):
                rel.append({"id": rid})
        return rel
    if ptype == "files":
        return [_file_value(f"{path}[{i}]", f, ctx) for i, f in enumerate(_check_list(path, raw))]
    if ptype == "place":
        return _place_value(path, raw)
    raise SchemaError(f"{prop['name']} is not writable.")  # pragma: no cover


def _file_value(path: str, raw: Any, ctx: Any) -> dict:
    if not isinstance(raw, dict):
        raise _invalid(path, "an object", raw)
    ftype = raw.get("type") or next(
        (k for k in ("external", "file_upload", "file") if k in raw), None
    )
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_URL):
        raise _invalid(f"{path}.name", "a string", name)
    if ftype == "external":
        url = (raw.get("external") or {}).get("url")
        if not isinstance(url, str) or not url:
            raise _invalid(f"{path}.external.url", "a non-empty string", url)
        if len(url) > MAX_URL:
            raise _too_long(f"{path}.external.url", MAX_URL, len(url))
        if name is None:
            raise _invalid(f"{path}.name", "defined", None)
        return {"name": name, "type": "external", "external": {"url": url}}
    if ftype == "file_upload":
        upload_id = (raw.get("file_upload") or {}).get("id")
        found = ctx.resolve_file_upload(upload_id) if isinstance(upload_id, str) else None
        if found is None:
            raise SchemaError(f"Could not find file upload with ID: {upload_id}.")
        return {"name": name or found.get("name"), "type": "file",
                "file": {"url": found.get("url"), "expiry_time": found.get("expiry_time")}}
    if ftype == "file":
        # Re-sending a Notion-hosted file read from a page keeps it attached
        inner = raw.get("file") or {}
        if not isinstance(inner.get("url"), str):
            raise _invalid(f"{path}.file.url", "a string", inner.get("url"))
        return {"name": name or "", "type": "file",
                "file": {"url": inner["url"], "expiry_time": inner.get("expiry_time")}}  # fmt: skip
    raise _invalid(f"{path}.type", "external or file_upload", ftype)


def _place_value(path: str, raw: Any) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid(path, "an object or null", raw)
    out: dict[str, Any] = {}
    for k in ("lat", "lon"):
        v = raw.get(k)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _invalid(f"{path}.{k}", "a number", v)
        out[k] = v
    for k in ("name", "address", "aws_place_id", "google_place_id"):
        v = raw.get(k)
        if v is not None and not isinstance(v, str):
            raise _invalid(f"{path}.{k}", "a string or null", v)
        out[k] = v
    return out


def _default_status(prop: dict) -> dict | None:
    config = prop["status"]
    todo = next((g for g in config.get("groups", []) if g["name"] == "To-do"), None)
    ids = todo["option_ids"] if todo else []
    opt = next((o for o in config["options"] if ids and o["id"] == ids[0]), None)
    return {"id": opt["id"], "name": opt["name"], "color": opt["color"]} if opt else None


_EMPTY_VALUES: dict[str, Any] = {
    "title": [], "rich_text": [], "number": None, "select": None, "multi_select": [],
    "date": None, "people": [], "files": [], "checkbox": False, "url": None, "email": None,
    "phone_number": None, "relation": [], "place": None,
}  # fmt: skip


def initial_values(schema: dict[str, dict], *, ctx: Any) -> dict[str, Any]:
    """Stored defaults for a new page: empty values, status = first To-do option."""
    out: dict[str, Any] = {}
    for pid, prop in schema.items():
        if prop["type"] == "status":
            out[pid] = _default_status(prop)
        elif prop["type"] in _EMPTY_VALUES:
            out[pid] = copy.deepcopy(_EMPTY_VALUES[prop["type"]])
    return out


def write_values(
    schema: dict[str, dict], values: dict[str, Any], request_properties: dict, *, ctx: Any
) -> tuple[dict[str, Any], dict[str, dict]]:
    """Apply a page write; returns (new values, new schema). Inputs are not modified.

    The schema changes only when a select/multi_select write names a new option.
    All-or-nothing: any invalid property raises before anything is returned.
    """
    if not isinstance(request_properties, dict):
        raise _invalid("body.properties", "an object", request_properties)
    new_schema = copy.deepcopy(schema)
    new_values = copy.deepcopy(values)
    for key, req in request_properties.items():
        found = find_property(new_schema, key)
        if found is None:
            raise SchemaError(f"{key} is not a property that exists.")
        pid, prop = found
        name, ptype = prop["name"], prop["type"]
        if ptype in COMPUTED_TYPES:
            raise SchemaError(
                f"{name} is a {ptype} property, whose value is computed and cannot be written."
            )
        if not isinstance(req, dict):
            raise SchemaError(f"{name} is expected to be {ptype}.")
        declared = req.get("type")
        value_keys = [k for k in req if k not in {"type", "id"}]
        if (declared is not None and declared != ptype) or value_keys != [ptype]:
            raise SchemaError(f"{name} is expected to be {ptype}.")
        new_values[pid] = _write_one(f"body.properties.{name}.{ptype}", prop, req[ptype], ctx,
                                     new_schema)  # fmt: skip
    return new_values, new_schema


# --- reads -------------------------------------------------------------------


def _stored_plain(raw: Any) -> str:
    """Plain text of any stored value, for reinterpreting after a type change."""
    if raw is None or raw is False:
        return ""
    if raw is True:
        return "Yes"
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float):
        return _format_number(raw)
    if isinstance(raw, list):
        if all(isinstance(x, dict) and "plain_text" in x for x in raw):
            return plain_text(raw)
        return ", ".join(_stored_plain(x) for x in raw)
    if isinstance(raw, dict):
        if "start" in raw:
            return _date_plain(raw)
        for k in ("name", "id"):
            if isinstance(raw.get(k), str):
                return raw[k]
    return ""


def _format_number(n: float) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


def _text_item(content: str) -> dict:
    return {"type": "text", "text": {"content": content, "link": None},
            "annotations": dict(_ANNOTATION_DEFAULTS), "plain_text": content, "href": None}


def _is_rich_text(raw: Any) -> bool:
    return isinstance(raw, list) and all(isinstance(x, dict) and "plain_text" in x for x in raw)


def _resolve_options(prop: dict, raw: Any) -> list[dict]:
    """Stored option copies -> current options (by id, then by name); unknown dropped."""
    options = prop[prop["type"]]["options"]
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[dict] = []
    for item in items:
        if isinstance(item, dict) and ("id" in item or "name" in item):
            opt = _find_option(options, {"id": item.get("id")}) or _find_option(
                options, {"name": item.get("name")}
            )
        else:
            # reinterpreting a text value after a type change
            names = [s.strip() for s in _stored_plain(item).split(",")]
            for n in names:
                opt = _find_option(options, {"name": n})
                if opt is not None and all(o["id"] != opt["id"] for o in out):
                    out.append({"id": opt["id"], "name": opt["name"], "color": opt["color"]})
            continue
        if opt is not None and all(o["id"] != opt["id"] for o in out):
            out.append({"id": opt["id"], "name": opt["name"], "color": opt["color"]})
    return out


def _coerce(prop: dict, raw: Any) -> Any:
    """The stored value as the property's current type (tolerates past type changes)."""
    ptype = prop["type"]
    if ptype in {"title", "rich_text"}:
        if _is_rich_text(raw):
            return raw
        text = _stored_plain(raw)
        return [_text_item(text)] if text else []
    if ptype == "number":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        try:
            n = float(_stored_plain(raw).replace(",", ""))
        except ValueError:
            return None
        return int(n) if n.is_integer() and abs(n) < 2**53 else n
    if ptype == "checkbox":
        if isinstance(raw, bool):
            return raw
        return _stored_plain(raw).strip().lower() in {"yes", "true", "1", "checked"}
    if ptype in {"select", "status"}:
        opts = _resolve_options(prop, raw)
        if opts:
            return opts[0]
        return _default_status(prop) if ptype == "status" and raw is None else None
    if ptype == "multi_select":
        return _resolve_options(prop, raw)
    if ptype == "date":
        return raw if isinstance(raw, dict) and "start" in raw else None
    if ptype in {"url", "email", "phone_number"}:
        return _stored_plain(raw) or None
    if ptype == "people":
        ok = isinstance(raw, list) and all(isinstance(x, dict) and "object" in x for x in raw)
        return raw if ok else []
    if ptype == "relation":
        ok = isinstance(raw, list) and all(isinstance(x, dict) and "id" in x for x in raw)
        return raw if ok and all(set(x) == {"id"} for x in raw) else []
    if ptype == "files":
        ok = isinstance(raw, list) and all(isinstance(x, dict) and "type" in x for x in raw)
        return raw if ok else []
    if ptype == "place":
        return raw if isinstance(raw, dict) and "lat" in raw else None
    return raw


def _limit_mentions(rich: list[dict]) -> list[dict]:
    out, mentions = [], 0
    for item in rich:
        if item.get("type") == "mention":
            mentions += 1
            if mentions > VIEW_LIMIT:
                continue
        out.append(item)
    return out


def _partial_user(user: Any) -> dict | None:
    if isinstance(user, dict):
        return {"object": "user", "id": user.get("id")}
    if isinstance(user, str):
        return {"object": "user", "id": user}
    return None


@dataclass
class _Eval:
    """Per-read evaluation state: guards formula/rollup cycles across pages."""

    ctx: Any
    stack: set[tuple[str, str]] = field(default_factory=set)


def property_value(
    schema: dict[str, dict],
    prop_id: str,
    values: dict[str, Any],
    page_meta: dict,
    *,
    ctx: Any,
) -> Any:
    """The full (untruncated) read value of one property, as in ``page.properties[n][type]``."""
    return _value(schema, schema[prop_id], values, page_meta, _Eval(ctx))


def _value(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> Any:
    ptype, pid = prop["type"], prop["id"]
    if ptype in WRITABLE_TYPES:
        if pid not in values and ptype == "status":
            return _default_status(prop)
        raw = values.get(pid, copy.deepcopy(_EMPTY_VALUES.get(ptype)))
        return copy.deepcopy(_coerce(prop, raw))
    if ptype in {"created_time", "last_edited_time"}:
        return meta.get(ptype)
    if ptype in {"created_by", "last_edited_by"}:
        return _partial_user(meta.get(ptype))
    if ptype == "unique_id":
        return {"prefix": prop["unique_id"].get("prefix"), "number": meta.get("unique_number")}
    if ptype == "button":
        return {}
    if ptype == "verification":
        raw = values.get(pid)
        return raw or {"state": "unverified", "date": None, "verified_by": None}
    if ptype == "formula":
        return _formula_result(schema, prop, values, meta, ev)
    if ptype == "rollup":
        return _rollup_result(schema, prop, values, meta, ev)
    return None  # pragma: no cover


def _view_entry(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> dict:
    ptype = prop["type"]
    value = _value(schema, prop, values, meta, ev)
    entry: dict[str, Any] = {"id": prop["id"], "type": ptype}
    if ptype == "relation":
        entry["relation"] = value[:VIEW_LIMIT]
        entry["has_more"] = len(value) > VIEW_LIMIT
    elif ptype == "people":
        entry["people"] = value[:VIEW_LIMIT]
    elif ptype in {"title", "rich_text"}:
        entry[ptype] = _limit_mentions(value)
    else:
        entry[ptype] = value
    return entry


def property_view(
    schema: dict[str, dict], values: dict[str, Any], page_meta: dict, *, ctx: Any
) -> dict[str, dict]:
    """A page object's ``properties``: keyed by name in schema order, references truncated."""
    ev = _Eval(ctx)
    return {p["name"]: _view_entry(schema, p, values, page_meta, ev) for p in schema.values()}


# --- formulas ----------------------------------------------------------------


def _to_fdate(d: Any) -> FDate | None:
    if not isinstance(d, dict) or not isinstance(d.get("start"), str):
        return None
    s = d["start"]
    return FDate(parse_notion_datetime(s, d.get("time_zone")), not _DATE_RE.match(s))


def _formula_input(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> Any:
    """A property's value as a formula sees it."""
    ptype = prop["type"]
    if ptype == "formula":
        raw = _formula_raw(schema, prop, values, meta, ev)
        return raw
    v = _value(schema, prop, values, meta, ev)
    if ptype in {"title", "rich_text"}:
        return plain_text(v)
    if ptype == "number":
        return None if v is None else float(v)
    if ptype in {"select", "status"}:
        return v["name"] if v else ""
    if ptype == "multi_select":
        return [o["name"] for o in v]
    if ptype in {"url", "email", "phone_number"}:
        return v or ""
    if ptype == "date":
        return _to_fdate(v)
    if ptype in {"created_time", "last_edited_time"}:
        return FDate(parse_notion_datetime(v), True) if v else None
    if ptype == "people":
        return [_user_name(u["id"], ev.ctx) or u["id"] for u in v]
    if ptype in {"created_by", "last_edited_by"}:
        return (_user_name(v["id"], ev.ctx) or v["id"]) if v else None
    if ptype == "relation":
        return [r["id"] for r in v]
    if ptype == "files":
        return [f.get("name") for f in v]
    if ptype == "unique_id":
        return None if v["number"] is None else float(v["number"])
    if ptype == "rollup":
        rtype = v["type"]
        if rtype == "number":
            return None if v["number"] is None else float(v["number"])
        if rtype == "date":
            return _to_fdate(v["date"])
        if rtype == "array":
            return [_array_item_plain(x) for x in v["array"]]
        return None
    if ptype == "place":
        return (v or {}).get("name") or ""
    return v


def _array_item_plain(item: dict) -> Any:
    t = item.get("type")
    v = item.get(t)
    if t in {"title", "rich_text"}:
        return plain_text(v)
    if t == "number":
        return v
    if t == "date":
        return _to_fdate(v)
    return _stored_plain(v)


def _formula_raw(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> Any:
    key = (str(meta.get("id")), prop["id"])
    if key in ev.stack:
        raise FormulaError("circular formula")
    formula = _parsed(prop["formula"]["expression"])

    def resolve(ref: str, by_id: bool) -> Any:
        found = (ref, schema[ref]) if by_id and ref in schema else find_property(schema, ref)
        if found is None:
            raise FormulaError(f"{ref} is not a property that exists")
        return _formula_input(schema, found[1], values, meta, ev)

    ev.stack.add(key)
    try:
        return formula.evaluate(resolve, ev.ctx.now())
    finally:
        ev.stack.discard(key)


_FORMULA_CACHE: dict[str, Formula] = {}


def _parsed(expression: str) -> Formula:
    formula = _FORMULA_CACHE.get(expression)
    if formula is None:
        formula = parse_formula(expression)
        if len(_FORMULA_CACHE) > 1024:
            _FORMULA_CACHE.clear()
        _FORMULA_CACHE[expression] = formula
    return formula


def _formula_static_type(schema: dict, prop: dict, depth: int = 0) -> str:
    try:
        formula = _parsed(prop["formula"]["expression"])
    except FormulaSyntaxError:
        return "string"

    def prop_type(ref: str, by_id: bool) -> str | None:
        found = (ref, schema[ref]) if by_id and ref in schema else find_property(schema, ref)
        if found is None:
            return None
        if found[1]["type"] == "formula" and depth < 8:
            return _formula_static_type(schema, found[1], depth + 1)
        return found[1]["type"]

    return formula.static_type(prop_type)


def _formula_result(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> dict:
    try:
        raw = _formula_raw(schema, prop, values, meta, ev)
    except (FormulaError, FormulaSyntaxError):
        raw = None
    return formula_value(raw, _formula_static_type(schema, prop))


def formula_value(raw: Any, static_type: str = "string") -> dict:
    """A raw formula result as Notion's ``{"type", <type>: value}``."""
    if isinstance(raw, bool):
        return {"type": "boolean", "boolean": raw}
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            return {"type": "number", "number": None}
        n = int(raw) if float(raw).is_integer() and abs(raw) < 2**53 else raw
        return {"type": "number", "number": n}
    if isinstance(raw, FDate):
        return {"type": "date", "date": {"start": raw.iso(), "end": None, "time_zone": None}}
    if isinstance(raw, list):
        return {"type": "string", "string": ", ".join(_stored_plain(x) if not isinstance(
            x, FDate) else x.iso() for x in raw)}  # fmt: skip
    if isinstance(raw, str):
        return {"type": "string", "string": raw}
    t = static_type if static_type in {"string", "number", "boolean", "date"} else "string"
    return {"type": t, t: False if t == "boolean" else None}


# --- rollups -----------------------------------------------------------------

_ROLLUP_UNSUPPORTED = frozenset(
    {"show_unique", "count_per_group", "percent_per_group", "date_range"}
)


def _rollup_parts(
    schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval
) -> tuple[list[dict], list[dict]]:
    """(relation items, typed values of the rolled-up property per related page)."""
    cfg = prop["rollup"]
    rel = None
    if cfg.get("relation_property_id") in schema:
        rel = schema[cfg["relation_property_id"]]
    elif cfg.get("relation_property_name"):
        found = find_property(schema, cfg["relation_property_name"])
        rel = found[1] if found else None
    if rel is None or rel["type"] != "relation":
        return [], []
    related = _value(schema, rel, values, meta, ev)
    items: list[dict] = []
    for ref in related:
        rid = ref["id"]
        key = (rid, f"rollup:{prop['id']}")
        if key in ev.stack:
            continue
        rschema = ev.ctx.schema_of_page(rid)
        rvalues = ev.ctx.get_page_values(rid)
        if not rschema or rvalues is None:
            continue
        target = None
        if cfg.get("rollup_property_id") in rschema:
            target = rschema[cfg["rollup_property_id"]]
        elif cfg.get("rollup_property_name"):
            found = find_property(rschema, cfg["rollup_property_name"])
            target = found[1] if found else None
        if target is None:
            continue
        rmeta = ev.ctx.get_page_meta(rid) or {"id": rid}
        ev.stack.add(key)
        try:
            v = _value(rschema, target, rvalues, rmeta, ev)
        finally:
            ev.stack.discard(key)
        items.append({"type": target["type"], target["type"]: v})
    return related, items


def _scalar(item: dict) -> Any:
    """Number/date/bool/text projection of a rolled-up value for aggregation."""
    t, v = item["type"], item[item["type"]]
    if t == "formula":
        return _scalar(v)
    if t in {"number", "boolean", "checkbox"}:
        return v
    if t == "unique_id":
        return v.get("number")
    if t in {"date", "created_time", "last_edited_time"}:
        if isinstance(v, str):
            return parse_notion_datetime(v)
        fd = _to_fdate(v)
        return fd.dt if fd else None
    if t == "rollup":
        inner = v.get("type")
        return _scalar({"type": inner, inner: v.get(inner)}) if inner in {"number",
                                                                          "date"} else None
    return _stored_plain(v) or None


def _is_empty_item(item: dict) -> bool:
    t, v = item["type"], item[item["type"]]
    if t == "checkbox":
        return v is False
    if t == "formula":
        return v.get(v.get("type")) in (None, "")
    return v in (None, "", [], {})


def _count_values(items: list[dict]) -> int:
    total = 0
    for item in items:
        v = item[item["type"]]
        if isinstance(v, list):
            total += len(v)
        elif not _is_empty_item(item):
            total += 1
    return total


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


def _rollup_compute(function: str, related: list[dict], items: list[dict]) -> dict:
    out: dict[str, Any]
    scalars = [_scalar(i) for i in items]
    nums = [s for s in scalars if isinstance(s, int | float) and not isinstance(s, bool)]
    dates = [s for s in scalars if isinstance(s, datetime)]
    n = len(items)
    empty = sum(1 for i in items if _is_empty_item(i))

    def number(x: float | None) -> dict:
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        return {"type": "number", "number": x}

    checked = sum(1 for s in scalars if s is True)
    if function == "count":
        out = number(len(related))
    elif function == "count_values":
        out = number(_count_values(items))
    elif function == "empty":
        out = number(empty)
    elif function == "not_empty":
        out = number(n - empty)
    elif function == "unique":
        seen = {json.dumps(i[i["type"]], sort_keys=True, default=str) for i in items
                if not _is_empty_item(i)}  # fmt: skip
        out = number(len(seen))
    elif function in {"percent_empty", "percent_not_empty"}:
        part = empty if function == "percent_empty" else n - empty
        out = number(part / n if n else 0)
    elif function == "sum":
        out = number(float(sum(nums)))
    elif function == "average":
        out = number(sum(nums) / len(nums) if nums else None)
    elif function == "median":
        s = sorted(nums)
        mid = len(s) // 2
        out = number(None if not s else s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2)
    elif function == "min":
        out = number(min(nums) if nums else None)
    elif function == "max":
        out = number(max(nums) if nums else None)
    elif function == "range":
        out = number(max(nums) - min(nums) if nums else None)
    elif function in {"earliest_date", "latest_date"}:
        pick = min if function == "earliest_date" else max
        d = pick(dates) if dates else None
        out = {"type": "date",
               "date": {"start": _iso(d), "end": None, "time_zone": None} if d else None}
    elif function in {"checked", "unchecked"}:
        out = number(checked if function == "checked" else n - checked)
    elif function in {"percent_checked", "percent_unchecked"}:
        part = checked if function == "percent_checked" else n - checked
        out = number(part / n if n else 0)
    elif function == "show_original":
        out = {"type": "array", "array": items}
    else:
        out = {"type": "unsupported", "unsupported": {}}
    out["function"] = function
    return out


def _rollup_result(schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval) -> dict:
    function = prop["rollup"]["function"]
    if function in _ROLLUP_UNSUPPORTED:
        return {"type": "unsupported", "unsupported": {}, "function": function}
    related, items = _rollup_parts(schema, prop, values, meta, ev)
    return _rollup_compute(function, related, items)


# --- property items ----------------------------------------------------------

_PAGINATED = frozenset({"title", "rich_text", "people", "relation", "rollup"})


def _encode_cursor(prop_id: str, offset: int) -> str:
    raw = json.dumps([prop_id, offset], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(prop_id: str, cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        pid, offset = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise SchemaError(f"start_cursor provided is invalid: {cursor}") from None
    if pid != prop_id or not isinstance(offset, int) or offset < 0:
        raise SchemaError(f"start_cursor provided is invalid: {cursor}")
    return offset


def _check_page_size(page_size: Any) -> int:
    if page_size is None:
        return MAX_PAGE_SIZE
    if isinstance(page_size, str) and page_size.isdigit():
        page_size = int(page_size)
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise _invalid("page_size", "a number", page_size)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise SchemaError(
            f"body failed validation: page_size should be ≤ `{MAX_PAGE_SIZE}` and ≥ `1`, "
            f"instead was `{page_size}`."
        )
    return page_size


def property_item(
    schema_prop: dict,
    values: dict[str, Any],
    page_meta: dict,
    *,
    start_cursor: str | None,
    page_size: int | None,
    ctx: Any,
    base_url: str,
    page_id: str,
) -> dict:
    """Body of ``GET /v1/pages/{page_id}/properties/{prop_id}`` (without ``request_id``).

    The page's full schema comes from ``ctx.schema_of_page(page_id)`` (needed by
    formulas and rollups); if that is unknown only ``schema_prop`` is used.
    """
    size = _check_page_size(page_size)
    pid, ptype = schema_prop["id"], schema_prop["type"]
    schema = ctx.schema_of_page(page_id) or {pid: schema_prop}
    if pid not in schema:
        schema = {**schema, pid: schema_prop}
    ev = _Eval(ctx)
    meta = {"id": page_id, **page_meta}
    if ptype not in _PAGINATED:
        if start_cursor is not None:
            _decode_cursor(pid, start_cursor)
        value = _value(schema, schema_prop, values, meta, ev)
        return {"object": "property_item", "id": pid, "type": ptype, ptype: value}

    offset = 0 if start_cursor is None else _decode_cursor(pid, start_cursor)
    rollup_meta: dict[str, Any] | None = None
    if ptype == "rollup":
        elements, rollup_meta = _rollup_elements(schema, schema_prop, values, meta, ev)
    else:
        full = _value(schema, schema_prop, values, meta, ev)
        elements = [{"type": ptype, ptype: el} for el in full]
    page = elements[offset : offset + size]
    end = offset + len(page)
    has_more = end < len(elements)
    next_cursor = _encode_cursor(pid, end) if has_more else None
    next_url = (
        f"{base_url.rstrip('/')}/v1/pages/{page_id}/properties/{quote(pid, safe='%')}"
        f"?start_cursor={next_cursor}&page_size={size}"
        if next_cursor
        else None
    )
    results = [
        {"object": "property_item", "id": pid, "type": el["type"], el["type"]: el[el["type"]]}
        for el in page
    ]
    meta_item: dict[str, Any] = {"id": pid, "next_url": next_url, "type": ptype, ptype: {}}
    if rollup_meta is not None:
        final = rollup_meta
        if rollup_meta["type"] not in {"array", "unsupported"} and has_more:
            # Computed rollups are only final on the last page
            final = {"type": "incomplete", "incomplete": {}, "function": rollup_meta["function"]}
        meta_item["rollup"] = final
    return {"object": "list", "results": results, "next_cursor": next_cursor,
            "has_more": has_more, "type": "property_item", "property_item": meta_item}  # fmt: skip


def _rollup_elements(
    schema: dict, prop: dict, values: dict, meta: dict, ev: _Eval
) -> tuple[list[dict], dict]:
    function = prop["rollup"]["function"]
    related, items = _rollup_parts(schema, prop, values, meta, ev)
    rel_elements = [{"type": "relation", "relation": {"id": r["id"]}} for r in related]
    if function in _ROLLUP_UNSUPPORTED:
        return rel_elements, {"type": "unsupported", "unsupported": {}, "function": function}
    if function == "show_original":
        flat: list[dict] = []
        for item in items:
            t, v = item["type"], item[item["type"]]
            if t in {"title", "rich_text", "people", "relation"}:
                flat.extend({"type": t, t: el} for el in v)
            else:
                flat.append(item)
        return flat, {"type": "array", "array": [], "function": function}
    return rel_elements, _rollup_compute(function, related, items)
