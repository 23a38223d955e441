"""Rollups computed over related pages."""

from __future__ import annotations

from typing import Any

import pytest

from notion_mirror.emulator.values import property_view

from ._world import World, text

DS = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "bbbbbbbb-0000-4000-8000-000000000002"

RELATED = [
    {"Title": {"title": text("a")}, "Est": {"number": 1}, "Due": {"date": {"start": "2026-01-05"}},
     "Ok": {"checkbox": True}},
    {"Title": {"title": text("b")}, "Est": {"number": 4}, "Due": {"date": {"start": "2026-03-01"}},
     "Ok": {"checkbox": False}},
    {"Title": {"title": text("c")}, "Est": {"number": 4}, "Ok": {"checkbox": True}},
    {"Est": {"number": None}},
]


def rollup(prop: str, function: str, related: list[dict] | None = None) -> dict:
    w = World()
    w.add_source(OTHER, {"Title": {"title": {}}, "Est": {"number": {}}, "Due": {"date": {}},
                         "Ok": {"checkbox": {}},
                         "Dbl": {"formula": {"expression": 'prop("Est") * 2'}}})
    w.add_source(DS, {"Name": {"title": {}},
                      "Rel": {"relation": {"data_source_id": OTHER, "single_property": {}}},
                      "R": {"rollup": {"relation_property_name": "Rel",
                                       "rollup_property_name": prop, "function": function}}})
    targets = [w.add_page(OTHER, p) for p in (RELATED if related is None else related)]
    pid = w.add_page(DS, {"Rel": {"relation": [{"id": t} for t in targets]}})
    schema, values, meta = w.record(pid)
    return property_view(schema, values, meta, ctx=w.ctx())["R"]["rollup"]


def num(n: Any, function: str) -> dict:
    return {"type": "number", "number": n, "function": function}


@pytest.mark.parametrize(
    ("prop", "function", "expected"),
    [
        ("Est", "count", 4),
        ("Est", "count_values", 3),
        ("Title", "count_values", 3),
        ("Est", "empty", 1),
        ("Est", "not_empty", 3),
        ("Est", "unique", 2),
        ("Est", "sum", 9),
        ("Est", "average", 3),
        ("Est", "median", 4),
        ("Est", "min", 1),
        ("Est", "max", 4),
        ("Est", "range", 3),
        ("Est", "percent_empty", 0.25),
        ("Est", "percent_not_empty", 0.75),
        ("Ok", "checked", 2),
        ("Ok", "unchecked", 2),
        ("Ok", "percent_checked", 0.5),
        ("Dbl", "sum", 18),
    ],
)
def test_number_rollups(prop: str, function: str, expected: float) -> None:
    assert rollup(prop, function) == num(expected, function)


def test_sum_of_nothing_is_zero_and_average_is_empty() -> None:
    assert rollup("Est", "sum", []) == num(0, "sum")
    assert rollup("Est", "average", []) == num(None, "average")


def test_date_rollups() -> None:
    assert rollup("Due", "earliest_date") == {
        "type": "date", "function": "earliest_date",
        "date": {"start": "2026-01-05T00:00:00.000+00:00", "end": None, "time_zone": None}}
    assert rollup("Due", "latest_date")["date"]["start"].startswith("2026-03-01")
    assert rollup("Due", "latest_date", [])["date"] is None


def test_show_original() -> None:
    out = rollup("Est", "show_original")
    assert out["type"] == "array" and out["function"] == "show_original"
    assert out["array"] == [{"type": "number", "number": n} for n in (1, 4, 4, None)]


@pytest.mark.parametrize("function", ["show_unique", "count_per_group", "percent_per_group"])
def test_unsupported(function: str) -> None:
    assert rollup("Est", function) == {"type": "unsupported", "unsupported": {},
                                       "function": function}
