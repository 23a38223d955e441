"""Issue 8 scenario 7, identity: a mirror folder copied while the original still
exists is refused (two copies would act on the same pages), a moved or restored
mirror carries on, and a copy made independent (its state deleted) is re-adopted
conservatively. Real CLI subprocesses against the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability import (
    Mirror,
    assert_state_clean,
    frontmatter,
    plain_title,
    query_all,
    sed,
    tree,
    writes,
)

pytestmark = pytest.mark.slow


def estimates(m: Mirror) -> dict[str, int]:
    return {
        plain_title(p): p["properties"]["Estimate"]["number"] for p in query_all(m.api, m.ds_id)
    }


def test_a_copied_mirror_is_refused_and_the_original_carries_on(
    mirror: Mirror, tmp_path: Path
) -> None:
    m = mirror
    copy = tmp_path / "tasks-copy"
    shutil.copytree(m.root, copy, symlinks=True)
    sed(copy / "Task 1.md", r"^Estimate: 1$", "Estimate: 111")
    before = tree(copy)
    m.api.reset_stats()

    res = m.run("sync", str(copy))

    assert res.returncode == 2, res.stderr
    assert "is a copy of the mirror at" in res.stderr and str(m.root) in res.stderr
    assert "state.sqlite" in res.stderr  # the way out is named
    assert m.api.stats()["requests_total"] == 0
    assert tree(copy) == before
    assert m.run("status", str(copy)).returncode == 2

    # The original is unaffected.
    sed(m.root / "Task 2.md", r"^Estimate: 2$", "Estimate: 22")
    assert m.sync().returncode == 0
    assert estimates(m)["Task 2"] == 22

    # Made a mirror of its own: re-adopted with no common base, so the copy's edit
    # and Notion's edit of Task 2 are both conflicts to settle, and nothing is sent.
    (copy / ".notion-mirror" / "state.sqlite").unlink()
    m.api.reset_stats()
    res = m.run("sync", str(copy))
    assert res.returncode == 1, res.stderr
    assert writes(m.api.stats()) == {}
    assert frontmatter(copy / "Task 1.md")["Estimate"] == 111
    assert estimates(m)["Task 1"] == 1


@pytest.mark.parametrize("how", ["rename", "copy then delete the original"])
def test_a_moved_mirror_carries_on(mirror: Mirror, tmp_path: Path, how: str) -> None:
    """``mv`` (same inode) and a move across filesystems (a copy, then the original
    deleted) are the same mirror: the next sync works and sends the pending edit."""
    m = mirror
    assert m.sync().returncode == 0  # the location is on record
    moved = tmp_path / "elsewhere" / "tasks"
    moved.parent.mkdir()
    if how == "rename":
        m.root.rename(moved)
    else:
        shutil.copytree(m.root, moved, symlinks=True)
        shutil.rmtree(m.root)
    sed(moved / "Task 3.md", r"^Estimate: 3$", "Estimate: 33")
    m.api.reset_stats()
    res = m.run("sync", str(moved))
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {"PATCH /v1/pages/{page_id}": 1}
    assert estimates(m)["Task 3"] == 33
    assert_state_clean(moved)
