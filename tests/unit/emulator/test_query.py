"""Query validation, filters and sorts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.emulator.query import filter_matches, sort_pages, validate_query
from notion_mirror.emulator.values import SchemaError

from ._world import ALICE, BOB, BOT, World, text

DS = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "bbbbbbbb-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def world() -> World:
    w = World()
    w.add_source(OTHER, {"Title": {"title": {}}, "Est": {"number": {}}})
    w.add_source(DS, {
        "Name": {"title": {}}, "Notes": {"rich_text": {}}, "N": {"number": {}},
        "Prio": {"select": {"options": [{"name": "High"}, {"name": "Low"}]}},
        "Tags": {"multi_select": {}}, "Status": {"status": {}}, "Due": {"date": {}},
        "Owner": {"people": {}}, "Files": {"files": {}}, "Done": {"checkbox": {}},
        "Link": {"url": {}}, "Mail": {"email": {}}, "Phone": {"phone_number": {}},
        "Rel": {"relation": {"data_source_id": OTHER, "single_property": {}}},
        "Creator": {"created_by": {}}, "Created": {"created_time": {}}, "ID": {"unique_id": {}},
        "F": {"formula": {"expression": 'prop("N") * 2'}},
        "FS": {"formula": {"expression": 'prop("Name") + "!"'}},
        "FB": {"formula": {"expression": 'prop("N") > 2'}},
        "FD": {"formula": {"expression": 'prop("Due")'}},
        "Sum": {"rollup": {"relation_property_name": "Rel", "rollup_property_name": "Est",
                           "function": "sum"}},
        "Ests": {"rollup": {"relation_property_name": "Rel", "rollup_property_name": "Est",
                            "function": "show_original"}},
    })
    o1 = w.add_page(OTHER, {"Title": {"title": text("o1")}, "Est": {"number": 5}})
    o2 = w.add_page(OTHER, {"Title": {"title": text("o2")}, "Est": {"number": 1}})
    w.o1, w.o2 = o1, o2  # type: ignore[attr-defined]
    w.a = w.add_page(DS, {  # type: ignore[attr-defined]
        "Name": {"title": text("Alpha launch")}, "Notes": {"rich_text": text("first")},
        "N": {"number": 3}, "Prio": {"select": {"name": "High"}},
        "Tags": {"multi_select": [{"name": "infra"}, {"name": "q3"}]},
        "Status": {"status": {"name": "Done"}}, "Due": {"date": {"start": "2026-08-14"}},
        "Owner": {"people": [{"id": ALICE}]}, "Done": {"checkbox": True},
        "Link": {"url": "https://example.com/a"}, "Mail": {"email": "a@x.io"},
        "Files": {"files": [{"name": "f", "external": {"url": "https://f"}}]},
        "Rel": {"relation": [{"id": o1}, {"id": o2}]},
    }, created="2026-08-01T10:00:00.000Z")
    w.b = w.add_page(DS, {  # type: ignore[attr-defined]
        "Name": {"title": text("beta")}, "N": {"number": 10}, "Prio": {"select": {"name": "Low"}},
        "Tags": {"multi_select": [{"name": "ux"}]},
        "Due": {"date": {"start": "2026-08-20T09:00:00Z"}},
        "Owner": {"people": [{"id": BOB}, {"id": BOT}]}, "Rel": {"relation": [{"id": o2}]},
    }, created="2026-08-10T08:00:00.000Z")
    w.c = w.add_page(DS, {"Name": {"title": []}},  # type: ignore[attr-defined]
                     created="2026-08-10T08:00:00.000Z")
    w.pages[w.b]["meta"]["last_edited_time"] = "2026-08-14T12:05:00.000Z"  # type: ignore[attr-defined]
    return w


def hits(world: World, flt: dict | None) -> set[str]:
    validate_query({"filter": flt} if flt is not None else {}, world.schemas[DS])
    out = set()
    for name in ("a", "b", "c"):
        schema, values, meta = world.record(getattr(world, name))
        if filter_matches(flt, schema, values, meta, ctx=world.ctx()):
            out.add(name)
    return out


def prop(name: str, key: str, cond: dict) -> dict:
    return {"property": name, key: cond}


CASES: list[tuple[dict, set[str]]] = [
    # text family
    (prop("Name", "title", {"equals": "beta"}), {"b"}),
    (prop("Name", "title", {"equals": "Beta"}), set()),
    (prop("Name", "title", {"does_not_equal": "beta"}), {"a", "c"}),
    (prop("Name", "title", {"contains": "LAUNCH"}), {"a"}),
    (prop("Name", "rich_text", {"does_not_contain": "a"}), {"c"}),
    (prop("Name", "title", {"starts_with": "al"}), {"a"}),
    (prop("Name", "title", {"ends_with": "TA"}), {"b"}),
    (prop("Name", "title", {"is_empty": True}), {"c"}),
    (prop("Name", "title", {"is_not_empty": True}), {"a", "b"}),
    (prop("Notes", "rich_text", {"contains": "fir"}), {"a"}),
    (prop("Link", "url", {"contains": "example"}), {"a"}),
    (prop("Mail", "email", {"is_empty": True}), {"b", "c"}),
    (prop("Phone", "phone_number", {"is_not_empty": True}), set()),
    # number
    (prop("N", "number", {"equals": 3}), {"a"}),
    (prop("N", "number", {"does_not_equal": 3}), {"b", "c"}),
    (prop("N", "number", {"greater_than": 3}), {"b"}),
    (prop("N", "number", {"greater_than_or_equal_to": 3}), {"a", "b"}),
    (prop("N", "number", {"less_than": 10}), {"a"}),
    (prop("N", "number", {"less_than_or_equal_to": 10}), {"a", "b"}),
    (prop("N", "number", {"is_empty": True}), {"c"}),
    (prop("ID", "unique_id", {"greater_than": 3}), {"b", "c"}),
    # checkbox
    (prop("Done", "checkbox", {"equals": True}), {"a"}),
    (prop("Done", "checkbox", {"does_not_equal": True}), {"b", "c"}),
    # select / status
    (prop("Prio", "select", {"equals": "High"}), {"a"}),
    (prop("Prio", "select", {"equals": ["High", "Low"]}), {"a", "b"}),
    (prop("Prio", "select", {"does_not_equal": "High"}), {"b", "c"}),
    (prop("Prio", "select", {"is_empty": True}), {"c"}),
    (prop("Status", "status", {"equals": "Not started"}), {"b", "c"}),
    (prop("Status", "status", {"does_not_equal": ["Done"]}), {"b", "c"}),
    # multi_select
    (prop("Tags", "multi_select", {"contains": "infra"}), {"a"}),
    (prop("Tags", "multi_select", {"contains": ["ux", "q3"]}), {"a", "b"}),
    (prop("Tags", "multi_select", {"does_not_contain": "ux"}), {"a", "c"}),
    (prop("Tags", "multi_select", {"is_empty": True}), {"c"}),
    # date (now = 2026-08-14T12:30Z)
    (prop("Due", "date", {"equals": "2026-08-14"}), {"a"}),
    (prop("Due", "date", {"equals": "today"}), {"a"}),
    (prop("Due", "date", {"before": "2026-08-20"}), {"a"}),
    (prop("Due", "date", {"on_or_before": "2026-08-20"}), {"a", "b"}),
    (prop("Due", "date", {"after": "2026-08-20T08:59:59.999Z"}), {"b"}),
    (prop("Due", "date", {"after": "2026-08-20T09:00:00.000Z"}), set()),
    (prop("Due", "date", {"on_or_after": "2026-08-20T09:00:00Z"}), {"b"}),
    (prop("Due", "date", {"on_or_after": "tomorrow"}), {"b"}),
    (prop("Due", "date", {"before": "one_week_from_now"}), {"a", "b"}),
    (prop("Due", "date", {"before": "tomorrow"}), {"a"}),
    (prop("Due", "date", {"next_week": {}}), {"a", "b"}),
    (prop("Due", "date", {"past_week": {}}), {"a"}),
    (prop("Due", "date", {"this_week": {}}), {"a"}),
    (prop("Due", "date", {"next_month": {}}), {"a", "b"}),
    (prop("Due", "date", {"past_year": {}}), {"a"}),
    (prop("Due", "date", {"is_empty": True}), {"c"}),
    (prop("Created", "created_time", {"after": "2026-08-05"}), {"b", "c"}),
    (prop("Created", "date", {"on_or_before": "2026-08-01T10:00:00.000Z"}), {"a"}),
    # people / created_by / relation / files
    (prop("Owner", "people", {"contains": ALICE}), {"a"}),
    (prop("Owner", "people", {"contains": "me"}), {"b"}),
    (prop("Owner", "people", {"does_not_contain": ALICE}), {"b", "c"}),
    (prop("Owner", "people", {"is_empty": True}), {"c"}),
    (prop("Creator", "created_by", {"contains": ALICE}), {"a", "b", "c"}),
    (prop("Creator", "people", {"contains": BOB}), set()),
    (prop("Files", "files", {"is_not_empty": True}), {"a"}),
    (prop("Files", "files", {"is_empty": True}), {"b", "c"}),
    # formula
    (prop("F", "formula", {"number": {"greater_than": 10}}), {"b"}),
    (prop("F", "formula", {"number": {"is_empty": True}}), {"c"}),
    (prop("FS", "formula", {"string": {"starts_with": "alpha"}}), {"a"}),
    (prop("FB", "formula", {"checkbox": {"equals": True}}), {"a", "b"}),
    (prop("FD", "formula", {"date": {"on_or_after": "2026-08-15"}}), {"b"}),
    # rollup
    (prop("Sum", "rollup", {"number": {"equals": 6}}), {"a"}),
    (prop("Ests", "rollup", {"any": {"number": {"greater_than": 4}}}), {"a"}),
    (prop("Ests", "rollup", {"every": {"number": {"less_than": 2}}}), {"b", "c"}),
    (prop("Ests", "rollup", {"none": {"number": {"equals": 1}}}), {"c"}),
    # property by id
    ({"property": "title", "title": {"equals": "beta"}}, {"b"}),
    # timestamps (minute-floored, millisecond comparison)
    ({"timestamp": "created_time", "created_time": {"on_or_after": "2026-08-10T08:00:00Z"}},
     {"b", "c"}),
    ({"timestamp": "created_time", "created_time": {"after": "2026-08-10T08:00:00Z"}}, set()),
    ({"timestamp": "created_time", "created_time": {"equals": "2026-08-01"}}, {"a"}),
    ({"timestamp": "last_edited_time", "last_edited_time": {"past_week": {}}}, {"b", "c"}),
    ({"timestamp": "last_edited_time", "last_edited_time": {"after": "2026-08-14T12:04:59Z"}},
     {"b"}),
    ({"timestamp": "created_time", "created_time": {"is_not_empty": True}}, {"a", "b", "c"}),
    # compound
    ({"and": [prop("N", "number", {"greater_than": 1}),
              prop("Done", "checkbox", {"equals": False})]}, {"b"}),
    ({"or": [prop("N", "number", {"equals": 3}), prop("Name", "title", {"is_empty": True})]},
     {"a", "c"}),
    ({"and": [{"or": [prop("Prio", "select", {"equals": "High"}),
                      prop("Prio", "select", {"equals": "Low"})]},
              prop("Tags", "multi_select", {"contains": "ux"})]}, {"b"}),
    ({"and": []}, {"a", "b", "c"}),
]


@pytest.mark.parametrize(("flt", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_filter(world: World, flt: dict, expected: set[str]) -> None:
    assert hits(world, flt) == expected


def test_no_filter_matches_all(world: World) -> None:
    assert hits(world, None) == {"a", "b", "c"}


BAD_QUERIES: list[tuple[dict, str]] = [
    ({"filter": prop("Ghost", "number", {"equals": 1})}, "Could not find property"),
    ({"filter": prop("N", "number", {"contains": 1})}, "body.filter.number"),
    ({"filter": prop("N", "number", {"equals": "1"})}, "a number"),
    ({"filter": prop("N", "number", {"equals": 1, "less_than": 3})}, "exactly one condition"),
    ({"filter": prop("N", "select", {"equals": "x"})}, "does not match filter select"),
    ({"filter": prop("Status", "select", {"equals": "x"})}, "does not match filter select"),
    ({"filter": prop("Name", "title", {"is_empty": False})}, "true"),
    ({"filter": prop("Due", "date", {"before": "someday"})}, "date"),
    ({"filter": prop("Due", "date", {"past_week": True})}, "empty object"),
    ({"filter": prop("F", "formula", {"text": {"equals": "x"}})}, "string"),
    ({"filter": prop("Ests", "rollup", {"some": {}})}, "rollup"),
    ({"filter": {"timestamp": "edited", "edited": {}}}, "timestamp"),
    ({"filter": {"and": [{"or": [{"and": []}]}]}}, "levels deep"),
    ({"filter": {"and": {}}}, "array"),
    ({"filter": {"nope": 1}}, "property, timestamp or compound"),
    ({"page_size": 101}, "page_size"),
    ({"page_size": 0}, "page_size"),
    ({"sorts": [{"property": "Ghost", "direction": "ascending"}]}, "sort property"),
    ({"sorts": [{"property": "N", "direction": "up"}]}, "direction"),
    ({"sorts": [{"timestamp": "edited", "direction": "ascending"}]}, "timestamp"),
    ({"sorts": [{"property": "N", "timestamp": "created_time", "direction": "ascending"}]},
     "property sort or a timestamp sort"),
    ({"sorts": {}}, "array"),
    ({"archived": True}, "should be not present"),
]


@pytest.mark.parametrize(("body", "message"), BAD_QUERIES)
def test_validate_rejects(world: World, body: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        validate_query(body, world.schemas[DS])


def test_validate_accepts_two_levels(world: World) -> None:
    validate_query({"filter": {"or": [{"and": [prop("N", "number", {"equals": 1})]}]},
                    "sorts": [{"timestamp": "created_time", "direction": "descending"}],
                    "page_size": 100, "start_cursor": "abc", "in_trash": False},
                   world.schemas[DS])


def order(world: World, sorts: list | None) -> list[str]:
    names = {getattr(world, n): n for n in ("a", "b", "c")}
    items = [(world.pages[p]["meta"], world.pages[p]["values"]) for p in names]
    return [names[m["id"]] for m, _v in sort_pages(items, sorts, world.schemas[DS],
                                                   ctx=world.ctx())]


@pytest.mark.parametrize(
    ("sorts", "expected"),
    [
        (None, ["b", "c", "a"]),  # created desc, then id
        ([{"property": "N", "direction": "ascending"}], ["a", "b", "c"]),
        ([{"property": "N", "direction": "descending"}], ["b", "a", "c"]),  # empty last
        ([{"property": "Name", "direction": "ascending"}], ["a", "b", "c"]),
        ([{"property": "Prio", "direction": "descending"}], ["b", "a", "c"]),  # option order
        ([{"property": "Done", "direction": "descending"}], ["a", "b", "c"]),
        ([{"property": "Status", "direction": "ascending"}], ["b", "c", "a"]),
        ([{"property": "Due", "direction": "descending"}], ["b", "a", "c"]),
        ([{"property": "F", "direction": "descending"}], ["b", "a", "c"]),
        ([{"property": "Sum", "direction": "ascending"}], ["c", "b", "a"]),
        ([{"timestamp": "created_time", "direction": "ascending"}], ["a", "b", "c"]),
        ([{"timestamp": "last_edited_time", "direction": "descending"}], ["b", "c", "a"]),
        ([{"property": "Created", "direction": "ascending"},
          {"property": "N", "direction": "descending"}], ["a", "b", "c"]),
        ([{"property": "Created", "direction": "ascending"},
          {"property": "Name", "direction": "descending"}], ["a", "b", "c"]),
        ([{"property": "Status", "direction": "ascending"},
          {"property": "N", "direction": "ascending"}], ["b", "c", "a"]),
    ],
)
def test_sorts(world: World, sorts: list | None, expected: list[str]) -> None:
    assert order(world, sorts) == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=12),
       st.booleans())
def test_number_sort_is_stable_and_empties_last(nums: list[Any], descending: bool) -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}, "N": {"number": {}}})
    ids = [w.add_page(DS, {"N": {"number": n}}) for n in nums]
    items = [(w.pages[p]["meta"], w.pages[p]["values"]) for p in ids]
    out = sort_pages(items, [{"property": "N", "direction": "descending" if descending
                              else "ascending"}], w.schemas[DS], ctx=w.ctx())
    got = [(ids.index(m["id"]), nums[ids.index(m["id"])]) for m, _ in out]
    present = [(i, n) for i, n in enumerate(nums) if n is not None]
    expected = sorted(present, key=lambda t: -t[1] if descending else t[1])
    expected += [(i, n) for i, n in enumerate(nums) if n is None]
    assert got == expected
