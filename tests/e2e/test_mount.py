"""``notion-mirror mount`` through a REAL FUSE mount: the CLI in a subprocess, shell tools
and git run inside the mountpoint, the emulator over HTTP as Notion.

What only a real mount proves: the kernel hands our callbacks what ``cat``, ``grep``,
``sed -i``, an editor's atomic save, ``mv``, ``rm`` and ``git`` actually do; a closed
file is journaled before ``close`` returns (so SIGKILL loses nothing); the kernel
does not serve stale data after a remote edit; and every way of ending the mount
(``fusermount3 -u``, Ctrl-C, SIGKILL) leaves no stale mount and no held lock.

Each test waits on a deadline for an observable state (Notion's values through raw
HTTP, bytes read through the mount, ``/proc/mounts``) instead of sleeping.

Needs /dev/fuse, libfuse and fusermount3 (``scripts/test`` installs ``fuse3`` when it
runs as root). Without them the module is skipped, except under CI, where a mount
test that cannot run is a failure.
"""

from __future__ import annotations

import ctypes.util
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from notion_mirror.lock import holder
from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

CLI = [sys.executable, "-m", "notion_mirror"]
FUSERMOUNT = shutil.which("fusermount3") or shutil.which("fusermount")

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Estimate": {"number": {"format": "number"}},
}
# Five pages: a move plus a removal must stay under the engine's mass-deletion guard
# (more than half of the files missing at once stops a sync).
PAGES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
GET_SCHEMA = "GET /v1/data_sources/{data_source_id}"


def _fuse_missing() -> str | None:
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist"
    if FUSERMOUNT is None:
        return "fusermount3/fusermount is not installed (apt-get install fuse3)"
    if not (ctypes.util.find_library("fuse3") or ctypes.util.find_library("fuse")):
        return "libfuse is not installed (apt-get install fuse3)"
    return None


_MISSING = _fuse_missing()
if _MISSING and os.environ.get("CI"):
    raise RuntimeError(f"the FUSE mount tests cannot run in CI: {_MISSING}")
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"FUSE unavailable: {_MISSING}")


# --------------------------------------------------------------------------- helpers


def wait_until(check: Callable[[], Any], timeout: float, what: str, *, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


def is_mounted(path: Path) -> bool:
    target = str(path).replace(" ", "\\040")
    with open("/proc/mounts", encoding="utf-8") as fh:
        return any(line.split(" ")[1] == target for line in fh)


def sh(script: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd.parent)},
    )
    if check:
        assert proc.returncode == 0, f"{script}\n{proc.stdout}\n{proc.stderr}"
    return proc


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def remote_estimate(api: NotionAPI, page_id: str) -> Any:
    return api.call("GET", f"/v1/pages/{page_id}")["properties"]["Estimate"]["number"]


def remote_body(api: NotionAPI, page_id: str) -> str:
    return str(api.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"])


def cycles(api: NotionAPI) -> int:
    return int(api.stats()["requests"].get(GET_SCHEMA, 0))


def wait_cycles(api: NotionAPI, n: int = 2, timeout: float = 15) -> None:
    """Let the loop run ``n`` more cycles (each cycle reads the schema once)."""
    start = cycles(api)
    wait_until(lambda: cycles(api) >= start + n, timeout, f"{n} more sync cycles")


@dataclass
class Mount:
    """One ``notion-mirror mount --foreground`` subprocess over a tracked mirror."""

    root: Path
    mp: Path
    env: dict[str, str]
    api: NotionAPI
    ids: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, *args: str) -> Mount:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*CLI, "mount", str(self.root), str(self.mp), "--foreground", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"mount exited early ({self.proc.returncode}):\n{self.log()}")
            return is_mounted(self.mp) and self.cycled()

        wait_until(up, 30, "the mount and its first sync cycle")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:  # never started
            return ""

    def cycled(self) -> bool:
        """This process finished a sync cycle (the daemon's ``daemon.json`` says so)."""
        try:
            data = json.loads((self.root / ".notion-mirror" / "daemon.json").read_text())
        except (OSError, ValueError):
            return False
        return self.proc is not None and data.get("pid") == self.proc.pid and "last_cycle" in data

    def unmount(self) -> int:
        """``fusermount3 -u``: the process must end by itself, cleanly."""
        assert self.proc is not None and FUSERMOUNT is not None
        subprocess.run([FUSERMOUNT, "-u", str(self.mp)], check=True, timeout=30)
        code = self.proc.wait(timeout=20)
        self._close()
        return code

    def stop(self) -> None:
        """Teardown: whatever state the test left, leave no mount and no process."""
        if self.proc is not None and self.proc.poll() is None and is_mounted(self.mp):
            subprocess.run([FUSERMOUNT or "umount", "-u", str(self.mp)], timeout=30)
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if is_mounted(self.mp):
            subprocess.run([FUSERMOUNT or "umount", "-u", "-z", str(self.mp)], timeout=30)
        self._close()

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def mounted(emulator: EmulatorHandle, api: NotionAPI, tmp_path: Path) -> Iterator[Mount]:
    """A tracked mirror and its (not yet started) mount; torn down without a trace."""
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {
        name: api.add_page(ds_id, {**title(name), "Estimate": {"number": 1}}, f"About {name}.")
        for name in PAGES
    }
    root, mp = tmp_path / "tasks", tmp_path / "mnt"
    mp.mkdir()
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        track(client, db_id, root)
    finally:
        client.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env.update(
        NO_COLOR="1",
        NOTION_API_BASE_URL=emulator.base_url,
        NOTION_API_TOKEN=emulator.token,
        NOTION_MIRROR_RATE_LIMIT="50",
    )
    m = Mount(root, mp, env, api, ids, tmp_path / "mount.log")
    try:
        yield m
    finally:
        m.stop()
        assert not is_mounted(mp), "a stale mount was left behind"
        assert emulator.token not in m.log(), "the token leaked into the mount's log"


FAST = ("--poll-interval", "1", "--debounce", "0.2", "--full-every", "0")


# ------------------------------------------------------------------------ the tests


def test_shell_tools_edit_through_the_mount_and_reach_notion(mounted: Mount) -> None:
    m = mounted.start(*FAST)
    mp, api, ids = m.mp, m.api, m.ids

    assert "Estimate: 1" in sh("cat Alpha.md", mp).stdout
    hits = sh("grep -r -l 'Estimate: 1' .", mp).stdout.split()
    assert sorted(hits) == sorted(f"./{n}.md" for n in PAGES)  # the state is not searched

    sh("sed -i 's/^Estimate: 1$/Estimate: 7/' Alpha.md", mp)
    sh("echo 'Appended through the mount.' >> Beta.md", mp)
    # An editor's atomic save: write a temp file beside it, fsync, rename over it.
    text = (mp / "Gamma.md").read_text(encoding="utf-8").replace("Estimate: 1", "Estimate: 5")
    tmp = mp / ".Gamma.md.swp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, mp / "Gamma.md")

    wait_until(lambda: remote_estimate(api, ids["Alpha"]) == 7, 20, "sed -i's edit in Notion")
    wait_until(
        lambda: "Appended through the mount." in remote_body(api, ids["Beta"]),
        20,
        "the appended line in Notion",
    )
    wait_until(lambda: remote_estimate(api, ids["Gamma"]) == 5, 20, "the atomic save in Notion")
    # Everything the tools did is in the folder itself, and the temp file is gone.
    assert tree(m.root) == tree(mp)
    assert not (m.root / ".Gamma.md.swp").exists()


def test_namespace_operations_pass_through_and_rm_is_not_a_trash(mounted: Mount) -> None:
    m = mounted.start(*FAST)
    mp, root, api, ids = m.mp, m.root, m.api, m.ids

    # The private state is neither listed, reachable nor creatable through the mount.
    assert ".notion-mirror" not in os.listdir(mp)
    assert not (mp / ".notion-mirror").exists()
    with pytest.raises(PermissionError):
        (mp / ".notion-mirror").mkdir()

    sh("mkdir -p notes/drafts && echo 'not a page' > notes/drafts/todo.txt", mp)
    sh("ln -s Alpha.md link-to-alpha && cp Alpha.md notes/copy-of-alpha.md", mp)
    assert (root / "notes" / "drafts" / "todo.txt").read_text() == "not a page\n"
    assert os.readlink(root / "link-to-alpha") == "Alpha.md"

    sh("mv Beta.md 'Beta moved.md'", mp)
    assert (root / "Beta moved.md").exists() and not (root / "Beta.md").exists()
    with pytest.raises(OSError) as exc:  # mv -n semantics survive (RENAME_NOREPLACE)
        ctypes_rename_noreplace(mp / "Alpha.md", mp / "Gamma.md")
    assert exc.value.errno == errno.EEXIST

    sh("rm Gamma.md", mp)
    wait_cycles(api, 2)
    # rm is not a trash, and a move is not a new page.
    for name in PAGES:
        page = api.call("GET", f"/v1/pages/{ids[name]}")
        assert page["in_trash"] is False, name
    res = api.call("POST", f"/v1/data_sources/{open_mirror(root).config.data_source_id}/query")
    assert len(res["results"]) == len(PAGES)
    # The moved page file took its title's name back; the mount shows it at once.
    assert (mp / "Beta.md").exists() and not (mp / "Beta moved.md").exists()
    assert tree(root) == tree(mp)


def ctypes_rename_noreplace(src: Path, dst: Path) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(src), -100, os.fsencode(dst), 1) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def test_git_works_inside_the_mount_and_stays_clean_after_sync(mounted: Mount) -> None:
    m = mounted.start(*FAST, "--json-log")
    mp, api, ids = m.mp, m.api, m.ids
    git = "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main"
    sh(f"{git} init -q && {git} add -A && {git} commit -q -m first", mp)
    assert sh("git ls-files", mp).stdout.split() == sorted(
        [".gitignore", *(f"{n}.md" for n in PAGES)]
    )
    assert (m.root / ".git" / "HEAD").is_file()  # git's files live in the folder

    sh("sed -i 's/^Estimate: 1$/Estimate: 3/' Alpha.md", mp)
    wait_until(lambda: remote_estimate(api, ids["Alpha"]) == 3, 20, "the edit in Notion")
    wait_cycles(api, 2)
    sh(f"{git} commit -q -am second", mp)
    wait_cycles(api, 2)
    assert sh("git status --porcelain", mp).stdout == ""
    assert m.unmount() == 0
    # libfuse's own messages go through the log too: every line stays JSON.
    events = [json.loads(line) for line in m.log().splitlines()]
    assert {"mounted", "stop"} <= {e["event"] for e in events}


def test_a_remote_edit_appears_on_the_next_read(mounted: Mount) -> None:
    m = mounted.start(*FAST)
    mp, root, api, ids = m.mp, m.root, m.api, m.ids
    before = (mp / "Alpha.md").read_text(encoding="utf-8")  # the kernel has seen it
    assert "Estimate: 1\n" in before
    api.update(ids["Alpha"], {"Estimate": {"number": 12345}})
    api.replace_body(ids["Alpha"], "A much longer body written in Notion.\n\nTwo paragraphs.")
    text = wait_until(
        lambda: (t := (mp / "Alpha.md").read_text(encoding="utf-8")) != before and t,
        20,
        "the remote edit through the mount",
    )
    wait_until(lambda: "Two paragraphs." in (mp / "Alpha.md").read_text(), 10, "the new body")
    text = (mp / "Alpha.md").read_text(encoding="utf-8")
    assert "Estimate: 12345" in text
    assert text == (root / "Alpha.md").read_text(encoding="utf-8")
    assert (mp / "Alpha.md").stat().st_size == (root / "Alpha.md").stat().st_size


def test_sigkill_loses_no_closed_write_and_leaves_no_stale_mount(mounted: Mount) -> None:
    # A long debounce: the edit is journaled at close but not yet sent when the kill lands.
    m = mounted.start("--poll-interval", "60", "--debounce", "60", "--full-every", "0")
    path = m.mp / "Alpha.md"
    path.write_text(path.read_text().replace("Estimate: 1", "Estimate: 99"), encoding="utf-8")
    assert m.proc is not None
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait(timeout=10)
    with open_mirror(m.root).open_store() as store:
        entry = store.latest_journal().get("Alpha.md")
    assert entry is not None and entry.kind == "changed", "the closed write was not journaled"
    wait_until(lambda: not is_mounted(m.mp), 10, "the auto-unmount after SIGKILL")
    assert holder(m.root / ".notion-mirror") is None

    done = run_cli(["sync", str(m.root)], m.env)
    assert done.returncode == 0, done.stderr
    assert remote_estimate(m.api, m.ids["Alpha"]) == 99


def test_unmount_and_ctrl_c_end_cleanly_and_release_the_lock(mounted: Mount) -> None:
    m = mounted.start(*FAST)
    busy = run_cli(["sync", str(m.root)], m.env)
    assert busy.returncode != 0 and "notion-mirror mount" in busy.stderr
    (m.mp / "Beta.md").write_text(
        (m.mp / "Beta.md").read_text().replace("Estimate: 1", "Estimate: 2"), encoding="utf-8"
    )
    assert m.unmount() == 0
    assert not is_mounted(m.mp)
    assert holder(m.root / ".notion-mirror") is None
    # The state is consistent: a plain sync needs no repair and finds nothing lost.
    again = run_cli(["sync", str(m.root)], m.env)
    assert again.returncode == 0, again.stderr
    assert remote_estimate(m.api, m.ids["Beta"]) == 2

    m.start(*FAST)  # Ctrl-C in the foreground
    assert m.proc is not None
    m.proc.send_signal(signal.SIGINT)
    assert m.proc.wait(timeout=20) == 0
    assert not is_mounted(m.mp)
    assert holder(m.root / ".notion-mirror") is None


def test_background_mount_returns_once_mounted(mounted: Mount) -> None:
    started = run_cli(["mount", str(mounted.root), str(mounted.mp), *FAST], mounted.env)
    assert started.returncode == 0, started.stderr
    assert is_mounted(mounted.mp)
    assert "Alpha.md" in os.listdir(mounted.mp)
    status = run_cli(["status", str(mounted.root), "--json"], mounted.env)
    assert "mount" in status.stdout
    assert FUSERMOUNT is not None
    subprocess.run([FUSERMOUNT, "-u", str(mounted.mp)], check=True, timeout=30)
    wait_until(lambda: holder(mounted.root / ".notion-mirror") is None, 15, "the lock's release")
    log = (mounted.root / ".notion-mirror" / "mount.log").read_text()
    assert "stopped" in log and mounted.env["NOTION_API_TOKEN"] not in log
    assert json.loads(status.stdout)  # status --json stays JSON while mounted


def test_refuses_a_mountpoint_inside_the_mirror(mounted: Mount) -> None:
    inside = mounted.root / "mnt"
    inside.mkdir()
    res = run_cli(["mount", str(mounted.root), str(inside), "--foreground"], mounted.env)
    assert res.returncode == 2 and "overlaps the mirror" in res.stderr
    assert not is_mounted(inside)
