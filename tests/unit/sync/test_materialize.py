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


# ------------------------------------------------------- recovery after a kill


def _leave(tmp_dir: Path, kind: str, name: str, data: bytes) -> Path:
    """What a run killed between setting ``name`` aside and finishing leaves behind."""
    aside = tmp_dir / f"{kind}-0123" / name
    aside.parent.mkdir(parents=True)
    aside.write_bytes(data)
    return aside


def test_recovery_puts_a_set_aside_file_back_and_drops_temp_files(tmp_path: Path) -> None:
    root, tmp_dir = tmp_path, tmp_path / ".notion-mirror" / "tmp"
    _leave(tmp_dir, "a", "Page.md", b"old bytes")
    (tmp_dir / "w-4567").write_bytes(b"half a new fi")
    restored = materialize.recover_interrupted(root, tmp_dir, known=lambda _: True)
    assert restored == ["Page.md"]
    assert (root / "Page.md").read_bytes() == b"old bytes"
    assert list(tmp_dir.iterdir()) == []


def test_recovery_keeps_a_copy_it_cannot_vouch_for(tmp_path: Path) -> None:
    """The new file is in place and the set-aside bytes are not the tool's own: they
    may be the only copy of an edit, so they stay (doctor shows them)."""
    root, tmp_dir = tmp_path, tmp_path / ".notion-mirror" / "tmp"
    (root / "Page.md").write_bytes(b"new bytes")
    aside = _leave(tmp_dir, "a", "Page.md", b"someone's edit")
    assert materialize.recover_interrupted(root, tmp_dir, known=lambda _: False) == []
    assert aside.read_bytes() == b"someone's edit"
    assert (root / "Page.md").read_bytes() == b"new bytes"
    # Known bytes (the tool's previous version) are dropped.
    assert materialize.recover_interrupted(root, tmp_dir, known=lambda _: True) == []
    assert list(tmp_dir.iterdir()) == []


@pytest.mark.parametrize(("known", "back"), [(True, False), (False, True)])
def test_recovery_of_an_interrupted_removal(tmp_path: Path, known: bool, back: bool) -> None:
    """The tool's own bytes were being removed on purpose: the removal stands. Other
    bytes go back to their place."""
    root, tmp_dir = tmp_path, tmp_path / ".notion-mirror" / "tmp"
    _leave(tmp_dir, "r", "Old name.md", b"bytes")
    restored = materialize.recover_interrupted(root, tmp_dir, known=lambda _: known)
    assert restored == (["Old name.md"] if back else [])
    assert (root / "Old name.md").exists() is back
    assert list(tmp_dir.iterdir()) == []


def test_a_completed_write_leaves_nothing_in_tmp(tmp_path: Path) -> None:
    tmp_dir = tmp_path / ".notion-mirror" / "tmp"
    fp = materialize.write_file(tmp_path, "A.md", b"one", tmp_dir=tmp_dir, expected_hash=None)
    materialize.write_file(tmp_path, "A.md", b"two", tmp_dir=tmp_dir, expected_hash=fp.sha256)
    materialize.remove_file(
        tmp_path, "A.md", tmp_dir=tmp_dir, expected_hash=materialize.hash_bytes(b"two")
    )
    assert not (tmp_path / "A.md").exists()
    assert list(tmp_dir.iterdir()) == []
