"""Capture: stat first, hash only when needed; every local change reaches the journal."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from notion_mirror.store import StateStore
from notion_mirror.sync import capture
from notion_mirror.sync.materialize import MTIME_TRUST_NS, hash_bytes
from tests.helpers import written_by_tool


@pytest.fixture
def mirror(tmp_path: Path):
    store = StateStore(tmp_path / ".notion-mirror" / "state.sqlite")
    yield tmp_path, store
    store.close()


def test_unchanged_old_files_are_not_even_read(mirror, monkeypatch) -> None:
    """Fingerprints taken within the files' mtime tick are confirmed by hashing once;
    after that a scan trusts the stat and reads nothing."""
    root, store = mirror
    mtimes = [written_by_tool(root, store, f"{i}.md", b"x") for i in range(20)]
    later = max(mtimes) + 10 * MTIME_TRUST_NS
    first = capture.scan(root, store, now_ns=later)
    assert (first.scanned, first.hashed, first.journaled) == (20, 20, [])
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    result = capture.scan(root, store, now_ns=later)
    assert result.scanned == 20
    assert result.hashed == 0
    assert reads == []
    assert store.journal() == []


def test_same_size_edit_within_the_mtime_tick_is_caught(mirror) -> None:
    root, store = mirror
    mtime = written_by_tool(root, store, "A.md", b"aaaa")
    (root / "A.md").write_bytes(b"bbbb")
    os.utime(root / "A.md", ns=(mtime, mtime))
    result = capture.scan(root, store, now_ns=mtime + 1)
    assert [(e.path, e.kind) for e in result.journaled] == [("A.md", "changed")]
    assert store.journal()[0].sha256 == hash_bytes(b"bbbb")


@pytest.mark.parametrize("recorded_by", ["sync", "scan"])
def test_same_size_edit_after_a_racy_fingerprint_is_caught_later(mirror, recorded_by) -> None:
    """Issue 8 scenario 11: the tool fingerprints a file within its mtime tick (after
    writing it, or when a scan journals it), then the user saves other bytes of the
    same size in that same tick. Size and mtime match the fingerprint, yet a scan long
    after the tick still finds the edit (a racy fingerprint never vouches by stat)."""
    root, store = mirror
    if recorded_by == "sync":
        mtime = written_by_tool(root, store, "A.md", b"aaaa")
    else:
        (root / "A.md").write_bytes(b"aaaa")
        mtime = (root / "A.md").stat().st_mtime_ns
        assert len(capture.scan(root, store).journaled) == 1
    (root / "A.md").write_bytes(b"bbbb")
    os.utime(root / "A.md", ns=(mtime, mtime))  # the same tick: size and mtime unchanged
    result = capture.scan(root, store, now_ns=mtime + 10 * MTIME_TRUST_NS)
    assert [(e.path, e.sha256) for e in result.journaled] == [("A.md", hash_bytes(b"bbbb"))]


def test_a_touched_file_is_confirmed_once_not_rehashed_forever(mirror) -> None:
    root, store = mirror
    written_by_tool(root, store, "A.md", b"aaaa")
    old = time.time_ns() - 60 * 10**9
    os.utime(root / "A.md", ns=(old, old))  # `touch -d`: same bytes, another mtime
    assert capture.scan(root, store).hashed == 1
    assert capture.scan(root, store).hashed == 0
    assert store.journal() == []


def test_new_deleted_and_ignored_files(mirror) -> None:
    root, store = mirror
    written_by_tool(root, store, "Gone.md", b"x")
    (root / "Gone.md").unlink()
    (root / "New.md").write_bytes(b"new")
    (root / ".hidden.md").write_bytes(b"h")
    (root / "notes.txt").write_bytes(b"t")
    (root / "sub").mkdir()
    (root / "sub" / "Deep.md").write_bytes(b"d")
    result = capture.scan(root, store)
    assert sorted((e.path, e.kind) for e in result.journaled) == [
        ("Gone.md", "deleted"),
        ("New.md", "changed"),
    ]


def test_journal_is_durable_and_not_duplicated(mirror, tmp_path: Path) -> None:
    root, store = mirror
    (root / "New.md").write_bytes(b"new")
    capture.scan(root, store)
    store.close()
    reopened = StateStore(tmp_path / ".notion-mirror" / "state.sqlite")
    try:
        assert [e.path for e in reopened.journal()] == ["New.md"]
        # A second scan sees the journaled fingerprint and adds nothing.
        result = capture.scan(root, reopened)
        assert result.journaled == []
        seq = reopened.journal()[-1].seq
        reopened.clear_journal({"New.md"}, up_to_seq=seq)
        assert reopened.journal() == []
    finally:
        reopened.close()


def test_capture_path_records_one_change(mirror) -> None:
    root, store = mirror
    (root / "A.md").write_bytes(b"a")
    entry = capture.capture_path(root, store, "A.md")
    assert entry is not None and entry.kind == "changed"
    assert capture.capture_path(root, store, "notes.txt") is None
    (root / "A.md").unlink()
    entry = capture.capture_path(root, store, "A.md")
    assert entry is not None and entry.kind == "deleted"
