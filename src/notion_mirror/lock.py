"""One writer per mirror: ``sync``, ``watch`` and ``mount`` never run the engine at once.

The lock is an advisory ``flock`` on ``.notion-mirror/lock``. The kernel
releases it when its holder dies (even by SIGKILL), so a dead holder never
blocks anyone and there is nothing to take over by hand. The file also
records who holds it (pid, command, start time) so the second writer can say
who is in the way, and ``status`` can tell whether a daemon is running.
"""

from __future__ import annotations

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

__all__ = ["LOCK_NAME", "Holder", "LockBusyError", "holder", "writer_lock"]

LOCK_NAME = "lock"


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


def holder(state_dir: Path) -> Holder | None:
    """Who holds the lock now, or None when nobody does (probe without taking it)."""
    path = state_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(path) or Holder(0, "?", "?")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def writer_lock(state_dir: Path, command: str, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the mirror's writer lock; wait up to ``wait`` seconds for it, then refuse."""
    path = state_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    who = _read(path)
                    by = who.describe() if who else "another notion-mirror process"
                    raise LockBusyError(
                        f"{state_dir.parent} is being synced by {by}; wait for it, "
                        "or stop it first (only one writer per mirror)"
                    ) from None
                time.sleep(0.1)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        record = json.dumps({"pid": os.getpid(), "command": command, "since": since})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
