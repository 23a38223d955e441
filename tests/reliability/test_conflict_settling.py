"""Conflicts always have a way out, and settling one never leaves the file behind
Notion. Regression tests for what the stateful test (scenario 12) found; real CLI
subprocesses against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import (
    Mirror,
    assert_converged,
    frontmatter,
    plain_title,
    query_all,
    sed,
)

pytestmark = pytest.mark.slow


def page_id(m: Mirror, name: str) -> str:
    return next(p["id"] for p in query_all(m.api, m.ds_id) if plain_title(p) == name)


@pytest.mark.parametrize("conflict", ["lifecycle", "property"])
def test_deleting_the_file_of_a_conflicted_page_trashed_in_notion_settles_it(
    mirror: Mirror, tmp_path: Path, conflict: str
) -> None:
    """Edited here while trashed in Notion (or in a property conflict, then trashed):
    deleting the file, as the conflict note offers, agrees with Notion. The next full
    sync settles the page instead of reporting a conflict nobody can resolve."""
    m = mirror
    pid = page_id(m, "Task 1")
    sed(m.root / "Task 1.md", r"^Estimate: 1$", "Estimate: 11")
    if conflict == "property":
        m.api.update(pid, {"Estimate": {"number": 12}})
        m.api.advance_clock(120)
        assert m.sync().returncode == 1  # the property conflict
    m.api.trash(pid)
    m.api.advance_clock(120)
    res = m.run("sync", "--full")
    assert res.returncode == 1, res.stderr
    (m.root / "Task 1.md").unlink()

    m.api.advance_clock(120)
    res = m.run("sync", "--full")
    assert res.returncode == 0, res.stderr
    assert "nothing left to settle" in res.stderr
    assert m.run("conflicts").returncode == 0
    assert not (m.root / "Task 1.md").exists()
    assert "Task 1" not in {plain_title(p) for p in query_all(m.api, m.ds_id)}
    assert_converged(m, tmp_path, "--full")


def test_keep_remote_brings_notions_latest_value_not_the_conflicts(
    mirror: Mirror, tmp_path: Path
) -> None:
    """Notion edits the conflicted property again before the user settles: after
    ``resolve --keep remote`` the file ends with Notion's latest value."""
    m = mirror
    pid = page_id(m, "Task 2")
    sed(m.root / "Task 2.md", r"^Estimate: 2$", "Estimate: 20")
    m.api.update(pid, {"Estimate": {"number": 30}})
    m.api.advance_clock(120)
    assert m.sync().returncode == 1
    m.api.update(pid, {"Estimate": {"number": 40}})
    m.api.advance_clock(120)
    assert m.run("sync", "--full").returncode == 1  # still in conflict
    res = m.run("resolve", "Task 2.md", "--keep", "remote")
    assert res.returncode == 0, res.stderr
    m.api.advance_clock(120)
    assert m.sync().returncode == 0
    assert frontmatter(m.root / "Task 2.md")["Estimate"] == 40
    assert_converged(m, tmp_path, "--full")
