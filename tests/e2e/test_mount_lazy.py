"""On-demand bodies through a REAL FUSE mount: a 1,000-row lazy mirror.

Proof of the mount issue's lazy part: listing the mount and ``stat`` of its files
read no body; the first ``cat`` of a file reads exactly its body (one markdown
request) and shows it; a second ``cat`` reads nothing. Request counts are the
emulator's own counters.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.e2e.test_mount import SCHEMA, Mount, is_mounted, sh, wait_until
from tests.e2e.test_mount import pytestmark as _mount_marks
from tests.helpers import NotionAPI, title

pytestmark = _mount_marks

ROWS = 1000
MARKDOWN_READ = "GET /v1/pages/{page_id}/markdown"
# Polls are not what this test is about: only the start-up cycle runs.
QUIET = ("--poll-interval", "600", "--debounce", "0.2", "--full-every", "0")


def markdown_reads(api: NotionAPI) -> int:
    return int(api.stats()["requests"].get(MARKDOWN_READ, 0))


@pytest.fixture
def lazy_mount(emulator: EmulatorHandle, tmp_path: Path) -> Iterator[Mount]:
    api = NotionAPI(emulator)
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {}
    for i in range(ROWS):
        name = f"Row {i:04d}"
        ids[name] = api.add_page(
            ds_id, {**title(name), "Estimate": {"number": i}}, f"The body of {name}."
        )
    root, mp = tmp_path / "tasks", tmp_path / "mnt"
    mp.mkdir()
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        api.reset_stats()
        track(client, db_id, root, lazy=True)
        assert markdown_reads(api) == 0
    finally:
        client.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env.update(
        NO_COLOR="1",
        NOTION_API_BASE_URL=emulator.base_url,
        NOTION_API_TOKEN=emulator.token,
        NOTION_MIRROR_RATE_LIMIT="50",
    )
    m = Mount(root, mp, env, api, ids, tmp_path / "mount.log")
    try:
        yield m
    finally:
        m.stop()
        api.close()
        assert not is_mounted(mp), "a stale mount was left behind"


def test_a_lazy_mount_lists_without_bodies_and_cat_fetches_one(lazy_mount: Mount) -> None:
    m = lazy_mount.start(*QUIET)
    api = m.api
    assert markdown_reads(api) == 0  # the start-up cycle of a lazy mirror reads no body

    api.reset_stats()
    started = time.monotonic()
    listing = sh("ls -l", m.mp).stdout
    names = sorted(n for n in os.listdir(m.mp) if n.endswith(".md"))
    sizes = {n: os.stat(m.mp / n).st_size for n in names}
    listed_in = time.monotonic() - started
    assert len(names) == ROWS and "Row 0042.md" in names and ".notion-mirror" not in listing
    assert all(size > 0 for size in sizes.values())
    assert markdown_reads(api) == 0, "ls/stat must never fetch a body"
    assert listed_in < 10, f"listing {ROWS} files took {listed_in:.1f}s"

    page = m.mp / "Row 0042.md"
    text = sh("cat 'Row 0042.md'", m.mp).stdout
    assert "The body of Row 0042." in text
    assert "Estimate: 42" in text
    assert markdown_reads(api) == 1
    # The body is in the mirror folder too, written like any other.
    assert "The body of Row 0042." in (m.root / "Row 0042.md").read_text()
    with open_mirror(m.root).open_store() as store:
        base = store.get_page(m.ids["Row 0042"])
        assert base is not None and base.body_fetched
        assert store.count_unfetched() == ROWS - 1

    again = sh("cat 'Row 0042.md'", m.mp).stdout
    assert again == text
    assert markdown_reads(api) == 1, "a second cat must not fetch again"
    # stat catches up with the new size (the woken cycle refreshes the kernel's cache).
    want = (m.root / "Row 0042.md").stat().st_size
    wait_until(lambda: page.stat().st_size == want, 5, "the fetched file's new size")
    assert markdown_reads(api) == 1
    assert "fetch-error" not in m.log()
    assert m.unmount() == 0
