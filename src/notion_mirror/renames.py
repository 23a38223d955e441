"""``rename`` that never replaces a file, and ``renameat2`` with flags.

The standard library has no ``renameat2``: ``os.rename`` silently replaces
whatever sits at the destination, which for a mirror folder may be a file a
user just created. Linux's ``RENAME_NOREPLACE`` makes the check and the move
one atomic step.
"""

from __future__ import annotations

import errno
import functools
import os
from typing import Any

__all__ = ["RENAME_EXCHANGE", "RENAME_NOREPLACE", "rename_noreplace", "renameat2"]

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _libc_renameat2() -> Any:
    """libc's ``renameat2``, looked up once (finding libc runs ``ldconfig``), or None."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is not None:
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_int
    return fn


def renameat2(src: str | os.PathLike[str], dst: str | os.PathLike[str], flags: int) -> None:
    """``rename`` with flags (``mv -n``'s RENAME_NOREPLACE, RENAME_EXCHANGE); raises
    OSError like ``os.rename`` (ENOSYS where the C library has no renameat2)."""
    import ctypes

    fn = _libc_renameat2()
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", os.fspath(src))
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), os.fspath(src), None, os.fspath(dst))


def rename_noreplace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move ``src`` to ``dst``; FileExistsError if ``dst`` exists, never replacing it.

    Where the file system refuses the flag (some network and FUSE file systems)
    a hard link then an unlink keeps the no-replace promise; a crash between the
    two leaves both names on the same bytes, never a lost file.
    """
    try:
        renameat2(src, dst, RENAME_NOREPLACE)
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    os.link(src, dst)
    os.unlink(src)
