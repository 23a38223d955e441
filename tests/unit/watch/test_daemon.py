"""The daemon in-process: the inotify fallback, cleanup when start-up fails, and
watchdog's own log messages kept inside the daemon's log format.

The daemon runs in a thread here (``signal.signal`` is stubbed: only the main thread may
install handlers) against the emulator with an unthrottled client. The poll interval is
long, so an edit that reaches Notion quickly was delivered by the file watcher.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import watchdog.observers

from notion_mirror.lock import holder
from notion_mirror.mirror import Mirror, open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from notion_mirror.watch import Daemon, WatchLog, WatchOptions
from notion_mirror.watch import daemon as daemon_mod
from tests.helpers import NotionAPI, title


@dataclass
class World:
    handle: EmulatorHandle
    api: NotionAPI
    mirror: Mirror
    page_id: str

    def client(self) -> NotionClient:
        return NotionClient(token=self.handle.token, base_url=self.handle.base_url, rate_limit=None)

    def estimate(self) -> Any:
        page = self.api.call("GET", f"/v1/pages/{self.page_id}")
        return page["properties"]["Estimate"]["number"]


@pytest.fixture
def world(emulator: EmulatorHandle, tmp_path: Path) -> Iterator[World]:
    api = NotionAPI(emulator)
    db_id, ds_id = api.create_data_source(
        {"Name": {"title": {}}, "Estimate": {"number": {"format": "number"}}}
    )
    page_id = api.add_page(ds_id, {**title("Alpha"), "Estimate": {"number": 1}}, "Body.")
    root = tmp_path / "tasks"
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        track(client, db_id, root)
    finally:
        client.close()
    yield World(emulator, api, open_mirror(root), page_id)
    api.close()


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


class Running:
    """A daemon running in a background thread until :meth:`stop`."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.error: BaseException | None = None
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, name="watch-daemon-under-test")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.code = self.daemon.run()
        except BaseException as exc:  # re-raised in the test's thread by stop()
            self.error = exc

    def ready(self) -> bool:
        if self.error is not None:
            raise self.error
        return bool(self.daemon.state.get("last_cycle"))

    def stop(self) -> int | None:
        self.daemon.request_stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the daemon did not stop"
        if self.error is not None:
            raise self.error
        return self.code


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def no_inotify(where: str, err: int) -> type:
    """An ``Observer`` stand-in that fails like inotify does when it is exhausted."""

    class NoInotify:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def schedule(self, *args: Any, **kwargs: Any) -> None:
            if where == "schedule":
                raise OSError(err, "inotify watch limit reached")

        def start(self) -> None:
            raise OSError(err, "inotify instance limit reached")

    return NoInotify


@pytest.fixture
def no_signal_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal, "signal", lambda sig, handler: signal.SIG_DFL)


@pytest.mark.parametrize(
    ("where", "err"),
    [("schedule", errno.ENOSPC), ("start", errno.EMFILE), ("start", errno.ENFILE)],
)
@pytest.mark.usefixtures("no_signal_handlers")
def test_exhausted_inotify_falls_back_to_polling_once_and_still_sees_edits(
    where: str, err: int, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When inotify is exhausted (ENOSPC/EMFILE/ENFILE from the observer), the daemon
    says so once, watches by polling, and a save still reaches Notion well before the
    (long) poll interval."""
    monkeypatch.setattr(watchdog.observers, "Observer", no_inotify(where, err))
    stream = io.StringIO()
    options = WatchOptions(poll_interval=300, debounce=0.1, full_every=0, json_log=True)
    daemon = Daemon(world.mirror, world.client, options, WatchLog(stream, json_lines=True))
    running = Running(daemon)
    try:
        wait_until(running.ready, 15, "the first cycle")
        path = world.mirror.root / "Alpha.md"
        path.write_text(path.read_text().replace("Estimate: 1", "Estimate: 6"))
        wait_until(lambda: world.estimate() == 6, 10, "the edit in Notion")
    finally:
        code = running.stop()
    assert code == 0
    log = events(stream)
    fallback = [e for e in log if e["event"] == "fallback"]
    assert len(fallback) == 1, log
    assert "polling" in fallback[0]["message"]
    assert "max_user_watches" in fallback[0]["message"]
    assert log[-1]["event"] == "stop"


@pytest.mark.usefixtures("no_signal_handlers")
def test_watchdog_log_messages_join_the_daemons_log(world: World) -> None:
    """watchdog logs its trouble through ``logging``; with ``--json-log`` it must come out
    as a JSON event, not as a raw line, and the bridge is removed when the daemon stops."""
    stream = io.StringIO()
    options = WatchOptions(poll_interval=300, debounce=0.1, full_every=0, json_log=True)
    daemon = Daemon(world.mirror, world.client, options, WatchLog(stream, json_lines=True))
    running = Running(daemon)
    logger = logging.getLogger("watchdog.observers.inotify")
    try:
        wait_until(running.ready, 15, "the first cycle")
        logger.error("something odd with %s", "inotify")
    finally:
        running.stop()
    logger.error("after the daemon stopped")
    watcher = [e for e in events(stream) if e["event"] == "watcher"]
    assert watcher == [
        {
            "at": watcher[0]["at"],
            "event": "watcher",
            "message": "file watcher: something odd with inotify",
            "level": "error",
        }
    ]
    assert logging.getLogger("watchdog").handlers == []
    assert logging.getLogger("watchdog").propagate is True


def test_a_failing_start_releases_the_lock_and_restores_signal_handlers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An observer error that is not inotify exhaustion is raised, and leaves nothing
    behind: the writer lock is free and SIGINT/SIGTERM handlers are the previous ones."""
    monkeypatch.setattr(watchdog.observers, "Observer", no_inotify("schedule", errno.EACCES))
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    stream = io.StringIO()
    daemon = Daemon(world.mirror, world.client, WatchOptions(), WatchLog(stream, json_lines=False))
    with pytest.raises(OSError) as info:
        daemon.run()
    assert info.value.errno == errno.EACCES
    assert {s: signal.getsignal(s) for s in before} == before
    assert holder(world.mirror.state_dir) is None
    assert "fallback" not in stream.getvalue()


def test_a_repeating_failure_is_logged_once_then_reminded_then_resolved() -> None:
    lines: list[tuple[str, str]] = []
    now = [0.0]
    repeats = daemon_mod._Repeats(lambda event, message, **_: lines.append((event, message)),
                                  clock=lambda: now[0])  # fmt: skip
    for _ in range(5):
        repeats.failure("error", "sync stopped: the folder is gone")
        now[0] += 1.0
    assert lines == [("error", "sync stopped: the folder is gone")]
    now[0] += daemon_mod.REMIND_EVERY
    repeats.failure("error", "sync stopped: the folder is gone")
    assert lines[-1] == (
        "error", "sync stopped: the folder is gone (still, 5 cycles since the last report)"
    )  # fmt: skip
    repeats.failure("error", "sync stopped: another reason")
    assert lines[-1] == ("error", "sync stopped: another reason")
    repeats.success()
    repeats.success()
    assert lines[-1] == ("resumed", "syncing again after 7 failed cycle(s)")
    assert len(lines) == 4
