"""The official Python SDK, pointed at the emulator, sees Notion's behaviour.

This is the emulator's acceptance test: a client we did not write creates a
database holding every writable property type, fills it, pages through it,
reads a long relation through the property item endpoint, edits markdown and
gets Notion-shaped errors back.
"""

from __future__ import annotations

import pytest
from notion_client import APIResponseError, Client

from notion_mirror.testing import EmulatorHandle

PAGE_COUNT = 250
RELATION_SIZE = 30


@pytest.fixture
def sdk(emulator: EmulatorHandle):
    client = Client(auth=emulator.token, base_url=emulator.base_url, notion_version="2026-03-11")
    yield client
    client.close()


def _title(text: str) -> list[dict]:
    return [{"type": "text", "text": {"content": text}}]


def _make_projects(sdk: Client, root_page_id: str) -> tuple[str, list[str]]:
    db = sdk.databases.create(
        parent={"type": "page_id", "page_id": root_page_id},
        title=_title("Projects"),
        initial_data_source={"properties": {"Name": {"title": {}}}},
    )
    ds_id = db["data_sources"][0]["id"]
    ids = [
        sdk.pages.create(
            parent={"data_source_id": ds_id}, properties={"Name": {"title": _title(f"P{i}")}}
        )["id"]
        for i in range(RELATION_SIZE)
    ]
    return ds_id, ids


def test_sdk_round_trip_every_writable_type(sdk: Client, emulator: EmulatorHandle) -> None:
    projects_ds, project_ids = _make_projects(sdk, emulator.root_page_id)
    person = next(u for u in sdk.users.list()["results"] if u["type"] == "person")

    db = sdk.databases.create(
        parent={"type": "page_id", "page_id": emulator.root_page_id},
        title=_title("Tasks"),
        initial_data_source={
            "properties": {
                "Name": {"title": {}},
                "Notes": {"rich_text": {}},
                "Estimate": {"number": {"format": "number"}},
                "Priority": {"select": {"options": [{"name": "High"}, {"name": "Low"}]}},
                "Tags": {"multi_select": {"options": [{"name": "infra"}]}},
                "Status": {"status": {}},
                "Due": {"date": {}},
                "Owner": {"people": {}},
                "Attachments": {"files": {}},
                "Done": {"checkbox": {}},
                "Link": {"url": {}},
                "Contact": {"email": {}},
                "Phone": {"phone_number": {}},
                "Projects": {"relation": {"data_source_id": projects_ds, "single_property": {}}},
            }
        },
    )
    assert db["object"] == "database"
    assert "properties" not in db
    assert "archived" not in db
    ds_id = db["data_sources"][0]["id"]

    schema = sdk.data_sources.retrieve(ds_id)
    assert schema["object"] == "data_source"
    assert next(iter(schema["properties"])) == "Name"
    assert schema["properties"]["Name"]["id"] == "title"
    assert {p["type"] for p in schema["properties"].values()} >= {
        "title", "rich_text", "number", "select", "multi_select", "status", "date",
        "people", "files", "checkbox", "url", "email", "phone_number", "relation",
    }  # fmt: skip

    full = sdk.pages.create(
        parent={"data_source_id": ds_id},
        properties={
            "Name": {"title": _title("Launch checklist")},
            "Notes": {"rich_text": [{"text": {"content": "bold"}, "annotations": {"bold": True}}]},
            "Estimate": {"number": 8},
            "Priority": {"select": {"name": "High"}},
            "Tags": {"multi_select": [{"name": "infra"}, {"name": "q3"}]},
            "Status": {"status": {"name": "In progress"}},
            "Due": {"date": {"start": "2026-09-15"}},
            "Owner": {"people": [{"id": person["id"]}]},
            "Attachments": {
                "files": [
                    {"name": "spec", "type": "external", "external": {"url": "https://e.com/s"}}
                ]
            },
            "Done": {"checkbox": True},
            "Link": {"url": "https://example.com/p/1"},
            "Contact": {"email": "ada@example.com"},
            "Phone": {"phone_number": "+1 555 0100"},
            "Projects": {"relation": [{"id": pid} for pid in project_ids]},
        },
        markdown="## Notes\n\n- first item",
    )
    props = full["properties"]
    assert full["parent"] == {
        "type": "data_source_id",
        "data_source_id": ds_id,
        "database_id": db["id"],
    }
    assert full["created_time"].endswith(":00.000Z")
    assert props["Estimate"]["number"] == 8
    assert props["Priority"]["select"]["name"] == "High"
    assert [o["name"] for o in props["Tags"]["multi_select"]] == ["infra", "q3"]
    assert props["Status"]["status"]["name"] == "In progress"
    assert props["Due"]["date"]["start"] == "2026-09-15"
    assert props["Done"]["checkbox"] is True
    assert props["Notes"]["rich_text"][0]["annotations"]["bold"] is True
    assert props["Notes"]["rich_text"][0]["plain_text"] == "bold"
    # An unknown multi_select name ("q3") was auto-created in the schema, as Notion does.
    tags = sdk.data_sources.retrieve(ds_id)["properties"]["Tags"]["multi_select"]["options"]
    assert "q3" in [o["name"] for o in tags]

    # Page objects show at most 25 relation references and say there are more.
    assert len(props["Projects"]["relation"]) == 25
    assert props["Projects"]["has_more"] is True

    # The property item endpoint gives the whole relation, paginated.
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        kwargs = {"page_size": 10}
        if cursor:
            kwargs["start_cursor"] = cursor
        item = sdk.pages.properties.retrieve(full["id"], props["Projects"]["id"], **kwargs)
        assert item["object"] == "list"
        assert item["type"] == "property_item"
        seen += [r["relation"]["id"] for r in item["results"]]
        pages += 1
        if not item["has_more"]:
            break
        cursor = item["next_cursor"]
    assert seen == project_ids
    assert pages == 3

    # Markdown was normalised on write the way Notion does (blank line dropped).
    md = sdk.pages.retrieve_markdown(full["id"])
    assert md["object"] == "page_markdown"
    assert md["markdown"] == "## Notes\n- first item"
    assert md["truncated"] is False
    assert md["unknown_block_ids"] == []
    patched = sdk.pages.update_markdown(
        full["id"],
        type="update_content",
        update_content={"content_updates": [{"old_str": "first item", "new_str": "done item"}]},
    )
    assert patched["markdown"] == "## Notes\n- done item"

    # Fill to PAGE_COUNT rows and read them back across three cursor pages.
    for i in range(PAGE_COUNT - 1):
        sdk.pages.create(
            parent={"data_source_id": ds_id},
            properties={"Name": {"title": _title(f"Row {i}")}, "Estimate": {"number": i}},
        )
    ids: list[str] = []
    cursor = None
    batches = 0
    while True:
        kwargs = {"page_size": 100}
        if cursor:
            kwargs["start_cursor"] = cursor
        res = sdk.data_sources.query(ds_id, **kwargs)
        assert res["type"] == "page_or_data_source"
        ids += [r["id"] for r in res["results"]]
        batches += 1
        if not res["has_more"]:
            break
        cursor = res["next_cursor"]
    assert batches == 3
    assert len(ids) == len(set(ids)) == PAGE_COUNT

    # Filters and sorts work through the SDK too.
    res = sdk.data_sources.query(
        ds_id,
        filter={"property": "Estimate", "number": {"greater_than_or_equal_to": 240}},
        sorts=[{"property": "Estimate", "direction": "descending"}],
    )
    assert [r["properties"]["Estimate"]["number"] for r in res["results"]] == list(
        range(248, 239, -1)
    )


def test_sdk_sees_notion_shaped_errors(sdk: Client, emulator: EmulatorHandle) -> None:
    with pytest.raises(APIResponseError) as missing:
        sdk.pages.retrieve("00000000-0000-0000-0000-000000000000")
    assert missing.value.status == 404
    assert missing.value.code == "object_not_found"

    db = sdk.databases.create(
        parent={"type": "page_id", "page_id": emulator.root_page_id},
        title=_title("Errors"),
        initial_data_source={
            "properties": {"Name": {"title": {}}, "Created": {"created_time": {}}}
        },
    )
    ds_id = db["data_sources"][0]["id"]
    with pytest.raises(APIResponseError) as unknown:
        sdk.pages.create(
            parent={"data_source_id": ds_id},
            properties={"Nope": {"rich_text": []}},
        )
    assert unknown.value.status == 400
    assert unknown.value.code == "validation_error"
    assert "Nope is not a property that exists" in str(unknown.value)

    with pytest.raises(APIResponseError) as computed:
        sdk.pages.create(
            parent={"data_source_id": ds_id},
            properties={"Created": {"created_time": "2026-01-01T00:00:00.000Z"}},
        )
    assert computed.value.code == "validation_error"

    page = sdk.pages.create(
        parent={"data_source_id": ds_id}, properties={"Name": {"title": _title("x")}}
    )
    with pytest.raises(APIResponseError) as nomatch:
        sdk.pages.update_markdown(
            page["id"],
            type="update_content",
            update_content={"content_updates": [{"old_str": "absent", "new_str": "y"}]},
        )
    assert nomatch.value.code == "validation_error"

    bad = Client(auth="ntn_wrong", base_url=emulator.base_url, notion_version="2026-03-11")
    try:
        with pytest.raises(APIResponseError) as unauthorized:
            bad.users.me()
        assert unauthorized.value.status == 401
        assert unauthorized.value.code == "unauthorized"
    finally:
        bad.close()
