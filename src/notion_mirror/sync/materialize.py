"""Atomic file writes into the mirror that never clobber a local edit.

Guarantee: at every moment each page file holds either its old or its new
contents, and a file that differs from what the tool last wrote there (a
local edit) is never replaced or removed.

A write goes: temp file in ``.notion-mirror/tmp`` (same filesystem) + fsync;
then the current file is renamed aside, its bytes are checked against what
the tool last wrote, and the new file is hard-linked into place (link fails
instead of replacing when someone created the path meanwhile).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FileFingerprint",
    "LocalEditError",
    "PathOccupiedError",
    "file_status",
    "hash_bytes",
    "remove_file",
    "write_file",
]

# Files modified this recently may change again within the same mtime tick
# with the same size, so their stat fingerprint is not trusted (racy-git).
MTIME_TRUST_NS = 2_000_000_000


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
        return _fingerprint(target, data)
    finally:
        tmp.unlink(missing_ok=True)


def _replace_guarded(target: Path, tmp: Path, tmp_dir: Path, rel: str, expected: str) -> None:
    aside = tmp_dir / f"a-{uuid.uuid4().hex}"
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        # Deleted locally since the tool wrote it: a deletion is an edit too.
        raise LocalEditError(rel) from None
    # RACE: a writer that opened the file before the rename writes into the
    # aside inode; we compare after the rename, so such bytes are caught here
    # unless they land after this read (worst case: a write racing this exact
    # moment is kept in the aside copy, reported as recovered below).
    if hash_bytes(aside.read_bytes()) != expected:
        try:
            os.link(aside, target)
            aside.unlink()
            raise LocalEditError(rel)
        except FileExistsError:
            # Someone re-created the path meanwhile; keep both, lose neither.
            raise LocalEditError(rel, recovered=str(aside)) from None
    try:
        os.link(tmp, target)
    except FileExistsError:
        # A new file appeared at the path after the rename: it is the user's; ours waits.
        aside.unlink()
        raise LocalEditError(rel) from None
    aside.unlink()


def remove_file(root: Path, rel: str, *, tmp_dir: Path, expected_hash: str) -> None:
    """Remove ``root/rel`` only if it still holds what the tool last wrote."""
    target = root / rel
    tmp_dir.mkdir(parents=True, exist_ok=True)
    aside = tmp_dir / f"r-{uuid.uuid4().hex}"
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        return
    if hash_bytes(aside.read_bytes()) != expected_hash:
        try:
            os.link(aside, target)
            aside.unlink()
            raise LocalEditError(rel)
        except FileExistsError:
            raise LocalEditError(rel, recovered=str(aside)) from None
    aside.unlink()
    _fsync_dir(target.parent)


def _fingerprint(target: Path, data: bytes) -> FileFingerprint:
    st = target.stat()
    return FileFingerprint(sha256=hash_bytes(data), size=st.st_size, mtime_ns=st.st_mtime_ns)
