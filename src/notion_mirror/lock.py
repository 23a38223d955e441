"""One writer per mirror: ``sync``, ``watch`` and ``mount`` never run the engine at once.

The lock is an advisory ``flock`` on the ``.notion-mirror`` directory itself,
so no lock file is left behind. The kernel releases it when its holder dies
(even by SIGKILL), so a dead holder never blocks anyone and there is nothing
to take over by hand. While it is held, ``.notion-mirror/writer.json`` says
who holds it (pid, command, start time) so the second writer can say who is
in the way, and ``status`` can tell whether a daemon is running; the record
is removed on release (one left by a killed holder is ignored, since the
lock itself is free, and replaced by the next writer).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notion_mirror.errors import MirrorError

__all__ = ["HOLDER_NAME", "HeldLock", "Holder", "LockBusyError", "holder", "writer_lock"]

HOLDER_NAME = "writer.json"
# The lock file of earlier versions; removed by the first writer that holds the lock.
_LEGACY_LOCK = "lock"


class LockBusyError(MirrorError):
    """Another notion-mirror process is writing this mirror."""


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"`notion-mirror {self.command}` (pid {self.pid}, since {self.since})"


def _read(path: Path) -> Holder | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8") or "{}")
        return Holder(int(data["pid"]), str(data["command"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _open_dir(state_dir: Path) -> int | None:
    try:
        return os.open(state_dir, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None


def holder(state_dir: Path) -> Holder | None:
    """Who holds the lock now, or None when nobody does (probe without taking it)."""
    fd = _open_dir(state_dir)
    if fd is None:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(state_dir / HOLDER_NAME) or Holder(0, "?", "?")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _write_record(path: Path, command: str) -> None:
    since = datetime.now(UTC).isoformat(timespec="seconds")
    record = json.dumps({"pid": os.getpid(), "command": command, "since": since})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, record.encode())
    finally:
        os.close(fd)


class HeldLock:
    """The writer lock while held: the locked ``.notion-mirror`` folder's descriptor."""

    def __init__(self, state_dir: Path, command: str, fd: int) -> None:
        self.state_dir = state_dir
        self.command = command
        self.fd = fd

    def ensure_current(self) -> None:
        """Re-take the lock if the folder was replaced (restored from a backup, moved
        back) under a long-running holder, which still holds the old folder's lock.

        Raises :class:`LockBusyError` when another writer took the new folder first.
        """
        try:
            now = os.stat(self.state_dir)
        except OSError:
            return  # gone: the next open of the state says so
        held = os.fstat(self.fd)
        if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return
        fd = _open_dir(self.state_dir)
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(self.state_dir) from None
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = fd
        _write_record(self.state_dir / HOLDER_NAME, self.command)


def _busy(state_dir: Path) -> LockBusyError:
    who = _read(state_dir / HOLDER_NAME)
    by = who.describe() if who else "another notion-mirror process"
    return LockBusyError(
        f"{state_dir.parent} is being synced by {by}; wait for it, "
        "or stop it first (only one writer per mirror)"
    )


@contextmanager
def writer_lock(state_dir: Path, command: str, *, wait: float = 0.0) -> Iterator[HeldLock]:
    """Hold the mirror's writer lock; wait up to ``wait`` seconds for it, then refuse."""
    fd = _open_dir(state_dir)
    if fd is None:
        raise MirrorError(f"{state_dir}: the mirror's state folder is missing")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise _busy(state_dir) from None
            time.sleep(0.1)
    held = HeldLock(state_dir, command, fd)
    try:
        (state_dir / _LEGACY_LOCK).unlink(missing_ok=True)
        _write_record(state_dir / HOLDER_NAME, command)
        yield held
    finally:
        with contextlib.suppress(OSError):
            (state_dir / HOLDER_NAME).unlink(missing_ok=True)
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)
