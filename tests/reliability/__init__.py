"""Reliability tests: crash points and injected faults, each with the pass criterion
"converges, nothing lost, nothing duplicated".

The helpers here are shared by both modules: they look at Notion through raw HTTP
(:class:`tests.helpers.NotionAPI`, never the product's client) and at the folder as bytes.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from notion_mirror.notion import NotionClient
from notion_mirror.sync.crash import CRASH_ENV
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

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


def assert_state_clean(root: Path) -> None:
    """The rest of "converged": the state database passes ``PRAGMA integrity_check``,
    and no temp file, set-aside copy, lock or holder record is left in the mirror."""
    state = root / ".notion-mirror"
    db = sqlite3.connect(state / "state.sqlite")
    try:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
    leftovers = sorted(
        str(p.relative_to(root))
        for p in state.rglob("*")
        if p.is_file() and p.name not in {"state.sqlite", "config.toml", "daemon.json"}
    )
    assert leftovers == [], f"left behind in .notion-mirror: {leftovers}"
    strays = sorted(p.name for p in root.iterdir() if p.name.startswith((".", "~")))
    assert strays == [".notion-mirror"] or strays == [".gitignore", ".notion-mirror"], strays


CLI = [sys.executable, "-m", "notion_mirror"]
SIGKILLED = -9

SCHEMA = {
    "Name": {"title": {}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Estimate": {"number": {"format": "number"}},
}
ROWS = 6


@dataclass
class Mirror:
    """A tracked folder over a fresh data source of ``ROWS`` pages."""

    root: Path
    db_id: str
    ds_id: str
    env: dict[str, str]
    api: NotionAPI
    emulator: EmulatorHandle

    def run(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        """``notion-mirror ARGS`` run inside the mirror folder; ``crash_at`` makes it
        SIGKILL itself at that crash point (``<point>[:<nth>]``)."""
        env = dict(self.env)
        if crash_at is not None:
            env[CRASH_ENV] = crash_at
        return subprocess.run(
            [*CLI, *args],
            env=env,
            cwd=self.root if self.root.is_dir() else self.root.parent,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def sync(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("sync", str(self.root), *args, crash_at=crash_at)


def assert_converged(m: Mirror, tmp_path: Path, *sync_args: str) -> None:
    """A further sync (with ``sync_args``) is a no-op (exit 0, no write, no byte
    changed), the folder is byte-identical to a fresh track of the data source, and
    the state is clean (:func:`assert_state_clean`)."""
    before = tree(m.root)
    m.api.advance_clock(120)
    m.api.reset_stats()
    res = m.sync(*sync_args)
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}, f"a settled mirror still writes:\n{res.stderr}"
    assert tree(m.root) == before, "a settled sync rewrote files"
    fresh = fresh_track(m.emulator, m.db_id, tmp_path / "fresh")
    assert tree(m.root) == fresh, "the folder does not match Notion"
    assert_state_clean(m.root)


def sed(path: Path, pattern: str, repl: str) -> None:
    """``sed -i 's/pattern/repl/'`` on one file, failing loudly if nothing matched."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def add_rows(api: NotionAPI, ds_id: str, names: list[str], bodies: list[str] | None = None) -> None:
    """One ``SCHEMA`` row per name: Priority Low, Estimate its index, and its body."""
    for i, name in enumerate(names):
        api.add_page(
            ds_id,
            {**title(name), "Priority": {"select": {"name": "Low"}}, "Estimate": {"number": i}},
            bodies[i] if bodies is not None else None,
        )


def make_mirror(tmp_path: Path, emulator: EmulatorHandle) -> Mirror:
    """Track a fresh data source of ``ROWS`` pages into ``tmp_path/tasks``; the CLI env
    points at the emulator (close ``.api`` when done)."""
    api = NotionAPI(emulator)
    db_id, ds_id = api.create_data_source(SCHEMA)
    add_rows(api, ds_id, [f"Task {i}" for i in range(ROWS)],
             [f"Body of task {i}." for i in range(ROWS)])  # fmt: skip
    root = tmp_path / "tasks"
    fresh_track(emulator, db_id, root)
    api.advance_clock(120)  # the user edits later than the tracking minute
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env.update(NOTION_API_BASE_URL=emulator.base_url, NOTION_API_TOKEN=emulator.token, NO_COLOR="1")
    # The emulator has no rate limit; Notion's 3/s would only slow the restarts down.
    env["NOTION_MIRROR_RATE_LIMIT"] = "50"
    return Mirror(root, db_id, ds_id, env, api, emulator)
