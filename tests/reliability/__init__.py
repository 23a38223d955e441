"""Reliability tests: crash points and injected faults, each with the pass criterion
"converges, nothing lost, nothing duplicated".

The helpers here are shared by both modules: they look at Notion through raw HTTP
(:class:`tests.helpers.NotionAPI`, never the product's client) and at the folder as bytes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, tree

# Routes that change something in Notion (queries and search are reads sent as POST).
WRITE_ROUTES = frozenset(
    {
        "POST /v1/pages",
        "PATCH /v1/pages/{page_id}",
        "PATCH /v1/pages/{page_id}/markdown",
        "DELETE /v1/blocks/{block_id}",
        "POST /v1/databases",
        "PATCH /v1/databases/{database_id}",
        "POST /v1/data_sources",
        "PATCH /v1/data_sources/{data_source_id}",
    }
)


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """The write requests in an emulator stats answer (faulted attempts included)."""
    return {k: n for k, n in stats["requests"].items() if k in WRITE_ROUTES and n}


def query_all(api: NotionAPI, ds_id: str) -> list[dict[str, Any]]:
    """Every live page of the data source, all result pages followed."""
    pages: list[dict[str, Any]] = []
    body: dict[str, Any] = {"page_size": 100}
    while True:
        res = api.call("POST", f"/v1/data_sources/{ds_id}/query", body)
        pages += res["results"]
        if not res.get("has_more"):
            return pages
        body = {"page_size": 100, "start_cursor": res["next_cursor"]}


def plain_title(page: dict[str, Any], prop: str = "Name") -> str:
    return "".join(t["plain_text"] for t in page["properties"][prop]["title"])


def title_counts(pages: list[dict[str, Any]]) -> Counter[str]:
    return Counter(plain_title(p) for p in pages)


def markdown_of(api: NotionAPI, page_id: str) -> str:
    return str(api.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"])


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    data = yaml.safe_load(text.split("---\n", 2)[1])
    assert isinstance(data, dict), path
    return data


def mirror_files(root: Path) -> set[str]:
    """The row files of a mirror (its Markdown files, any depth)."""
    return {rel for rel in tree(root) if rel.endswith(".md")}


def fresh_track(emulator: EmulatorHandle, db_id: str, target: Path) -> dict[str, bytes]:
    """Track the data source into a new folder (no faults) and return its files.

    Rendering is deterministic, so a mirror that matches Notion has exactly these bytes.
    """
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        track(client, db_id, target)
    finally:
        client.close()
    return tree(target)
