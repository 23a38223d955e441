"""Data source query: cursors, filters (incl. timestamps), trash, lag, filter_properties."""

from __future__ import annotations

import httpx

from notion_mirror.testing import EmulatorHandle
from tests.integration.emulator.conftest import error_of, make_row


def _all(api: httpx.Client, ds: str, body: dict | None = None, size: int = 100) -> list[list[dict]]:
    batches, cursor = [], None
    while True:
        req = {**(body or {}), "page_size": size}
        if cursor:
            req["start_cursor"] = cursor
        res = api.post(f"/v1/data_sources/{ds}/query", json=req).json()
        assert res["object"] == "list" and res["type"] == "page_or_data_source"
        assert res["page_or_data_source"] == {}
        batches.append(res["results"])
        if not res["has_more"]:
            assert res["next_cursor"] is None
            return batches
        cursor = res["next_cursor"]


def test_250_rows_come_back_in_three_pages(
    emulator: EmulatorHandle, tasks: tuple[str, str]
) -> None:
    _, ds = tasks
    ws = emulator.emulator.workspace
    # Bulk-create through the handler (fast) rather than 250 HTTP round trips.
    from notion_mirror.emulator.pages import create_page
    from notion_mirror.emulator.request import ApiRequest

    with ws.lock:
        for i in range(250):
            create_page(
                ws,
                ApiRequest(
                    "POST",
                    "/v1/pages",
                    {},
                    body={
                        "parent": {"data_source_id": ds},
                        "properties": {
                            "Name": {"title": [{"text": {"content": f"r{i}"}}]},
                            "Estimate": {"number": i},
                        },
                    },
                ),
            )
    with httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {emulator.token}", "Notion-Version": "2026-03-11"},
    ) as api:
        batches = _all(api, ds)
        assert [len(b) for b in batches] == [100, 100, 50]
        ids = [p["id"] for b in batches for p in b]
        assert len(set(ids)) == 250
        bad = api.post(f"/v1/data_sources/{ds}/query", json={"page_size": 101})
        assert error_of(bad)[1] == "validation_error"
        cursor_bad = api.post(f"/v1/data_sources/{ds}/query", json={"start_cursor": "zzz"})
        assert error_of(cursor_bad)[1] == "validation_error"


def test_filters_sorts_and_filter_properties(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    for i in range(5):
        make_row(api, ds, f"r{i}", properties={"Estimate": {"number": i}})
    res = api.post(
        f"/v1/data_sources/{ds}/query?filter_properties=title",
        json={
            "filter": {"property": "Estimate", "number": {"greater_than": 2}},
            "sorts": [{"property": "Estimate", "direction": "descending"}],
        },
    ).json()
    assert [r["properties"]["Name"]["title"][0]["plain_text"] for r in res["results"]] == [
        "r4",
        "r3",
    ]
    assert all(list(r["properties"]) == ["Name"] for r in res["results"])
    bad = api.post(
        f"/v1/data_sources/{ds}/query",
        json={"filter": {"property": "Nope", "number": {"equals": 1}}},
    )
    assert error_of(bad)[1] == "validation_error"
    extra = api.post(f"/v1/data_sources/{ds}/query", json={"bogus": True})
    assert error_of(extra)[1] == "validation_error"


def test_timestamp_filter_sees_page_last_edited_time(
    api: httpx.Client, tasks: tuple[str, str]
) -> None:
    _, ds = tasks
    api.post("/__emulator/clock", json={"set": "2026-08-01T10:00:10Z"})
    old = make_row(api, ds, "old")
    api.post("/__emulator/clock", json={"advance_seconds": 300})
    new = make_row(api, ds, "new")
    api.post("/__emulator/clock", json={"advance_seconds": 300})
    api.patch(
        f"/v1/pages/{old['id']}/markdown",
        json={"type": "replace_content", "replace_content": {"new_str": "edited"}},
    )

    def since(stamp: str) -> set[str]:
        flt = {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": stamp}}
        res = api.post(f"/v1/data_sources/{ds}/query", json={"filter": flt}).json()
        return {r["id"] for r in res["results"]}

    assert since("2026-08-01T10:05:00.000Z") == {old["id"], new["id"]}
    assert since("2026-08-01T10:06:00.000Z") == {old["id"]}
    assert since("2026-08-01T10:11:00.000Z") == set()


def test_trashed_rows_are_excluded_unless_asked(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    keep = make_row(api, ds, "keep")
    gone = make_row(api, ds, "gone")
    api.delete(f"/v1/blocks/{gone['id']}")
    res = api.post(f"/v1/data_sources/{ds}/query", json={}).json()
    assert [r["id"] for r in res["results"]] == [keep["id"]]
    res = api.post(f"/v1/data_sources/{ds}/query", json={"in_trash": True}).json()
    assert [r["id"] for r in res["results"]] == [gone["id"]]
    assert api.get(f"/v1/pages/{gone['id']}").json()["in_trash"] is True


def test_query_lag_hides_new_rows_from_queries_only(emulator_factory, api: httpx.Client) -> None:
    handle = emulator_factory(query_lag=30)
    with httpx.Client(
        base_url=handle.base_url,
        headers={"Authorization": f"Bearer {handle.token}", "Notion-Version": "2026-03-11"},
    ) as lagged:
        from tests.integration.emulator.conftest import make_data_source

        _, ds = make_data_source(lagged, handle.root_page_id)
        page = make_row(lagged, ds, "fresh")
        assert lagged.post(f"/v1/data_sources/{ds}/query", json={}).json()["results"] == []
        assert lagged.get(f"/v1/pages/{page['id']}").status_code == 200
        lagged.post("/__emulator/clock", json={"advance_seconds": 31})
        res = lagged.post(f"/v1/data_sources/{ds}/query", json={}).json()
        assert [r["id"] for r in res["results"]] == [page["id"]]
        lagged.post("/__emulator/query-lag", json={"seconds": 0})
        newer = make_row(lagged, ds, "newer")
        res = lagged.post(f"/v1/data_sources/{ds}/query", json={}).json()
        assert newer["id"] in {r["id"] for r in res["results"]}
