"""Formula parsing and evaluation, directly and through page views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notion_mirror.emulator.formula import FDate, FormulaSyntaxError, parse_formula
from notion_mirror.emulator.values import property_view

from ._world import NOW, World, text

PROPS = {"A": 3.0, "B": "x", "C": True, "Empty": None, "D": FDate(NOW, True), "L": ["a", "b"]}


def ev(expr: str) -> Any:
    return parse_formula(expr).evaluate(lambda name, _by_id: PROPS[name], NOW)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("7 % 3", 1),
        ("2 ^ 3 ^ 2", 512),
        ("-2 ^ 2", -4),
        ('prop("A") * 2', 6),
        ('"a" + "b"', "ab"),
        ('"n=" + prop("A")', "n=3"),
        ('prop("A") > 2', True),
        ('prop("A") == 3 and prop("B") != "y"', True),
        ("not true", False),
        ("!false", True),
        ("not(false)", True),
        ("and(true, false)", False),
        ("or(false, true)", True),
        ("true && false || true", True),
        ('if(prop("C"), "yes", "no")', "yes"),
        ('prop("A") < 1 ? "lt" : "ge"', "ge"),
        ('concat("a", "b", format(1))', "ab1"),
        ('length("hello")', 5),
        ('length(prop("L"))', 2),
        ('empty(prop("Empty"))', True),
        ('empty("")', True),
        ("empty(0)", False),
        ('format(true)', "true"),
        ('toNumber("42")', 42),
        ('prop("Empty") * 2', None),
        ('contains("hello", "ell")', True),
        ('upper("a") + lower("B")', "Ab"),
        ('replaceAll("a-b-c", "-", "+")', "a+b+c"),
        ("round(2.345, 2)", 2.35),
        ("max(1, 5, 3) + min(4, 2)", 7),
        ('dateBetween(dateAdd(prop("D"), 3, "days"), prop("D"), "days")', 3),
        ('year(prop("D"))', 2026),
        ('formatDate(prop("D"), "YYYY-MM-DD")', "2026-08-14"),
        ('join(prop("L"), "|")', "a|b"),
        ('ifs(false, 1, true, 2, 3)', 2),
        ("{{notion:block_property:A:x}} + 1", 4),
    ],
)
def test_evaluate(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_dates() -> None:
    assert ev('dateAdd(prop("D"), 1, "months")') == FDate(datetime(2026, 9, 14, 12, 30,
                                                                   tzinfo=UTC), True)
    assert ev("today()").has_time is False
    assert ev("now()").dt == NOW


@pytest.mark.parametrize("expr", ["", "1 +", "(1", 'prop("A"', "foo(1)", "1 2", '"open',
                                  "prop(1)", "if(1, 2)", "@"])
def test_syntax_errors(expr: str) -> None:
    with pytest.raises(FormulaSyntaxError):
        parse_formula(expr)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 1000))
def test_arithmetic_matches_python(a: int, b: int, c: int) -> None:
    assert parse_formula(f"({a}) + ({b}) * ({c})").evaluate(lambda *_: None, NOW) == a + b * c
    assert parse_formula(f"({a}) / ({c})").evaluate(lambda *_: None, NOW) == pytest.approx(a / c)


DS = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('prop("N") * 2', {"type": "number", "number": 8}),
        ('prop("N") / 3', {"type": "number", "number": pytest.approx(4 / 3)}),
        ('prop("Name") + "!"', {"type": "string", "string": "Row!"}),
        ('prop("Done")', {"type": "boolean", "boolean": True}),
        ('prop("N") > 10', {"type": "boolean", "boolean": False}),
        ('dateAdd(prop("Due"), 1, "days")',
         {"type": "date", "date": {"start": "2026-09-16", "end": None, "time_zone": None}}),
        ('prop("Created")',
         {"type": "date", "date": {"start": "2026-08-01T10:00:00.000+00:00", "end": None,
                                   "time_zone": None}}),
        ('prop("Empty") * 2', {"type": "number", "number": None}),
        ('1 / 0', {"type": "number", "number": None}),
        ('prop("Sel")', {"type": "string", "string": "High"}),
        ('prop("Twice") + 1', {"type": "number", "number": 9}),
        ('prop("ID")', {"type": "number", "number": 1}),
    ],
)
def test_formula_in_page_view(expression: str, expected: dict) -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}, "N": {"number": {}}, "Empty": {"number": {}},
                      "Done": {"checkbox": {}}, "Due": {"date": {}},
                      "Created": {"created_time": {}}, "Sel": {"select": {}},
                      "ID": {"unique_id": {}},
                      "Twice": {"formula": {"expression": 'prop("N") * 2'}},
                      "F": {"formula": {"expression": expression}}})
    pid = w.add_page(DS, {"Name": {"title": text("Row")}, "N": {"number": 4},
                          "Done": {"checkbox": True}, "Due": {"date": {"start": "2026-09-15"}},
                          "Sel": {"select": {"name": "High"}}})
    schema, values, meta = w.record(pid)
    assert property_view(schema, values, meta, ctx=w.ctx())["F"]["formula"] == expected


def test_self_referencing_formula_is_empty_not_a_crash() -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}, "N": {"number": {}}})
    from notion_mirror.emulator.values import update_schema

    w.schemas[DS] = update_schema(w.schemas[DS], {"F": {"formula": {"expression": "1"}}},
                                  new_id=lambda: "f")
    w.schemas[DS] = update_schema(w.schemas[DS], {"F": {"formula": {
        "expression": 'prop("F") + 1'}}}, new_id=lambda: "g")
    pid = w.add_page(DS)
    schema, values, meta = w.record(pid)
    assert property_view(schema, values, meta, ctx=w.ctx())["F"]["formula"] == {
        "type": "number", "number": None}
