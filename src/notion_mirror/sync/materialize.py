"""Atomic file writes into the mirror that never clobber a local edit.

Guarantee: at every moment each page file holds either its old or its new
contents, and a file that differs from what the tool last wrote there (a
local edit) is never replaced or removed.

A write goes: temp file in ``.notion-mirror/tmp`` (same filesystem) + fsync;
then the current file is renamed aside, its bytes are checked against what
the tool last wrote, and the new file is hard-linked into place (link fails
instead of replacing when someone created the path meanwhile).

A set-aside file keeps its name (``tmp/a-<id>/<name>``), so a run killed
between setting it aside and linking the new file in is undone by
:func:`recover_interrupted` at the start of the next run, under the writer
lock: the file goes back to its place and no file is ever missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from notion_mirror.store.state import MTIME_TRUST_NS
from notion_mirror.sync.crash import crash_point

__all__ = [
    "FileFingerprint",
    "LocalEditError",
    "PathOccupiedError",
    "file_status",
    "hash_bytes",
    "recover_interrupted",
    "remove_file",
    "write_file",
]


class LocalEditError(Exception):
    """The file at the target path is not what the tool last wrote there."""

    def __init__(self, path: str, recovered: str | None = None) -> None:
        self.path = path
        self.recovered = recovered
        super().__init__(f"{path}: changed locally; not overwritten")


class PathOccupiedError(Exception):
    """The target path holds a file the tool did not write."""


@dataclass(frozen=True)
class FileFingerprint:
    sha256: str
    size: int
    mtime_ns: int


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_status(
    path: Path,
    *,
    expected_hash: str | None,
    expected_size: int | None,
    expected_mtime_ns: int | None,
    now_ns: int | None = None,
) -> str:
    """``missing``, ``unchanged`` or ``modified`` relative to what the tool last wrote.

    Stat first; hash only when the stat fingerprint differs or is too recent
    to trust.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    if expected_hash is None:
        return "modified"
    now_ns = time.time_ns() if now_ns is None else now_ns
    if (
        st.st_size == expected_size
        and st.st_mtime_ns == expected_mtime_ns
        and now_ns - st.st_mtime_ns > MTIME_TRUST_NS
    ):
        return "unchanged"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    return "unchanged" if hash_bytes(data) == expected_hash else "modified"


def write_file(
    root: Path,
    rel: str,
    data: bytes,
    *,
    tmp_dir: Path,
    expected_hash: str | None,
) -> FileFingerprint:
    """Write ``data`` at ``root/rel`` atomically.

    ``expected_hash`` is the hash of what the tool last wrote at this path, or
    None when it believes the path is free. Raises :class:`LocalEditError` or
    :class:`PathOccupiedError` instead of overwriting anything else.
    """
    target = root / rel
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"w-{uuid.uuid4().hex}"
    try:
        # Inside the try: a full disk fails here, and the partial temp file
        # must not be left behind.
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        crash_point("materialize_temp")
        if expected_hash is None:
            try:
                os.link(tmp, target)
            except FileExistsError:
                existing = target.read_bytes() if target.is_file() else None
                if existing is not None and hash_bytes(existing) == hash_bytes(data):
                    # Already holds exactly these bytes (an earlier run or a preview): adopt it.
                    return _fingerprint(target, data)
                raise PathOccupiedError(rel) from None
        else:
            _replace_guarded(target, tmp, tmp_dir, rel, expected_hash)
        _fsync_dir(target.parent)
        crash_point("after_materialize")
        return _fingerprint(target, data)
    finally:
        tmp.unlink(missing_ok=True)


def aside_path(tmp_dir: Path, kind: str, rel: str) -> Path:
    """A fresh set-aside location for ``rel`` that keeps its name (for recovery):
    ``a-`` goes back to ``rel`` if a run is killed, ``r-`` is a decided removal."""
    aside = tmp_dir / f"{kind}-{uuid.uuid4().hex}" / rel
    aside.parent.mkdir(parents=True)
    return aside


def drop_aside(aside: Path, tmp_dir: Path) -> None:
    """Remove a set-aside file (if still there) and its emptied folders up to ``tmp_dir``."""
    aside.unlink(missing_ok=True)
    parent = aside.parent
    while parent != tmp_dir:
        try:
            parent.rmdir()
        except OSError:
            return  # not empty: something else is kept there
        parent = parent.parent


def _replace_guarded(target: Path, tmp: Path, tmp_dir: Path, rel: str, expected: str) -> None:
    aside = aside_path(tmp_dir, "a", rel)
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        drop_aside(aside, tmp_dir)
        # Deleted locally since the tool wrote it: a deletion is an edit too.
        raise LocalEditError(rel) from None
    crash_point("materialize_aside")
    # RACE: a writer that opened the file before the rename writes into the
    # aside inode; we compare after the rename, so such bytes are caught here
    # unless they land after this read (worst case: a write racing this exact
    # moment is kept in the aside copy, reported as recovered below).
    if hash_bytes(aside.read_bytes()) != expected:
        try:
            os.link(aside, target)
            drop_aside(aside, tmp_dir)
            raise LocalEditError(rel)
        except FileExistsError:
            # Someone re-created the path meanwhile; keep both, lose neither.
            raise LocalEditError(rel, recovered=str(aside)) from None
    try:
        os.link(tmp, target)
    except FileExistsError:
        # A new file appeared at the path after the rename: it is the user's; ours waits.
        drop_aside(aside, tmp_dir)
        raise LocalEditError(rel) from None
    drop_aside(aside, tmp_dir)


def remove_file(root: Path, rel: str, *, tmp_dir: Path, expected_hash: str) -> None:
    """Remove ``root/rel`` only if it still holds what the tool last wrote."""
    target = root / rel
    tmp_dir.mkdir(parents=True, exist_ok=True)
    aside = aside_path(tmp_dir, "r", rel)
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        drop_aside(aside, tmp_dir)
        return
    crash_point("materialize_aside")
    if hash_bytes(aside.read_bytes()) != expected_hash:
        try:
            os.link(aside, target)
            drop_aside(aside, tmp_dir)
            raise LocalEditError(rel)
        except FileExistsError:
            raise LocalEditError(rel, recovered=str(aside)) from None
    drop_aside(aside, tmp_dir)
    _fsync_dir(target.parent)


def recover_interrupted(root: Path, tmp_dir: Path, known: Callable[[str], bool]) -> list[str]:
    """Finish what a killed run left in ``tmp_dir``; call only under the writer lock.

    Temp files of unfinished writes are dropped (the target was never touched).
    A file set aside for a replace goes back to its place when nothing took it
    (no file is ever left missing); one set aside for a removal goes back unless
    its bytes are the tool's own (``known``), since then the removal was decided.
    A set-aside copy whose place is taken stays only if ``known`` does not
    vouch for its bytes: it may be the only copy of an edit (``doctor`` shows it).
    Returns one line per file put back.
    """
    try:
        entries = list(os.scandir(tmp_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    restored: list[str] = []
    for entry in entries:
        if entry.name.startswith("w-") and entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)
            continue
        if not (entry.name[:2] in ("a-", "r-") and entry.is_dir(follow_symlinks=False)):
            continue
        base = Path(entry.path)
        for aside in [p for p in base.rglob("*") if p.is_file()]:
            rel = aside.relative_to(base).as_posix()
            target = root / rel
            digest = hash_bytes(aside.read_bytes())
            if not target.exists() and not (entry.name.startswith("r-") and known(digest)):
                try:
                    os.link(aside, target)
                    restored.append(rel)
                except (FileExistsError, FileNotFoundError):
                    continue  # taken meanwhile, or its folder is gone: keep the copy
            elif target.exists() and not (
                known(digest) or hash_bytes(target.read_bytes()) == digest
            ):
                continue
            aside.unlink()
        for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
        with contextlib.suppress(OSError):
            base.rmdir()
    if restored:
        _fsync_dir(root)
    return restored


def _fingerprint(target: Path, data: bytes) -> FileFingerprint:
    st = target.stat()
    return FileFingerprint(sha256=hash_bytes(data), size=st.st_size, mtime_ns=st.st_mtime_ns)
