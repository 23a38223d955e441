"""``mount-grep``: ``grep -r`` over a mirror through ``notion-mirror mount`` vs the plain folder.

A real mirror of 1,000 rows (``--quick`` 200) is tracked from the in-process
emulator, then ``notion-mirror mount --foreground`` runs as a subprocess (the
CLI, as a user starts it) and the benchmark runs the same ``grep -r`` over
the mirror folder itself and over the mountpoint, as subprocesses:

- the first grep through a fresh mount (the kernel has cached nothing yet);
- then the median of several runs, warm (what a user repeating a search
  sees), against the median of the same grep over the plain folder.

Every grep through the mount must list exactly the files the plain grep
lists (a wrong answer would be fast for nothing), and no request may reach
the emulator while grepping (ideal: 0). A last check edits one page in
Notion, waits for the mount's sync loop, and greps again: the remote edit
must be what the mount shows, i.e. the kernel cache was invalidated.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Section,
    advance_past_minute,
    log,
    populate,
    seconds,
    start_clock,
)
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import running_emulator
from tests.helpers import NotionAPI

REPEAT = 5
PATTERN = "Estimate: 7$"  # one row in 13
RATE_ENV = "NOTION_MIRROR_RATE_LIMIT"


def fuse_missing() -> str | None:
    """Why a mount cannot run here, or None."""
    import ctypes.util

    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist"
    if not (shutil.which("fusermount3") or shutil.which("fusermount")):
        return "fusermount3 is not installed"
    if not (ctypes.util.find_library("fuse3") or ctypes.util.find_library("fuse")):
        return "libfuse is not installed"
    return None


def _is_mounted(path: Path) -> bool:
    target = str(path).replace(" ", "\\040")
    with open("/proc/mounts", encoding="utf-8") as fh:
        return any(line.split(" ")[1] == target for line in fh)


def _wait(pred: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _grep(folder: Path) -> tuple[float, list[str]]:
    """One ``grep -r -l`` over ``folder`` (state folder excluded): (seconds, sorted hits)."""
    cmd = ["grep", "-r", "-l", "--exclude-dir=.notion-mirror", PATTERN, "."]
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise RuntimeError(f"grep failed in {folder}: {out.stderr}")
    return took, sorted(out.stdout.splitlines())


def _median(folder: Path, repeat: int = REPEAT) -> tuple[float, list[str]]:
    runs = [_grep(folder) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


@contextmanager
def _mounted(
    root: Path, mp: Path, env: dict[str, str], log_path: Path, *, poll: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``notion-mirror mount --foreground`` over ``root``; unmounted (and waited for) after."""
    cmd = [sys.executable, "-m", "notion_mirror", "mount", str(root), str(mp),
           "--foreground", "--poll-interval", poll, "--debounce", "0.2",
           "--full-every", "0"]  # fmt: skip
    state = root / ".notion-mirror" / "daemon.json"
    with log_path.open("a") as err:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"mount exited {proc.returncode}: {log_path.read_text()}")
        try:
            data = json.loads(state.read_text())
        except (OSError, ValueError):
            return False
        return _is_mounted(mp) and data.get("pid") == proc.pid and bool(data.get("last_cycle"))

    try:
        _wait(up, 60, "the mount and its first cycle")
        yield proc
    finally:
        if proc.poll() is None and _is_mounted(mp):
            fm = shutil.which("fusermount3") or shutil.which("fusermount") or "umount"
            subprocess.run([fm, "-u", str(mp)], check=False, timeout=30)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(quick: bool) -> Section:
    n = 200 if quick else 1000
    section = Section("mount-grep", f"mount-grep: `grep -r` over {n:,} files, mount vs folder")
    section.settings = [
        f"a real mirror of {n:,} rows tracked from the emulator (6 properties and a 5-line body "
        "each, about 600 bytes per file)",
        "`notion-mirror mount --foreground --poll-interval 600` as a subprocess over it",
        f"`grep -r -l --exclude-dir=.notion-mirror '{PATTERN}' .` run as a subprocess in the "
        f"folder and in the mountpoint; warm figures are the median of {REPEAT} runs",
    ]
    missing = fuse_missing()
    if missing:
        section.notes.append(f"skipped: FUSE is unavailable here ({missing}).")
        return section
    with running_emulator() as emu, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        api = NotionAPI(emu)
        start_clock(emu)
        log(f"mount-grep: creating {n} rows")
        db, _, ids = populate(api, emu, n)
        advance_past_minute(emu, 3)
        root, mp = Path(tmp) / "tasks", Path(tmp) / "mnt"
        mp.mkdir()
        client = NotionClient(token=emu.token, base_url=emu.base_url, rate_limit=None)
        log(f"mount-grep: tracking {n} rows")
        track(client, db, root)
        client.close()
        # The daemon must see minutes end for the remote-edit check: let the clock tick.
        emu.emulator.set_clock(emu.emulator.clock.now(), freeze=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
        env.update(NOTION_API_BASE_URL=emu.base_url, NOTION_API_TOKEN=emu.token)
        env[RATE_ENV] = "1000"
        log_path = Path(tmp) / "mount.log"

        with _mounted(root, mp, env, log_path, poll="600") as proc:
            log("mount-grep: grepping")
            _grep(root)  # the folder's own page cache is warm, as in daily use
            plain_t, plain_hits = _median(root)
            emu.emulator.reset_stats()
            first_t, first_hits = _grep(mp)
            warm_t, warm_hits = _median(mp)
            grep_stats = emu.emulator.stats()
            plain2_t, _ = _median(root)  # again, to show the folder did not drift
            wrong = [label for label, hits in (("first", first_hits), ("warm", warm_hits))
                     if hits != plain_hits]  # fmt: skip
        code = proc.returncode

        # A remote edit must show through the mount (kernel cache invalidated) once the
        # loop has pulled it: a second session that polls every second.
        log("mount-grep: remote edit through a polling mount")
        with _mounted(root, mp, env, log_path, poll="1"):
            _grep(mp)  # everything cached
            target = ids[1]  # "Task 00001" has Estimate 1: it does not match yet
            api.update(target, {"Estimate": {"number": 7}})
            edited = time.perf_counter()
            fresh: float | None = None
            while time.perf_counter() - edited < 30:
                _, hits = _grep(mp)
                if any("Task 00001" in h for h in hits):
                    fresh = time.perf_counter() - edited
                    break
                time.sleep(0.05)
            if fresh is None:
                log("mount-grep: the remote edit did not show; mount log:\n" + log_path.read_text())
        api.close()

    plain_ref = min(plain_t, plain2_t)
    section.table(
        ["grep -r over", "files", "matches", "requests", "wall", "vs plain folder"],
        [
            ["the plain folder (warm page cache)", n, len(plain_hits), "-", seconds(plain_t),
             "1.0x"],
            ["the mount, first grep after mounting", n, len(first_hits),
             grep_stats["requests_total"], seconds(first_t), f"{first_t / plain_ref:.1f}x"],
            ["the mount, warm", n, len(warm_hits), "(same)", seconds(warm_t),
             f"{warm_t / plain_ref:.1f}x"],
        ],
    )  # fmt: skip
    section.notes.append(
        f"the plain folder measured again after the mount runs: {seconds(plain2_t)}; "
        "the ratios use the smaller of the two."
    )
    if wrong:
        section.notes.append(f"WRONG ANSWER through the mount ({', '.join(wrong)} grep).")
    else:
        section.notes.append("every grep through the mount listed exactly the folder's files.")
    section.notes.append(
        "a remote edit (one page's Estimate set to 7 in Notion) "
        + (
            f"showed in a grep through the mount {seconds(fresh)} later (the loop polls every "
            "second)"
            if fresh is not None
            else "did NOT show through the mount within 30 s"
        )
        + f"; mount exit code after unmount {code}."
    )
    return section
