"""Page property writes -> stored values -> page view, for every type."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.emulator.values import (
    SchemaError,
    ValueContext,
    initial_values,
    property_view,
    write_values,
)

from ._world import ALICE, BOB, BOT, World, text

DS = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "bbbbbbbb-0000-4000-8000-000000000002"


@pytest.fixture
def world() -> World:
    w = World()
    w.add_source(OTHER, {"Title": {"title": {}}, "Est": {"number": {}}})
    w.add_source(DS, {
        "Name": {"title": {}},
        "Notes": {"rich_text": {}},
        "Estimate": {"number": {"format": "number"}},
        "Priority": {"select": {"options": [{"name": "High", "color": "red"}]}},
        "Tags": {"multi_select": {"options": [{"name": "infra", "color": "blue"}]}},
        "Status": {"status": {}},
        "Due": {"date": {}},
        "Owner": {"people": {}},
        "Attachments": {"files": {}},
        "Done": {"checkbox": {}},
        "Link": {"url": {}},
        "Mail": {"email": {}},
        "Phone": {"phone_number": {}},
        "Projects": {"relation": {"data_source_id": OTHER, "single_property": {}}},
        "Where": {"place": {}},
        "Created": {"created_time": {}},
        "Creator": {"created_by": {}},
        "Edited": {"last_edited_time": {}},
        "Editor": {"last_edited_by": {}},
        "ID": {"unique_id": {"prefix": "T"}},
        "Double": {"formula": {"expression": 'prop("Estimate") * 2'}},
        "Total": {"rollup": {"relation_property_name": "Projects",
                             "rollup_property_name": "Est", "function": "sum"}},
    })
    return w


def view_of(world: World, pid: str) -> dict:
    schema, values, meta = world.record(pid)
    return property_view(schema, values, meta, ctx=world.ctx())


def write(world: World, pid: str, props: dict) -> dict:
    rec = world.pages[pid]
    rec["values"], world.schemas[rec["ds"]] = write_values(
        world.schemas[rec["ds"]], rec["values"], props, ctx=world.ctx())
    return view_of(world, pid)


ANN = {"bold": False, "italic": False, "strikethrough": False, "underline": False,
       "code": False, "color": "default"}


def test_new_page_defaults(world: World) -> None:
    schema = world.schemas[DS]
    values = initial_values(schema, ctx=world.ctx())
    by = {p["name"]: values.get(p["id"], "absent") for p in schema.values()}
    assert by["Name"] == [] and by["Notes"] == [] and by["Estimate"] is None
    assert by["Priority"] is None and by["Tags"] == [] and by["Due"] is None
    assert by["Owner"] == [] and by["Attachments"] == [] and by["Done"] is False
    assert by["Link"] is None and by["Projects"] == [] and by["Where"] is None
    assert by["Status"]["name"] == "Not started"
    assert by["Double"] == "absent" and by["Created"] == "absent"


def test_view_shape_order_and_computed(world: World) -> None:
    p = world.add_page(OTHER, {"Title": {"title": text("P")}, "Est": {"number": 3}})
    pid = world.add_page(DS, {"Name": {"title": text("Row")}, "Estimate": {"number": 4},
                              "Projects": {"relation": [{"id": p}]}})
    view = view_of(world, pid)
    assert list(view) == [pr["name"] for pr in world.schemas[DS].values()]
    assert view["Name"] == {"id": "title", "type": "title", "title": [
        {"type": "text", "text": {"content": "Row", "link": None}, "annotations": ANN,
         "plain_text": "Row", "href": None}]}
    assert view["Created"]["created_time"] == "2026-08-01T10:00:00.000Z"
    assert view["Creator"]["created_by"] == {"object": "user", "id": ALICE}
    assert view["Editor"]["last_edited_by"] == {"object": "user", "id": BOB}
    assert view["ID"]["unique_id"] == {"prefix": "T", "number": 2}
    assert view["Double"]["formula"] == {"type": "number", "number": 8}
    assert view["Total"]["rollup"] == {"type": "number", "number": 3, "function": "sum"}
    assert view["Projects"] == {"id": view["Projects"]["id"], "type": "relation",
                                "relation": [{"id": p}], "has_more": False}


ROUND_TRIPS: list[tuple[str, Any, Any]] = [
    ("Estimate", {"number": 8.5}, 8.5),
    ("Estimate", {"number": None}, None),
    ("Done", {"checkbox": True}, True),
    ("Link", {"url": "https://example.com"}, "https://example.com"),
    ("Link", {"url": None}, None),
    ("Mail", {"email": "a@b.c"}, "a@b.c"),
    ("Phone", {"phone_number": "+1 555"}, "+1 555"),
    ("Due", {"date": {"start": "2026-09-15"}},
     {"start": "2026-09-15", "end": None, "time_zone": None}),
    ("Due", {"date": {"start": "2026-09-15T10:00:00Z", "end": "2026-09-14"}},
     {"start": "2026-09-15T10:00:00.000+00:00", "end": "2026-09-14", "time_zone": None}),
    ("Due", {"date": {"start": "2026-09-15T10:00:00", "time_zone": "Europe/Berlin"}},
     {"start": "2026-09-15T10:00:00.000", "end": None, "time_zone": "Europe/Berlin"}),
    ("Due", {"date": None}, None),
    ("Owner", {"people": [{"id": ALICE}, {"object": "user", "id": BOT}]},
     [{"object": "user", "id": ALICE}, {"object": "user", "id": BOT}]),
    ("Attachments", {"files": [{"name": "a.pdf", "type": "external",
                                "external": {"url": "https://x/a.pdf"}}]},
     [{"name": "a.pdf", "type": "external", "external": {"url": "https://x/a.pdf"}}]),
    ("Attachments", {"files": []}, []),
    ("Where", {"place": {"lat": 1.5, "lon": 2}},
     {"lat": 1.5, "lon": 2, "name": None, "address": None, "aws_place_id": None,
      "google_place_id": None}),
    ("Notes", {"type": "rich_text", "rich_text": [
        {"text": {"content": "hi", "link": {"url": "https://x"}},
         "annotations": {"bold": True}}]},
     [{"type": "text", "text": {"content": "hi", "link": {"url": "https://x"}},
       "annotations": {**ANN, "bold": True}, "plain_text": "hi", "href": "https://x"}]),
    ("Notes", {"rich_text": [{"type": "equation", "equation": {"expression": "e=mc^2"}}]},
     [{"type": "equation", "equation": {"expression": "e=mc^2"}, "annotations": ANN,
       "plain_text": "e=mc^2", "href": None}]),
    ("Notes", {"rich_text": [{"mention": {"user": {"id": ALICE}}}]},
     [{"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": ALICE}},
       "annotations": ANN, "plain_text": "@Alice", "href": None}]),
    ("Notes", {"rich_text": [{"mention": {"date": {"start": "2026-01-02", "end": "2026-01-05"}}}]},
     [{"type": "mention", "mention": {"type": "date", "date": {
         "start": "2026-01-02", "end": "2026-01-05", "time_zone": None}},
       "annotations": ANN, "plain_text": "2026-01-02 → 2026-01-05", "href": None}]),
    ("Notes", {"rich_text": [{"mention": {"type": "template_mention", "template_mention": {
        "type": "template_mention_date", "template_mention_date": "today"}}}]},
     [{"type": "mention", "mention": {"type": "template_mention", "template_mention": {
         "type": "template_mention_date", "template_mention_date": "today"}},
       "annotations": ANN, "plain_text": "@Today", "href": None}]),
    ("Notes", {"rich_text": []}, []),
]


@pytest.mark.parametrize(("name", "payload", "expected"), ROUND_TRIPS)
def test_round_trip(world: World, name: str, payload: dict, expected: Any) -> None:
    pid = world.add_page(DS)
    view = write(world, pid, {name: payload})
    ptype = view[name]["type"]
    assert view[name][ptype] == expected
    # a second identical write is idempotent
    assert write(world, pid, {name: payload})[name][ptype] == expected


def test_page_mention_uses_target_title(world: World) -> None:
    target = world.add_page(OTHER, {"Title": {"title": text("Target")}})
    pid = world.add_page(DS, {"Notes": {"rich_text": [{"mention": {"page": {"id": target}}}]}})
    item = view_of(world, pid)["Notes"]["rich_text"][0]
    assert item["plain_text"] == "Target"
    assert item["mention"] == {"type": "page", "page": {"id": target}}
    assert item["href"] == f"https://www.notion.so/{target.replace('-', '')}"


def test_select_auto_creates_option_and_returns_new_schema(world: World) -> None:
    pid = world.add_page(DS)
    before = copy.deepcopy(world.schemas[DS])
    rec = world.pages[pid]
    values, schema = write_values(before, rec["values"], {"Priority": {"select": {"name": "Low"}},
                                  "Tags": {"multi_select": [{"name": "infra"}, {"name": "q3"},
                                                            {"name": "q3"}]}}, ctx=world.ctx())
    assert before == world.schemas[DS]  # input untouched
    by = {p["name"]: p for p in schema.values()}
    assert [o["name"] for o in by["Priority"]["select"]["options"]] == ["High", "Low"]
    assert [o["name"] for o in by["Tags"]["multi_select"]["options"]] == ["infra", "q3"]
    low = by["Priority"]["select"]["options"][1]
    assert low["color"] == "default"
    view = property_view(schema, values, rec["meta"], ctx=world.ctx())
    assert view["Priority"]["select"] == {"id": low["id"], "name": "Low", "color": "default"}
    assert [o["name"] for o in view["Tags"]["multi_select"]] == ["infra", "q3"]


def test_select_by_id_and_clear(world: World) -> None:
    high = next(o for o in next(p for p in world.schemas[DS].values() if p["name"] ==
                                "Priority")["select"]["options"])
    pid = world.add_page(DS, {"Priority": {"select": {"id": high["id"]}}})
    assert view_of(world, pid)["Priority"]["select"]["name"] == "High"
    assert write(world, pid, {"Priority": {"select": None}})["Priority"]["select"] is None


def test_status_must_exist_and_null_resets_to_default(world: World) -> None:
    pid = world.add_page(DS, {"Status": {"status": {"name": "Done"}}})
    assert view_of(world, pid)["Status"]["status"]["name"] == "Done"
    with pytest.raises(SchemaError) as exc:
        write(world, pid, {"Status": {"status": {"name": "Nope"}}})
    assert str(exc.value) == 'Invalid status option. Status option "Nope" does not exist".'
    assert write(world, pid, {"Status": {"status": None}})["Status"]["status"]["name"] == (
        "Not started")


def test_option_rename_and_removal_show_on_read(world: World) -> None:
    from notion_mirror.emulator.values import update_schema

    pid = world.add_page(DS, {"Priority": {"select": {"name": "High"}},
                              "Tags": {"multi_select": [{"name": "infra"}, {"name": "x"}]}})
    prio = next(p for p in world.schemas[DS].values() if p["name"] == "Priority")
    high_id = prio["select"]["options"][0]["id"]
    world.schemas[DS] = update_schema(world.schemas[DS], {
        "Priority": {"select": {"options": [{"id": high_id, "name": "Urgent"}]}},
        "Tags": {"multi_select": {"options": [{"name": "x"}]}}}, new_id=lambda: "zz")
    view = view_of(world, pid)
    assert view["Priority"]["select"]["name"] == "Urgent"
    assert [o["name"] for o in view["Tags"]["multi_select"]] == ["x"]


@pytest.mark.parametrize("name", ["Double", "Total", "Created", "Creator", "Edited", "Editor",
                                  "ID"])
def test_computed_writes_rejected(world: World, name: str) -> None:
    pid = world.add_page(DS)
    ptype = next(p["type"] for p in world.schemas[DS].values() if p["name"] == name)
    with pytest.raises(SchemaError, match="cannot be written"):
        write(world, pid, {name: {ptype: None}})


def test_button_and_verification_writes_rejected(world: World) -> None:
    schema = copy.deepcopy(world.schemas[DS])
    schema["b"] = {"id": "b", "name": "Go", "description": None, "type": "button", "button": {}}
    schema["v"] = {"id": "v", "name": "Ver", "description": None, "type": "verification",
                   "verification": {}}
    for key, body in [("Go", {"button": {}}), ("Ver", {"verification": {"state": "verified"}})]:
        with pytest.raises(SchemaError, match="cannot be written"):
            write_values(schema, {}, {key: body}, ctx=world.ctx())
    view = property_view(schema, {}, {"id": "x"}, ctx=world.ctx())
    assert view["Go"] == {"id": "b", "type": "button", "button": {}}
    assert view["Ver"]["verification"]["state"] == "unverified"


def test_unknown_property_and_wrong_type(world: World) -> None:
    pid = world.add_page(DS)
    with pytest.raises(SchemaError) as exc:
        write(world, pid, {"Ghost": {"number": 1}})
    assert str(exc.value) == "Ghost is not a property that exists."
    with pytest.raises(SchemaError) as exc:
        write(world, pid, {"Status": {"select": {"name": "Done"}}})
    assert str(exc.value) == "Status is expected to be status."
    with pytest.raises(SchemaError, match=r"Estimate is expected to be number\."):
        write(world, pid, {"Estimate": {"type": "rich_text", "number": 1}})


def test_write_by_property_id(world: World) -> None:
    pid = world.add_page(DS)
    est_id = next(p["id"] for p in world.schemas[DS].values() if p["name"] == "Estimate")
    assert write(world, pid, {est_id: {"number": 3}})["Estimate"]["number"] == 3


BAD_WRITES = [
    ({"Estimate": {"number": "x"}},
     'body failed validation: body.properties.Estimate.number should be a number or null, '
     'instead was "x".'),
    ({"Estimate": {"number": True}}, "should be a number"),
    ({"Done": {"checkbox": "yes"}}, "should be a boolean"),
    ({"Name": {"title": [{"text": {"content": "x" * 2001}}]}},
     "body.properties.Name.title[0].text.content.length should be ≤ `2000`, instead was `2001`"),
    ({"Name": {"title": [{"text": {"content": "x"}}] * 101}}, "`100`"),
    ({"Notes": {"rich_text": [{"equation": {"expression": "x" * 1001}}]}}, "`1000`"),
    ({"Notes": {"rich_text": [{"text": {"content": "a"}, "annotations": {"color": "teal"}}]}},
     "color"),
    ({"Notes": {"rich_text": [{"mention": {"link_preview": {"url": "https://x"}}}]}}, "mention"),
    ({"Link": {"url": "h" * 2001}}, "`2000`"),
    ({"Mail": {"email": "m" * 201}}, "`200`"),
    ({"Phone": {"phone_number": "1" * 201}}, "`200`"),
    ({"Tags": {"multi_select": [{"name": f"t{i}"} for i in range(101)]}}, "`100`"),
    ({"Tags": {"multi_select": [{"name": "a,b"}]}}, "commas"),
    ({"Priority": {"select": {"id": "nope"}}}, "Invalid select option id"),
    ({"Owner": {"people": [{"id": "99999999-9999-4999-8999-999999999999"}]}},
     "Could not find user"),
    ({"Owner": {"people": [{"id": ALICE}] * 101}}, "`100`"),
    ({"Due": {"date": {"start": "15/09/2026"}}}, "ISO 8601"),
    ({"Due": {"date": {"start": "2026-02-30"}}}, "valid ISO 8601 date"),
    ({"Due": {"date": {"end": "2026-02-03"}}}, "start should be defined"),
    ({"Due": {"date": {"start": "2026-02-03T10:00:00", "time_zone": "Mars/Base"}}}, "time zone"),
    ({"Projects": {"relation": [{"id": "99999999-9999-4999-8999-999999999999"}]}},
     "Could not find page"),
    ({"Attachments": {"files": [{"type": "external", "external": {"url": "https://x"}}]}},
     "name"),
    ({"Attachments": {"files": [{"type": "file_upload", "file_upload": {"id": "u1"}}]}},
     "file upload"),
    ({"Where": {"place": {"lat": "1", "lon": 2}}}, "lat"),
]


@pytest.mark.parametrize(("props", "message"), BAD_WRITES)
def test_bad_writes(world: World, props: dict, message: str) -> None:
    pid = world.add_page(DS)
    before = copy.deepcopy(world.pages[pid]["values"])
    with pytest.raises(SchemaError) as exc:
        write(world, pid, props)
    assert message in str(exc.value)
    assert world.pages[pid]["values"] == before


def test_relation_must_target_related_data_source(world: World) -> None:
    own = world.add_page(DS)
    pid = world.add_page(DS)
    with pytest.raises(SchemaError, match="does not belong"):
        write(world, pid, {"Projects": {"relation": [{"id": own}]}})


def test_relation_accepts_dashless_ids_and_dedupes(world: World) -> None:
    p = world.add_page(OTHER)
    pid = world.add_page(DS)
    view = write(world, pid, {"Projects": {"relation": [{"id": p.replace("-", "")}, {"id": p}]}})
    assert view["Projects"]["relation"] == [{"id": p}]


def test_truncation_at_25(world: World) -> None:
    targets = [world.add_page(OTHER) for _ in range(30)]
    mentions = [{"mention": {"user": {"id": ALICE}}}, {"text": {"content": " "}}] * 30
    pid = world.add_page(DS, {
        "Projects": {"relation": [{"id": t} for t in targets]},
        "Notes": {"rich_text": mentions},
    })
    many_users = {f"{i:08d}-0000-4000-8000-000000000000": {"object": "user", "name": f"U{i}"}
                  for i in range(30)}
    ctx = world.ctx()
    ctx.users = {**ctx.users, **many_users}
    schema, values, meta = world.record(pid)
    values, schema = write_values(schema, values, {"Owner": {"people": [
        {"id": u} for u in many_users]}}, ctx=ctx)
    view = property_view(schema, values, meta, ctx=ctx)
    assert len(view["Projects"]["relation"]) == 25
    assert view["Projects"]["has_more"] is True
    assert len(view["Owner"]["people"]) == 25
    notes = view["Notes"]["rich_text"]
    assert sum(1 for i in notes if i["type"] == "mention") == 25
    assert sum(1 for i in notes if i["type"] == "text") == 30
    # the stored value stays complete
    assert len(values[next(p["id"] for p in schema.values() if p["name"] == "Projects")]) == 30


def test_type_change_reinterprets_stored_value(world: World) -> None:
    from notion_mirror.emulator.values import update_schema

    pid = world.add_page(DS, {"Estimate": {"number": 42}, "Notes": {"rich_text": text("7.5")}})
    world.schemas[DS] = update_schema(world.schemas[DS], {
        "Estimate": {"rich_text": {}}, "Notes": {"number": {}}}, new_id=lambda: "zz")
    view = view_of(world, pid)
    assert view["Estimate"]["rich_text"][0]["plain_text"] == "42"
    assert view["Notes"]["number"] == 7.5


def test_context_defaults_are_an_empty_workspace() -> None:
    ctx = ValueContext()
    assert ctx.users == {} and ctx.page_exists("x") is False
    assert ctx.data_source_of("x") is None and ctx.get_page_values("x") is None
    assert ctx.now().tzinfo is not None


# --- property-based round trips --------------------------------------------------------------

_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_annotations = st.fixed_dictionaries({}, optional={
    "bold": st.booleans(), "italic": st.booleans(), "code": st.booleans(),
    "color": st.sampled_from(["default", "red", "blue_background"])})
_run = st.builds(lambda c, a: {"text": {"content": c}, "annotations": a}, _texts, _annotations)


@settings(max_examples=60, deadline=None)
@given(st.lists(_run, max_size=8))
def test_rich_text_round_trip_property(runs: list[dict]) -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}})
    pid = w.add_page(DS, {"Name": {"title": runs}})
    out = view_of(w, pid)["Name"]["title"]
    assert [i["plain_text"] for i in out] == [r["text"]["content"] for r in runs]
    for item, run in zip(out, runs, strict=True):
        assert item["annotations"] == {**ANN, **run["annotations"]}
    # writing the read shape back is a fixed point
    again = write(w, pid, {"Name": {"title": out}})["Name"]["title"]
    assert again == out


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), st.integers(-10**12, 10**12),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_number_round_trip_property(n: float | None) -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}, "N": {"number": {}}})
    pid = w.add_page(DS, {"N": {"number": n}})
    assert view_of(w, pid)["N"]["number"] == n


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.characters(codec="ascii", exclude_characters=",",
                                      categories=("L", "N", "P", "Zs")),
                        min_size=1, max_size=10).filter(str.strip), max_size=6))
def test_multi_select_auto_create_property(names: list[str]) -> None:
    w = World()
    w.add_source(DS, {"Name": {"title": {}}, "T": {"multi_select": {}}})
    pid = w.add_page(DS, {"T": {"multi_select": [{"name": n} for n in names]}})
    got = [o["name"] for o in view_of(w, pid)["T"]["multi_select"]]
    assert got == list(dict.fromkeys(names))
