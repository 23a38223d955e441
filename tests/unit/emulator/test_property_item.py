"""GET /v1/pages/{id}/properties/{prop}: single items and cursor pagination."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from notion_mirror.emulator.values import SchemaError, property_item

from ._world import ALICE, World, text

DS = "aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "bbbbbbbb-0000-4000-8000-000000000002"
BASE = "http://127.0.0.1:9999"


@pytest.fixture
def world() -> World:
    w = World()
    w.add_source(OTHER, {"Title": {"title": {}}, "Est": {"number": {}}})
    w.add_source(DS, {
        "Name": {"title": {}},
        "Estimate": {"number": {}},
        "Owner": {"people": {}},
        "Projects": {"relation": {"data_source_id": OTHER, "single_property": {}}},
        "Titles": {"rollup": {"relation_property_name": "Projects",
                              "rollup_property_name": "Title", "function": "show_original"}},
        "Sum": {"rollup": {"relation_property_name": "Projects", "rollup_property_name": "Est",
                           "function": "sum"}},
        "Median": {"rollup": {"relation_property_name": "Projects",
                              "rollup_property_name": "Est", "function": "show_unique"}},
    })
    return w


def prop(world: World, name: str) -> dict:
    return next(p for p in world.schemas[DS].values() if p["name"] == name)


def fetch(world: World, pid: str, name: str, cursor: str | None = None,
          size: int | None = None) -> dict:
    _schema, values, meta = world.record(pid)
    return property_item(prop(world, name), values, meta, start_cursor=cursor, page_size=size,
                         ctx=world.ctx(), base_url=BASE, page_id=pid)


def walk(world: World, pid: str, name: str, size: int) -> list[dict]:
    pages, cursor = [], None
    while True:
        page = fetch(world, pid, name, cursor, size)
        pages.append(page)
        if not page["has_more"]:
            return pages
        cursor = page["next_cursor"]
        query = parse_qs(urlsplit(page["property_item"]["next_url"]).query)
        assert query == {"start_cursor": [cursor], "page_size": [str(size)]}


def test_title_list_matches_recorded_shape(world: World) -> None:
    pid = world.add_page(DS, {"Name": {"title": text("Hello")}})
    body = fetch(world, pid, "Name")
    assert body == {
        "object": "list",
        "results": [{"object": "property_item", "id": "title", "type": "title", "title": {
            "type": "text", "text": {"content": "Hello", "link": None},
            "annotations": {"bold": False, "italic": False, "strikethrough": False,
                            "underline": False, "code": False, "color": "default"},
            "plain_text": "Hello", "href": None}}],
        "next_cursor": None, "has_more": False, "type": "property_item",
        "property_item": {"id": "title", "next_url": None, "type": "title", "title": {}},
    }


def test_single_item(world: World) -> None:
    pid = world.add_page(DS, {"Estimate": {"number": 8}})
    p = prop(world, "Estimate")
    assert fetch(world, pid, "Estimate") == {
        "object": "property_item", "id": p["id"], "type": "number", "number": 8}


def test_relation_of_30_in_pages_of_10(world: World) -> None:
    targets = [world.add_page(OTHER, {"Est": {"number": i}}) for i in range(30)]
    pid = world.add_page(DS, {"Projects": {"relation": [{"id": t} for t in targets]}})
    pages = walk(world, pid, "Projects", 10)
    assert len(pages) == 3
    got = [r["relation"]["id"] for page in pages for r in page["results"]]
    assert got == targets
    pid_enc = prop(world, "Projects")["id"]
    first = pages[0]["property_item"]["next_url"]
    assert first.startswith(f"{BASE}/v1/pages/{pid}/properties/{pid_enc}?start_cursor=")
    assert pages[-1]["property_item"]["next_url"] is None
    assert all(r["id"] == pid_enc and r["type"] == "relation" for p in pages for r in p["results"])


def test_people_and_empty_list(world: World) -> None:
    pid = world.add_page(DS, {"Owner": {"people": [{"id": ALICE}]}})
    body = fetch(world, pid, "Owner")
    assert [r["people"] for r in body["results"]] == [{"object": "user", "id": ALICE}]
    empty = fetch(world, world.add_page(DS), "Projects")
    assert empty["results"] == [] and empty["has_more"] is False


def test_rollup_show_original_flattens(world: World) -> None:
    targets = [world.add_page(OTHER, {"Title": {"title": text(f"T{i}")}}) for i in range(3)]
    pid = world.add_page(DS, {"Projects": {"relation": [{"id": t} for t in targets]}})
    pages = walk(world, pid, "Titles", 2)
    items = [r for p in pages for r in p["results"]]
    assert [r["title"]["plain_text"] for r in items] == ["T0", "T1", "T2"]
    assert pages[0]["property_item"]["rollup"] == {"type": "array", "array": [],
                                                   "function": "show_original"}


def test_rollup_sum_incomplete_until_last_page(world: World) -> None:
    targets = [world.add_page(OTHER, {"Est": {"number": i}}) for i in range(5)]
    pid = world.add_page(DS, {"Projects": {"relation": [{"id": t} for t in targets]}})
    pages = walk(world, pid, "Sum", 2)
    assert [p["property_item"]["rollup"]["type"] for p in pages] == [
        "incomplete", "incomplete", "number"]
    assert pages[-1]["property_item"]["rollup"] == {"type": "number", "number": 10,
                                                    "function": "sum"}
    assert all(r["type"] == "relation" for p in pages for r in p["results"])


def test_rollup_unsupported(world: World) -> None:
    pid = world.add_page(DS, {"Projects": {"relation": [{"id": world.add_page(OTHER)}]}})
    body = fetch(world, pid, "Median")
    assert body["property_item"]["rollup"]["type"] == "unsupported"
    assert len(body["results"]) == 1


@pytest.mark.parametrize("size", [0, 101, -1, "x"])
def test_bad_page_size(world: World, size: object) -> None:
    pid = world.add_page(DS)
    with pytest.raises(SchemaError):
        fetch(world, pid, "Name", size=size)  # type: ignore[arg-type]


def test_bad_cursor(world: World) -> None:
    pid = world.add_page(DS)
    with pytest.raises(SchemaError, match="start_cursor"):
        fetch(world, pid, "Name", cursor="garbage!!")
    other = walk(world, world.add_page(DS, {"Projects": {"relation": [
        {"id": world.add_page(OTHER)} for _ in range(3)]}}), "Projects", 1)[0]["next_cursor"]
    with pytest.raises(SchemaError, match="start_cursor"):
        fetch(world, pid, "Name", cursor=other)  # a cursor of another property
