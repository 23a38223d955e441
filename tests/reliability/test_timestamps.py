"""Issue 8 scenario 11: timestamp granularity hides no edit.

Notion's ``last_edited_time`` is rounded to the minute, and a file's mtime has a
tick (a second or two on many filesystems): two edits within one minute, or two
same-size saves within one tick, look alike by timestamp. Each must still be
seen. The syncs are real CLI subprocesses against the emulator.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.reliability import (
    Mirror,
    assert_converged,
    frontmatter,
    markdown_of,
    plain_title,
    query_all,
    sed,
    writes,
)

pytestmark = pytest.mark.slow


def page_ids(m: Mirror) -> dict[str, str]:
    return {plain_title(p): p["id"] for p in query_all(m.api, m.ds_id)}


def test_two_remote_edits_within_one_minute_are_both_seen(mirror: Mirror, tmp_path: Path) -> None:
    """A remote edit, a sync, then a second remote edit of the same page in the same
    minute (same ``last_edited_time``, a value of the same length): the second sync
    still brings the second value, for a property and for the body."""
    m = mirror
    ids = page_ids(m)
    m.api.update(ids["Task 1"], {"Estimate": {"number": 71}})
    m.api.replace_body(ids["Task 1"], "Body number one.")
    assert m.sync().returncode == 0
    assert frontmatter(m.root / "Task 1.md")["Estimate"] == 71
    # The emulator's clock has not moved: this edit shares the first one's minute.
    m.api.update(ids["Task 1"], {"Estimate": {"number": 72}})
    m.api.replace_body(ids["Task 1"], "Body number two.")
    assert m.sync().returncode == 0
    assert frontmatter(m.root / "Task 1.md")["Estimate"] == 72
    assert "Body number two." in (m.root / "Task 1.md").read_text(encoding="utf-8")
    assert_converged(m, tmp_path)


def test_same_size_local_save_within_the_mtime_tick_is_pushed(
    mirror: Mirror, tmp_path: Path
) -> None:
    """The tool rewrites a file (a remote edit pulled), then the user saves other
    bytes of the same size within the same mtime tick, so size and mtime both still
    match what the tool recorded. A sync after the tick has passed pushes the edit
    (and the next remote edit does not overwrite it)."""
    m = mirror
    ids = page_ids(m)
    path = m.root / "Task 3.md"
    m.api.update(ids["Task 3"], {"Estimate": {"number": 31}})
    assert m.sync().returncode == 0
    assert frontmatter(path)["Estimate"] == 31
    written = path.stat()
    sed(path, r"^Estimate: 31$", "Estimate: 32")
    os.utime(path, ns=(written.st_atime_ns, written.st_mtime_ns))  # the same tick
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (
        written.st_size,
        written.st_mtime_ns,
    )
    time.sleep(2.5)  # past the tick: a stat that still matched would now be trusted
    m.api.advance_clock(120)
    m.api.reset_stats()
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {"PATCH /v1/pages/{page_id}": 1}
    (page,) = [p for p in query_all(m.api, m.ds_id) if p["id"] == ids["Task 3"]]
    assert page["properties"]["Estimate"]["number"] == 32
    assert markdown_of(m.api, ids["Task 3"]).strip() == "Body of task 3."
    assert_converged(m, tmp_path)
