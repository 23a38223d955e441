"""File names follow titles: a file renamed by hand stays its page, its edits are
sent, and the same sync moves it back to its title's name; a page trashed in Notion
removes (or, edited, conflicts in) the renamed file; a move never replaces a file and
survives a SIGKILL. Every sync is a real CLI subprocess against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_mirror.sync.crash import NAME_POINTS
from tests.reliability import (
    Mirror,
    assert_converged,
    frontmatter,
    mirror_files,
    plain_title,
    query_all,
    sed,
    writes,
)

pytestmark = pytest.mark.slow

TRACKED = {f"Task {i}.md" for i in range(6)}


def page_id(m: Mirror, name: str) -> str:
    return str(frontmatter(m.root / name)["_notion"]["id"])


def estimates(m: Mirror) -> dict[str, float]:
    return {
        plain_title(p): p["properties"]["Estimate"]["number"] for p in query_all(m.api, m.ds_id)
    }


def test_a_renamed_and_edited_file_is_sent_and_moved_back(mirror: Mirror, tmp_path: Path) -> None:
    m = mirror
    (m.root / "Task 1.md").rename(m.root / "notes about one.md")
    sed(m.root / "notes about one.md", r"^Estimate: 1$", "Estimate: 11")
    (m.root / "Task 2.md").rename(m.root / "two.md")
    m.api.update(page_id(m, "two.md"), {"Estimate": {"number": 22}})  # edited in Notion too
    m.api.advance_clock(120)
    m.api.reset_stats()

    res = m.sync()

    assert res.returncode == 0, res.stderr
    assert "renamed: notes about one.md -> Task 1.md" in res.stderr, res.stderr
    assert "renamed: two.md -> Task 2.md" in res.stderr, res.stderr
    assert writes(m.api.stats()) == {"PATCH /v1/pages/{page_id}": 1}
    assert mirror_files(m.root) == TRACKED
    assert frontmatter(m.root / "Task 1.md")["Estimate"] == 11
    assert frontmatter(m.root / "Task 2.md")["Estimate"] == 22
    assert estimates(m)["Task 1"] == 11
    assert_converged(m, tmp_path)


def test_a_retitled_or_new_file_takes_its_titles_name_in_the_same_sync(
    mirror: Mirror, tmp_path: Path
) -> None:
    m = mirror
    sed(m.root / "Task 3.md", r"^Name: Task 3$", "Name: Launch plan")
    (m.root / "my-note.md").write_text("---\nName: Retro notes\nEstimate: 5\n---\nHello.\n")

    res = m.sync()

    assert res.returncode == 0, res.stderr
    assert mirror_files(m.root) == (TRACKED - {"Task 3.md"}) | {
        "Launch plan.md",
        "Retro notes.md",
    }
    assert frontmatter(m.root / "Retro notes.md")["_notion"]["id"]
    assert set(estimates(m)) == {
        "Task 0",
        "Task 1",
        "Task 2",
        "Launch plan",
        "Task 4",
        "Task 5",
        "Retro notes",
    }
    assert_converged(m, tmp_path)


def test_a_renamed_file_whose_page_was_trashed_is_removed(mirror: Mirror, tmp_path: Path) -> None:
    m = mirror
    pid = page_id(m, "Task 4.md")
    (m.root / "Task 4.md").rename(m.root / "Renamed.md")
    m.api.trash(pid)
    m.api.advance_clock(120)

    res = m.sync("--full")

    assert res.returncode == 0, res.stderr
    assert mirror_files(m.root) == TRACKED - {"Task 4.md"}
    assert_converged(m, tmp_path, "--full")


def test_a_renamed_edited_file_whose_page_was_trashed_is_a_conflict_resolve_settles(
    mirror: Mirror, tmp_path: Path
) -> None:
    m = mirror
    pid = page_id(m, "Task 4.md")
    (m.root / "Task 4.md").rename(m.root / "Renamed.md")
    sed(m.root / "Renamed.md", r"^Estimate: 4$", "Estimate: 44")
    m.api.trash(pid)
    m.api.advance_clock(120)

    res = m.sync("--full")

    assert res.returncode == 1, res.stderr
    assert "conflict lifecycle: Renamed.md" in res.stderr, res.stderr
    assert frontmatter(m.root / "Renamed.md")["Estimate"] == 44, "the edit is kept"
    listed = m.run("conflicts")
    assert "Renamed.md: lifecycle" in listed.stdout, listed.stdout + listed.stderr

    res = m.run("resolve", "Renamed.md", "--keep", "local")
    assert res.returncode == 0, res.stderr
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert mirror_files(m.root) == TRACKED, "restored, under its title's name"
    assert estimates(m)["Task 4"] == 44
    assert_converged(m, tmp_path)


def test_a_taken_name_is_never_overwritten(mirror: Mirror, tmp_path: Path) -> None:
    m = mirror
    (m.root / "Task 5.md").rename(m.root / "Five.md")
    occupant = b"---\nName: [half typed\n---\n"
    (m.root / "Task 5.md").write_bytes(occupant)  # a new file, blocked by its YAML

    res = m.sync()

    assert res.returncode == 1, res.stderr
    assert (m.root / "Task 5.md").read_bytes() == occupant
    assert (m.root / "Five.md").exists()
    assert "Five.md: keeps this name for now: Task 5.md is taken" in res.stderr, res.stderr

    (m.root / "Task 5.md").unlink()
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert "renamed: Five.md -> Task 5.md" in res.stderr, res.stderr
    assert mirror_files(m.root) == TRACKED
    assert_converged(m, tmp_path)


@pytest.mark.parametrize("crash_at", NAME_POINTS)
def test_a_move_killed_midway_converges(mirror: Mirror, tmp_path: Path, crash_at: str) -> None:
    m = mirror
    (m.root / "Task 0.md").rename(m.root / "zero.md")
    sed(m.root / "Task 3.md", r"^Name: Task 3$", "Name: Three")

    res = m.sync(crash_at=crash_at)
    assert res.returncode == -9, res.stderr

    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert mirror_files(m.root) == (TRACKED - {"Task 3.md"}) | {"Three.md"}
    titles = sorted(estimates(m))
    assert titles == ["Task 0", "Task 1", "Task 2", "Task 4", "Task 5", "Three"], titles
    assert_converged(m, tmp_path)
