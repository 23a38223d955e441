"""Lazy mirrors (``track --lazy``) against the emulator: rows without bodies, bodies on demand.

Request counts come from the emulator's own counters, so they are what Notion
would have served.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import SyncOptions, sync
from notion_mirror.sync.observe import BODY_NOT_FETCHED
from notion_mirror.sync.pull import fetch_body_now
from notion_mirror.sync.track import track
from tests.helpers import NotionAPI, title

MARKDOWN_READ = "GET /v1/pages/{page_id}/markdown"
MARKDOWN_WRITE = "PATCH /v1/pages/{page_id}/markdown"
QUERY = "POST /v1/data_sources/{data_source_id}/query"
PAGE_WRITE = "PATCH /v1/pages/{page_id}"

SCHEMA: dict[str, Any] = {"Name": {"title": {}}, "Estimate": {"number": {"format": "number"}}}


def requests(api: NotionAPI) -> dict[str, int]:
    return dict(api.stats()["requests"])


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


def remote_body(api: NotionAPI, page_id: str) -> str:
    return str(api.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"])


@pytest.fixture
def lazy(tmp_path: Path, api: NotionAPI, client: NotionClient) -> dict[str, Any]:
    """A lazy mirror of three pages with bodies; request counters reset after track."""
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {
        name: api.add_page(ds_id, {**title(name), "Estimate": {"number": 1}}, f"About {name}.")
        for name in ("Alpha", "Beta", "Gamma")
    }
    root = tmp_path / "tasks"
    track(client, db_id, root, lazy=True)
    api.reset_stats()
    return {"root": root, "ids": ids, "ds": ds_id}


def test_lazy_track_reads_rows_but_no_bodies(
    tmp_path: Path, api: NotionAPI, client: NotionClient
) -> None:
    db_id, ds_id = api.create_data_source(SCHEMA)
    n = 230
    for i in range(n):
        api.add_page(ds_id, {**title(f"Row {i:03d}"), "Estimate": {"number": i}}, f"Body {i}.")
    api.reset_stats()
    root = tmp_path / "tasks"
    mirror, _, report = track(client, db_id, root, lazy=True)

    stats = requests(api)
    assert stats.get(QUERY) == math.ceil(n / 100)
    assert stats.get(MARKDOWN_READ, 0) == 0
    assert len(report.created) == n
    assert report.read_only == []  # not fetched is not "read-only"
    assert report.bodies_not_fetched == n
    assert mirror is not None and open_mirror(root).config.lazy
    text = (root / "Row 007.md").read_text(encoding="utf-8")
    assert "Estimate: 7" in text
    assert body_of(root / "Row 007.md") == ""
    with mirror.open_store() as store:
        bases = store.pages()
    assert len(bases) == n
    assert all(not b.body_fetched and not b.body_writable for b in bases)
    assert {b.body_reason for b in bases} == {BODY_NOT_FETCHED}

    # A quiet sync of a lazy mirror reads no bodies either.
    api.reset_stats()
    report2 = sync(mirror, client)
    assert requests(api).get(MARKDOWN_READ, 0) == 0
    assert report2.converged


def test_property_edit_of_an_unfetched_page_is_sent(
    lazy: dict[str, Any], api: NotionAPI, client: NotionClient
) -> None:
    root: Path = lazy["root"]
    path = root / "Alpha.md"
    path.write_text(path.read_text().replace("Estimate: 1", "Estimate: 5"))
    report = sync(open_mirror(root), client)

    assert report.converged, report.to_json()
    pid = lazy["ids"]["Alpha"]
    assert api.call("GET", f"/v1/pages/{pid}")["properties"]["Estimate"]["number"] == 5
    stats = requests(api)
    assert stats.get(PAGE_WRITE) == 1
    assert stats.get(MARKDOWN_READ, 0) == 0
    assert stats.get(MARKDOWN_WRITE, 0) == 0
    assert remote_body(api, pid).strip() == "About Alpha."
    assert body_of(path) == ""
    with open_mirror(root).open_store() as store:
        base = store.get_page(pid)
    assert base is not None and not base.body_fetched


def test_body_edit_of_an_unfetched_page_is_blocked_and_nothing_is_sent(
    lazy: dict[str, Any], api: NotionAPI, client: NotionClient
) -> None:
    root: Path = lazy["root"]
    path = root / "Beta.md"
    edited = path.read_text() + "A body typed before the real one was seen.\n"
    path.write_text(edited)
    report = sync(open_mirror(root), client)

    assert not report.converged
    blocked = [(p.path, b) for p in report.pages for b in p.blocked]
    assert blocked == [("Beta.md", ("body", BODY_NOT_FETCHED))]
    stats = requests(api)
    assert stats.get(MARKDOWN_WRITE, 0) == 0
    assert stats.get(PAGE_WRITE, 0) == 0
    assert stats.get(MARKDOWN_READ, 0) == 0
    assert remote_body(api, lazy["ids"]["Beta"]).strip() == "About Beta."
    assert path.read_text() == edited  # kept, never rewritten

    # --fetch-bodies does not fetch into a file with local edits (its edit would
    # then read as replacing Notion's body): the edit stays blocked, nothing is sent.
    api.reset_stats()
    report = sync(open_mirror(root), client, SyncOptions(fetch_bodies=True))
    stats = requests(api)
    assert stats.get(MARKDOWN_WRITE, 0) == 0
    assert stats.get(MARKDOWN_READ) == 2  # Alpha's and Gamma's, not Beta's
    assert [b for p in report.pages for b in p.blocked] == [("body", BODY_NOT_FETCHED)]
    assert path.read_text() == edited
    assert report.pull.bodies_not_fetched == 1
    assert report.pull.not_fetched_edited == ["Beta.md"]


def test_fetch_bodies_makes_a_lazy_mirror_complete(
    lazy: dict[str, Any], api: NotionAPI, client: NotionClient
) -> None:
    root: Path = lazy["root"]
    mirror = open_mirror(root)
    report = sync(mirror, client, SyncOptions(fetch_bodies=True))

    assert report.converged
    assert requests(api).get(MARKDOWN_READ) == 3
    assert report.pull.bodies_not_fetched == 0
    for name in ("Alpha", "Beta", "Gamma"):
        assert body_of(root / f"{name}.md").strip() == f"About {name}."
    with mirror.open_store() as store:
        assert all(b.body_fetched and b.body_writable for b in store.pages())

    # Complete now: body edits are sent, and a quiet sync reads nothing more.
    path = root / "Gamma.md"
    path.write_text(path.read_text().replace("About Gamma.", "About Gamma, edited."))
    report = sync(mirror, client)
    assert report.converged, report.to_json()
    assert remote_body(api, lazy["ids"]["Gamma"]).strip() == "About Gamma, edited."


def test_fetch_body_now_reads_one_body_once(
    lazy: dict[str, Any], api: NotionAPI, client: NotionClient
) -> None:
    root: Path = lazy["root"]
    mirror = open_mirror(root)
    pid = lazy["ids"]["Alpha"]
    with mirror.open_store() as store:
        assert fetch_body_now(mirror, client, store, pid) == "fetched"
        assert requests(api).get(MARKDOWN_READ) == 1
        assert body_of(root / "Alpha.md").strip() == "About Alpha."
        assert fetch_body_now(mirror, client, store, pid) == "present"
        assert requests(api).get(MARKDOWN_READ) == 1
        base = store.get_page(pid)
        assert base is not None and base.body_fetched
        # The rest stay lazy.
        assert store.count_unfetched() == 2

    # The fetched file is the tool's own write: the next sync sees no edit.
    report = sync(mirror, client)
    assert report.converged and not report.pages
    assert body_of(root / "Alpha.md").strip() == "About Alpha."

    # A file edited before its body was fetched is left alone, unread.
    api.reset_stats()
    path = root / "Beta.md"
    path.write_text(path.read_text().replace("Estimate: 1", "Estimate: 2"))
    with mirror.open_store() as store:
        assert fetch_body_now(mirror, client, store, lazy["ids"]["Beta"]) == "edited"
    assert requests(api).get(MARKDOWN_READ, 0) == 0


def test_remote_changes_in_a_lazy_mirror(
    lazy: dict[str, Any], api: NotionAPI, client: NotionClient
) -> None:
    root: Path = lazy["root"]
    mirror = open_mirror(root)
    alpha, beta = lazy["ids"]["Alpha"], lazy["ids"]["Beta"]
    with mirror.open_store() as store:
        fetch_body_now(mirror, client, store, alpha)
    api.advance_clock(120)
    api.replace_body(alpha, "Alpha, rewritten in Notion.")
    api.replace_body(beta, "Beta, rewritten in Notion.")
    api.update(beta, {"Estimate": {"number": 9}})
    api.advance_clock(120)
    api.reset_stats()

    report = sync(mirror, client)
    assert report.converged, report.to_json()
    # The fetched page's body is followed; the unfetched one's is not read.
    assert requests(api).get(MARKDOWN_READ) == 1
    assert body_of(root / "Alpha.md").strip() == "Alpha, rewritten in Notion."
    assert "Estimate: 9" in (root / "Beta.md").read_text()
    assert body_of(root / "Beta.md") == ""
