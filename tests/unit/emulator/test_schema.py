"""Schema build and update: the data source `properties` Notion stores and returns."""

from __future__ import annotations

import copy

import pytest

from notion_mirror.emulator.values import SchemaError, build_schema, update_schema

from ._world import det_uuid, seq_ids


def make(props: dict) -> dict:
    return build_schema(props, new_id=seq_ids(), new_option_id=det_uuid("s"))


def by_name(schema: dict) -> dict:
    return {p["name"]: p for p in schema.values()}


def test_title_is_first_with_fixed_id_and_response_shape() -> None:
    schema = make({"Estimate": {"number": {"format": "dollar"}}, "Name": {"title": {}}})
    assert list(schema) == ["title", "p%3A1"]
    assert schema["title"] == {
        "id": "title", "name": "Name", "description": None, "type": "title", "title": {}
    }
    assert schema["p%3A1"]["number"] == {"format": "dollar"}


@pytest.mark.parametrize(
    ("ptype", "config", "expected"),
    [
        ("rich_text", {}, {}),
        ("number", {}, {"format": "number"}),
        ("date", {}, {}),
        ("people", {}, {}),
        ("files", {}, {}),
        ("checkbox", {}, {}),
        ("url", {}, {}),
        ("email", {}, {}),
        ("phone_number", {}, {}),
        ("created_time", {}, {}),
        ("created_by", {}, {}),
        ("last_edited_time", {}, {}),
        ("last_edited_by", {}, {}),
        ("place", {}, {}),
        ("unique_id", {"prefix": "T"}, {"prefix": "T"}),
        ("unique_id", {}, {"prefix": None}),
        ("formula", {"expression": "1 + 1"}, {"expression": "1 + 1"}),
        (
            "relation",
            {"data_source_id": "6c4240a9a3ce413e9fd08a51a4d0a49b", "single_property": {}},
            {"database_id": None, "data_source_id": "6c4240a9-a3ce-413e-9fd0-8a51a4d0a49b",
             "type": "single_property", "single_property": {}},
        ),
    ],
)
def test_every_creatable_type(ptype: str, config: dict, expected: dict) -> None:
    schema = make({"Name": {"title": {}}, "X": {ptype: config, "description": "about x"}})
    prop = by_name(schema)["X"]
    assert prop["type"] == ptype
    assert prop[ptype] == expected
    assert prop["description"] == "about x"
    assert set(prop) == {"id", "name", "description", "type", ptype}


def test_select_options_get_ids_and_default_colors() -> None:
    options = [{"name": "High", "color": "red"}, {"name": "Low"}]
    schema = make({"Name": {"title": {}}, "P": {"select": {"options": options}}})
    opts = by_name(schema)["P"]["select"]["options"]
    assert [(o["name"], o["color"]) for o in opts] == [("High", "red"), ("Low", "default")]
    assert all(len(o["id"]) == 36 for o in opts)


def test_status_defaults() -> None:
    status = by_name(make({"Name": {"title": {}}, "S": {"status": {}}}))["S"]["status"]
    names = [o["name"] for o in status["options"]]
    assert names == ["Not started", "In progress", "Done"]
    groups = {g["name"]: [status["options"][[o["id"] for o in status["options"]].index(i)]["name"]
                          for i in g["option_ids"]] for g in status["groups"]}
    assert groups == {"To-do": ["Not started"], "In progress": ["In progress"],
                      "Complete": ["Done"]}


def test_rollup_resolves_relation_in_same_request() -> None:
    schema = make({
        "Name": {"title": {}},
        "Total": {"rollup": {"relation_property_name": "Tasks", "rollup_property_name": "Est",
                             "function": "sum"}},
        "Tasks": {"relation": {"data_source_id": "ds-2", "single_property": {}}},
    })
    cfg = by_name(schema)["Total"]["rollup"]
    assert cfg["relation_property_id"] == by_name(schema)["Tasks"]["id"]
    assert cfg["relation_property_name"] == "Tasks"
    assert cfg["function"] == "sum"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"A": {"rich_text": {}}}, "exactly one title"),
        ({"A": {"title": {}}, "B": {"title": {}}}, "exactly one title"),
        ({"Name": {"title": {}}, "B": {"button": {}}}, "cannot be created"),
        ({"Name": {"title": {}}, "B": {"verification": {}}}, "cannot be created"),
        ({"Name": {"title": {}}, "B": {"number": {"format": "bananas"}}}, "format"),
        ({"Name": {"title": {}}, "B": {"select": {"options": [{"name": "a", "color": "teal"}]}}},
         "color"),
        ({"Name": {"title": {}}, "B": {"select": {"options": [{"name": "a,b"}]}}}, "commas"),
        ({"Name": {"title": {}}, "B": {"select": {"options": [{"name": "a"}, {"name": "A"}]}}},
         "Duplicate"),
        ({"Name": {"title": {}}, "B": {"formula": {"expression": "1 +"}}}, "invalid"),
        ({"Name": {"title": {}}, "B": {"formula": {"expression": 'prop("Nope")'}}}, "Nope"),
        ({"Name": {"title": {}}, "B": {"formula": {"expression": "frob(1)"}}}, "frob"),
        ({"Name": {"title": {}}, "B": {"rollup": {"relation_property_name": "X",
                                                  "rollup_property_name": "Y",
                                                  "function": "sum"}}}, "relation property"),
        ({"Name": {"title": {}}, "B": {"rollup": {"relation_property_name": "X",
                                                  "rollup_property_name": "Y",
                                                  "function": "bogus"}}}, "function"),
        ({"Name": {"title": {}}, "B": {"number": {}, "checkbox": {}}}, "exactly one type"),
        ({"Name": {"title": {}}, "B": {"type": "number", "checkbox": {}}}, "expected to be"),
        ({"Name": {"title": {}}, "B": {"location_x": {}}}, "should be not present"),
        ({"Name": {"title": {}}, "B": {"number": {}, "description": "x" * 281}}, "281"),
        ({"Name": {"title": {}}, "B": {"relation": {"single_property": {}}}}, "data_source_id"),
    ],
)
def test_build_rejects(props: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        make(props)


@pytest.fixture
def base() -> dict:
    return make({
        "Name": {"title": {}},
        "Estimate": {"number": {}},
        "Priority": {"select": {"options": [{"name": "High", "color": "red"},
                                            {"name": "Mid"}, {"name": "Low"}]}},
        "Status": {"status": {}},
        "Double": {"formula": {"expression": 'prop("Estimate") * 2'}},
    })


def upd(schema: dict, props: dict) -> dict:
    return update_schema(schema, props, new_id=seq_ids("n"), new_option_id=det_uuid("u"))


def test_update_returns_new_dict_and_leaves_input(base: dict) -> None:
    before = copy.deepcopy(base)
    out = upd(base, {"Estimate": {"name": "Points"}})
    assert base == before
    assert out is not base


def test_rename_keeps_id_and_rewrites_formula_refs(base: dict) -> None:
    est_id = by_name(base)["Estimate"]["id"]
    out = upd(base, {est_id: {"name": "Points"}})
    assert out[est_id]["name"] == "Points"
    assert list(out) == list(base)
    assert by_name(out)["Double"]["formula"]["expression"] == 'prop("Points") * 2'


def test_delete_add_and_order(base: dict) -> None:
    out = upd(base, {"Priority": None, "Reviewer": {"people": {}}})
    names = [p["name"] for p in out.values()]
    assert names == ["Name", "Estimate", "Status", "Double", "Reviewer"]
    assert by_name(out)["Reviewer"]["id"] == "n%3A1"


def test_change_type_and_config(base: dict) -> None:
    out = upd(base, {"Estimate": {"number": {"format": "percent"}}})
    assert by_name(out)["Estimate"]["number"] == {"format": "percent"}
    out = upd(base, {"Estimate": {"rich_text": {}}})
    assert by_name(out)["Estimate"]["type"] == "rich_text"
    assert "number" not in by_name(out)["Estimate"]


def test_select_options_full_list(base: dict) -> None:
    opts = {o["name"]: o["id"] for o in by_name(base)["Priority"]["select"]["options"]}
    out = upd(base, {"Priority": {"select": {"options": [
        {"id": opts["High"]}, {"name": "Low"}, {"name": "New", "color": "blue"}]}}})
    new_opts = by_name(out)["Priority"]["select"]["options"]
    assert [(o["name"], o["color"]) for o in new_opts] == [
        ("High", "red"), ("Low", "default"), ("New", "blue")]
    assert new_opts[0]["id"] == opts["High"]
    assert new_opts[1]["id"] == opts["Low"]


def test_select_to_multi_select_keeps_options(base: dict) -> None:
    out = upd(base, {"Priority": {"multi_select": {}}})
    assert [o["name"] for o in by_name(out)["Priority"]["multi_select"]["options"]] == [
        "High", "Mid", "Low"]


def test_status_update_adds_to_todo_and_drops_unlisted(base: dict) -> None:
    status = by_name(base)["Status"]["status"]
    ids = {o["name"]: o["id"] for o in status["options"]}
    out = upd(base, {"Status": {"status": {"options": [
        {"id": ids["Not started"]}, {"name": "Done"}, {"name": "Blocked"}]}}})
    new = by_name(out)["Status"]["status"]
    names = {o["id"]: o["name"] for o in new["options"]}
    groups = {g["name"]: [names[i] for i in g["option_ids"]] for g in new["groups"]}
    assert groups == {"To-do": ["Not started", "Blocked"], "In progress": [],
                      "Complete": ["Done"]}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"Name": None}, "title"),
        ({"Ghost": None}, "Ghost is not a property that exists."),
        ({"Ghost": {"name": "G"}}, "Ghost is not a property that exists."),
        ({"Estimate": {"name": "Priority"}}, "already exists"),
        ({"Estimate": {"title": {}}}, "Cannot change"),
        ({"Name": {"rich_text": {}}}, "Cannot change"),
        ({"Second": {"title": {}}}, "one title"),
        ({"Priority": {"select": {"options": [{"id": "nope"}]}}}, "Invalid option id"),
        ({"B": {"button": {}}}, "cannot be created"),
        ({"Double": {"formula": {"expression": "((("}}}, "invalid"),
    ],
)
def test_update_rejects(base: dict, props: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        upd(base, props)


def test_button_and_verification_are_readable_in_stored_schema(base: dict) -> None:
    # Schemas synced from real Notion may contain them; updates elsewhere must not choke
    schema = dict(base)
    schema["btn"] = {"id": "btn", "name": "Go", "description": None, "type": "button",
                     "button": {}}
    out = upd(schema, {"Estimate": {"name": "Points"}})
    assert out["btn"]["type"] == "button"
