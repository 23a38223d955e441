"""Kill ``notion-mirror sync`` at each named crash point, restart it, and prove the
promise of DESIGN §3.3: every edit lands in Notion exactly once, no page is created
twice, no file is lost or duplicated, and the folder ends identical to Notion.

The crashed and the recovering runs are real CLI subprocesses (``python -m
notion_mirror sync``) with ``NOTION_MIRROR_CRASH_AT=<point>[:<nth>]``, which makes
the process SIGKILL itself at the nth hit of that point: after capture journals,
after the plan is recorded, at each step of the executor, and at each step of
writing a file (temp written, old file set aside, new file in place). Setup and the final
"fresh track" comparison run in-process without a rate limit to keep the tests short.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_mirror.sync.crash import (
    CAPTURE_POINTS,
    CRASH_POINTS,
    EXECUTE_POINTS,
    MATERIALIZE_POINTS,
    NAME_POINTS,
    PLAN_POINTS,
)
from tests.helpers import title
from tests.reliability import (
    ROWS,
    SIGKILLED,
    Mirror,
    assert_converged,
    frontmatter,
    markdown_of,
    mirror_files,
    plain_title,
    query_all,
    sed,
    title_counts,
    writes,
)

pytestmark = pytest.mark.slow

ADDED = "A second paragraph, added once."
NEW_FILES = {
    "New alpha": ("High", 7, "Fresh body for New alpha."),
    "New beta": ("Low", 8, "Fresh body for New beta."),
}


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
    res = m.sync(crash_at=crash_at)
    assert res.returncode == SIGKILLED, (
        f"sync with {crash_at} did not die by SIGKILL (rc={res.returncode})\n{res.stderr}"
    )
    for attempt in range(3):
        m.api.advance_clock(120)
        res = m.sync()
        if res.returncode == 0:
            return
        assert attempt < 2, f"no convergence after {crash_at}: rc={res.returncode}\n{res.stderr}"


BEFORE_SEND = [*CAPTURE_POINTS, *PLAN_POINTS]
UPDATE_CRASHES = [
    *BEFORE_SEND,
    *(f"{p}:1" for p in EXECUTE_POINTS),
    "after_send:3",
    "after_response:4",
]
# A create rewrites its file (the new page's id goes into ``_notion``), so every
# step of writing a file is hit too.
CREATE_CRASHES = [
    *BEFORE_SEND,
    *EXECUTE_POINTS,
    "before_send:2",
    "after_send:2",
    *MATERIALIZE_POINTS,
    "after_materialize:2",
]


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
    assert_converged(m, tmp_path)


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
    assert_converged(m, tmp_path)


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
    assert_converged(m, tmp_path)


def rename_edit_and_rewrite_remotely(m: Mirror) -> dict[str, str]:
    """Notion-side edits of three pages (a property, a body, a title): each one a file
    for pull to rewrite, the title one a rename. Returns page id by new title."""
    pages = {plain_title(p): p["id"] for p in query_all(m.api, m.ds_id)}
    m.api.update(pages["Task 0"], {"Estimate": {"number": 100}})
    m.api.replace_body(pages["Task 1"], "Body of task 1, rewritten in Notion.")
    m.api.update(pages["Task 2"], title("Task 2 renamed"))
    pages["Task 2 renamed"] = pages.pop("Task 2")
    return pages


PULL_CRASHES = [*MATERIALIZE_POINTS, "after_materialize:2", "after_materialize:3"]


@pytest.mark.parametrize("crash_at", PULL_CRASHES)
def test_pull_survives_a_crash_while_writing_files(
    mirror: Mirror, tmp_path: Path, crash_at: str
) -> None:
    """Killed at ``crash_at`` while pull rewrites three files (one of them renamed),
    the restart ends with each page in exactly one file, holding Notion's values, and
    sends nothing to Notion: a file the crashed run wrote but did not record is
    recognised as Notion's own value, not mistaken for a local edit."""
    m = mirror
    pages = rename_edit_and_rewrite_remotely(m)
    m.api.advance_clock(120)
    m.api.reset_stats()

    crash_then_recover(m, crash_at)

    assert writes(m.api.stats()) == {}, "a crash during pull made the restart write to Notion"
    ids = {}
    for rel in mirror_files(m.root):
        ids.setdefault(frontmatter(m.root / rel)["_notion"]["id"], []).append(rel)
    assert sorted(ids) == sorted(pages.values())
    assert all(len(files) == 1 for files in ids.values()), f"a page has two files: {ids}"
    assert frontmatter(m.root / "Task 0.md")["Estimate"] == 100
    assert "rewritten in Notion" in (m.root / "Task 1.md").read_text(encoding="utf-8")
    assert (m.root / "Task 2 renamed.md").exists() and not (m.root / "Task 2.md").exists()
    assert_converged(m, tmp_path)


@pytest.mark.parametrize("crash_at", ["materialize_temp", "after_materialize"])
@pytest.mark.parametrize("then_edit", [False, True], ids=["untouched", "edited"])
def test_new_page_pulled_during_a_crash_is_known_after_it(
    mirror: Mirror, tmp_path: Path, crash_at: str, then_edit: bool
) -> None:
    """Killed while writing the file of a page new to the mirror (before, or right
    after, the file is in place): the restart knows the page. Its file is that page's
    one file, and an edit the user makes to it before the restart is sent, once."""
    m = mirror
    m.api.add_page(
        m.ds_id,
        {**title("Fresh"), "Priority": {"select": {"name": "Low"}}, "Estimate": {"number": 5}},
        "Body of the fresh page.",
    )
    m.api.advance_clock(120)
    m.api.reset_stats()
    res = m.sync(crash_at=f"{crash_at}:1")
    assert res.returncode == SIGKILLED, res.stderr
    path = m.root / "Fresh.md"
    assert path.exists() is (crash_at == "after_materialize")
    if then_edit:
        if crash_at == "materialize_temp":
            assert m.sync().returncode == 0  # the restart writes the file; edited then
        sed(path, r"^Estimate: 5$", "Estimate: 55")
    for _ in range(3):
        m.api.advance_clock(120)
        res = m.sync()
        if res.returncode == 0:
            break
    assert res.returncode == 0, res.stderr
    want = {"PATCH /v1/pages/{page_id}": 1} if then_edit else {}
    assert writes(m.api.stats()) == want
    pages = {plain_title(p): p for p in query_all(m.api, m.ds_id)}
    assert pages["Fresh"]["properties"]["Estimate"]["number"] == (55 if then_edit else 5)
    assert frontmatter(path)["_notion"]["id"] == pages["Fresh"]["id"]
    ids = [frontmatter(m.root / rel)["_notion"]["id"] for rel in mirror_files(m.root)]
    assert sorted(ids) == sorted(p["id"] for p in pages.values())
    assert_converged(m, tmp_path)


def test_crash_points_are_the_documented_ones() -> None:
    """The parametrisations above cover every crash point that exists."""

    def covered(specs: list[str]) -> set[str]:
        return {spec.partition(":")[0] for spec in specs}

    assert covered(UPDATE_CRASHES) == set(BEFORE_SEND) | set(EXECUTE_POINTS)
    # The name points have their own cases in test_renames.py.
    covered_here = covered(CREATE_CRASHES) | covered(PULL_CRASHES)
    assert covered_here | set(NAME_POINTS) == set(CRASH_POINTS)
