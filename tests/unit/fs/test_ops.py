"""The mount's FUSE operations, called directly (no kernel): pass-through, the hidden
state folder, journaling at close/rename, errnos, and the kernel-cache snapshot diff.

The real-mount behaviour (what ``cat``, ``sed -i``, git... send) is in
``tests/e2e/test_mount.py``; here each rule is pinned on its own, fast.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from notion_mirror.errors import UsageError
from notion_mirror.fs.mount import changed_pages, check_mountpoint, page_stats
from notion_mirror.fs.ops import UTIME_NOW, UTIME_OMIT, MirrorOps, page_name


class Recorder:
    """Stands in for the store capture and the daemon's intake."""

    def __init__(self) -> None:
        self.captured: list[set[str]] = []
        self.noted: list[tuple[set[str], bool]] = []
        self.logged: list[str] = []
        self.fail: Exception | None = None

    def capture(self, names: set[str]) -> None:
        if self.fail is not None:
            raise self.fail
        self.captured.append(set(names))

    def note(self, names: set[str], journaled: bool) -> None:
        self.noted.append((set(names), journaled))

    def log(self, event: str, message: str, **_: Any) -> None:
        self.logged.append(f"{event}: {message}")


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "mirror"
    (r / ".notion-mirror").mkdir(parents=True)
    (r / ".notion-mirror" / "state.sqlite").write_bytes(b"secret")
    (r / "Alpha.md").write_text("---\nName: Alpha\n---\n", encoding="utf-8")
    return r


@pytest.fixture
def ops(root: Path, rec: Recorder) -> MirrorOps:
    return MirrorOps(str(root), capture=rec.capture, note=rec.note, log=rec.log)


def fi(flags: int) -> SimpleNamespace:
    """What mfusepy passes with ``raw_fi``: the file info struct's fields we use."""
    return SimpleNamespace(flags=flags, fh=0, direct_io=0, keep_cache=0, noflush=0)


def write_file(ops: MirrorOps, path: str, data: bytes, flags: int = os.O_WRONLY) -> Any:
    info = fi(flags | os.O_CREAT | os.O_TRUNC)
    ops.create(path, 0o644, info)
    ops.write(path, data, 0, info)
    ops.flush(path, info)
    ops.release(path, info)
    return info


def test_page_name_is_only_a_top_level_markdown_file() -> None:
    assert page_name("/Alpha.md") == "Alpha.md"
    assert page_name("/notes/Alpha.md") is None
    assert page_name("/.Alpha.md.swp") is None
    assert page_name("/.hidden.md") is None
    assert page_name("/Alpha.md~") is None
    assert page_name(None) is None


def test_the_state_folder_is_invisible_and_cannot_be_created(ops: MirrorOps) -> None:
    names = [entry[0] for entry in ops.readdir("/", None)]
    assert ".notion-mirror" not in names and "Alpha.md" in names
    for call in (
        lambda: ops.getattr("/.notion-mirror"),
        lambda: ops.getattr("/.notion-mirror/state.sqlite"),
        lambda: ops.open("/.notion-mirror/state.sqlite", fi(os.O_RDONLY)),
        lambda: ops.unlink("/.notion-mirror/state.sqlite"),
    ):
        with pytest.raises(OSError) as exc:
            call()
        assert exc.value.errno == errno.ENOENT
    for call in (
        lambda: ops.mkdir("/.notion-mirror", 0o755),
        lambda: ops.create("/.notion-mirror/x", 0o644, fi(os.O_WRONLY)),
        lambda: ops.rename("/Alpha.md", "/.notion-mirror/Alpha.md"),
        lambda: ops.symlink("/.notion-mirror", "/etc"),
    ):
        with pytest.raises(OSError) as exc:
            call()
        assert exc.value.errno == errno.EACCES


def test_readdir_entries_carry_inode_and_type(ops: MirrorOps, root: Path) -> None:
    (root / "sub").mkdir()
    entries = {name: attrs for name, attrs, _ in ops.readdir("/", None)}
    assert entries["Alpha.md"]["st_ino"] == (root / "Alpha.md").stat().st_ino
    assert entries["sub"]["st_mode"] & 0o170000 == 0o040000
    assert all(attrs["st_ino"] for attrs in entries.values())  # d_ino 0 would be skipped


def test_a_closed_page_write_is_journaled_before_close_returns(
    ops: MirrorOps, root: Path, rec: Recorder
) -> None:
    info = write_file(ops, "/Beta.md", b"---\nName: Beta\n---\n")
    assert info.keep_cache == 0 and info.noflush == 0  # created: nothing cached, flushed
    assert rec.captured == [{"Beta.md"}]
    assert rec.noted == [({"Beta.md"}, True)]
    assert (root / "Beta.md").read_bytes() == b"---\nName: Beta\n---\n"


def test_reads_and_non_page_files_are_not_journaled(
    ops: MirrorOps, root: Path, rec: Recorder
) -> None:
    info = fi(os.O_RDONLY)
    ops.open("/Alpha.md", info)
    assert ops.read("/Alpha.md", 100, 0, info).startswith(b"---")
    ops.flush("/Alpha.md", info)
    ops.release("/Alpha.md", info)
    ops.mkdir("/notes", 0o755)
    other = write_file(ops, "/notes/todo.md", b"x")
    write_file(ops, "/.Alpha.md.swp", b"x")
    assert other.direct_io == 0
    assert rec.captured == [] and rec.noted == []


def open_info(ops: MirrorOps, path: str, flags: int = os.O_RDONLY) -> SimpleNamespace:
    info = fi(flags)
    ops.open(path, info)
    ops.release(path, info)
    return info


def test_the_kernel_keeps_cached_pages_only_of_the_file_it_cached_them_from(
    ops: MirrorOps, root: Path
) -> None:
    # Never described to the kernel: its idea of the size may be anything, read around it.
    first = open_info(ops, "/Alpha.md")
    assert (first.direct_io, first.keep_cache, first.noflush) == (1, 0, 1)
    ops.getattr("/Alpha.md")
    fresh = open_info(ops, "/Alpha.md")
    assert (fresh.direct_io, fresh.keep_cache) == (0, 0)  # cache dropped, then filled
    again = open_info(ops, "/Alpha.md")
    assert (again.direct_io, again.keep_cache) == (0, 1)  # unchanged: keep it
    assert open_info(ops, "/Alpha.md", os.O_RDWR).noflush == 0  # a writer is flushed

    # The sync loop replaces the file behind the kernel's back (same size even).
    new = root / ".notion-mirror" / "new"
    new.write_text("---\nName: Alphb\n---\n", encoding="utf-8")
    os.replace(new, root / "Alpha.md")
    stale = open_info(ops, "/Alpha.md")
    assert (stale.direct_io, stale.keep_cache) == (1, 0)  # attributes may be stale too
    ops.getattr("/Alpha.md")
    assert open_info(ops, "/Alpha.md").keep_cache == 0
    assert open_info(ops, "/Alpha.md").keep_cache == 1


def test_a_descriptor_of_a_replaced_file_does_not_leave_its_bytes_cached(
    ops: MirrorOps, root: Path
) -> None:
    ops.getattr("/Alpha.md")
    old = fi(os.O_RDONLY)
    ops.open("/Alpha.md", old)  # a reader keeps the file open
    new = root / ".notion-mirror" / "new"
    new.write_text("---\nName: Beta\n---\n", encoding="utf-8")
    os.replace(new, root / "Alpha.md")
    ops.getattr("/Alpha.md")
    open_info(ops, "/Alpha.md")  # the kernel cache now holds the new file
    assert ops.read("/Alpha.md", 100, 0, old) == b"---\nName: Alpha\n---\n"
    ops.release("/Alpha.md", old)
    # That read filled the shared cache with the old bytes: the next open drops them.
    assert open_info(ops, "/Alpha.md").keep_cache == 0
    assert open_info(ops, "/Alpha.md").keep_cache == 1


def test_an_atomic_save_is_journaled_at_the_rename(
    ops: MirrorOps, root: Path, rec: Recorder
) -> None:
    write_file(ops, "/.Alpha.md.tmp", b"new")
    ops.rename("/.Alpha.md.tmp", "/Alpha.md")
    assert rec.captured == [{"Alpha.md"}]
    assert (root / "Alpha.md").read_bytes() == b"new"


def test_a_move_journals_the_destination_and_only_notes_the_source(
    ops: MirrorOps, rec: Recorder
) -> None:
    ops.rename("/Alpha.md", "/Alpha moved.md")
    assert rec.captured == [{"Alpha moved.md"}]
    assert ({"Alpha.md"}, False) in rec.noted
    ops.unlink("/Alpha moved.md")
    assert rec.captured == [{"Alpha moved.md"}]  # a removal is a hint, never a trash
    assert rec.noted[-1] == ({"Alpha moved.md"}, False)


def test_rename_noreplace_refuses_to_overwrite(ops: MirrorOps, root: Path) -> None:
    (root / "Beta.md").write_text("b", encoding="utf-8")
    with pytest.raises(OSError) as exc:
        ops.rename("/Alpha.md", "/Beta.md", 1)  # RENAME_NOREPLACE
    assert exc.value.errno == errno.EEXIST
    assert (root / "Beta.md").read_text(encoding="utf-8") == "b"


def test_truncating_open_and_path_truncate_are_writes(ops: MirrorOps, rec: Recorder) -> None:
    info = fi(os.O_WRONLY | os.O_TRUNC)
    ops.open("/Alpha.md", info)
    ops.flush("/Alpha.md", info)
    ops.release("/Alpha.md", info)
    ops.truncate("/Alpha.md", 0)
    assert rec.captured == [{"Alpha.md"}, {"Alpha.md"}]


def test_a_failed_capture_fails_the_close_with_eio(ops: MirrorOps, rec: Recorder) -> None:
    rec.fail = RuntimeError("database is locked")
    info = fi(os.O_WRONLY)
    ops.open("/Alpha.md", info)
    ops.write("/Alpha.md", b"x", 0, info)
    with pytest.raises(OSError) as exc:
        ops.flush("/Alpha.md", info)
    assert exc.value.errno == errno.EIO
    assert any("could not journal Alpha.md" in line for line in rec.logged)
    assert rec.noted == [({"Alpha.md"}, False)]  # the loop still looks at it
    rec.fail = None
    ops.release("/Alpha.md", info)  # still dirty: release retries the capture
    assert rec.captured == [{"Alpha.md"}]


def test_a_write_to_a_file_replaced_while_open_fails_loudly(
    ops: MirrorOps, root: Path, rec: Recorder
) -> None:
    info = fi(os.O_WRONLY)
    ops.open("/Alpha.md", info)
    ops.write("/Alpha.md", b"local", 0, info)
    tmp = root / "Alpha.md.tmp"
    tmp.write_text("from Notion", encoding="utf-8")
    os.replace(tmp, root / "Alpha.md")  # the loop materialising a remote edit
    with pytest.raises(OSError) as exc:
        ops.flush("/Alpha.md", info)
    assert exc.value.errno == errno.EIO
    assert any("save again" in line for line in rec.logged)
    ops.release("/Alpha.md", info)  # the kernel ignores release errors: said once, at close
    assert rec.captured == []


def test_os_errors_keep_their_errno_and_bugs_become_eio(
    ops: MirrorOps, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = fi(os.O_WRONLY)
    ops.open("/Alpha.md", info)

    def full(*_: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(OSError) as exc:
        ops.write("/Alpha.md", b"data", 0, info)
    assert exc.value.errno == errno.ENOSPC

    def bug(*_: Any) -> int:
        raise ValueError("unexpected")

    monkeypatch.setattr(os, "pwrite", bug)
    with pytest.raises(OSError) as exc:
        ops.write("/Alpha.md", b"data", 0, info)
    assert exc.value.errno == errno.EIO
    assert any("write failed" in line for line in rec.logged)
    monkeypatch.undo()
    ops.release("/Alpha.md", info)


def test_short_pwrite_is_completed_not_truncated(
    ops: MirrorOps, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.pwrite

    def short(fd: int, data: Any, offset: int) -> int:
        return real(fd, bytes(data)[:3], offset)

    monkeypatch.setattr(os, "pwrite", short)
    info = fi(os.O_WRONLY | os.O_TRUNC)
    ops.open("/Alpha.md", info)
    assert ops.write("/Alpha.md", b"0123456789", 0, info) == 10
    monkeypatch.undo()
    ops.release("/Alpha.md", info)
    assert (root / "Alpha.md").read_bytes() == b"0123456789"


def test_utimens_honours_now_and_omit(ops: MirrorOps, root: Path) -> None:
    path = root / "Alpha.md"
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    ops.utimens("/Alpha.md", ((5, 0), (0, UTIME_OMIT)))
    st = path.stat()
    assert (st.st_atime_ns, st.st_mtime_ns) == (5_000_000_000, 2_000_000_000)
    ops.utimens("/Alpha.md", ((0, UTIME_OMIT), (0, UTIME_NOW)))
    assert path.stat().st_mtime_ns > 2_000_000_000
    assert path.stat().st_atime_ns == 5_000_000_000


def test_getattr_reports_nanosecond_times_and_real_inodes(ops: MirrorOps, root: Path) -> None:
    attrs = ops.getattr("/Alpha.md")
    st = (root / "Alpha.md").stat()
    assert attrs["st_ino"] == st.st_ino
    assert attrs["st_mtime"] == st.st_mtime_ns
    assert attrs["st_size"] == st.st_size


def test_snapshot_diff_names_changed_new_and_vanished_pages(root: Path) -> None:
    before = page_stats(root)
    assert set(before) == {"Alpha.md"}
    (root / "Beta.md").write_text("b", encoding="utf-8")
    (root / "notes.txt").write_text("not a page", encoding="utf-8")
    tmp = root / "Alpha.md.tmp"
    tmp.write_text("new alpha", encoding="utf-8")
    os.replace(tmp, root / "Alpha.md")  # how materialise writes: a new inode
    after = page_stats(root)
    assert changed_pages(before, after) == {"Alpha.md", "Beta.md"}
    (root / "Beta.md").unlink()
    assert changed_pages(after, page_stats(root)) == {"Beta.md"}
    assert changed_pages(after, after) == set()


def test_mountpoint_must_exist_and_not_overlap_the_mirror(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "mnt"
    outside.mkdir()
    assert check_mountpoint(root, outside) == outside.resolve()
    for bad in (root, root / "sub", tmp_path, tmp_path / "missing"):
        if bad == root / "sub":
            bad.mkdir()
        with pytest.raises(UsageError):
            check_mountpoint(root, bad)
