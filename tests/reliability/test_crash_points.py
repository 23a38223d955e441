"""Kill ``notion-mirror sync`` at each named crash point, restart it, and prove the
promise of DESIGN §3.3: every edit lands in Notion exactly once, no page is created
twice, no file is lost or duplicated, and the folder ends identical to Notion.

The crashed and the recovering runs are real CLI subprocesses (``python -m
notion_mirror sync``) with ``NOTION_MIRROR_CRASH_AT=<point>[:<nth>]``, which makes
the executor SIGKILL itself at the nth hit of that point. Setup and the final
"fresh track" comparison run in-process without a rate limit to keep the tests short.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from notion_mirror.notion import NotionClient
from notion_mirror.sync.execute import CRASH_ENV, CRASH_POINTS
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree
from tests.reliability import (
    fresh_track,
    frontmatter,
    markdown_of,
    mirror_files,
    plain_title,
    query_all,
    title_counts,
    writes,
)

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "notion_mirror"]
SIGKILLED = -9

SCHEMA = {
    "Name": {"title": {}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Estimate": {"number": {"format": "number"}},
}
ROWS = 6
ADDED = "A second paragraph, added once."
NEW_FILES = {
    "New alpha": ("High", 7, "Fresh body for New alpha."),
    "New beta": ("Low", 8, "Fresh body for New beta."),
}


@dataclass
class Mirror:
    """A tracked folder over a fresh data source of ``ROWS`` pages."""

    root: Path
    db_id: str
    ds_id: str
    env: dict[str, str]
    api: NotionAPI
    emulator: EmulatorHandle

    def sync(self, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if crash_at is not None:
            env[CRASH_ENV] = crash_at
        return subprocess.run(
            [*CLI, "sync", str(self.root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def mirror(tmp_path: Path, emulator: EmulatorHandle) -> Iterator[Mirror]:
    api = NotionAPI(emulator)
    db_id, ds_id = api.create_data_source(SCHEMA)
    for i in range(ROWS):
        api.add_page(
            ds_id,
            {
                **title(f"Task {i}"),
                "Priority": {"select": {"name": "Low"}},
                "Estimate": {"number": i},
            },
            f"Body of task {i}.",
        )
    root = tmp_path / "tasks"
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        track(client, db_id, root)
    finally:
        client.close()
    api.advance_clock(120)  # the user edits later than the tracking minute
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env.update(NOTION_API_BASE_URL=emulator.base_url, NOTION_API_TOKEN=emulator.token, NO_COLOR="1")
    # The emulator has no rate limit; Notion's 3/s would only slow the restarts down.
    env["NOTION_MIRROR_RATE_LIMIT"] = "50"
    yield Mirror(root, db_id, ds_id, env, api, emulator)
    api.close()


def sed(path: Path, pattern: str, repl: str) -> None:
    """``sed -i 's/pattern/repl/'`` on one file, failing loudly if nothing matched."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def edit_batch(root: Path) -> None:
    """Five property edits (a select and a number each) and one body edit."""
    for i in range(ROWS - 1):
        sed(root / f"Task {i}.md", r"^Priority: Low$", "Priority: High")
        sed(root / f"Task {i}.md", rf"^Estimate: {i}$", f"Estimate: {i + 10}")
    sed(root / f"Task {ROWS - 1}.md", r"^Body of task 5\.$", f"Body of task 5.\n\n{ADDED}")


def add_new_files(root: Path) -> None:
    """Two new rows written as plain Markdown files without ``_notion``."""
    for name, (prio, est, body) in NEW_FILES.items():
        (root / f"{name}.md").write_text(
            f"---\nName: {name}\nPriority: {prio}\nEstimate: {est}\n---\n{body}\n",
            encoding="utf-8",
        )


def crash_then_recover(m: Mirror, crash_at: str) -> None:
    """Run the crashing sync, then restart until it converges (at most three runs)."""
    res = m.sync(crash_at)
    assert res.returncode == SIGKILLED, (
        f"sync with {crash_at} did not die by SIGKILL (rc={res.returncode})\n{res.stderr}"
    )
    for attempt in range(3):
        m.api.advance_clock(120)
        res = m.sync()
        if res.returncode == 0:
            return
        assert attempt < 2, f"no convergence after {crash_at}: rc={res.returncode}\n{res.stderr}"


def assert_settled(m: Mirror, tmp_path: Path) -> None:
    """A further sync is a no-op (exit 0, no write, no byte changed), and the folder
    is byte-identical to a fresh track of the data source."""
    before = tree(m.root)
    m.api.advance_clock(120)
    m.api.reset_stats()
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}, f"a settled mirror still writes:\n{res.stderr}"
    assert tree(m.root) == before, "a settled sync rewrote files"
    fresh = fresh_track(m.emulator, m.db_id, tmp_path / "fresh")
    assert tree(m.root) == fresh, "the folder does not match Notion"


UPDATE_CRASHES = [f"{p}:1" for p in CRASH_POINTS] + ["after_send:3", "after_response:4"]
CREATE_CRASHES = [*CRASH_POINTS, "before_send:2", "after_send:2"]


@pytest.mark.parametrize("crash_at", UPDATE_CRASHES)
def test_update_batch_survives_a_crash(mirror: Mirror, tmp_path: Path, crash_at: str) -> None:
    """Killed at ``crash_at`` while pushing 5 property edits and 1 body edit, the
    next sync lands every edit exactly once: each write was sent once in total
    (a write whose answer was lost is recognised as applied, not repeated), the
    body paragraph appears once, and the folder still holds exactly its six files."""
    m = mirror
    edit_batch(m.root)
    expected_files = mirror_files(m.root)
    m.api.reset_stats()

    crash_then_recover(m, crash_at)

    assert writes(m.api.stats()) == {
        "PATCH /v1/pages/{page_id}": ROWS - 1,
        "PATCH /v1/pages/{page_id}/markdown": 1,
    }, "some write was repeated or never sent"
    assert mirror_files(m.root) == expected_files
    pages = query_all(m.api, m.ds_id)
    assert title_counts(pages) == {f"Task {i}": 1 for i in range(ROWS)}
    for page in pages:
        i = int(plain_title(page).split()[1])
        props = page["properties"]
        edited = i < ROWS - 1
        assert props["Priority"]["select"]["name"] == ("High" if edited else "Low")
        assert props["Estimate"]["number"] == (i + 10 if edited else i)
        body = markdown_of(m.api, page["id"])
        assert body.count(ADDED) == (0 if edited else 1), body
        fm = frontmatter(m.root / f"Task {i}.md")
        assert fm["_notion"]["id"] == page["id"]
    assert_settled(m, tmp_path)


@pytest.mark.parametrize("crash_at", ["after_send:1", "after_send:2"])
def test_partly_written_page_survives_a_crash(
    mirror: Mirror, tmp_path: Path, crash_at: str
) -> None:
    """One page with a property edit and a body edit is two writes; killed after the
    first (``after_send:1``) or the second (``after_send:2``), the restart sends only
    what is missing and the page ends with both edits, each applied once."""
    m = mirror
    path = m.root / "Task 2.md"
    sed(path, r"^Estimate: 2$", "Estimate: 42")
    sed(path, r"^Body of task 2\.$", f"Body of task 2.\n\n{ADDED}")
    m.api.reset_stats()

    crash_then_recover(m, crash_at)

    assert writes(m.api.stats()) == {
        "PATCH /v1/pages/{page_id}": 1,
        "PATCH /v1/pages/{page_id}/markdown": 1,
    }
    pages = {plain_title(p): p for p in query_all(m.api, m.ds_id)}
    assert len(pages) == ROWS
    assert pages["Task 2"]["properties"]["Estimate"]["number"] == 42
    assert markdown_of(m.api, pages["Task 2"]["id"]).count(ADDED) == 1
    assert_settled(m, tmp_path)


@pytest.mark.parametrize("crash_at", CREATE_CRASHES)
def test_create_survives_a_crash(mirror: Mirror, tmp_path: Path, crash_at: str) -> None:
    """Killed at ``crash_at`` while creating two pages from new files, the next sync
    ends with exactly one Notion page per new file (an interrupted create is adopted,
    not repeated: two POSTs in total), each new file carries that page's id, and no
    file is lost, duplicated or renamed."""
    m = mirror
    add_new_files(m.root)
    expected_files = mirror_files(m.root)
    m.api.reset_stats()

    crash_then_recover(m, crash_at)

    assert writes(m.api.stats()) == {"POST /v1/pages": len(NEW_FILES)}, (
        "a create was repeated, or an edit was sent that nobody made"
    )
    assert mirror_files(m.root) == expected_files
    pages = query_all(m.api, m.ds_id)
    want = {f"Task {i}": 1 for i in range(ROWS)} | dict.fromkeys(NEW_FILES, 1)
    assert title_counts(pages) == want
    by_title = {plain_title(p): p for p in pages}
    for name, (prio, est, body) in NEW_FILES.items():
        page = by_title[name]
        assert page["properties"]["Priority"]["select"]["name"] == prio
        assert page["properties"]["Estimate"]["number"] == est
        assert markdown_of(m.api, page["id"]).strip() == body
        fm = frontmatter(m.root / f"{name}.md")
        assert fm["_notion"]["id"] == page["id"]
        assert (fm["Name"], fm["Priority"], fm["Estimate"]) == (name, prio, est)
    assert_settled(m, tmp_path)


def test_crash_points_are_the_documented_ones() -> None:
    """The parametrisation above covers every crash point the executor defines."""

    def covered(specs: list[str]) -> set[str]:
        return {spec.partition(":")[0] for spec in specs}

    assert covered(UPDATE_CRASHES) == covered(CREATE_CRASHES) == set(CRASH_POINTS)
