"""Sync under injected faults: 5xx, 429, timeouts, dropped connections and writes that
are applied and then fail. Pass criterion: converges within a few runs, every value
right, nothing lost, nothing duplicated.

These run the engine in-process (``notion_mirror.sync.engine.sync``, what the CLI's
``sync`` calls) because the CLI's client keeps Notion's 3 requests/second, which would
make a 200-edit push take minutes. The client here has no rate limit, a short timeout
(an injected ``timeout`` fault holds the answer for 30 s) and short backoffs; the
emulator uses a fixed fault seed and one pull worker, so a run is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from notion_mirror.errors import MirrorError
from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import SyncOptions, SyncReport, sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle, running_emulator
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

SCHEMA = {
    "Name": {"title": {}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Estimate": {"number": {"format": "number"}},
}
PAGES = 100  # x 2 properties = 200 edits
MAX_RUNS = 6
SEED = 20260311

# About 15% of reads and 20% of writes fail; 429s stay rare because each one makes the
# client honour a 1 s Retry-After.
FAULTS = ",".join(
    [
        "500:0.03",
        "502:0.02",
        "503:0.02",
        "504:0.01",
        "429:0.01",
        "timeout:0.01",
        "reset:0.04",
        "applied-then-500:0.02",
        "applied-then-503:0.02",
        "applied-then-reset:0.02",
    ]
)
# Creates: most POSTs take effect and then fail; some fail without taking effect.
CREATE_FAULTS = ",".join(
    [
        "applied-then-503@POST /v1/pages:0.3",
        "applied-then-reset@POST /v1/pages:0.2",
        "applied-then-504@POST /v1/pages:0.1",
        "503@POST /v1/pages:0.1",
        "timeout@POST /v1/pages:0.05",
        "reset:0.03",
        "500:0.03",
    ]
)


@dataclass
class Runs:
    """What each sync run did: a report, or the error that stopped it."""

    reports: list[SyncReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.reports) + len(self.errors)

    def summary(self) -> str:
        lines = [
            f"pushed={r.pushed} created={r.created} pending={r.pending} "
            f"conflicts={r.conflicts} blocked={r.blocked} converged={r.converged}"
            for r in self.reports
        ]
        return "\n".join([*lines, *self.errors])


@dataclass
class Setup:
    emulator: EmulatorHandle
    api: NotionAPI
    client: NotionClient
    root: Path
    db_id: str
    ds_id: str

    def sync_until_converged(self, faults: str) -> Runs:
        """Sync with ``faults`` on until a run converges (the CLI's exit 0); the last
        allowed run goes without faults. A run stopped by an error counts as a run."""
        runs = Runs()
        mirror = open_mirror(self.root)
        for n in range(MAX_RUNS):
            last = n == MAX_RUNS - 1
            self.emulator.emulator.set_faults("" if last else faults, seed=SEED + n)
            try:
                report = sync(mirror, self.client, SyncOptions(workers=1))
            except MirrorError as exc:
                runs.errors.append(f"run {n + 1}: {type(exc).__name__}: {exc}")
            else:
                runs.reports.append(report)
                if report.converged:
                    break
            self.api.advance_clock(60)
        self.emulator.emulator.set_faults("")
        return runs

    def assert_settled(self, tmp_path: Path) -> None:
        """Without faults, one more sync converges with no write and no byte changed,
        and the folder is byte-identical to a fresh track (files match Notion)."""
        self.api.advance_clock(120)
        before = tree(self.root)
        self.api.reset_stats()
        report = sync(open_mirror(self.root), self.client, SyncOptions(workers=1))
        assert report.converged, report.to_json()
        assert writes(self.api.stats()) == {}
        assert tree(self.root) == before
        assert tree(self.root) == fresh_track(self.emulator, self.db_id, tmp_path / "fresh")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """A tracked mirror of ``PAGES`` rows on an emulator without a rate limit."""
    with running_emulator(rate_limit=None, seed=SEED) as emu:
        api = NotionAPI(emu)
        db_id, ds_id = api.create_data_source(SCHEMA)
        for i in range(PAGES):
            api.add_page(
                ds_id,
                {
                    **title(f"Row {i:03d}"),
                    "Priority": {"select": {"name": "Low"}},
                    "Estimate": {"number": i},
                },
            )
        client = NotionClient(
            token=emu.token,
            base_url=emu.base_url,
            rate_limit=None,
            timeout=httpx.Timeout(1.0, connect=2.0),
            base_delay=0.02,
            max_delay=0.2,
            max_attempts=6,
        )
        root = tmp_path / "rows"
        try:
            track(client, db_id, root)
            api.advance_clock(120)
            yield Setup(emu, api, client, root, db_id, ds_id)
        finally:
            client.close()
            api.close()


def test_200_edit_push_converges_under_faults(setup: Setup, tmp_path: Path) -> None:
    """200 property edits (100 rows x a select and a number) pushed while ~15-20% of
    requests fail, some after the write took effect: converges within a few runs,
    every value is in Notion, no row is duplicated or lost, and the mirror then
    matches Notion byte for byte."""
    s = setup
    for i in range(PAGES):
        path = s.root / f"Row {i:03d}.md"
        text = path.read_text(encoding="utf-8")
        text, n1 = re.subn(r"^Priority: Low$", "Priority: High", text, flags=re.MULTILINE)
        text, n2 = re.subn(rf"^Estimate: {i}$", f"Estimate: {i * 3 + 1}", text, flags=re.M)
        assert n1 == n2 == 1, path
        path.write_text(text, encoding="utf-8")
    expected_files = mirror_files(s.root)
    s.client.stats.reset()

    runs = s.sync_until_converged(FAULTS)

    assert runs.reports and runs.reports[-1].converged, runs.summary()
    statuses = s.client.stats.statuses
    assert sum(n for st, n in statuses.items() if st >= 500) >= 10, statuses  # faults did fire
    assert statuses.get(0, 0) >= 3, statuses  # dropped connections and timeouts
    assert any(r.pending for r in runs.reports) or runs.errors, "no ambiguous write was hit"

    assert mirror_files(s.root) == expected_files
    pages = query_all(s.api, s.ds_id)
    assert title_counts(pages) == {f"Row {i:03d}": 1 for i in range(PAGES)}
    wrong = [
        plain_title(p)
        for p in pages
        if (p["properties"]["Priority"]["select"]["name"], p["properties"]["Estimate"]["number"])
        != ("High", int(plain_title(p)[4:]) * 3 + 1)
    ]
    assert not wrong, f"values not in Notion: {wrong[:10]}"
    s.assert_settled(tmp_path)


def test_ambiguous_creates_never_duplicate(setup: Setup, tmp_path: Path) -> None:
    """Twelve new files pushed while most ``POST /v1/pages`` take effect and then
    fail (503 with a committed id, 504, dropped connection) and others fail without
    effect (503, timeout): each new file ends as exactly one Notion page, whose id
    the file carries, and nothing else appears in Notion."""
    s = setup
    new = {f"Fresh {k:02d}": (("High", "Low")[k % 2], 100 + k) for k in range(12)}
    for name, (prio, est) in new.items():
        (s.root / f"{name}.md").write_text(
            f"---\nName: {name}\nPriority: {prio}\nEstimate: {est}\n---\nBody of {name}.\n",
            encoding="utf-8",
        )
    expected_files = mirror_files(s.root)
    s.api.reset_stats()

    runs = s.sync_until_converged(CREATE_FAULTS)

    assert runs.reports and runs.reports[-1].converged, runs.summary()
    assert writes(s.api.stats())["POST /v1/pages"] >= len(new)
    assert any(r.pending for r in runs.reports) or runs.errors, "no ambiguous create was hit"
    assert mirror_files(s.root) == expected_files
    pages = query_all(s.api, s.ds_id)
    want = {f"Row {i:03d}": 1 for i in range(PAGES)} | dict.fromkeys(new, 1)
    assert title_counts(pages) == want, "a create was duplicated or lost"
    by_title = {plain_title(p): p for p in pages}
    for name, (prio, est) in new.items():
        page = by_title[name]
        assert page["properties"]["Priority"]["select"]["name"] == prio
        assert page["properties"]["Estimate"]["number"] == est
        assert markdown_of(s.api, page["id"]).strip() == f"Body of {name}."
        assert frontmatter(s.root / f"{name}.md")["_notion"]["id"] == page["id"]
    s.assert_settled(tmp_path)
