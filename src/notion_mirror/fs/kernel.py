"""The thin layer over mfusepy and libfuse: loading it, a few corrected callbacks,
and telling the kernel to drop what it cached.

mfusepy is imported lazily, because importing it fails outright on a machine
without libfuse, and every other command must keep working there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from notion_mirror.errors import MirrorError

__all__ = [
    "FuseUnavailableError",
    "KernelCache",
    "fuse_class",
    "is_mounted",
    "load_fuse",
    "route_libfuse_log",
    "unmount",
]


class FuseUnavailableError(MirrorError):
    """FUSE cannot be used on this machine (no libfuse, no /dev/fuse)."""

    exit_code = 2


def load_fuse() -> ModuleType:
    """Import mfusepy, preferring libfuse3 (mfusepy alone picks libfuse2 when both exist,
    and only libfuse3 offers rename flags and path invalidation)."""
    if "FUSE_LIBRARY_NAME" not in os.environ and ctypes.util.find_library("fuse3"):
        os.environ["FUSE_LIBRARY_NAME"] = "fuse3"
    if not os.path.exists("/dev/fuse"):
        raise FuseUnavailableError("FUSE is not available: /dev/fuse does not exist")
    try:
        import mfusepy
    except (OSError, AttributeError) as exc:
        raise FuseUnavailableError(
            f"FUSE is not available ({exc}); install libfuse3 "
            "(Debian/Ubuntu: apt-get install fuse3; Fedora: dnf install fuse3)"
        ) from None
    return mfusepy


def fuse_class(mfusepy: ModuleType) -> type:
    """mfusepy's FUSE with the callbacks it simplifies too much for a pass-through:
    rename flags (``mv -n`` must not overwrite), ``utimens`` with UTIME_NOW/UTIME_OMIT
    intact, and ``ftruncate`` on an open (possibly unlinked) file through its handle."""

    base: Any = mfusepy.FUSE

    class MirrorFUSE(base):  # type: ignore[misc, valid-type]
        def _decode(self, path: bytes | None) -> str | None:
            return None if path is None else path.decode(self.encoding, self.errors)

        def rename_fuse_3(self, old: bytes, new: bytes, flags: int) -> int:
            return int(self.operations.rename(self._decode(old), self._decode(new), flags))

        def _utimens(self, path: bytes | None, buf: Any) -> int:
            times = None
            if buf:
                a, m = buf.contents.actime, buf.contents.modtime
                times = ((a.tv_sec, a.tv_nsec), (m.tv_sec, m.tv_nsec))
            return int(self.operations.utimens(self._decode(path), times))

        def utimens_fuse_2(self, path: bytes | None, buf: Any) -> int:
            return self._utimens(path, buf)

        def utimens_fuse_3(self, path: bytes | None, buf: Any, fip: Any) -> int:
            return self._utimens(path, buf)

        def truncate_fuse_3(self, path: bytes | None, length: int, fip: Any) -> int:
            fh = fip.contents if fip else None
            return int(self.operations.truncate(self._decode(path), length, fh))

    return MirrorFUSE


class KernelCache:
    """Invalidate the kernel's cached attributes and data of a path.

    The sync loop rewrites page files in the mirror folder, not through the
    mount, so the kernel does not know they changed. ``fuse_invalidate_path``
    (libfuse >= 3.1) needs the ``struct fuse`` pointer, which is only reachable
    from inside a callback: :meth:`attach` runs in the ``init`` callback and
    :meth:`detach` in ``destroy``, and the lock keeps an invalidation from
    racing the teardown.
    """

    def __init__(self, mfusepy: ModuleType) -> None:
        self._lib = getattr(mfusepy, "_libfuse", None)
        self._fn: Any = None
        if self._lib is not None and hasattr(self._lib, "fuse_invalidate_path"):
            self._fn = self._lib.fuse_invalidate_path
            self._fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            self._fn.restype = ctypes.c_int
        self._ptr: int | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._fn is not None

    def attach(self) -> None:
        if self._fn is None:
            return
        ctx = self._lib.fuse_get_context()
        with self._lock:
            self._ptr = ctx.contents.fuse if ctx else None

    def detach(self) -> None:
        with self._lock:
            self._ptr = None

    def invalidate(self, path: str) -> bool:
        """True when the kernel knew the path and dropped its cache of it."""
        with self._lock:
            if self._fn is None or not self._ptr:
                return False
            return int(self._fn(ctypes.c_void_p(self._ptr), os.fsencode(path))) == 0


_LOG_HOOK: list[Any] = []  # the ctypes callback must outlive every libfuse call
# libfuse 3.12-3.14 says this at every start when entered through the FUSE_3.0 ABI that
# mfusepy uses; it means "use the default thread limit" and is not worth a log line.
_BENIGN = ("Ignoring invalid max threads value",)


def route_libfuse_log(mfusepy: ModuleType, log: Callable[..., None]) -> None:
    """Send libfuse's own messages to the daemon log instead of raw stderr, so
    ``--json-log`` stays one JSON object per line. libfuse hands a printf format and a
    ``va_list``; libc's ``vsnprintf`` formats it. Without ``fuse_set_log_func`` (libfuse
    < 3.7, libfuse2) messages keep going to stderr."""
    lib = getattr(mfusepy, "_libfuse", None)
    if lib is None or not hasattr(lib, "fuse_set_log_func") or _LOG_HOOK:
        return
    try:
        libc = ctypes.CDLL(None)
        vsnprintf = libc.vsnprintf
        vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
        vsnprintf.restype = ctypes.c_int
    except (OSError, AttributeError):
        return

    def hook(level: int, fmt: bytes | None, ap: int | None) -> None:
        try:
            buf = ctypes.create_string_buffer(2048)
            vsnprintf(buf, len(buf), fmt, ap)
            message = buf.value.decode("utf-8", "replace").strip()
            if message and not message.startswith(_BENIGN):
                log("fuse", f"libfuse: {message}", level=level)
        except Exception:  # a log line must never unwind into C
            pass

    callback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)(hook)
    lib.fuse_set_log_func.argtypes = [ctypes.c_void_p]
    lib.fuse_set_log_func.restype = None
    _LOG_HOOK.append(callback)
    lib.fuse_set_log_func(ctypes.cast(callback, ctypes.c_void_p))


def is_mounted(mountpoint: str) -> bool:
    """Whether ``mountpoint`` is in the mount table (``/proc/mounts`` escapes spaces as
    ``\\040``, so compare decoded fields)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return os.path.ismount(mountpoint)
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 1 and _unescape(fields[1]) == mountpoint:
            return True
    return False


def _unescape(field: str) -> str:
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def unmount(mountpoint: str, *, lazy: bool = False) -> tuple[bool, str]:
    """Unmount with the first tool that exists (``fusermount3``, ``fusermount``, ``umount``);
    ``lazy`` detaches even while something still uses the mount. Returns (ok, message)."""
    errors = []
    for tool, args in (
        ("fusermount3", ["-u", *(["-z"] if lazy else [])]),
        ("fusermount", ["-u", *(["-z"] if lazy else [])]),
        ("umount", ["-l"] if lazy else []),
    ):
        exe = shutil.which(tool)
        if exe is None:
            continue
        proc = subprocess.run(
            [exe, *args, mountpoint],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        if proc.returncode == 0 or not is_mounted(mountpoint):
            return True, ""
        errors.append(f"{tool}: {proc.stderr.strip() or proc.returncode}")
    return False, "; ".join(errors) or "no unmount tool found (fusermount3, fusermount, umount)"
