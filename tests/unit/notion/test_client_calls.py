"""What each typed method sends, and how pagination is drained."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from notion_mirror.notion import NOTION_VERSION, DataSource, Page

from .conftest import DS_ID, PAGE_ID, TOKEN, page_body

PAGE_HEX = PAGE_ID.replace("-", "")
OTHER = "11111111-2222-3333-4444-555555555555"


def _body(request: httpx.Request) -> dict:
    return json.loads(request.content) if request.content else {}


def _list(results: list, cursor: str | None = None, kind: str = "page_or_data_source") -> dict:
    return {
        "object": "list",
        "results": results,
        "next_cursor": cursor,
        "has_more": cursor is not None,
        "type": kind,
        kind: {},
    }


def _md(text: str = "# Hi") -> dict:
    return {
        "object": "page_markdown",
        "id": PAGE_ID,
        "markdown": text,
        "truncated": False,
        "unknown_block_ids": [],
    }


def test_headers_and_id_normalisation(make_client) -> None:
    client, rec = make_client([(200, page_body())])
    page = client.retrieve_page(PAGE_HEX.upper())
    req = rec.requests[0]
    assert req.headers["notion-version"] == NOTION_VERSION == "2026-03-11"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.url.path == f"/v1/pages/{PAGE_ID}"
    assert isinstance(page, Page)
    assert page.created_time == datetime(2026, 7, 4, 9, 8, tzinfo=UTC)
    assert page.data_source_id == DS_ID
    assert client.stats.requests == {"GET /v1/pages/{page_id}": 1}


def test_bad_ids_fail_before_sending(make_client) -> None:
    client, rec = make_client([(200, page_body())])
    with pytest.raises(ValueError):
        client.retrieve_page("../users")
    assert rec.count == 0


def test_create_database_body(make_client) -> None:
    db = {
        "object": "database",
        "id": OTHER,
        "title": [{"plain_text": "Tasks"}],
        "data_sources": [{"id": DS_ID, "name": "Tasks"}],
        "url": "u",
        "in_trash": False,
        "parent": {"type": "page_id", "page_id": PAGE_ID},
    }
    client, rec = make_client([(200, db)])
    out = client.create_database(PAGE_HEX, "Tasks", {"Name": {"title": {}}}, description="d")
    assert _body(rec.requests[0]) == {
        "parent": {"type": "page_id", "page_id": PAGE_ID},
        "title": [{"type": "text", "text": {"content": "Tasks"}}],
        "description": [{"type": "text", "text": {"content": "d"}}],
        "is_inline": False,
        "initial_data_source": {"properties": {"Name": {"title": {}}}},
    }
    assert out.title == "Tasks"
    assert out.data_sources[0].id == DS_ID
    assert out.parent_page_id == PAGE_ID


def test_update_data_source_sends_only_given_fields(make_client) -> None:
    ds = {
        "object": "data_source",
        "id": DS_ID,
        "title": [],
        "properties": {
            "Name": {
                "id": "title",
                "name": "Name",
                "type": "title",
                "title": {},
                "description": None,
            }
        },
        "parent": {"type": "database_id", "database_id": OTHER},
    }
    client, rec = make_client([(200, ds)])
    out = client.update_data_source(DS_ID, properties={"Old": None}, in_trash=False)
    assert rec.requests[0].method == "PATCH"
    assert _body(rec.requests[0]) == {"properties": {"Old": None}, "in_trash": False}
    assert isinstance(out, DataSource)
    assert out.database_id == OTHER
    assert out.properties["Name"].type == "title"


def test_query_body_params_and_draining(make_client) -> None:
    p1, p2, p3 = page_body(OTHER), page_body(PAGE_ID), page_body(DS_ID)
    client, rec = make_client([(200, _list([p1, p2], "cur-1")), (200, _list([p3]))])
    flt = {"property": "Done", "checkbox": {"equals": False}}
    sorts = [{"timestamp": "last_edited_time", "direction": "ascending"}]
    pages = list(
        client.iter_query(
            DS_ID, filter=flt, sorts=sorts, page_size=2, filter_properties=["title", "a%3Bb"]
        )
    )
    assert [p.id for p in pages] == [OTHER, PAGE_ID, DS_ID]
    first, second = rec.requests
    assert first.url.path == f"/v1/data_sources/{DS_ID}/query"
    assert first.url.params.get_list("filter_properties") == ["title", "a%3Bb"]
    assert _body(first) == {"page_size": 2, "filter": flt, "sorts": sorts}
    assert "start_cursor" not in _body(first)
    assert _body(second)["start_cursor"] == "cur-1"


def test_query_page_reports_incompleteness(make_client) -> None:
    body = _list([page_body()]) | {"request_status": {"type": "incomplete"}}
    client, _ = make_client([(200, body)])
    page = client.query_data_source(DS_ID)
    assert page.request_status == {"type": "incomplete"}
    assert not page.complete


def test_page_size_is_checked(make_client) -> None:
    client, rec = make_client([(200, _list([]))])
    with pytest.raises(ValueError):
        client.query_data_source(DS_ID, page_size=101)
    assert rec.count == 0


def test_create_page_parents(make_client) -> None:
    client, rec = make_client([(200, page_body())])
    client.create_page(
        parent_data_source_id=DS_ID, properties={"Name": {"title": []}}, markdown="## Notes"
    )
    client.create_page(parent_page_id=PAGE_HEX, properties={})
    assert _body(rec.requests[0]) == {
        "parent": {"type": "data_source_id", "data_source_id": DS_ID},
        "properties": {"Name": {"title": []}},
        "markdown": "## Notes",
    }
    assert _body(rec.requests[1])["parent"] == {"type": "page_id", "page_id": PAGE_ID}
    with pytest.raises(ValueError):
        client.create_page(properties={})
    with pytest.raises(ValueError):
        client.create_page(parent_page_id=PAGE_ID, parent_data_source_id=DS_ID, properties={})


def test_trash_and_restore(make_client) -> None:
    client, rec = make_client([(200, page_body(in_trash=True)), (200, page_body())])
    assert client.trash_page(PAGE_ID).in_trash
    assert not client.restore_page(PAGE_ID).in_trash
    assert [_body(r) for r in rec.requests] == [{"in_trash": True}, {"in_trash": False}]
    assert all(r.method == "PATCH" for r in rec.requests)


def test_property_items_are_drained(make_client) -> None:
    item = {"object": "property_item", "id": "rel", "type": "relation", "relation": {"id": OTHER}}
    meta = {"id": "rel", "next_url": None, "type": "relation", "relation": {}}
    first = _list([item, item], "c2", "property_item") | {"property_item": meta}
    last = _list([item], None, "property_item") | {"property_item": meta}
    client, rec = make_client([(200, first), (200, last)])
    items = list(client.iter_page_property_items(PAGE_ID, "a%3Bb"))
    assert len(items) == 3
    assert (
        rec.requests[0].url.raw_path.decode().startswith(f"/v1/pages/{PAGE_ID}/properties/a%3Bb?")
    )
    assert rec.requests[0].url.params["page_size"] == "100"
    assert "start_cursor" not in rec.requests[0].url.params
    assert rec.requests[1].url.params["start_cursor"] == "c2"
    assert client.stats.requests == {"GET /v1/pages/{page_id}/properties/{property_id}": 2}


def test_single_property_item_yields_itself(make_client) -> None:
    item = {"object": "property_item", "id": "n", "type": "number", "number": 3}
    client, _ = make_client([(200, item)])
    assert list(client.iter_page_property_items(PAGE_ID, "n")) == [item]


def test_markdown_commands(make_client) -> None:
    client, rec = make_client([(200, _md())])
    md = client.retrieve_markdown(PAGE_ID)
    assert md.markdown == "# Hi" and md.truncated is False and md.unknown_block_ids == ()
    client.update_markdown_content(PAGE_ID, [{"old_str": "a", "new_str": "b"}])
    client.replace_markdown(PAGE_ID, "new", allow_deleting_content=True)
    client.insert_markdown(PAGE_ID, "x", position="start")
    client.insert_markdown(PAGE_ID, "y", after="a...b")
    client.insert_markdown(PAGE_ID, "z")
    bodies = [_body(r) for r in rec.requests[1:]]
    assert bodies == [
        {
            "type": "update_content",
            "update_content": {
                "content_updates": [{"old_str": "a", "new_str": "b"}],
                "allow_deleting_content": False,
            },
        },
        {
            "type": "replace_content",
            "replace_content": {"new_str": "new", "allow_deleting_content": True},
        },
        {
            "type": "insert_content",
            "insert_content": {"content": "x", "position": {"type": "start"}},
        },
        {"type": "insert_content", "insert_content": {"content": "y", "after": "a...b"}},
        {"type": "insert_content", "insert_content": {"content": "z"}},
    ]
    assert {r.method for r in rec.requests[1:]} == {"PATCH"}
    with pytest.raises(ValueError):
        client.insert_markdown(PAGE_ID, "x", position="end", after="a")
    with pytest.raises(ValueError):
        client.update_markdown_content(PAGE_ID, [])


def test_search_and_users_paginate(make_client) -> None:
    ds = {"object": "data_source", "id": DS_ID, "properties": {}}
    user = {
        "object": "user",
        "id": OTHER,
        "type": "person",
        "name": "Ada",
        "person": {"email": "ada@example.com"},
    }
    client, rec = make_client(
        [
            (200, _list([page_body(), ds], "s2")),
            (200, _list([{"object": "mystery", "id": "?"}])),
            (200, _list([user], "u2", "user")),
            (200, _list([user], None, "user")),
        ]
    )
    found = list(client.search("x", filter={"property": "object", "value": "page"}))
    assert [type(f).__name__ for f in found] == ["Page", "DataSource", "dict"]
    assert _body(rec.requests[1])["start_cursor"] == "s2"
    assert _body(rec.requests[0]) == {
        "page_size": 100,
        "query": "x",
        "filter": {"property": "object", "value": "page"},
    }
    users = list(client.list_users())
    assert [u.email for u in users] == ["ada@example.com"] * 2
    assert rec.requests[3].url.params["start_cursor"] == "u2"


def test_malformed_success_body_is_a_permanent_error(make_client) -> None:
    from notion_mirror.errors import PermanentError

    client, _ = make_client([(200, {"object": "page", "id": PAGE_ID})])
    with pytest.raises(PermanentError) as info:
        client.retrieve_page(PAGE_ID)
    assert info.value.code == "malformed_response"
    assert info.value.route == "/v1/pages/{page_id}"


def test_context_manager_closes(make_client) -> None:
    client, _ = make_client([(200, page_body())])
    with client as c:
        assert c is client
    with pytest.raises(RuntimeError):
        client.retrieve_page(PAGE_ID)


def test_server_time_follows_the_date_header() -> None:
    import httpx

    from notion_mirror.notion import NotionClient

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78", "type": "bot"},
            headers={"Date": "Tue, 24 Nov 2026 10:05:59 GMT"},
        )

    client = NotionClient(
        token="ntn_test", base_url="https://api.test", transport=httpx.MockTransport(handler),
        rate_limit=None,
    )
    try:
        assert client.server_time() is None
        client.users_me()
        seen = client.server_time()
        assert seen is not None
        assert seen.isoformat() == "2026-11-24T10:05:59+00:00"
    finally:
        client.close()
