"""Markdown endpoints: canonical storage, edits, guards, flags and signed media."""

from __future__ import annotations

import httpx

from notion_mirror.testing import EmulatorHandle
from tests.integration.emulator.conftest import error_of, make_row, recorded, text


def _patch(api: httpx.Client, page: str, kind: str, cmd: dict) -> httpx.Response:
    return api.patch(f"/v1/pages/{page}/markdown", json={"type": kind, kind: cmd})


def _md(api: httpx.Client, page: str) -> str:
    return api.get(f"/v1/pages/{page}/markdown").json()["markdown"]


def test_get_shape_and_canonical_write(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    empty = make_row(api, ds, "empty")
    got = api.get(f"/v1/pages/{empty['id']}/markdown").json()
    assert set(got) == set(recorded("test_pages_retrieve_markdown__2.json"))
    assert got["markdown"] == "" and got["truncated"] is False and got["unknown_block_ids"] == []
    resp = _patch(api, empty["id"], "insert_content", {"content": "## New Section\n\nHello."})
    assert resp.json()["markdown"] == "## New Section\nHello."
    page = make_row(api, ds, "body", markdown="## Notes\n\n- first item")
    assert _md(api, page["id"]) == "## Notes\n- first item"


def test_h1_becomes_title_when_no_title_given(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    resp = api.post(
        "/v1/pages", json={"parent": {"data_source_id": ds}, "markdown": "# From heading\nBody"}
    )
    page = resp.json()
    assert page["properties"]["Name"]["title"][0]["plain_text"] == "From heading"
    assert _md(api, page["id"]) == "Body"


def test_update_content_matching_rules(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    pid = make_row(api, ds, "p", markdown="TODO one\nTODO two\nDone")["id"]
    miss = _patch(
        api, pid, "update_content", {"content_updates": [{"old_str": "todo", "new_str": "x"}]}
    )
    assert error_of(miss)[:2] == (400, "validation_error")
    multi = _patch(
        api, pid, "update_content", {"content_updates": [{"old_str": "TODO", "new_str": "DONE"}]}
    )
    assert error_of(multi)[:2] == (400, "validation_error")
    # all or nothing: the second op fails, so the first does not apply
    partial = _patch(
        api,
        pid,
        "update_content",
        {
            "content_updates": [
                {"old_str": "Done", "new_str": "Finished"},
                {"old_str": "absent", "new_str": "y"},
            ]
        },
    )
    assert partial.status_code == 400
    assert _md(api, pid) == "TODO one\nTODO two\nDone"
    ok = _patch(
        api,
        pid,
        "update_content",
        {
            "content_updates": [
                {"old_str": "TODO", "new_str": "DONE", "replace_all_matches": True},
                {"old_str": "Done", "new_str": "Finished"},
            ]
        },
    )
    assert ok.json()["markdown"] == "DONE one\nDONE two\nFinished"
    empty = _patch(
        api, pid, "update_content", {"content_updates": [{"old_str": "", "new_str": "y"}]}
    )
    assert error_of(empty)[1] == "validation_error"
    none = _patch(api, pid, "update_content", {"content_updates": []})
    assert error_of(none)[1] == "validation_error"
    unknown = _patch(
        api,
        pid,
        "update_content",
        {"content_updates": [{"old_str": "a", "new_str": "b", "extra": 1}]},
    )
    assert error_of(unknown)[1] == "validation_error"


def test_insert_content_positions(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    pid = make_row(api, ds, "p", markdown="Alpha\nBeta\nGamma")["id"]
    assert (
        _patch(
            api, pid, "insert_content", {"content": "Start", "position": {"type": "start"}}
        ).json()["markdown"]
        == "Start\nAlpha\nBeta\nGamma"
    )
    assert (
        _patch(api, pid, "insert_content", {"content": "Mid", "after": "Al...Beta"}).json()[
            "markdown"
        ]
        == "Start\nAlpha\nBeta\nMid\nGamma"
    )
    both = _patch(
        api, pid, "insert_content", {"content": "x", "after": "Alpha", "position": {"type": "end"}}
    )
    assert error_of(both)[1] == "validation_error"


def test_child_page_lines_and_the_delete_guard(api: httpx.Client, emulator: EmulatorHandle) -> None:
    parent = api.post(
        "/v1/pages",
        json={
            "parent": {"page_id": emulator.root_page_id},
            "properties": {"title": text("Parent")},
            "markdown": "Intro",
        },
    ).json()
    child = api.post(
        "/v1/pages",
        json={"parent": {"page_id": parent["id"]}, "properties": {"title": text("Kid")}},
    ).json()
    line = f'<page url="https://app.notion.com/p/{child["id"].replace("-", "")}">Kid</page>'
    assert _md(api, parent["id"]) == f"Intro\n{line}"
    refused = _patch(api, parent["id"], "replace_content", {"new_str": "Only intro"})
    assert error_of(refused) == (
        400,
        "validation_error",
        'This operation would delete 1 child page(s) or database(s): page: "Kid"',
    )
    refused = _patch(
        api, parent["id"], "update_content", {"content_updates": [{"old_str": line, "new_str": ""}]}
    )
    assert error_of(refused)[1] == "validation_error"
    kept = _patch(api, parent["id"], "replace_content", {"new_str": f"New intro\n{line}"})
    assert kept.status_code == 200
    allowed = _patch(
        api, parent["id"], "replace_content", {"new_str": "Bare", "allow_deleting_content": True}
    )
    assert allowed.json()["markdown"] == "Bare"
    assert api.get(f"/v1/pages/{child['id']}").json()["in_trash"] is True


def test_trashed_child_disappears_from_parent_and_returns_on_restore(
    api: httpx.Client, emulator: EmulatorHandle
) -> None:
    parent = api.post(
        "/v1/pages",
        json={"parent": {"page_id": emulator.root_page_id}, "properties": {"title": text("P")}},
    ).json()
    child = api.post(
        "/v1/pages", json={"parent": {"page_id": parent["id"]}, "properties": {"title": text("C")}}
    ).json()
    assert "<page" in _md(api, parent["id"])
    api.delete(f"/v1/blocks/{child['id']}")
    assert _md(api, parent["id"]) == ""
    api.patch(f"/v1/pages/{child['id']}", json={"in_trash": False})
    assert "<page" in _md(api, parent["id"])


def test_body_flags_and_hosted_media(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    url = "https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/abc/image.png"
    pid = make_row(api, ds, "p", markdown=f"![]({url}?X-Amz-Signature=old)")["id"]
    first, second = _md(api, pid), _md(api, pid)
    assert first != second
    assert first.startswith(f"![]({url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600")
    assert "old" not in first
    flags = api.post(
        f"/__emulator/pages/{pid}/body-flags", json={"truncated": True, "unknown_block_ids": [pid]}
    )
    assert flags.status_code == 200
    got = api.get(f"/v1/pages/{pid}/markdown").json()
    assert got["truncated"] is True and got["unknown_block_ids"] == [pid]


def test_trashed_page_markdown_is_read_only(api: httpx.Client, tasks: tuple[str, str]) -> None:
    _, ds = tasks
    pid = make_row(api, ds, "p", markdown="x")["id"]
    api.delete(f"/v1/blocks/{pid}")
    assert _md(api, pid) == "x"
    assert error_of(_patch(api, pid, "replace_content", {"new_str": "y"}))[1] == "validation_error"
