"""Mass disappearance (issue 8, scenario 6): the folder emptied, a mirror whose folder is
not mounted (an empty mount point, a dead FUSE mount), a daemon whose folder vanishes
under it, and a Notion query that answers nothing while the pages still exist.

Pass criterion, everywhere: no destructive request (no write route at all in the
emulator's stats: no trash, property PATCH, markdown write or DELETE), no file unlinked,
written or re-created, the state database not advanced (pages, watermark, schema, outbox
unchanged), a message that names the situation and a non-zero exit for ``sync``; and
once the cause is gone, the next run converges to a fresh track with no write. (One
exception to the exit code: an incremental sync cannot tell a query that answers
nothing from "nothing changed", so it exits 0, having changed nothing.)

Every run is a real CLI subprocess (``python -m notion_mirror sync|watch DIR``) against
the emulator over HTTP; setup and the final "fresh track" run in-process.
"""

from __future__ import annotations

import ctypes.util
import dataclasses
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import SyncOptions, sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, snapshot, title, tree
from tests.reliability import fresh_track, writes

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "notion_mirror"]
SCHEMA: dict[str, Any] = {"Name": {"title": {}}, "Estimate": {"number": {"format": "number"}}}
ROWS = 6
GET_SCHEMA = "GET /v1/data_sources/{data_source_id}"
QUERY = "POST /v1/data_sources/{data_source_id}/query"
GET_PAGE = "GET /v1/pages/{page_id}"
PATCH_PAGE = "PATCH /v1/pages/{page_id}"
# One incremental or full cycle of a settled 6-row mirror: the schema and one query page.
POLL = {GET_SCHEMA: 1, QUERY: 1}
FUSERMOUNT = shutil.which("fusermount3") or shutil.which("fusermount")


# --------------------------------------------------------------------------- helpers


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, detail: Callable[[], str] | None = None
) -> Any:
    """Poll ``check`` until it is truthy; fail naming ``what`` (and ``detail()``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}{extra}")
        time.sleep(0.05)


def state_of(root: Path) -> dict[str, Any]:
    """What a run may not advance when it refuses: every page base (but the file's
    mtime, which a scan may learn once it is old enough to trust), the watermark, the
    last sync time, the schema and the open outbox commands."""
    with open_mirror(root).open_store() as store:
        return {
            "meta": {k: store.get_meta(k) for k in ("watermark", "last_sync", "schema_hash")},
            "pages": sorted(
                (b.with_changes(file_mtime_ns=None) for b in store.pages()),
                key=lambda b: b.page_id,
            ),
            "outbox": [(c.id, c.status) for c in store.open_commands()],
        }


def page_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*.md"))


def set_estimate(path: Path, value: int) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r"(?m)^Estimate: .*$", f"Estimate: {value}", text, count=1)
    assert n == 1, text
    path.write_text(new, encoding="utf-8")


@dataclass
class Mirror:
    """A tracked folder over a fresh data source of ``ROWS`` pages ``Task 0..5``."""

    root: Path
    db_id: str
    ds_id: str
    ids: dict[str, str]
    env: dict[str, str]
    api: NotionAPI
    emulator: EmulatorHandle

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def sync(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("sync", str(self.root), *args)

    def requests(self) -> dict[str, int]:
        """Every API request since the last reset (reads included), by route."""
        return {k: n for k, n in self.api.stats()["requests"].items() if n}

    def blackout(self, on: bool) -> None:
        """Make every query of the data source answer no rows (or stop doing so)."""
        body = {"data_source_id": self.ds_id, "on": on}
        self.api.call("POST", "/__emulator/query-blackout", body)

    def estimate(self, name: str) -> Any:
        page = self.api.call("GET", f"/v1/pages/{self.ids[name]}")
        return page["properties"]["Estimate"]["number"]

    def assert_converged(self, tmp_path: Path) -> None:
        """A further full sync (in-process, to keep the test short) converges with no
        write and no file rewritten, and the folder is byte-identical to a fresh track
        of the data source."""
        before = snapshot(self.root)
        self.api.advance_clock(120)
        self.api.reset_stats()
        with running_client(self.emulator) as client:
            report = sync(open_mirror(self.root), client, SyncOptions(full=True))
        assert report.converged, report.to_json()
        assert writes(self.api.stats()) == {}
        assert snapshot(self.root) == before, "a settled sync rewrote files"
        fresh = tmp_path / f"fresh-{time.monotonic_ns()}"
        assert tree(self.root) == fresh_track(self.emulator, self.db_id, fresh)


@contextmanager
def running_client(emulator: EmulatorHandle) -> Iterator[NotionClient]:
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def mirror(tmp_path: Path, emulator: EmulatorHandle) -> Iterator[Mirror]:
    api = NotionAPI(emulator)
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {
        f"Task {i}": api.add_page(
            ds_id, {**title(f"Task {i}"), "Estimate": {"number": i}}, f"Body of task {i}."
        )
        for i in range(ROWS)
    }
    root = tmp_path / "tasks"
    with running_client(emulator) as client:
        track(client, db_id, root)
    api.advance_clock(120)
    # Settle the minute the pages were created in (a page edited in the minute it was
    # read is read again once): from here an unchanged page costs no request.
    with running_client(emulator) as client:
        assert sync(open_mirror(root), client).converged
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env.update(NOTION_API_BASE_URL=emulator.base_url, NOTION_API_TOKEN=emulator.token, NO_COLOR="1")
    env["NOTION_MIRROR_RATE_LIMIT"] = "50"  # the emulator has none; 3/s only slows tests
    yield Mirror(root, db_id, ds_id, ids, env, api, emulator)
    api.close()


# --------------------------------------------------------------------------- 1. emptied


@pytest.mark.parametrize("how", ["deleted", "moved_into_a_subfolder"])
def test_emptied_folder_is_refused_and_nothing_happens(
    mirror: Mirror, tmp_path: Path, how: str
) -> None:
    """Every page file deleted (or moved into a sub-folder), the state kept: ``sync``,
    ``sync --full`` and ``sync --dry-run`` each exit 1 naming the situation ("6 of 6
    files ... missing; was the folder emptied or unmounted? Nothing was changed") and
    send no request at all (the guard runs before Notion is asked anything); no file is
    restored, written or removed (the moved files included), and the state is not
    advanced. Refusing means nothing happens. With the files back, a plain ``sync``
    converges with no write."""
    m = mirror
    originals = {name: (m.root / name).read_bytes() for name in page_files(m.root)}
    assert len(originals) == ROWS
    sub = m.root / "old"
    if how == "deleted":
        for name in originals:
            (m.root / name).unlink()
    else:
        sub.mkdir()
        for name in originals:
            (m.root / name).rename(sub / name)
    files, state = snapshot(m.root), state_of(m.root)
    m.api.reset_stats()

    for args in ([], ["--full"], ["--dry-run"]):
        res = m.sync(*args)
        assert res.returncode == 1, (args, res.stderr)
        assert f"{ROWS} of {ROWS} files" in res.stderr, res.stderr
        assert "emptied or unmounted" in res.stderr and "Nothing was changed" in res.stderr

    assert m.requests() == {}, "a refused sync talked to Notion"
    assert snapshot(m.root) == files, "a refused sync touched the folder"
    assert page_files(m.root) == []
    assert state_of(m.root) == state, "a refused sync advanced the state"

    for name, data in originals.items():
        if how == "deleted":
            (m.root / name).write_bytes(data)  # back from a backup (new mtimes)
        else:
            (sub / name).rename(m.root / name)
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    assert {n: (m.root / n).read_bytes() for n in originals} == originals
    m.assert_converged(tmp_path)


# --------------------------------------------------------------------------- 2. unmounted


@pytest.mark.parametrize("state_kept", [False, True], ids=["bare_mount_point", "state_kept"])
def test_unmounted_folder_is_refused(mirror: Mirror, tmp_path: Path, state_kept: bool) -> None:
    """The mirror's filesystem is not mounted: DIR is the empty mount point (or holds
    only a copy of ``.notion-mirror``). ``sync DIR`` exits non-zero with a message
    naming the situation (2, "DIR is empty; ... mount it again"; or 1, the mass-deletion
    refusal), sends no request, creates nothing in the mount point (not even a state
    database), and leaves the real folder alone. Mounted again, it converges with no
    write."""
    m = mirror
    disk = tmp_path / "disk"  # where the folder's filesystem lives while "unmounted"
    m.root.rename(disk)
    m.root.mkdir()
    if state_kept:
        shutil.copytree(disk / ".notion-mirror", m.root / ".notion-mirror")
    on_disk, disk_state = snapshot(disk), state_of(disk)
    listing = sorted(os.listdir(m.root))
    m.api.reset_stats()

    res = m.sync()
    if state_kept:
        assert res.returncode == 1, res.stderr
        assert f"{ROWS} of {ROWS} files" in res.stderr and "unmounted" in res.stderr
    else:
        assert res.returncode == 2, res.stderr
        assert "is empty" in res.stderr and "mount it again" in res.stderr, res.stderr
        assert "nothing was changed" in res.stderr

    assert m.requests() == {}
    assert sorted(os.listdir(m.root)) == listing, "something was created in the mount point"
    assert page_files(m.root) == []
    if state_kept:
        assert state_of(m.root)["pages"] == disk_state["pages"]
    assert snapshot(disk) == on_disk and state_of(disk) == disk_state

    shutil.rmtree(m.root)
    disk.rename(m.root)  # mounted again
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    m.assert_converged(tmp_path)


# A read-only pass-through FUSE file system without auto_unmount: SIGKILL leaves a dead
# mount whose every access fails with ENOTCONN, as when sshfs or a FUSE backup mount dies.
PASSTHROUGH = """
import os, sys
import mfusepy

class ReadOnly(mfusepy.Operations):
    def __init__(self, root):
        self.root = root
    def getattr(self, path, fh=None):
        st = os.lstat(self.root + path)
        keys = ("st_mode", "st_nlink", "st_size", "st_uid", "st_gid", "st_atime", "st_mtime",
                "st_ctime")
        return {k: getattr(st, k) for k in keys}
    def readdir(self, path, fh):
        return [".", "..", *os.listdir(self.root + path)]
    def open(self, path, flags):
        return os.open(self.root + path, os.O_RDONLY)
    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)
    def release(self, path, fh):
        os.close(fh)
        return 0

mfusepy.FUSE(ReadOnly(sys.argv[1]), sys.argv[2], foreground=True, ro=True,
             attr_timeout=0, entry_timeout=0)
"""


def _fuse_missing() -> str | None:
    if not os.path.exists("/dev/fuse") or FUSERMOUNT is None:
        return "no /dev/fuse or fusermount"
    if not (ctypes.util.find_library("fuse3") or ctypes.util.find_library("fuse")):
        return "no libfuse"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"mfusepy unusable: {exc}"
    return None


def _mounted(path: Path) -> bool:
    with open("/proc/mounts", encoding="utf-8") as fh:
        return any(line.split()[1] == str(path) for line in fh if len(line.split()) > 1)


def _dead(path: Path) -> bool:
    try:
        os.listdir(path)
    except OSError as exc:
        return exc.errno == errno.ENOTCONN
    return False


@pytest.mark.skipif(_fuse_missing() is not None, reason=f"FUSE unavailable: {_fuse_missing()}")
def test_dead_fuse_mount_is_refused(mirror: Mirror, tmp_path: Path) -> None:
    """The mirror lives on a FUSE mount whose process died (SIGKILL, no auto-unmount):
    every access to DIR fails with ENOTCONN. ``sync DIR`` and ``watch DIR`` exit 1 with
    "cannot read the mirror folder: Transport endpoint is not connected (is it on a mount
    that went away?); nothing was changed", send no request, and the files and state on
    the real disk are untouched; back on its disk, the mirror converges with no write."""
    m = mirror
    disk, mnt = tmp_path / "disk", tmp_path / "mnt"
    disk.mkdir()
    mnt.mkdir()
    m.root.rename(disk / "tasks")
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", PASSTHROUGH, str(disk), str(mnt)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        config = mnt / "tasks" / ".notion-mirror" / "config.toml"
        wait_until(config.exists, 15, "the pass-through mount")
        assert tree(mnt / "tasks") == tree(disk / "tasks")
        files, state = snapshot(disk / "tasks"), state_of(disk / "tasks")
        proc.kill()
        proc.wait(timeout=10)
        wait_until(lambda: _dead(mnt), 10, "ENOTCONN from the dead mount")
        m.api.reset_stats()

        for cmd in ("sync", "watch --poll-interval 1"):
            verb, *rest = cmd.split()
            res = m.run(verb, str(mnt / "tasks"), *rest, timeout=30)
            assert res.returncode == 1, (cmd, res.stderr)
            assert "Transport endpoint is not connected" in res.stderr, res.stderr
            assert "mount that went away" in res.stderr and "nothing was changed" in res.stderr
        assert m.requests() == {}
        assert snapshot(disk / "tasks") == files and state_of(disk / "tasks") == state
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if _mounted(mnt):
            subprocess.run([FUSERMOUNT or "umount", "-u", "-z", str(mnt)], timeout=30)
    assert not _mounted(mnt)

    back = dataclasses.replace(m, root=disk / "tasks")
    res = back.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    back.assert_converged(tmp_path)


# --------------------------------------------------------------------------- 2b. watch


@pytest.mark.parametrize("outage", ["moved_away", "removed_then_restored", "emptied"])
def test_watch_refuses_while_its_folder_is_gone_and_resumes(
    mirror: Mirror, tmp_path: Path, outage: str
) -> None:
    """A running ``watch`` whose folder is moved away (an unmount), removed with its
    ``.notion-mirror`` and later restored from a backup, or emptied of its page files:
    the daemon keeps running, logs a clear refusal cycle after cycle, sends no write,
    re-creates nothing at the old path and restores no file. With the folder back it
    resumes by itself: a Notion edit made during the outage reaches the file, a local
    edit afterwards reaches Notion (the only write of the test), SIGTERM ends it with
    exit 0, and the folder equals a fresh track."""
    m = mirror
    backup = tmp_path / "backup"
    shutil.copytree(m.root, backup)  # copy2: same bytes and mtimes
    log_path = tmp_path / "watch.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*CLI, "watch", str(m.root), "--poll-interval", "1", "--debounce", "0.1"],
            env=m.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def log_text() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")

    def cycled() -> bool:
        try:
            data = json.loads((m.root / ".notion-mirror" / "daemon.json").read_text())
        except (OSError, ValueError):
            return False
        return data.get("pid") == proc.pid and "last_cycle" in data

    try:
        wait_until(cycled, 20, "the daemon's first cycle", log_text)
        m.api.reset_stats()
        away = tmp_path / "away"
        if outage == "moved_away":
            m.root.rename(away)
        elif outage == "removed_then_restored":
            shutil.rmtree(m.root)
        else:
            for name in page_files(m.root):
                (m.root / name).unlink()
        refusal = "emptied or unmounted" if outage == "emptied" else "is gone"
        wait_until(lambda: refusal in log_text(), 15, "the logged refusal", log_text)
        time.sleep(3)  # three more polls: the same refusal is not logged again
        assert log_text().count(refusal) == 1, log_text()
        assert proc.poll() is None, f"the daemon died:\n{log_text()}"
        assert "unexpected error" not in log_text(), log_text()
        if outage == "emptied":
            assert page_files(m.root) == [], "the daemon restored files of an emptied folder"
        else:
            assert not m.root.exists(), "the daemon re-created its vanished folder"
        assert writes(m.api.stats()) == {}

        m.api.update(m.ids["Task 0"], {"Estimate": {"number": 100}})  # Notion moves on
        m.api.reset_stats()  # from here, every write is the daemon's
        if outage == "moved_away":
            away.rename(m.root)
        elif outage == "removed_then_restored":
            shutil.copytree(backup, m.root)
        else:
            for name in page_files(backup):
                shutil.copy2(backup / name, m.root / name)
        task0 = m.root / "Task 0.md"
        wait_until(
            lambda: "Estimate: 100" in task0.read_text(encoding="utf-8"),
            20,
            "the Notion edit made during the outage in the file",
            log_text,
        )
        resumed = re.search(r"syncing again after (\d+) failed cycle", log_text())
        assert resumed and int(resumed.group(1)) >= 3, log_text()
        set_estimate(m.root / "Task 1.md", 11)
        wait_until(lambda: m.estimate("Task 1") == 11, 20, "the local edit in Notion", log_text)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert writes(m.api.stats()) == {PATCH_PAGE: 1}
    assert tree(m.root) == fresh_track(m.emulator, m.db_id, tmp_path / "fresh")


# --------------------------------------------------------------------------- 3. remote


def test_query_blackout_changes_nothing_and_converges_after(mirror: Mirror, tmp_path: Path) -> None:
    """Notion's query answers no rows while all six pages exist (and one is edited in
    Notion meanwhile). An incremental ``sync`` cannot tell that from "nothing changed":
    exit 0, 2 requests (schema + query), no file or state touched, and the query
    window is not moved on. ``sync --full`` and ``sync --full --dry-run`` exit 1 with
    "Notion's query returned no pages while the mirror ... has 6; nothing was changed",
    in the same 2 requests (no page is read), and change nothing. Once queries answer
    again, a plain ``sync`` brings the edit made during the blackout (no write) and the
    folder equals a fresh track."""
    m = mirror
    m.api.update(m.ids["Task 0"], {"Estimate": {"number": 100}})
    m.blackout(True)
    m.api.advance_clock(300)  # well past the incremental query's overlap
    files, state = snapshot(m.root), state_of(m.root)
    m.api.reset_stats()

    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert m.requests() == POLL
    assert snapshot(m.root) == files
    after = state_of(m.root)
    assert after["pages"] == state["pages"] and after["outbox"] == state["outbox"]
    assert after["meta"]["watermark"] == state["meta"]["watermark"], "the window moved on"
    state = after

    for args in (["--full"], ["--full", "--dry-run"]):
        m.api.reset_stats()
        res = m.sync(*args)
        assert res.returncode == 1, (args, res.stderr)
        assert f"Notion's query returned no pages while the mirror {m.root} has {ROWS}" in (
            res.stderr
        ), res.stderr
        assert "nothing was changed" in res.stderr
        assert m.requests() == POLL, "a page was read (or written) one by one"
        assert snapshot(m.root) == files
        assert state_of(m.root) == state

    m.blackout(False)
    m.api.reset_stats()
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    assert "Estimate: 100" in (m.root / "Task 0.md").read_text(encoding="utf-8")
    m.assert_converged(tmp_path)


def test_missing_pages_are_checked_one_by_one_and_a_mass_vanishing_stops(
    mirror: Mirror, tmp_path: Path
) -> None:
    """A complete query lacking pages: each is read by id before its file is removed,
    and only a page Notion says is in the trash loses its file. Two of six trashed:
    ``sync --full`` reads exactly those two, removes their files, exits 0. Then three of
    the remaining four trashed (more than half): ``sync --full`` exits 1 ("lacks 3 of
    the 4 pages ... nothing was changed") without reading any page, removing any file
    or advancing the state; ``sync --full --force`` checks the three and removes them.
    No write request in the whole test; the folder ends equal to a fresh track."""
    m = mirror
    for name in ("Task 4", "Task 5"):
        m.api.trash(m.ids[name])
    m.api.reset_stats()
    res = m.sync("--full")
    assert res.returncode == 0, res.stderr
    assert m.requests() == {**POLL, GET_PAGE: 2}
    assert page_files(m.root) == [f"Task {i}.md" for i in range(4)]

    for name in ("Task 1", "Task 2", "Task 3"):
        m.api.trash(m.ids[name])
    files, state = snapshot(m.root), state_of(m.root)
    m.api.reset_stats()
    res = m.sync("--full")
    assert res.returncode == 1, res.stderr
    assert "lacks 3 of the 4 pages" in res.stderr and "--force" in res.stderr, res.stderr
    assert m.requests() == POLL
    assert snapshot(m.root) == files and state_of(m.root) == state

    m.api.reset_stats()
    res = m.sync("--full", "--force")
    assert res.returncode == 0, res.stderr
    assert m.requests() == {**POLL, GET_PAGE: 3}
    assert page_files(m.root) == ["Task 0.md"]
    m.assert_converged(tmp_path)


def test_forced_full_sync_under_a_blackout_removes_only_what_is_trashed(
    mirror: Mirror, tmp_path: Path
) -> None:
    """``sync --full --force`` while the query answers nothing: every page is read by
    id (6 reads, no write); the five still live keep their files byte for byte and stay
    live in the state; only the one Notion says is trashed loses its file. Once queries
    answer again, the mirror converges with no write."""
    m = mirror
    m.api.trash(m.ids["Task 5"])
    m.blackout(True)
    live = {n: (m.root / n).read_bytes() for n in page_files(m.root) if n != "Task 5.md"}
    m.api.reset_stats()
    res = m.sync("--full", "--force")
    assert res.returncode == 0, res.stderr
    assert m.requests() == {**POLL, GET_PAGE: ROWS}
    assert {n: (m.root / n).read_bytes() for n in page_files(m.root)} == live
    states = {b.path or b.title: b.state for b in state_of(m.root)["pages"]}
    assert states == {**dict.fromkeys(live, "live"), "Task 5": "trashed"}, states

    m.blackout(False)
    res = m.sync()
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    m.assert_converged(tmp_path)
