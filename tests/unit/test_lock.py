"""The writer lock: one writer per mirror, nothing left behind, a dead holder never
blocks anyone."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from notion_mirror.lock import HOLDER_NAME, LockBusyError, holder, writer_lock


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    d = tmp_path / ".notion-mirror"
    d.mkdir(mode=0o700)
    return d


def test_holder_is_named_while_held_and_nothing_is_left_after(state_dir: Path) -> None:
    (state_dir / "lock").write_bytes(b"")  # the lock file of earlier versions
    assert holder(state_dir) is None
    with writer_lock(state_dir, "sync"):
        who = holder(state_dir)
        assert who is not None and (who.pid, who.command) == (os.getpid(), "sync")
        record = state_dir / HOLDER_NAME
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        with (
            pytest.raises(LockBusyError, match=r"`notion-mirror sync` \(pid \d+"),
            writer_lock(state_dir, "watch"),
        ):
            pass
    assert holder(state_dir) is None
    assert sorted(p.name for p in state_dir.iterdir()) == []


def test_a_killed_holder_blocks_nobody(state_dir: Path) -> None:
    """The kernel drops the flock with its process; the record it left is ignored."""
    code = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from notion_mirror.lock import writer_lock\n"
        "with writer_lock(Path(sys.argv[1]), 'watch'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(state_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        who = holder(state_dir)
        assert who is not None and (who.pid, who.command) == (proc.pid, "watch")
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert json.loads((state_dir / HOLDER_NAME).read_text())["pid"] == proc.pid  # stale
    assert holder(state_dir) is None
    with writer_lock(state_dir, "sync"):
        who = holder(state_dir)
        assert who is not None and who.pid == os.getpid()
    assert not (state_dir / HOLDER_NAME).exists()


def test_waiting_for_the_lock_then_refusing(state_dir: Path) -> None:
    with (
        writer_lock(state_dir, "mount"),
        pytest.raises(LockBusyError, match="only one writer per mirror"),
        writer_lock(state_dir, "sync", wait=0.3),
    ):
        pass


def test_a_replaced_folder_is_locked_again_by_its_holder(state_dir: Path) -> None:
    """A folder restored from a backup under a running ``watch``: the daemon's next
    cycle takes the new folder's lock, so a second writer is still refused."""
    with writer_lock(state_dir, "watch") as held:
        state_dir.rename(state_dir.with_name("old-state"))
        state_dir.mkdir(mode=0o700)  # the restored folder: not locked by anyone yet
        assert holder(state_dir) is None
        held.ensure_current()
        who = holder(state_dir)
        assert who is not None and (who.pid, who.command) == (os.getpid(), "watch")
        with (
            pytest.raises(LockBusyError, match="watch"),
            writer_lock(state_dir, "sync"),
        ):
            pass
        held.ensure_current()  # unchanged now: nothing to do
    assert holder(state_dir) is None
    assert list(state_dir.iterdir()) == []


def test_a_replaced_folder_taken_by_another_writer_is_refused(state_dir: Path) -> None:
    with writer_lock(state_dir, "watch") as held:
        state_dir.rename(state_dir.with_name("old-state"))
        state_dir.mkdir(mode=0o700)
        with writer_lock(state_dir, "sync"), pytest.raises(LockBusyError, match="sync"):
            held.ensure_current()
