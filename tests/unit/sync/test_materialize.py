"""The file writer's promise: each file holds its old or its new bytes, and a
file that differs from what the tool last wrote is never replaced or removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notion_mirror.sync import materialize
from notion_mirror.sync.materialize import (
    LocalEditError,
    PathOccupiedError,
    file_status,
    hash_bytes,
    remove_file,
    write_file,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".notion-mirror" / "tmp").mkdir(parents=True)
    return tmp_path


def tmp_of(root: Path) -> Path:
    return root / ".notion-mirror" / "tmp"


def test_new_file_is_written_and_fingerprinted(root: Path) -> None:
    fp = write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    assert (root / "A.md").read_bytes() == b"one"
    assert fp.sha256 == hash_bytes(b"one")
    assert fp.size == 3
    assert list(tmp_of(root).iterdir()) == []


def test_update_replaces_only_what_the_tool_wrote(root: Path) -> None:
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    write_file(root, "A.md", b"two", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert (root / "A.md").read_bytes() == b"two"
    assert list(tmp_of(root).iterdir()) == []


def test_local_edit_is_never_overwritten(root: Path) -> None:
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    (root / "A.md").write_bytes(b"user edit")
    with pytest.raises(LocalEditError):
        write_file(root, "A.md", b"two", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert (root / "A.md").read_bytes() == b"user edit"
    assert list(tmp_of(root).iterdir()) == []


def test_locally_deleted_file_is_not_recreated(root: Path) -> None:
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    (root / "A.md").unlink()
    with pytest.raises(LocalEditError):
        write_file(root, "A.md", b"two", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert not (root / "A.md").exists()


def test_untracked_file_at_path_is_not_overwritten(root: Path) -> None:
    (root / "A.md").write_bytes(b"someone else's")
    with pytest.raises(PathOccupiedError):
        write_file(root, "A.md", b"ours", tmp_dir=tmp_of(root), expected_hash=None)
    assert (root / "A.md").read_bytes() == b"someone else's"


def test_identical_untracked_file_is_adopted(root: Path) -> None:
    (root / "A.md").write_bytes(b"same")
    fp = write_file(root, "A.md", b"same", tmp_dir=tmp_of(root), expected_hash=None)
    assert fp.sha256 == hash_bytes(b"same")


def test_edit_racing_the_write_is_kept(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user write landing between our check and our rename survives."""
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    real_rename = os.rename

    def rename_then_user_writes(src, dst):
        # The user saves right before our rename moves the file aside.
        Path(src).write_bytes(b"late user edit")
        real_rename(src, dst)

    monkeypatch.setattr(materialize.os, "rename", rename_then_user_writes)
    with pytest.raises(LocalEditError):
        write_file(root, "A.md", b"two", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert (root / "A.md").read_bytes() == b"late user edit"


def test_user_recreating_path_during_write_keeps_both(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    (root / "A.md").write_bytes(b"edited")
    real_rename = os.rename

    def rename_then_recreate(src, dst):
        real_rename(src, dst)
        Path(src).write_bytes(b"new file by user")

    monkeypatch.setattr(materialize.os, "rename", rename_then_recreate)
    with pytest.raises(LocalEditError) as info:
        write_file(root, "A.md", b"two", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert (root / "A.md").read_bytes() == b"new file by user"
    assert info.value.recovered is not None
    assert Path(info.value.recovered).read_bytes() == b"edited"


def test_remove_only_when_unchanged(root: Path) -> None:
    write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    (root / "A.md").write_bytes(b"edited")
    with pytest.raises(LocalEditError):
        remove_file(root, "A.md", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"one"))
    assert (root / "A.md").read_bytes() == b"edited"
    remove_file(root, "A.md", tmp_dir=tmp_of(root), expected_hash=hash_bytes(b"edited"))
    assert not (root / "A.md").exists()


def test_status_trusts_stat_only_for_old_files(root: Path) -> None:
    fp = write_file(root, "A.md", b"one", tmp_dir=tmp_of(root), expected_hash=None)
    path = root / "A.md"
    kw = dict(expected_hash=fp.sha256, expected_size=fp.size, expected_mtime_ns=fp.mtime_ns)
    assert file_status(path, **kw) == "unchanged"
    # Same size, same mtime tick, different bytes: caught because the mtime is recent.
    path.write_bytes(b"two")
    os.utime(path, ns=(fp.mtime_ns, fp.mtime_ns))
    assert file_status(path, **kw) == "modified"
    # Long after, stat alone is trusted (no hashing) - the documented trade-off.
    later = fp.mtime_ns + 10 * materialize.MTIME_TRUST_NS
    assert file_status(path, **kw, now_ns=later) == "unchanged"
    path.unlink()
    assert file_status(path, **kw) == "missing"
