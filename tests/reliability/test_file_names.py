"""Issue 8 scenario 9, file names: a page file whose name is not valid UTF-8 (or
otherwise cannot be a page's file name) is named in a clear error, left untouched,
and every other file still syncs. The syncs are real CLI subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability import (
    Mirror,
    assert_converged,
    frontmatter,
    plain_title,
    query_all,
    sed,
    writes,
)

pytestmark = pytest.mark.slow

BAD_NAME = b"Caf\xe9 notes.md"  # Latin-1, as an old tool or a zip archive leaves it
BAD_BYTES = b"---\nName: Cafe notes\nPriority: Low\n---\nWritten elsewhere.\n"


def test_non_utf8_file_name_is_named_and_left_alone(mirror: Mirror, tmp_path: Path) -> None:
    m = mirror
    bad = os.path.join(os.fsencode(m.root), BAD_NAME)
    with open(bad, "wb") as fh:
        fh.write(BAD_BYTES)
    sed(m.root / "Task 1.md", r"^Estimate: 1$", "Estimate: 11")
    m.api.reset_stats()

    res = m.sync()

    assert res.returncode == 1, res.stderr
    assert "Caf\\xe9 notes.md" in res.stderr, res.stderr
    assert "UTF-8" in res.stderr
    assert writes(m.api.stats()) == {"PATCH /v1/pages/{page_id}": 1}
    estimates = {
        plain_title(p): p["properties"]["Estimate"]["number"] for p in query_all(m.api, m.ds_id)
    }
    assert estimates["Task 1"] == 11
    assert "Cafe notes" not in estimates, "a page was created from the badly named file"
    with open(bad, "rb") as fh:
        assert fh.read() == BAD_BYTES
    assert frontmatter(m.root / "Task 1.md")["Estimate"] == 11

    for command in (["status"], ["doctor", "--offline"], ["diff"]):
        res = m.run(*command)
        assert "Traceback" not in res.stderr, res.stderr
        if command != ["diff"]:  # diff shows what would be sent: nothing from this file
            assert res.returncode == 1, (command, res.stdout, res.stderr)
            assert "Caf\\xe9 notes.md" in res.stdout + res.stderr, (command, res.stdout)

    # Renamed by the user, it becomes a page like any new file.
    os.rename(bad, m.root / "Cafe notes.md")
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert "Cafe notes" in {plain_title(p) for p in query_all(m.api, m.ds_id)}
    assert_converged(m, tmp_path)
