"""The FUSE operations of ``notion-mirror mount``: a pass-through view of the mirror folder.

Every file and folder lives in the mirror folder exactly as if it had been
written there directly (``.git``, editor swap files, anything), so the folder
is the same whether it was edited through the mount or not, and ``sync`` needs
no knowledge of the mount. Two things differ from a plain bind mount:

- ``.notion-mirror/`` (the private state) is not shown and cannot be created:
  tools that walk the mount (``grep -r``, ``git add -A``, backup scripts) must
  never read or rewrite the state database.
- A page file (a top-level ``*.md``) written through the mount is journaled
  when the writer closes it (flush), or when it is renamed into place, before
  the ``close``/``rename`` returns. "Closed" therefore means "durably
  captured": a killed mount process loses no acknowledged write. The capture
  itself is :func:`notion_mirror.sync.capture.capture_paths`, the same one the
  watcher uses, so own writes and no-op saves are judged by content.

Reads use the kernel's page cache (``grep -r`` through the mount must not cost
a round trip into Python per ``read``), but the sync loop rewrites page files
in the mirror folder behind the kernel's back (remote edits), so every
``open`` checks the file itself: the kernel keeps its cached pages
(``keep_cache``) only when the file is exactly the one it cached them from
(same inode, size, mtime and ctime); otherwise the kernel drops them. When
the file also differs from the attributes the kernel was last given (it may
hold a stale size until ``attr_timeout``), that one open is ``direct_io``, so
its reads come from the file whatever size the kernel believes. After each
cycle the mount also invalidates the page files that changed
(:mod:`notion_mirror.fs.mount`). A read-only open asks for no ``flush``
(``noflush``): there is nothing to journal at its close.

Errors keep their errno (``ENOSPC``, ``EACCES``, ``ENOENT``...); an
unexpected exception becomes ``EIO`` rather than a silent short write, and a
failed capture fails the ``close`` with ``EIO`` (the bytes are in the file;
the next scan still finds them, but the writer is told).

This module does not import ``mfusepy``: it is plain ``os`` calls, so it can
be unit-tested without a kernel mount. mfusepy only looks up the methods a
class defines, so every method here is one FUSE callback.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from notion_mirror.mirror import STATE_DIR
from notion_mirror.renames import RENAME_EXCHANGE, renameat2
from notion_mirror.sync.capture import is_page_file

__all__ = ["HIDDEN", "MirrorOps", "page_name"]

HIDDEN = STATE_DIR
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2

_STAT_KEYS = (
    "st_mode",
    "st_ino",
    "st_nlink",
    "st_uid",
    "st_gid",
    "st_size",
    "st_blocks",
    "st_blksize",
    "st_rdev",
)

F = TypeVar("F", bound=Callable[..., Any])

# Capture: journal these page names now; raises on failure (the close then fails).
Capture = Callable[[set[str]], None]
# Note: wake the sync loop for these page names; ``journaled`` says capture already ran.
Note = Callable[[set[str], bool], None]
Log = Callable[..., None]
# Fetch: make a lazy mirror's page file complete before it is opened (no-op when it is).
Fetch = Callable[[str], None]


def page_name(path: str | None) -> str | None:
    """``/Fix bug.md`` -> ``Fix bug.md`` for a top-level page file, else None."""
    if not path or path.count("/") != 1:
        return None
    name = path[1:]
    return name if is_page_file(name) else None


def _hidden(path: str | None) -> bool:
    if not path:
        return False
    first = path[1:].split("/", 1)[0]
    return first == HIDDEN


@dataclass
class _Handle:
    fd: int
    dirty: bool  # written since the last flush: the next close journals it


def _safe(func: F) -> F:
    """OSErrors keep their errno; anything else is a bug and becomes EIO (never EINVAL,
    never a short write), logged with its trace."""

    @functools.wraps(func)
    def wrapper(self: MirrorOps, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, *args, **kwargs)
        except OSError:
            raise
        except Exception as exc:
            self.log("fs-error", f"{func.__name__} failed: {exc!r}", op=func.__name__)
            raise OSError(errno.EIO, os.strerror(errno.EIO)) from exc

    return wrapper  # type: ignore[return-value]


# (inode, size, mtime_ns, ctime_ns): which version of a file the kernel saw.
_Ident = tuple[int, int, int, int]


def _ident(st: os.stat_result) -> _Ident:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _kind(entry: os.DirEntry[str]) -> int:
    """The file type bits from the directory entry itself (no stat per entry)."""
    if entry.is_symlink():
        return stat.S_IFLNK
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    return stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode)


def _fh(fi: Any) -> int:
    """mfusepy with ``raw_fi`` passes the ``fuse_file_info`` struct; its ``fh`` is ours."""
    return int(fi.fh if hasattr(fi, "fh") else fi)


class MirrorOps:
    """Pass-through operations over ``root`` (an absolute path without a trailing slash)."""

    use_ns = True  # mfusepy: times are integer nanoseconds

    def __init__(
        self,
        root: str,
        *,
        capture: Capture,
        note: Note,
        log: Log,
        on_init: Callable[[], None] | None = None,
        on_destroy: Callable[[], None] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        self.root = root.rstrip("/") or "/"
        self.fetch = fetch
        self.capture = capture
        self.note = note
        self.log = log
        self.on_init = on_init
        self.on_destroy = on_destroy
        self._handles: dict[int, _Handle] = {}
        self._lock = threading.Lock()
        # Per path: the file the kernel was last given attributes of (getattr), and
        # the file its page cache was filled from (the last cacheable open).
        self._told: dict[str, _Ident] = {}
        self._cached: dict[str, _Ident] = {}

    # ------------------------------------------------------------ helpers

    def _real(self, path: str | None) -> str:
        if path is None or _hidden(path):
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
        return self.root + path

    def _real_new(self, path: str) -> str:
        """A path about to be created: the state folder's name is refused (EACCES)."""
        if _hidden(path):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return self.root + path

    def _journal(self, names: set[str]) -> None:
        """Capture before returning to the writer, then wake the loop. A capture failure
        is the writer's error (EIO), because a closed file must be a captured file."""
        if not names:
            return
        try:
            self.capture(names)
        except Exception as exc:
            self.log(
                "capture-error",
                f"could not journal {', '.join(sorted(names))}: {exc}; "
                "the file is saved and the next scan will pick it up",
            )
            self.note(names, False)
            raise OSError(errno.EIO, os.strerror(errno.EIO)) from exc
        self.note(names, True)

    # ------------------------------------------------------------ lifecycle

    def init(self, path: str) -> None:
        if self.on_init is not None:
            self.on_init()

    def destroy(self, path: str) -> None:
        if self.on_destroy is not None:
            self.on_destroy()

    # ------------------------------------------------------------ metadata

    @_safe
    def getattr(self, path: str | None, fh: Any = None) -> dict[str, int]:
        st = os.fstat(_fh(fh)) if fh is not None else os.lstat(self._real(path))
        if path is not None:
            self._told[path] = _ident(st)
        out = {k: getattr(st, k) for k in _STAT_KEYS}
        out["st_atime"] = st.st_atime_ns
        out["st_mtime"] = st.st_mtime_ns
        out["st_ctime"] = st.st_ctime_ns
        return out

    @_safe
    def readdir(self, path: str, fh: Any) -> list[tuple[str, dict[str, int], int]]:
        """Entries with their inode and type: with ``use_ino`` an entry without an inode
        number would be d_ino 0, which ``readdir(3)`` silently skips."""
        real = self._real(path)
        here = os.lstat(real)
        up = os.lstat(os.path.dirname(real.rstrip("/")) or "/")
        out = [
            (".", {"st_ino": here.st_ino, "st_mode": here.st_mode}, 0),
            ("..", {"st_ino": up.st_ino, "st_mode": up.st_mode}, 0),
        ]
        with os.scandir(real) as it:
            for entry in it:
                if path == "/" and entry.name == HIDDEN:
                    continue
                out.append((entry.name, {"st_ino": entry.inode(), "st_mode": _kind(entry)}, 0))
        return out

    @_safe
    def readlink(self, path: str) -> str:
        return os.readlink(self._real(path))

    @_safe
    def access(self, path: str, amode: int) -> int:
        if not os.access(self._real(path), amode, follow_symlinks=False):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return 0

    @_safe
    def statfs(self, path: str) -> dict[str, int]:
        sv = os.statvfs(self.root)
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree",
                "f_files", "f_flag", "f_frsize", "f_namemax")  # fmt: skip
        return {k: getattr(sv, k) for k in keys}

    @_safe
    def chmod(self, path: str, mode: int) -> int:
        os.chmod(self._real(path), mode)
        return 0

    @_safe
    def chown(self, path: str, uid: int, gid: int) -> int:
        os.lchown(self._real(path), uid, gid)
        return 0

    @_safe
    def utimens(
        self, path: str | None, times: tuple[tuple[int, int], tuple[int, int]] | None = None
    ) -> int:
        """``times`` is ((sec, nsec) atime, (sec, nsec) mtime) as the kernel sent them,
        with ``UTIME_NOW``/``UTIME_OMIT`` in nsec (``touch``, ``cp -p``, ``tar``)."""
        real = self._real(path)
        if times is None:
            os.utime(real, follow_symlinks=False)
            return 0
        st = os.lstat(real)
        now = time.time_ns()
        ns = []
        for (sec, nsec), current in zip(times, (st.st_atime_ns, st.st_mtime_ns), strict=True):
            if nsec == UTIME_NOW:
                ns.append(now)
            elif nsec == UTIME_OMIT:
                ns.append(current)
            else:
                ns.append(sec * 1_000_000_000 + nsec)
        os.utime(real, ns=(ns[0], ns[1]), follow_symlinks=False)
        return 0

    # ------------------------------------------------------------ namespace

    @_safe
    def mkdir(self, path: str, mode: int) -> int:
        os.mkdir(self._real_new(path), mode)
        return 0

    @_safe
    def rmdir(self, path: str) -> int:
        os.rmdir(self._real(path))
        return 0

    @_safe
    def mknod(self, path: str, mode: int, dev: int) -> int:
        os.mknod(self._real_new(path), mode, dev)
        return 0

    @_safe
    def symlink(self, target: str, source: str) -> int:
        """mfusepy's order: ``target`` is the new link's path, ``source`` what it points to."""
        os.symlink(source, self._real_new(target))
        return 0

    @_safe
    def link(self, target: str, source: str) -> int:
        os.link(self._real(source), self._real_new(target), follow_symlinks=False)
        page = page_name(target)
        if page:
            self._journal({page})
        return 0

    @_safe
    def unlink(self, path: str) -> int:
        os.unlink(self._real(path))
        page = page_name(path)
        if page:
            # Not journaled here: a removed page file is only a hint (it is never a
            # trash), and an editor's "rename away, write anew" save must collapse into
            # one modification. The loop judges the path after the debounce.
            self.note({page}, False)
        return 0

    @_safe
    def rename(self, old: str, new: str, flags: int = 0) -> int:
        src, dst = self._real(old), self._real_new(new)
        if flags:
            renameat2(src, dst, flags)
        else:
            os.rename(src, dst)
        moved = {n for n in (page_name(new),) if n}
        if flags & RENAME_EXCHANGE:
            moved |= {n for n in (page_name(old),) if n}
        # The destination is an atomic save landing (or a page moved into place):
        # journal it now. The source's disappearance is a hint, as for unlink.
        self._journal(moved)
        gone = page_name(old)
        if gone and gone not in moved:
            self.note({gone}, False)
        return 0

    # ------------------------------------------------------------ files

    def _register(self, fd: int, path: str, flags: int, fi: Any) -> int:
        if not flags & os.O_CREAT:  # a created file has nothing cached yet
            self._cache_policy(fd, path, fi)
        dirty = bool(flags & os.O_TRUNC) or bool(flags & os.O_CREAT)
        if not dirty and flags & os.O_ACCMODE == os.O_RDONLY and hasattr(fi, "noflush"):
            fi.noflush = 1  # nothing to journal at close: skip the flush round trip
        with self._lock:
            self._handles[fd] = _Handle(fd, dirty)
        if hasattr(fi, "fh"):
            fi.fh = fd
        return 0

    @_safe
    def open(self, path: str, fi: Any) -> int:
        flags = int(fi.flags)
        page = page_name(path) if self.fetch is not None else None
        if page is not None and self.fetch is not None:
            # On-demand bodies: a lazy page's body is read before the file is opened,
            # so the descriptor is the complete file (readdir/getattr never fetch).
            self.fetch(page)
        fd = os.open(self._real(path), flags & ~os.O_CREAT)
        return self._register(fd, path, flags & ~os.O_CREAT, fi)

    @_safe
    def create(self, path: str, mode: int, fi: Any) -> int:
        flags = int(fi.flags) | os.O_CREAT
        fd = os.open(self._real_new(path), flags, mode)
        return self._register(fd, path, flags, fi)

    def _cache_policy(self, fd: int, path: str, fi: Any) -> None:
        """``keep_cache`` for an unchanged file, ``direct_io`` while the kernel's
        attributes may be stale (module docstring)."""
        if not hasattr(fi, "keep_cache"):
            return
        now = _ident(os.fstat(fd))
        if self._told.get(path) != now:
            fi.direct_io = 1
            self._cached.pop(path, None)
        elif self._cached.get(path) == now:
            fi.keep_cache = 1
        else:
            self._cached[path] = now

    @_safe
    def read(self, path: str | None, size: int, offset: int, fi: Any) -> bytes:
        fd = _fh(fi)
        data = os.pread(fd, size, offset)
        cached = self._cached.get(path) if path is not None else None
        if cached is not None and os.fstat(fd).st_ino != cached[0]:
            # A descriptor of a replaced file (opened before the loop rewrote the
            # path) fills the shared cache with the old bytes: the next open drops it.
            self._cached.pop(path, None)  # type: ignore[arg-type]
        return data

    @_safe
    def write(self, path: str | None, data: bytes, offset: int, fi: Any) -> int:
        fd = _fh(fi)
        self._mark(fd)
        # Linux pwrite on an O_APPEND descriptor appends whatever the offset: ``echo >>``
        # lands at the real end of the file even if the kernel's idea of its size is stale.
        view = memoryview(data)
        done = 0
        while done < len(view):
            n = os.pwrite(fd, view[done:], offset + done)
            if n <= 0:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            done += n
        return done

    @_safe
    def truncate(self, path: str | None, length: int, fh: Any = None) -> int:
        if fh is not None:
            fd = _fh(fh)
            os.ftruncate(fd, length)
            self._mark(fd)
            return 0
        os.truncate(self._real(path), length)
        page = page_name(path)
        if page:
            self._journal({page})
        return 0

    @_safe
    def fallocate(self, path: str | None, mode: int, offset: int, size: int, fi: Any) -> int:
        if mode:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        fd = _fh(fi)
        os.posix_fallocate(fd, offset, size)
        self._mark(fd)
        return 0

    @_safe
    def fsync(self, path: str | None, datasync: int, fi: Any) -> int:
        fd = _fh(fi)
        if datasync:
            os.fdatasync(fd)
        else:
            os.fsync(fd)
        return 0

    @_safe
    def flush(self, path: str | None, fi: Any) -> int:
        """Every ``close()`` of a descriptor: journal a written page file before it returns."""
        self._settle(_fh(fi), path)
        return 0

    @_safe
    def release(self, path: str | None, fi: Any) -> int:
        fd = _fh(fi)
        try:
            self._settle(fd, path)
        finally:
            with self._lock:
                self._handles.pop(fd, None)
            os.close(fd)
        return 0

    def _mark(self, fd: int) -> None:
        with self._lock:
            handle = self._handles.get(fd)
            if handle is not None:
                handle.dirty = True

    def _settle(self, fd: int, path: str | None) -> None:
        with self._lock:
            handle = self._handles.get(fd)
            if handle is None or not handle.dirty:
                return
            handle.dirty = False
        # The current path (after a rename while open) wins; an unlinked file has
        # none and needs no journal entry.
        name = page_name(path)
        if name is None:
            return
        self._check_not_replaced(fd, path, name)
        try:
            self._journal({name})
        except OSError:
            with self._lock:
                handle.dirty = True  # release retries; the close already reported EIO
            raise

    def _check_not_replaced(self, fd: int, path: str | None, name: str) -> None:
        """The sync loop replaces a page file by rename when Notion changed it; a writer
        that had it open kept writing to the old, now unlinked, file. Say so at close
        (EIO: "save again") rather than let those bytes vanish without a word."""
        try:
            replaced = os.fstat(fd).st_ino != os.lstat(self._real(path)).st_ino
        except FileNotFoundError:
            return  # moved by the loop (a title change): the scan finds the bytes there
        if replaced:
            self.log(
                "replaced",
                f"{name}: a write went to a version of the file that Notion's changes "
                "replaced while it was open; the close fails, save again",
                path=name,
            )
            raise OSError(errno.EIO, os.strerror(errno.EIO))
