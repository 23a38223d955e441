"""Object shapes match the recorded responses; lifecycle and timestamps behave like Notion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from notion_mirror.testing import EmulatorHandle
from tests.integration.emulator.conftest import error_of, make_row, recorded, text


def _keys(obj: dict) -> set[str]:
    return set(obj) - {"archived"}


def test_database_and_data_source_shapes_match_recordings(
    api: httpx.Client, emulator: EmulatorHandle
) -> None:
    resp = api.post(
        "/v1/databases",
        json={
            "parent": {"type": "page_id", "page_id": emulator.root_page_id},
            "title": text("Tasks"),
            "initial_data_source": {
                "properties": {"Name": {"title": {}}, "Done": {"checkbox": {}}}
            },
        },
    )
    db = resp.json()
    assert _keys(db) == _keys(recorded("test_databases_create__2.json"))
    assert "archived" not in db and "properties" not in db
    assert db["data_sources"][0]["name"] == "Tasks"
    assert _keys(api.get(f"/v1/databases/{db['id']}").json()) == _keys(db)
    ds = api.get(f"/v1/data_sources/{db['data_sources'][0]['id']}").json()
    assert _keys(ds) == _keys(recorded("test_data_sources_retrieve__4.json"))
    assert list(ds["properties"]) == ["Name", "Done"]
    assert ds["properties"]["Name"] == {
        "id": "title",
        "name": "Name",
        "description": None,
        "type": "title",
        "title": {},
    }
    assert ds["parent"] == {"type": "database_id", "database_id": db["id"]}
    assert ds["database_parent"] == {"type": "page_id", "page_id": emulator.root_page_id}
    assert ds["created_time"].endswith(":00.000Z")

    second = api.post(
        "/v1/data_sources",
        json={
            "parent": {"type": "database_id", "database_id": db["id"]},
            "title": text("Second"),
            "properties": {"Title": {"title": {}}},
        },
    ).json()
    assert _keys(second) == _keys(ds)
    names = [d["name"] for d in api.get(f"/v1/databases/{db['id']}").json()["data_sources"]]
    assert names == ["Tasks", "Second"]


def test_schema_patch_adds_renames_and_deletes(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    resp = api.patch(
        f"/v1/data_sources/{ds}",
        json={
            "properties": {
                "Estimate": {"name": "Points"},
                "Tags": {"multi_select": {"options": [{"name": "a"}]}},
            }
        },
    )
    assert resp.status_code == 200, resp.text
    assert list(resp.json()["properties"]) == ["Name", "Points", "Tags"]
    resp = api.patch(f"/v1/data_sources/{ds}", json={"properties": {"Tags": None}})
    assert list(resp.json()["properties"]) == ["Name", "Points"]
    resp = api.patch(f"/v1/data_sources/{ds}", json={"properties": {"Ghost": None}})
    assert error_of(resp)[1] == "validation_error"


def test_page_shape_and_lifecycle(api: httpx.Client, tasks: tuple[str, str]) -> None:
    db, ds = tasks
    page = make_row(api, ds, "Write report", properties={"Estimate": {"number": 3}})
    assert _keys(page) == _keys(recorded("test_pages_create__1.json"))
    assert "archived" not in page
    assert page["parent"] == {"type": "data_source_id", "data_source_id": ds, "database_id": db}
    assert page["url"] == f"https://app.notion.com/p/{page['id'].replace('-', '')}"
    assert page["properties"]["Estimate"]["number"] == 3
    pid = page["id"]

    updated = api.patch(
        f"/v1/pages/{pid}",
        json={"properties": {"Estimate": {"number": 5}}, "icon": {"emoji": "🐞"}},
    ).json()
    assert updated["properties"]["Estimate"]["number"] == 5
    assert updated["icon"] == {"type": "emoji", "emoji": "🐞"}
    bad = api.patch(f"/v1/pages/{pid}", json={"properties": {"Nope": {"number": 1}}})
    assert error_of(bad) == (400, "validation_error", "Nope is not a property that exists.")

    trashed = api.delete(f"/v1/blocks/{pid}").json()
    assert trashed["object"] == "block" and trashed["type"] == "child_page"
    assert trashed["in_trash"] is True and trashed["child_page"] == {"title": "Write report"}
    assert _keys(trashed) == _keys(recorded("test_pages_create__2.json"))
    assert api.get(f"/v1/pages/{pid}").json()["in_trash"] is True
    locked = api.patch(f"/v1/pages/{pid}", json={"properties": {"Estimate": {"number": 1}}})
    assert error_of(locked)[1] == "validation_error"
    restored = api.patch(f"/v1/pages/{pid}", json={"in_trash": False}).json()
    assert restored["in_trash"] is False
    assert api.patch(f"/v1/pages/{pid}", json={"in_trash": True}).json()["in_trash"] is True


def test_timestamps_are_minute_floored_and_bumped_only_by_edits(
    api: httpx.Client, tasks: tuple[str, str]
) -> None:
    _, ds = tasks
    api.post("/__emulator/clock", json={"set": "2026-08-01T10:15:42Z"})
    page = make_row(api, ds, "x")
    assert page["created_time"] == page["last_edited_time"] == "2026-08-01T10:15:00.000Z"
    api.post("/__emulator/clock", json={"advance_seconds": 120})
    for path in (f"/v1/pages/{page['id']}", f"/v1/pages/{page['id']}/markdown"):
        api.get(path)
    assert api.get(f"/v1/pages/{page['id']}").json()["last_edited_time"] == page["created_time"]
    edited = api.patch(f"/v1/pages/{page['id']}", json={"properties": {"Estimate": {"number": 1}}})
    assert edited.json()["last_edited_time"] == "2026-08-01T10:17:00.000Z"
    assert edited.json()["created_time"] == "2026-08-01T10:15:00.000Z"
    api.post("/__emulator/clock", json={"advance_seconds": 60})
    api.patch(
        f"/v1/pages/{page['id']}/markdown",
        json={"type": "replace_content", "replace_content": {"new_str": "Body"}},
    )
    assert api.get(f"/v1/pages/{page['id']}").json()["last_edited_time"].endswith("10:18:00.000Z")
    now = api.get("/__emulator/clock").json()["now"]
    assert now.startswith("2026-08-01T10:18:")


def test_clock_is_injectable_in_process(emulator: EmulatorHandle) -> None:
    emu = emulator.emulator
    emu.set_clock(datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC), freeze=True)
    emu.advance_clock(45)
    assert emu.clock.now() == datetime(2030, 1, 1, 12, 1, 15, tzinfo=UTC)
    emu.clock.real()
    assert abs(emu.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_relation_truncation_and_property_items(
    api: httpx.Client, emulator: EmulatorHandle, tasks: tuple[str, str]
) -> None:
    _, targets = tasks
    target_ids = [make_row(api, targets, f"T{i}")["id"] for i in range(30)]
    resp = api.post(
        "/v1/databases",
        json={
            "parent": {"type": "page_id", "page_id": emulator.root_page_id},
            "initial_data_source": {
                "properties": {
                    "Name": {"title": {}},
                    "Links": {"relation": {"data_source_id": targets, "single_property": {}}},
                }
            },
        },
    )
    ds = resp.json()["data_sources"][0]["id"]
    page = make_row(
        api, ds, "hub", properties={"Links": {"relation": [{"id": t} for t in target_ids]}}
    )
    view = page["properties"]["Links"]
    assert len(view["relation"]) == 25 and view["has_more"] is True
    seen: list[str] = []
    url = f"/v1/pages/{page['id']}/properties/{view['id']}?page_size=20"
    while url:
        item = api.get(url).json()
        assert item["object"] == "list" and item["type"] == "property_item"
        seen += [r["relation"]["id"] for r in item["results"]]
        next_url = item["property_item"]["next_url"]
        assert (next_url is None) == (not item["has_more"])
        url = next_url.removeprefix(emulator.base_url) if next_url else None
    assert seen == target_ids
    single = api.get(f"/v1/pages/{page['id']}/properties/title").json()
    assert single["results"][0]["title"]["plain_text"] == "hub"
    missing = api.get(f"/v1/pages/{page['id']}/properties/zzzz")
    assert error_of(missing)[:2] == (404, "object_not_found")


def test_search_finds_titles_and_filters_by_object(
    api: httpx.Client, tasks: tuple[str, str]
) -> None:
    _, ds = tasks
    for i in range(3):
        make_row(api, ds, f"Quarterly report {i}")
    found = api.post("/v1/search", json={"query": "quarterly", "page_size": 2}).json()
    assert found["type"] == "page_or_data_source" and found["has_more"] is True
    rest = api.post(
        "/v1/search", json={"query": "quarterly", "start_cursor": found["next_cursor"]}
    ).json()
    assert len(found["results"]) + len(rest["results"]) == 3
    sources = api.post(
        "/v1/search", json={"filter": {"property": "object", "value": "data_source"}}
    ).json()
    assert [r["object"] for r in sources["results"]] == ["data_source"]


def test_trashing_a_database_trashes_its_data_sources(
    api: httpx.Client, emulator: EmulatorHandle, tasks: tuple[str, str]
) -> None:
    db, ds = tasks
    root_md = api.get(f"/v1/pages/{emulator.root_page_id}/markdown").json()["markdown"]
    assert f'<database url="https://app.notion.com/p/{db.replace("-", "")}">Tasks</database>' in (
        root_md
    )
    block = api.delete(f"/v1/blocks/{db}").json()
    assert block["type"] == "child_database" and block["in_trash"] is True
    assert api.get(f"/v1/data_sources/{ds}").json()["in_trash"] is True
    assert error_of(api.post(f"/v1/data_sources/{ds}/query", json={}))[0] == 404
    assert api.get(f"/v1/pages/{emulator.root_page_id}/markdown").json()["markdown"] == ""


def test_date_header_follows_the_emulator_clock(api: httpx.Client) -> None:
    api.post("/__emulator/clock", json={"set": "2031-05-06T07:08:09Z", "freeze": True})
    resp = api.get("/v1/users/me")
    assert resp.headers.get_list("date") == ["Tue, 06 May 2031 07:08:09 GMT"]
