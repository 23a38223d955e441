"""``capture_paths``: the watcher's intake judges each named path by its content now,
so own writes are not edits and an editor's several events are one change."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_mirror.store import StateStore
from notion_mirror.sync.capture import capture_paths
from notion_mirror.sync.materialize import hash_bytes
from tests.helpers import written_by_tool

Mirror = tuple[Path, StateStore]


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    store = StateStore(tmp_path / ".notion-mirror" / "state.sqlite")
    yield tmp_path, store
    store.close()


def kinds(entries: list) -> list[tuple[str, str]]:
    return [(e.path, e.kind) for e in entries]


def test_own_write_is_not_journaled(mirror: Mirror) -> None:
    """A file whose bytes hash to the tool's own fingerprint is not an edit, even when
    it was rewritten (new mtime) by an atomic rename, as materialise does."""
    root, store = mirror
    written_by_tool(root, store, "A.md", b"---\nName: A\n---\nbody\n")
    tmp = root / ".A.md.tmp"
    tmp.write_bytes(b"---\nName: A\n---\nbody\n")
    os.replace(tmp, root / "A.md")
    assert capture_paths(root, store, {"A.md", ".A.md.tmp"}) == []
    assert store.journal() == []


def test_save_by_rename_sequence_collapses_to_one_change(mirror: Mirror) -> None:
    """rename to a backup, create anew, delete the backup (plus a temp file and a
    swap file on the way): the named paths yield exactly one "changed" for the page,
    with the final content's hash, and nothing for the helper files."""
    root, store = mirror
    written_by_tool(root, store, "A.md", b"old\n")
    os.rename(root / "A.md", root / "A.md~")
    (root / ".A.md.swp").write_bytes(b"swap")
    (root / "A.md").write_bytes(b"new\n")
    os.unlink(root / "A.md~")
    os.unlink(root / ".A.md.swp")
    entries = capture_paths(root, store, {"A.md", "A.md~", ".A.md.swp", "4913"})
    assert kinds(entries) == [("A.md", "changed")]
    assert entries[0].sha256 == hash_bytes(b"new\n")
    assert kinds(store.journal()) == [("A.md", "changed")]
    # The same hint again (a late event) adds nothing: the journal already knows it.
    assert capture_paths(root, store, {"A.md"}) == []


def test_unlink_then_create_with_the_same_bytes_is_nothing(mirror: Mirror) -> None:
    """An editor that unlinks and rewrites identical bytes made no edit."""
    root, store = mirror
    written_by_tool(root, store, "A.md", b"same\n")
    os.unlink(root / "A.md")
    (root / "A.md").write_bytes(b"same\n")
    assert capture_paths(root, store, {"A.md"}) == []


def test_deleted_known_file_is_one_deletion(mirror: Mirror) -> None:
    """A known page file that is gone is journaled as deleted once; a repeated hint, or
    an unknown file that is gone, adds nothing."""
    root, store = mirror
    written_by_tool(root, store, "Gone.md", b"x")
    os.unlink(root / "Gone.md")
    assert kinds(capture_paths(root, store, {"Gone.md", "Never.md"})) == [("Gone.md", "deleted")]
    assert capture_paths(root, store, {"Gone.md"}) == []
    assert kinds(store.journal()) == [("Gone.md", "deleted")]


def test_new_file_is_a_change_and_non_page_paths_are_ignored(mirror: Mirror) -> None:
    """A new page file is journaled; dot-files, non-Markdown files and directories that
    the watcher may name are not page files."""
    root, store = mirror
    (root / "New.md").write_bytes(b"new")
    (root / ".hidden.md").write_bytes(b"h")
    (root / "notes.txt").write_bytes(b"t")
    (root / "dir.md").mkdir()
    entries = capture_paths(root, store, {"New.md", ".hidden.md", "notes.txt", "dir.md"})
    assert kinds(entries) == [("New.md", "changed")]
