"""``notion-mirror watch`` as a user runs it: a real daemon subprocess, real file events,
the emulator over HTTP.

What is proven here needs a long-running process: editor save patterns arriving as
inotify events, remote edits arriving on the poll interval, an outage the daemon lives
through, signals, SIGKILL mid-cycle, the writer lock seen from other commands, and the
log format. Each test waits on a deadline for an observable state (Notion's values
through raw HTTP, file bytes, ``daemon.json``) instead of sleeping a fixed time.

The CLI's client keeps Notion's 3 requests/second, so every data set here is 3 pages.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from notion_mirror.emulator import Emulator, EmulatorOptions
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title

CLI = [sys.executable, "-m", "notion_mirror"]

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Estimate": {"number": {"format": "number"}},
    "Notes": {"rich_text": {}},
    "Done": {"checkbox": {}},
}
PAGES = ("Alpha", "Beta", "Gamma")

CREATE = "POST /v1/pages"
PATCH_PAGE = "PATCH /v1/pages/{page_id}"
PATCH_BODY = "PATCH /v1/pages/{page_id}/markdown"
GET_SCHEMA = "GET /v1/data_sources/{data_source_id}"
WRITE_ROUTES = (CREATE, PATCH_PAGE, PATCH_BODY, "DELETE /v1/blocks/{block_id}")


# --------------------------------------------------------------------------- helpers


def wait_until(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    *,
    every: float = 0.1,
    detail: Callable[[], str] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and
    ``detail()``, e.g. the daemon's log) at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}{extra}")
        time.sleep(every)


def base_env(handle: EmulatorHandle) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env["NO_COLOR"] = "1"
    env["NOTION_API_BASE_URL"] = handle.base_url
    env["NOTION_API_TOKEN"] = handle.token
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def frontmatter(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])
    assert isinstance(data, dict), path
    return data


def set_estimate(text: str, value: int) -> str:
    """``sed 's/^Estimate: .*/Estimate: N/'`` on a page file's text."""
    new, n = re.subn(r"(?m)^Estimate: .*$", f"Estimate: {value}", text, count=1)
    assert n == 1, text
    return new


def remote_page(api: NotionAPI, page_id: str) -> dict[str, Any]:
    page = api.call("GET", f"/v1/pages/{page_id}")
    p = page["properties"]
    return {
        "Name": "".join(t["plain_text"] for t in p["Name"]["title"]),
        "Estimate": p["Estimate"]["number"],
        "Notes": "".join(t["plain_text"] for t in p["Notes"]["rich_text"]),
        "Done": p["Done"]["checkbox"],
        "in_trash": page["in_trash"],
    }


def remote_body(api: NotionAPI, page_id: str) -> str:
    return str(api.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"])


def live_pages(api: NotionAPI, ds_id: str) -> dict[str, list[str]]:
    """Title -> ids of the live pages (a duplicate shows up as two ids)."""
    res = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})
    out: dict[str, list[str]] = {}
    for page in res["results"]:
        name = "".join(t["plain_text"] for t in page["properties"]["Name"]["title"])
        out.setdefault(name, []).append(page["id"])
    return out


def page_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_file() and p.name.endswith(".md"))


def count(api: NotionAPI, route: str) -> int:
    return int(api.stats()["requests"].get(route, 0))


def wait_cycles(api: NotionAPI, n: int = 2, timeout: float = 15) -> None:
    """Let the daemon run ``n`` more cycles (each cycle reads the schema once)."""
    start = count(api, GET_SCHEMA)
    wait_until(lambda: count(api, GET_SCHEMA) >= start + n, timeout, f"{n} more cycles")


@dataclass
class Setup:
    """A tracked mirror of a 3-page data source."""

    root: Path
    db_id: str
    ds_id: str
    ids: dict[str, str]
    env: dict[str, str]
    token: str


def make_mirror(handle: EmulatorHandle, api: NotionAPI, root: Path) -> Setup:
    """Create the data source and track it in-process (no rate limit: fast setup)."""
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {
        name: api.add_page(ds_id, {**title(name), "Estimate": {"number": 1}}, f"About {name}.")
        for name in PAGES
    }
    client = NotionClient(token=handle.token, base_url=handle.base_url, rate_limit=None)
    try:
        track(client, db_id, root)
    finally:
        client.close()
    assert page_files(root) == [f"{n}.md" for n in PAGES]
    return Setup(root, db_id, ds_id, ids, base_env(handle), handle.token)


@dataclass
class WatchProcess:
    """One ``notion-mirror watch`` subprocess; stderr goes to a file the test reads."""

    root: Path
    env: dict[str, str]
    log_path: Path
    args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> WatchProcess:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*CLI, "watch", str(self.root), *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def events(self) -> list[dict[str, Any]]:
        """The JSON log lines (``--json-log``); fails on any line that is not JSON."""
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON log line: {line!r}")
        return out

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / ".notion-mirror" / "daemon.json").read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def wait_ready(self, timeout: float = 30) -> WatchProcess:
        """Until this process has finished its first cycle (``daemon.json`` says so)."""

        def ready() -> bool:
            if not self.alive():
                pytest.fail(
                    f"watch exited early ({self.proc and self.proc.returncode}):\n{self.log()}"
                )
            st = self.state()
            return st.get("pid") == self.pid and bool(st.get("last_cycle"))

        wait_until(ready, timeout, "the daemon's first cycle")
        return self

    def signal(self, sig: int, timeout: float = 10) -> tuple[int, float]:
        """Send ``sig`` and wait for the exit; returns (exit code, seconds taken)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"watch did not exit within {timeout}s of signal {sig}:\n{self.log()}")
        self._close_log()
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


WatchFactory = Callable[..., WatchProcess]


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def setup(emulator: EmulatorHandle, api: NotionAPI, tmp_path: Path) -> Setup:
    return make_mirror(emulator, api, tmp_path / "tasks")


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[WatchFactory]:
    """Start watch daemons; every one is killed at the end, and no log holds the token."""
    started: list[WatchProcess] = []

    def start(root: Path, env: dict[str, str], *args: str) -> WatchProcess:
        log = tmp_path / f"watch-{len(started)}.log"
        w = WatchProcess(root, env, log, ("--full-every", "0", *args)).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.kill()
    for w in started:
        token = w.env["NOTION_API_TOKEN"]
        assert token not in w.log(), "the token leaked into the daemon's log"


def fast(*extra: str) -> tuple[str, ...]:
    return ("--poll-interval", "1", "--debounce", "0.2", *extra)


# ------------------------------------------------------------------ editor patterns


def save_in_place(path: Path, text: str) -> None:
    with path.open("r+", encoding="utf-8") as f:
        f.seek(0)
        f.truncate()
        f.write(text)


def save_temp_then_replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_backup_create_delete(path: Path, text: str) -> None:
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text, encoding="utf-8")
    os.unlink(backup)


def save_unlink_create(path: Path, text: str) -> None:
    os.unlink(path)
    path.write_text(text, encoding="utf-8")


SAVE_PATTERNS: dict[str, Callable[[Path, str], None]] = {
    "in-place": save_in_place,
    "temp-then-replace": save_temp_then_replace,
    "backup-create-delete": save_backup_create_delete,
    "unlink-create": save_unlink_create,
}


@pytest.mark.parametrize("pattern", list(SAVE_PATTERNS))
def test_each_editor_save_pattern_is_one_modification_of_the_same_page(
    pattern: str, setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """Each way editors save a file (in place; temp then rename over; rename to a backup,
    create, delete the backup; unlink then create) reaches Notion as exactly one update
    of the same page: no page created, none trashed, no file lost, identity kept."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    path = setup.root / "Beta.md"
    page_id = setup.ids["Beta"]
    api.reset_stats()

    SAVE_PATTERNS[pattern](path, set_estimate(path.read_text(encoding="utf-8"), 5))

    wait_until(lambda: remote_page(api, page_id)["Estimate"] == 5, 15, "Estimate 5", detail=w.log)
    wait_cycles(api, 2)
    requests = api.stats()["requests"]
    assert requests.get(PATCH_PAGE) == 1, requests
    assert not requests.get(CREATE), requests
    assert not requests.get(PATCH_BODY), requests
    assert remote_page(api, page_id) == {
        "Name": "Beta",
        "Estimate": 5,
        "Notes": "",
        "Done": False,
        "in_trash": False,
    }
    assert {k: len(v) for k, v in live_pages(api, setup.ds_id).items()} == dict.fromkeys(PAGES, 1)
    assert page_files(setup.root) == [f"{n}.md" for n in PAGES]
    assert frontmatter(path)["_notion"]["id"] == page_id
    assert frontmatter(path)["Estimate"] == 5
    assert w.alive()


def test_a_file_renamed_by_hand_returns_to_its_titles_name(
    setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """``mv`` under a running watch: the file is still its page (nothing created or
    trashed in Notion) and is moved back to its title's name by the next cycle."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    page_id = setup.ids["Gamma"]
    before = (setup.root / "Gamma.md").read_bytes()
    api.reset_stats()

    os.rename(setup.root / "Gamma.md", setup.root / "my gamma.md")

    wait_until(
        lambda: page_files(setup.root) == [f"{n}.md" for n in PAGES],
        15,
        "Gamma.md back under its title's name",
        detail=w.log,
    )
    assert (setup.root / "Gamma.md").read_bytes() == before
    wait_cycles(api, 2)
    requests = api.stats()["requests"]
    assert not requests.get(CREATE) and not requests.get(PATCH_PAGE), requests
    assert remote_page(api, page_id)["in_trash"] is False
    assert page_files(setup.root) == [f"{n}.md" for n in PAGES]
    assert w.alive()


# ------------------------------------------------------------------- remote edits


def test_remote_edits_appear_in_the_file_within_the_poll_interval(
    setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """A property and a body edited in Notion reach the file on the next poll (1 s here,
    plus the rate-limited reads), without the user doing anything."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    path = setup.root / "Gamma.md"
    page_id = setup.ids["Gamma"]

    started = time.monotonic()
    api.update(page_id, {"Notes": {"rich_text": [{"text": {"content": "from Notion"}}]}})
    api.replace_body(page_id, "Rewritten in Notion.")

    def arrived() -> bool:
        text = path.read_text(encoding="utf-8")
        return "Rewritten in Notion." in text and frontmatter(path)["Notes"] == "from Notion"

    wait_until(arrived, 10, "the remote edits in Gamma.md", detail=w.log)
    took = time.monotonic() - started
    assert took < 10
    assert frontmatter(path)["_notion"]["id"] == page_id
    assert "About Gamma." not in path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------ outage


def test_a_local_edit_made_while_notion_is_down_is_pushed_when_it_returns(
    tmp_path: Path, watch: WatchFactory
) -> None:
    """The emulator is really stopped (its state saved to a file) and later restarted on
    the same port with the same data and token. Meanwhile the daemon keeps running, logs
    a backoff, keeps the edit, and pushes it once Notion answers again."""
    data = tmp_path / "emulator.json"
    emu = Emulator(EmulatorOptions(data=str(data)))
    emu.start()
    restarted: Emulator | None = None
    api: NotionAPI | None = None
    try:
        handle = EmulatorHandle(emu.base_url, emu.token, emu.root_page_id, emu)
        api = NotionAPI(handle)
        setup = make_mirror(handle, api, tmp_path / "tasks")
        api.close()
        w = watch(setup.root, setup.env, *fast("--json-log")).wait_ready()

        port = int(emu.base_url.rsplit(":", 1)[1])
        emu.stop()
        path = setup.root / "Alpha.md"
        save_temp_then_replace(path, set_estimate(path.read_text(encoding="utf-8"), 42))

        wait_until(
            lambda: any(e["event"] == "backoff" for e in w.events()), 45, "a backoff log line"
        )
        assert w.alive()
        restarted = Emulator(EmulatorOptions(port=port, token=emu.token, data=str(data)))
        restarted.start()
        assert restarted.base_url == emu.base_url
        api = NotionAPI(
            EmulatorHandle(restarted.base_url, emu.token, restarted.root_page_id, restarted)
        )
        page_id = setup.ids["Alpha"]
        assert remote_page(api, page_id)["Estimate"] == 1  # it really was not sent yet

        wait_until(lambda: remote_page(api, page_id)["Estimate"] == 42, 45, "the edit in Notion")
        assert w.alive()
        assert {k: len(v) for k, v in live_pages(api, setup.ds_id).items()} == dict.fromkeys(
            PAGES, 1
        )
        assert page_files(setup.root) == [f"{n}.md" for n in PAGES]
        assert frontmatter(path)["Estimate"] == 42
        backoff = next(e for e in w.events() if e["event"] == "backoff")
        assert backoff["retry_in"] >= 2
        assert "local edits are kept" in backoff["message"]
        code, _ = w.signal(signal.SIGTERM)
        assert code == 0
    finally:
        if api is not None:
            api.close()
        for e in (emu, restarted):
            if e is not None:
                e.stop()


# ----------------------------------------------------------------------- signals


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_daemon_cleanly_and_releases_the_lock(
    sig: int, setup: Setup, watch: WatchFactory
) -> None:
    """SIGTERM and SIGINT end the daemon with exit 0 within seconds, it logs "stopped",
    records that it is no longer running, and the writer lock is free at once."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    code, took = w.signal(sig, timeout=10)
    assert code == 0, w.log()
    assert took < 10
    assert w.log().rstrip().endswith("stopped"), w.log()
    assert "Traceback" not in w.log()
    assert w.state()["running"] is False
    res = run(["sync", str(setup.root)], setup.env)
    assert res.returncode == 0, res.stderr


# ----------------------------------------------------------------------- SIGKILL


@pytest.mark.parametrize("kill_at", [CREATE, PATCH_BODY], ids=["at-create", "at-body-write"])
def test_sigkill_mid_cycle_then_restart_converges_without_duplicates(
    kill_at: str, setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """The daemon is killed with SIGKILL the moment its first write of a cycle reaches
    Notion (a new file's create, or a body append), then started again: everything
    converges, the appended line is in Notion exactly once, and the new file is exactly
    one page, bound to the same file."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    api.reset_stats()
    alpha = setup.root / "Alpha.md"
    with alpha.open("a", encoding="utf-8") as f:
        f.write("\nAppended before the crash.\n")
    (setup.root / "Fresh.md").write_text("---\nName: Fresh\nEstimate: 9\n---\nBrand new.\n")

    wait_until(lambda: count(api, kill_at) > 0, 20, f"the daemon's {kill_at}", every=0.005)
    w.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
    w.proc.wait(timeout=10)  # type: ignore[union-attr]

    again = watch(setup.root, setup.env, *fast()).wait_ready()
    alpha_id = setup.ids["Alpha"]

    def converged() -> bool:
        pages = live_pages(api, setup.ds_id)
        return "Fresh" in pages and "Appended before the crash." in remote_body(api, alpha_id)

    wait_until(converged, 30, "the edits in Notion after the restart")
    wait_cycles(api, 2)
    pages = live_pages(api, setup.ds_id)
    assert {k: len(v) for k, v in pages.items()} == dict.fromkeys([*PAGES, "Fresh"], 1)
    assert remote_body(api, alpha_id).count("Appended before the crash.") == 1
    fresh_id = pages["Fresh"][0]
    assert remote_page(api, fresh_id)["Estimate"] == 9
    assert page_files(setup.root) == sorted([f"{n}.md" for n in PAGES] + ["Fresh.md"])
    assert frontmatter(setup.root / "Fresh.md")["_notion"]["id"] == fresh_id
    assert frontmatter(alpha)["_notion"]["id"] == alpha_id
    assert again.alive()
    res = run(["status", str(setup.root)], setup.env)
    assert res.returncode == 0, res.stdout + res.stderr


# -------------------------------------------------------------------------- lock


def test_one_writer_other_commands_name_the_running_daemon(
    setup: Setup, watch: WatchFactory
) -> None:
    """While watch runs, `sync` and a second `watch` refuse with exit 1 and name the
    holder (command and pid); `status` reports the running daemon and exits normally."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    holder = f"is being synced by `notion-mirror watch` (pid {w.pid}"

    res = run(["sync", str(setup.root)], setup.env)
    assert res.returncode == 1
    assert holder in " ".join(res.stderr.split()), res.stderr

    second = subprocess.run(
        [*CLI, "watch", str(setup.root), *fast()],
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert second.returncode == 1
    assert holder in " ".join(second.stderr.split()), second.stderr

    res = run(["status", str(setup.root)], setup.env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"running: notion-mirror watch (pid {w.pid}" in res.stdout
    assert w.alive()
    code, _ = w.signal(signal.SIGTERM)
    assert code == 0
    res = run(["status", str(setup.root)], setup.env)
    assert "running:" not in res.stdout


# ------------------------------------------------------------------------ logging


def test_json_log_lines_are_json_and_never_carry_the_token(
    setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """With --json-log every stderr line is a JSON object with ``event`` and ``message``
    through a session with edits both ways, and the token appears nowhere."""
    w = watch(setup.root, setup.env, *fast("--json-log")).wait_ready()
    path = setup.root / "Alpha.md"
    save_in_place(path, set_estimate(path.read_text(encoding="utf-8"), 3))
    api.update(setup.ids["Beta"], {"Done": {"checkbox": True}})
    wait_until(
        lambda: (
            remote_page(api, setup.ids["Alpha"])["Estimate"] == 3
            and frontmatter(setup.root / "Beta.md")["Done"] is True
        ),
        15,
        "both edits",
    )
    code, _ = w.signal(signal.SIGTERM)
    assert code == 0
    events = w.events()
    assert all(
        isinstance(e.get("event"), str) and isinstance(e.get("message"), str) for e in events
    )
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "stop", kinds
    assert "cycle" in kinds
    assert events[0]["pid"] == w.pid
    assert setup.token not in w.log()


# --------------------------------------------------------------------- own writes


def test_materialising_a_remote_edit_is_not_mistaken_for_a_local_edit(
    setup: Setup, api: NotionAPI, watch: WatchFactory
) -> None:
    """When the daemon writes a remote edit into a file, the watcher sees the write, but
    nothing goes back to Notion: no write request at all follows, and the file is not
    rewritten again."""
    w = watch(setup.root, setup.env, *fast()).wait_ready()
    page_id = setup.ids["Alpha"]
    path = setup.root / "Alpha.md"
    api.update(
        page_id, {"Estimate": {"number": 8}, "Notes": {"rich_text": [{"text": {"content": "n"}}]}}
    )
    api.reset_stats()

    wait_until(
        lambda: frontmatter(path).get("Estimate") == 8, 10, "the edit in the file", detail=w.log
    )
    written = path.stat().st_mtime_ns
    wait_cycles(api, 3)
    requests = api.stats()["requests"]
    assert not {r: n for r, n in requests.items() if r in WRITE_ROUTES}, (requests, w.log())
    assert path.stat().st_mtime_ns == written, w.log()
    assert remote_page(api, page_id)["Estimate"] == 8
