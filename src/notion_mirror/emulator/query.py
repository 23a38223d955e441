"""Data source query semantics of the emulator: validation, filters and sorts.

Pure functions over the schema and page values of :mod:`.values`; the server
does the paging and the trash selection.

Text conditions ``contains``/``starts_with``/``ends_with`` (and their negations)
compare case-insensitively, ``equals`` exactly. Date conditions with a date-only
value (or a relative one such as ``today``) compare calendar dates in UTC; with a
time they compare instants to the millisecond, which against minute-floored
timestamps behaves like real Notion. Empty values sort last in both directions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from notion_mirror.emulator.formula import FDate
from notion_mirror.emulator.values import (
    MAX_PAGE_SIZE,
    SchemaError,
    find_property,
    normalize_id,
    parse_notion_datetime,
    plain_text,
    property_value,
)

__all__ = ["filter_matches", "sort_pages", "validate_query"]

_TEXT = frozenset({"equals", "does_not_equal", "contains", "does_not_contain", "starts_with",
                   "ends_with", "is_empty", "is_not_empty"})  # fmt: skip
_NUMBER = frozenset({"equals", "does_not_equal", "greater_than", "less_than",
                     "greater_than_or_equal_to", "less_than_or_equal_to", "is_empty",
                     "is_not_empty"})  # fmt: skip
_CHECKBOX = frozenset({"equals", "does_not_equal"})
_SELECT = frozenset({"equals", "does_not_equal", "is_empty", "is_not_empty"})
_CONTAINS = frozenset({"contains", "does_not_contain", "is_empty", "is_not_empty"})
_DATE_POINT = frozenset({"equals", "before", "after", "on_or_before", "on_or_after"})
_DATE_RANGE = frozenset({"this_week", "past_week", "past_month", "past_year", "next_week",
                         "next_month", "next_year"})  # fmt: skip
_DATE = _DATE_POINT | _DATE_RANGE | {"is_empty", "is_not_empty"}
_FILES = frozenset({"is_empty", "is_not_empty"})
_RELATIVE = frozenset({"today", "tomorrow", "yesterday", "one_week_ago", "one_week_from_now",
                       "one_month_ago", "one_month_from_now"})  # fmt: skip

# filter key -> (condition family name, allowed conditions)
_FAMILIES: dict[str, tuple[str, frozenset[str]]] = {
    "title": ("text", _TEXT), "rich_text": ("text", _TEXT), "url": ("text", _TEXT),
    "email": ("text", _TEXT), "phone_number": ("text", _TEXT), "string": ("text", _TEXT),
    "number": ("number", _NUMBER), "unique_id": ("number", _NUMBER),
    "checkbox": ("checkbox", _CHECKBOX),
    "select": ("select", _SELECT), "status": ("select", _SELECT),
    "multi_select": ("multi", _CONTAINS),
    "date": ("date", _DATE), "created_time": ("date", _DATE), "last_edited_time": ("date", _DATE),
    "people": ("ids", _CONTAINS), "created_by": ("ids", _CONTAINS),
    "last_edited_by": ("ids", _CONTAINS), "relation": ("ids", _CONTAINS),
    "files": ("files", _FILES),
}  # fmt: skip

# property type -> filter keys it accepts
_ACCEPTS: dict[str, frozenset[str]] = {
    "title": frozenset({"title", "rich_text"}), "rich_text": frozenset({"rich_text", "title"}),
    "url": frozenset({"url", "rich_text"}), "email": frozenset({"email", "rich_text"}),
    "phone_number": frozenset({"phone_number", "rich_text"}),
    "number": frozenset({"number"}), "checkbox": frozenset({"checkbox"}),
    "select": frozenset({"select"}), "status": frozenset({"status"}),
    "multi_select": frozenset({"multi_select"}), "date": frozenset({"date"}),
    "people": frozenset({"people"}), "relation": frozenset({"relation"}),
    "files": frozenset({"files"}), "unique_id": frozenset({"unique_id"}),
    "created_time": frozenset({"created_time", "date"}),
    "last_edited_time": frozenset({"last_edited_time", "date"}),
    "created_by": frozenset({"created_by", "people"}),
    "last_edited_by": frozenset({"last_edited_by", "people"}),
    "formula": frozenset({"formula"}), "rollup": frozenset({"rollup"}),
    "verification": frozenset({"verification"}),
}  # fmt: skip
_FORMULA_KEYS = {"string": "string", "number": "number", "checkbox": "checkbox", "date": "date"}
_ROLLUP_ITEM_KEYS = frozenset({"rich_text", "number", "checkbox", "select", "multi_select",
                               "relation", "date", "people", "files", "status"})  # fmt: skip
_QUERY_KEYS = frozenset({"filter", "sorts", "start_cursor", "page_size", "result_type",
                         "in_trash", "is_archived", "filter_properties"})  # fmt: skip
MAX_NESTING = 2


def _bad(path: str, expectation: str, got: Any) -> SchemaError:
    return SchemaError(
        f"body failed validation: {path} should be {expectation}, instead was {got!r}."
    )


# --- validation --------------------------------------------------------------


def validate_query(body: dict, schema: dict[str, dict]) -> None:
    """Raise SchemaError for anything Notion would reject in a query body."""
    if not isinstance(body, dict):
        raise _bad("body", "an object", body)
    for key in body:
        if key not in _QUERY_KEYS:
            raise SchemaError(f"body failed validation: body.{key} should be not present.")
    size = body.get("page_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        raise _bad("body.page_size", "a number", size)
    if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
        raise SchemaError(
            f"body failed validation: body.page_size should be ≤ `{MAX_PAGE_SIZE}` and ≥ `1`, "
            f"instead was `{size}`."
        )
    cursor = body.get("start_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise _bad("body.start_cursor", "a string", cursor)
    if body.get("result_type") not in (None, "page", "data_source"):
        raise _bad("body.result_type", '"page" or "data_source"', body["result_type"])
    for flag in ("in_trash", "is_archived"):
        if flag in body and not isinstance(body[flag], bool):
            raise _bad(f"body.{flag}", "a boolean", body[flag])
    if body.get("filter") is not None:
        _validate_filter(body["filter"], schema, "body.filter", 0)
    _validate_sorts(body.get("sorts"), schema)


def _validate_sorts(sorts: Any, schema: dict[str, dict]) -> None:
    if sorts is None:
        return
    if not isinstance(sorts, list):
        raise _bad("body.sorts", "an array", sorts)
    for i, sort in enumerate(sorts):
        path = f"body.sorts[{i}]"
        if not isinstance(sort, dict):
            raise _bad(path, "an object", sort)
        if sort.get("direction") not in {"ascending", "descending"}:
            raise _bad(f"{path}.direction", '"ascending" or "descending"', sort.get("direction"))
        extra = set(sort) - {"direction", "property", "timestamp"}
        if extra or ("property" in sort) == ("timestamp" in sort):
            raise _bad(path, "a property sort or a timestamp sort", sort)
        if "timestamp" in sort:
            if sort["timestamp"] not in {"created_time", "last_edited_time"}:
                raise _bad(f"{path}.timestamp", '"created_time" or "last_edited_time"',
                           sort["timestamp"])  # fmt: skip
        elif find_property(schema, sort["property"]) is None:
            raise SchemaError(f"Could not find sort property with name or id: {sort['property']}")


def _validate_filter(f: Any, schema: dict[str, dict], path: str, depth: int) -> None:
    if not isinstance(f, dict):
        raise _bad(path, "an object", f)
    compound = [k for k in ("and", "or") if k in f]
    if compound:
        if len(f) != 1:
            raise _bad(path, "a single and/or compound filter", f)
        key = compound[0]
        if depth >= MAX_NESTING:
            raise SchemaError(
                f"body failed validation: {path} nests compound filters more than "
                f"{MAX_NESTING} levels deep."
            )
        if not isinstance(f[key], list):
            raise _bad(f"{path}.{key}", "an array", f[key])
        if len(f[key]) > 100:
            raise SchemaError(f"body failed validation: {path}.{key}.length should be ≤ `100`.")
        for i, sub in enumerate(f[key]):
            _validate_filter(sub, schema, f"{path}.{key}[{i}]", depth + 1)
        return
    if "timestamp" in f:
        ts = f["timestamp"]
        if ts not in {"created_time", "last_edited_time"}:
            raise _bad(f"{path}.timestamp", '"created_time" or "last_edited_time"', ts)
        if set(f) - {"timestamp", "type", ts}:
            raise _bad(path, "a timestamp filter", f)
        if ts not in f:
            raise _bad(f"{path}.{ts}", "defined", None)
        _validate_condition("date", _DATE, f[ts], f"{path}.{ts}")
        return
    if "property" not in f:
        raise _bad(path, "a property, timestamp or compound filter", f)
    found = find_property(schema, f["property"])
    if found is None:
        raise SchemaError(f"Could not find property with name or id: {f['property']}")
    prop = found[1]
    keys = [k for k in f if k not in {"property", "type"}]
    if len(keys) != 1:
        raise _bad(path, "a property filter with exactly one condition type", f)
    key = keys[0]
    if f.get("type") not in (None, key):
        raise _bad(f"{path}.type", repr(key), f.get("type"))
    if key not in _ACCEPTS.get(prop["type"], frozenset()):
        raise SchemaError(f"database property {prop['type']} does not match filter {key}")
    _validate_property_condition(key, f[key], f"{path}.{key}")


def _validate_property_condition(key: str, cond: Any, path: str) -> None:
    if key == "formula":
        if not isinstance(cond, dict) or len(cond) != 1 or next(iter(cond)) not in _FORMULA_KEYS:
            raise _bad(path, "one of string, number, checkbox or date conditions", cond)
        sub = next(iter(cond))
        family, allowed = _FAMILIES[sub]
        _validate_condition(family, allowed, cond[sub], f"{path}.{sub}")
        return
    if key == "rollup":
        if not isinstance(cond, dict) or len(cond) != 1:
            raise _bad(path, "an any, every, none, number or date rollup condition", cond)
        (sub, body), = cond.items()
        if sub in {"any", "every", "none"}:
            if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in (
                _ROLLUP_ITEM_KEYS
            ):
                raise _bad(f"{path}.{sub}", "one property condition", body)
            (inner, inner_cond), = body.items()
            family, allowed = _FAMILIES[inner]
            _validate_condition(family, allowed, inner_cond, f"{path}.{sub}.{inner}")
        elif sub in {"number", "date"}:
            family, allowed = _FAMILIES[sub]
            _validate_condition(family, allowed, body, f"{path}.{sub}")
        else:
            raise _bad(path, "an any, every, none, number or date rollup condition", cond)
        return
    if key == "verification":
        if not isinstance(cond, dict) or cond.get("status") not in {"verified", "expired", "none"}:
            raise _bad(path, "a verification status condition", cond)
        return
    family, allowed = _FAMILIES[key]
    _validate_condition(family, allowed, cond, path)


def _validate_condition(family: str, allowed: frozenset[str], cond: Any, path: str) -> None:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise _bad(path, "an object with exactly one condition", cond)
    (op, arg), = cond.items()
    if op not in allowed:
        raise _bad(f"{path}", f"one of {sorted(allowed)}", op)
    cpath = f"{path}.{op}"
    if op in {"is_empty", "is_not_empty"}:
        if arg is not True:
            raise _bad(cpath, "true", arg)
        return
    if family == "text" and not isinstance(arg, str):
        raise _bad(cpath, "a string", arg)
    if family == "number" and (isinstance(arg, bool) or not isinstance(arg, int | float)):
        raise _bad(cpath, "a number", arg)
    if family == "checkbox" and not isinstance(arg, bool):
        raise _bad(cpath, "a boolean", arg)
    if family in {"select", "multi"} and not (
        isinstance(arg, str) or (isinstance(arg, list) and all(isinstance(x, str) for x in arg))
    ):
        raise _bad(cpath, "a string or an array of strings", arg)
    if family == "ids" and not isinstance(arg, str):
        raise _bad(cpath, "a string", arg)
    if family == "date":
        if op in _DATE_RANGE:
            if arg != {}:
                raise _bad(cpath, "an empty object", arg)
        elif not isinstance(arg, str) or (arg not in _RELATIVE and _parse_filter_date(arg) is None):
            raise _bad(cpath, "an ISO 8601 date or a relative date", arg)


# --- matching ----------------------------------------------------------------


def _parse_filter_date(s: str) -> tuple[datetime, bool] | None:
    try:
        dt = parse_notion_datetime(s)
    except (ValueError, KeyError):
        return None
    return dt, len(s) > 10


def _add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


def _relative(word: str, today: date) -> date:
    return {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "yesterday": today - timedelta(days=1),
        "one_week_ago": today - timedelta(days=7),
        "one_week_from_now": today + timedelta(days=7),
        "one_month_ago": _add_months(today, -1),
        "one_month_from_now": _add_months(today, 1),
    }[word]


def _match_date(op: str, arg: Any, value: tuple[datetime, bool] | None, ctx: Any) -> bool:
    if op == "is_empty":
        return value is None
    if op == "is_not_empty":
        return value is not None
    if value is None:
        return False
    dt, has_time = value
    now = ctx.now()
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    today = now.astimezone(UTC).date()
    vdate = dt.astimezone(UTC).date() if has_time else dt.date()
    if op in _DATE_RANGE:
        if op == "this_week":
            start = today - timedelta(days=today.weekday())
            return start <= vdate <= start + timedelta(days=6)
        span = {"week": lambda d, s: d + timedelta(days=7 * s),
                "month": lambda d, s: _add_months(d, s),
                "year": lambda d, s: _add_months(d, 12 * s)}[op.split("_")[1]]  # fmt: skip
        if op.startswith("past_"):
            if has_time:
                lo = datetime.combine(span(today, -1), now.timetz())
                return lo <= dt <= now
            return span(today, -1) <= vdate <= today
        if has_time:
            hi = datetime.combine(span(today, 1), now.timetz())
            return now <= dt <= hi
        return today <= vdate <= span(today, 1)
    if arg in _RELATIVE:
        target: date | datetime = _relative(arg, today)
        by_date = True
    else:
        parsed = _parse_filter_date(arg)
        if parsed is None:
            return False
        target, by_date = (parsed[0], False) if parsed[1] else (parsed[0].date(), True)
    left: date | datetime = vdate if by_date else dt
    cmp = {
        "equals": lambda a, b: a == b, "before": lambda a, b: a < b,
        "after": lambda a, b: a > b, "on_or_before": lambda a, b: a <= b,
        "on_or_after": lambda a, b: a >= b,
    }[op]  # fmt: skip
    return bool(cmp(left, target))


def _match(family: str, cond: dict, operand: Any, ctx: Any) -> bool:
    (op, arg), = cond.items()
    if family == "date":
        return _match_date(op, arg, operand, ctx)
    if family == "text":
        text = operand or ""
        if op == "is_empty":
            return text == ""
        if op == "is_not_empty":
            return text != ""
        if op == "equals":
            return text == arg
        if op == "does_not_equal":
            return text != arg
        folded, needle = text.casefold(), arg.casefold()
        if op == "contains":
            return needle in folded
        if op == "does_not_contain":
            return needle not in folded
        if op == "starts_with":
            return folded.startswith(needle)
        return folded.endswith(needle)
    if family == "number":
        if op == "is_empty":
            return operand is None
        if op == "is_not_empty":
            return operand is not None
        if op == "does_not_equal":
            return operand is None or operand != arg
        if operand is None:
            return False
        return {
            "equals": operand == arg, "greater_than": operand > arg,
            "less_than": operand < arg, "greater_than_or_equal_to": operand >= arg,
            "less_than_or_equal_to": operand <= arg,
        }[op]  # fmt: skip
    if family == "checkbox":
        return (bool(operand) == arg) == (op == "equals")
    if family == "select":
        if op == "is_empty":
            return operand is None
        if op == "is_not_empty":
            return operand is not None
        wanted = [arg] if isinstance(arg, str) else list(arg)
        hit = operand is not None and operand in wanted
        return hit if op == "equals" else not hit
    if family in {"multi", "ids", "files"}:
        items = list(operand or [])
        if op == "is_empty":
            return not items
        if op == "is_not_empty":
            return bool(items)
        wanted = [arg] if isinstance(arg, str) else list(arg)
        if family == "ids":
            wanted = [ctx_me(ctx) if w == "me" else normalize_id(w) for w in wanted]
        hit = any(w in items for w in wanted)
        return hit if op == "contains" else not hit
    raise SchemaError(f"Unsupported filter family {family}.")  # pragma: no cover


def ctx_me(ctx: Any) -> str | None:
    """The requesting user for ``"me"`` (``ctx.me_id``; absent on foreign contexts)."""
    return getattr(ctx, "me_id", None)


def _date_operand(value: Any) -> tuple[datetime, bool] | None:
    """A date property value / ISO string / FDate as (aware datetime, has_time)."""
    if value is None:
        return None
    if isinstance(value, FDate):
        return value.dt, value.has_time
    if isinstance(value, str):
        return parse_notion_datetime(value), len(value) > 10
    if isinstance(value, dict) and isinstance(value.get("start"), str):
        s = value["start"]
        return parse_notion_datetime(s, value.get("time_zone")), len(s) > 10
    return None


def _operand(family: str, ptype: str, value: Any) -> Any:
    """Project a property's read value onto what a condition family compares."""
    if family == "text":
        if ptype in {"title", "rich_text"}:
            return plain_text(value)
        return value if isinstance(value, str) else ("" if value is None else str(value))
    if family == "number":
        if ptype == "unique_id":
            return value.get("number")
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if family == "checkbox":
        return bool(value)
    if family == "select":
        return value.get("name") if isinstance(value, dict) else value
    if family == "multi":
        return [o["name"] if isinstance(o, dict) else o for o in value or []]
    if family == "date":
        return _date_operand(value)
    if family == "ids":
        if isinstance(value, dict):
            return [value.get("id")]
        return [v["id"] if isinstance(v, dict) else v for v in value or []]
    if family == "files":
        return value or []
    return value  # pragma: no cover


def filter_matches(
    filter: dict | None,
    schema: dict[str, dict],
    values: dict[str, Any],
    page_meta: dict,
    *,
    ctx: Any,
) -> bool:
    """Whether one page passes a (validated) query filter; ``None`` matches everything."""
    if filter is None:
        return True
    return _Matcher(schema, values, page_meta, ctx).matches(filter)


class _Matcher:
    def __init__(self, schema: dict, values: dict, meta: dict, ctx: Any) -> None:
        self.schema, self.values, self.meta, self.ctx = schema, values, meta, ctx
        self._cache: dict[str, Any] = {}

    def value(self, pid: str) -> Any:
        if pid not in self._cache:
            self._cache[pid] = property_value(self.schema, pid, self.values, self.meta,
                                              ctx=self.ctx)  # fmt: skip
        return self._cache[pid]

    def matches(self, f: dict) -> bool:
        if "and" in f:
            return all(self.matches(sub) for sub in f["and"])
        if "or" in f:
            subs = f["or"]
            return not subs or any(self.matches(sub) for sub in subs)
        if "timestamp" in f:
            ts = f["timestamp"]
            return _match("date", f[ts], _date_operand(self.meta.get(ts)), self.ctx)
        found = find_property(self.schema, f["property"])
        if found is None:
            raise SchemaError(f"Could not find property with name or id: {f['property']}")
        pid, prop = found
        key = next(k for k in f if k not in {"property", "type"})
        cond = f[key]
        value = self.value(pid)
        if key == "formula":
            return self._formula(cond, value)
        if key == "rollup":
            return self._rollup(cond, value)
        if key == "verification":
            state = (value or {}).get("state", "unverified")
            want = cond["status"]
            return state == ("unverified" if want == "none" else want)
        family, _ = _FAMILIES[key]
        return _match(family, cond, _operand(family, prop["type"], value), self.ctx)

    def _formula(self, cond: dict, value: dict) -> bool:
        (sub, inner), = cond.items()
        family, _ = _FAMILIES[sub]
        rtype, raw = value.get("type"), value.get(value.get("type"))
        if sub == "string":
            operand = raw if rtype == "string" else ("" if raw is None else _plain(raw))
        elif sub == "number":
            operand = raw if rtype == "number" else None
        elif sub == "checkbox":
            operand = bool(raw) if rtype == "boolean" else False
        else:
            operand = _date_operand(raw) if rtype == "date" else None
        return _match(family, inner, operand, self.ctx)

    def _rollup(self, cond: dict, value: dict) -> bool:
        (sub, body), = cond.items()
        rtype = value.get("type")
        if sub in {"number", "date"}:
            raw = value.get(rtype)
            if rtype == "array":
                # a top-level number/date condition on an array applies to any element
                return any(
                    _match(sub, body, _operand(sub, it["type"], it[it["type"]]), self.ctx)
                    for it in raw
                    if it["type"] in {sub, "formula"} or sub == "date"
                )
            operand = raw if sub == "number" and rtype == "number" else None
            if sub == "date":
                operand = _date_operand(raw) if rtype == "date" else None
            return _match(sub, body, operand, self.ctx)
        (inner, inner_cond), = body.items()
        family, _ = _FAMILIES[inner]
        items = value.get("array", []) if rtype == "array" else []
        results = [
            _match(family, inner_cond, _operand(family, it["type"], it[it["type"]]), self.ctx)
            for it in items
        ]
        if sub == "any":
            return any(results)
        if sub == "none":
            return not any(results)
        return all(results)


def _plain(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


# --- sorting -----------------------------------------------------------------


def _option_rank(prop: dict) -> Callable[[Any], Any]:
    order = {o["id"]: i for i, o in enumerate(prop[prop["type"]]["options"])}
    return lambda opt: order.get(opt.get("id"), math.inf) if isinstance(opt, dict) else math.inf


def _sort_value(prop: dict, value: Any, ctx: Any) -> Any:
    """A comparable key for one property value, ``None`` for empty (sorted last)."""
    ptype = prop["type"]
    if ptype in {"title", "rich_text"}:
        text = plain_text(value)
        return (text.casefold(), text) if text else None
    if ptype in {"url", "email", "phone_number"}:
        return (value.casefold(), value) if value else None
    if ptype == "number":
        return value
    if ptype == "checkbox":
        return bool(value)
    if ptype in {"select", "status"}:
        return None if value is None else _option_rank(prop)(value)
    if ptype == "multi_select":
        rank = _option_rank(prop)
        return tuple(rank(o) for o in value) or None
    if ptype in {"date", "created_time", "last_edited_time"}:
        operand = _date_operand(value)
        return operand[0] if operand else None
    if ptype in {"people", "created_by", "last_edited_by"}:
        users = value if isinstance(value, list) else [value] if value else []
        names = tuple(
            ((ctx.users.get(u["id"]) or {}).get("name") or u["id"]).casefold() for u in users
        )
        return names or None
    if ptype == "relation":
        return len(value) or None
    if ptype == "files":
        return tuple(f.get("name") or "" for f in value) or None
    if ptype == "unique_id":
        return value.get("number")
    if ptype in {"formula", "rollup"}:
        rtype = value.get("type")
        raw = value.get(rtype)
        if raw is None or rtype in {"array", "unsupported", "incomplete"}:
            return None
        if rtype == "date":
            operand = _date_operand(raw)
            return (3, operand[0]) if operand else None
        rank = {"boolean": 0, "number": 1, "string": 2}.get(rtype, 4)
        if rtype == "string":
            return (rank, raw.casefold(), raw) if raw else None
        return (rank, raw)
    return None


def _compare(a: Any, b: Any, descending: bool) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return 1
    if b is None:
        return -1
    try:
        if a < b:
            return 1 if descending else -1
        if a > b:
            return -1 if descending else 1
    except TypeError:
        # mixed value kinds (e.g. after a type change); order by kind name for determinism
        ka, kb = type(a).__name__, type(b).__name__
        return (ka > kb) - (ka < kb)
    return 0


def sort_pages(
    items: list[tuple[dict, dict]],
    sorts: list | None,
    schema: dict[str, dict],
    *,
    ctx: Any,
) -> list[tuple[dict, dict]]:
    """Order (page_meta, values) pairs; ties keep the input order.

    Without sorts: ``created_time`` descending, then page id ascending.
    """
    if not sorts:
        def default_key(item: tuple[dict, dict]) -> tuple[float, str]:
            created = item[0].get("created_time")
            ts = parse_notion_datetime(created).timestamp() if created else -math.inf
            return (-ts, str(item[0].get("id", "")))

        return sorted(items, key=default_key)

    keyed: list[tuple[list[Any], tuple[dict, dict]]] = []
    for meta, values in items:
        keys: list[Any] = []
        for sort in sorts:
            if "timestamp" in sort:
                operand = _date_operand(meta.get(sort["timestamp"]))
                keys.append(operand[0] if operand else None)
                continue
            found = find_property(schema, sort["property"])
            if found is None:
                raise SchemaError(
                    f"Could not find sort property with name or id: {sort['property']}"
                )
            value = property_value(schema, found[0], values, meta, ctx=ctx)
            keys.append(_sort_value(found[1], value, ctx))
        keyed.append((keys, (meta, values)))

    directions = [s.get("direction") == "descending" for s in sorts]

    def cmp(x: tuple[list[Any], Any], y: tuple[list[Any], Any]) -> int:
        for a, b, desc in zip(x[0], y[0], directions, strict=True):
            c = _compare(a, b, desc)
            if c:
                return c
        return 0

    return [item for _keys, item in sorted(keyed, key=functools.cmp_to_key(cmp))]
