"""``notion-mirror watch``: keep a mirror and Notion converged, for days.

Scheduling and capture only; every decision is the sync engine's. File
events are hints: they name paths to look at, and the content of each path
after a quiet period (the debounce) is what gets journaled, so an editor's
save-by-rename or unlink-and-create is one modification, and the tool's own
writes (which hash to their fingerprint) are not edits at all. A cycle runs
when something was journaled, and on the poll interval for remote changes;
every ``full_every`` minutes the cycle is a full repair (complete membership
scan), because the watcher is a hint and the scan is the truth.

Failures never end the daemon: Notion or network errors back off
exponentially (local edits keep being journaled meanwhile), anything else is
logged and retried on the next tick. SIGINT/SIGTERM stop intake, let the
engine finish the page in flight, release the lock and exit 0.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from notion_mirror.errors import MirrorError, NotionError
from notion_mirror.lock import HeldLock, writer_lock
from notion_mirror.mirror import Mirror
from notion_mirror.sync.capture import capture_paths, is_page_file

__all__ = ["DAEMON_FILE", "Daemon", "WatchLog", "WatchOptions", "read_daemon_state"]

DAEMON_FILE = "daemon.json"
MAX_BACKOFF = 300.0
# A failure that repeats cycle after cycle (a folder that is gone, an emptied
# folder) is logged once, then reminded of at this interval, not every poll.
REMIND_EVERY = 600.0


@dataclass(frozen=True)
class WatchOptions:
    poll_interval: float = 30.0
    debounce: float = 0.5
    full_every: float = 60.0  # minutes; 0 = never
    json_log: bool = False


class WatchLog:
    """Human lines or JSON lines on a stream; messages never carry the token
    (the client scrubs it from every error before it gets here)."""

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self.stream = stream
        self.json_lines = json_lines
        self._lock = threading.Lock()

    def __call__(self, event: str, message: str, **fields: Any) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        if self.json_lines:
            line = json.dumps({"at": now, "event": event, "message": message, **fields})
        else:
            line = f"{now[11:19]} {message}"
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


class _Repeats:
    """Logs a failing cycle's message once, then a reminder every ``REMIND_EVERY``
    seconds while the same message repeats, and one line when cycles succeed again."""

    def __init__(
        self, log: Callable[..., None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.log = log
        self.clock = clock
        self.message: str | None = None
        self.logged_at = 0.0
        self.repeats = 0  # failed cycles with this message since it was last logged
        self.failed = 0  # failed cycles since the last success

    def failure(self, event: str, message: str, **fields: Any) -> None:
        now = self.clock()
        self.failed += 1
        if message == self.message and now - self.logged_at < REMIND_EVERY:
            self.repeats += 1
            return
        if message == self.message:
            message = f"{message} (still, {self.repeats + 1} cycles since the last report)"
        else:
            self.message = message
        self.log(event, message, **fields)
        self.logged_at, self.repeats = now, 0

    def success(self) -> None:
        if self.message is not None:
            self.log("resumed", f"syncing again after {self.failed} failed cycle(s)")
        self.message, self.repeats, self.failed = None, 0, 0


def read_daemon_state(mirror: Mirror) -> dict[str, Any] | None:
    try:
        data = json.loads((mirror.state_dir / DAEMON_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _Intake:
    """Collects page paths named by file events; wakes the daemon."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.paths: set[str] = set()
        self.last_event = 0.0
        self.cond = threading.Condition()
        # Set when a front-end (the FUSE mount) journaled a noted path itself:
        # re-capturing finds nothing new, yet a cycle is still owed.
        self.journaled = False

    def note(self, *raw: str | bytes | None, journaled: bool = False) -> None:
        names = []
        for p in raw:
            if not p:
                continue
            path = Path(os.fsdecode(p))
            if path.parent == self.root and is_page_file(path.name):
                names.append(path.name)
        if not names:
            return
        with self.cond:
            self.paths.update(names)
            self.journaled = self.journaled or journaled
            self.last_event = time.monotonic()
            self.cond.notify_all()

    def take(self) -> set[str]:
        with self.cond:
            out, self.paths = self.paths, set()
            return out

    def take_with_flag(self) -> tuple[set[str], bool]:
        """The noted paths and whether any was journaled already, taken together."""
        with self.cond:
            out, self.paths = self.paths, set()
            journaled, self.journaled = self.journaled, False
            return out, journaled


def _handler(intake: _Intake) -> Any:
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            intake.note(event.src_path, getattr(event, "dest_path", None))

    return Handler()


class _WatchdogLogBridge(logging.Handler):
    """watchdog reports watcher trouble through ``logging``; with no handler configured
    Python prints it raw on stderr, which breaks ``--json-log``. Route it into the
    daemon's log instead, and drop what it says while the observer is being stopped
    (e.g. "queue_events() called when the thread is inactive": a benign shutdown race)."""

    def __init__(self, log: WatchLog, stopping: threading.Event) -> None:
        super().__init__(logging.WARNING)
        self.watch_log = log
        self.stopping = stopping
        self.logger = logging.getLogger("watchdog")
        self.propagate = self.logger.propagate
        self.logger.addHandler(self)
        self.logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.stopping.is_set():
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not kill the watcher thread
            message = str(record.msg)
        self.watch_log("watcher", f"file watcher: {message}", level=record.levelname.lower())

    def remove(self) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self.propagate


def _start_observer(root: Path, intake: _Intake, log: WatchLog) -> Any:
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    observer = Observer()
    try:
        observer.schedule(_handler(intake), str(root), recursive=False)
        observer.start()
        return observer
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EMFILE, errno.ENFILE):
            raise
        log(
            "fallback",
            "out of inotify watches/instances; watching by polling the folder every second "
            "(raise fs.inotify.max_user_watches to avoid this)",
        )
    observer = PollingObserver(timeout=1)
    observer.schedule(_handler(intake), str(root), recursive=False)
    observer.start()
    return observer


class Daemon:
    def __init__(
        self,
        mirror: Mirror,
        make_client: Callable[[], Any],
        options: WatchOptions,
        log: WatchLog,
        *,
        start_observer: Callable[[Path, _Intake, WatchLog], Any] = _start_observer,
        command: str = "watch",
        after_cycle: Callable[[], None] | None = None,
    ) -> None:
        self.mirror = mirror
        self.make_client = make_client
        self.options = options
        self.log = log
        self.stop = threading.Event()
        self.intake = _Intake(mirror.root)
        self.start_observer = start_observer
        # The mount reuses this loop: it names itself in the writer lock and
        # refreshes the kernel's caches after every cycle (``after_cycle``).
        self.command = command
        self.after_cycle = after_cycle
        self.state: dict[str, Any] = {}
        self.lock: HeldLock | None = None

    # -------------------------------------------------------------- lifecycle

    def request_stop(self, *_: Any) -> None:
        self.stop.set()
        with self.intake.cond:
            self.intake.cond.notify_all()

    def run(self) -> int:
        with writer_lock(self.mirror.state_dir, self.command) as self.lock:
            previous = {
                sig: signal.signal(sig, self.request_stop)
                for sig in (signal.SIGINT, signal.SIGTERM)
            }
            bridge = _WatchdogLogBridge(self.log, self.stop)
            observer = client = None
            try:
                observer = self.start_observer(self.mirror.root, self.intake, self.log)
                client = self.make_client()
                self.state = {
                    "pid": os.getpid(),
                    "started": _now(),
                    "poll_interval": self.options.poll_interval,
                }
                self.log(
                    "start",
                    f"watching {self.mirror.root} (poll every {self.options.poll_interval:g}s, "
                    f"debounce {self.options.debounce:g}s)",
                    pid=os.getpid(),
                )
                self._loop(client)
            finally:
                self.stop.set()  # also mutes watchdog's benign shutdown races
                if observer is not None:
                    observer.stop()
                    observer.join(timeout=5)
                if client is not None:
                    client.close()
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                bridge.remove()
                if client is not None:
                    self._save_state(running=False)
                    self.log("stop", "stopped")
        return 0

    # -------------------------------------------------------------- the loop

    def _loop(self, client: Any) -> None:
        opts = self.options
        now = time.monotonic()
        next_poll = now  # converge at start: edits made while not watching
        next_full = now + opts.full_every * 60 if opts.full_every > 0 else float("inf")
        backoff = 0.0
        blocked_until = 0.0  # no cycle before this (backing off)
        local_pending = False
        repeats = _Repeats(self.log)
        while not self.stop.is_set():
            now = time.monotonic()
            with self.intake.cond:
                settle_at = self.intake.last_event + opts.debounce if self.intake.paths else None
            if settle_at is not None and settle_at <= now:
                # Journal now, even while backing off: the edit is durable
                # before Notion is reachable again.
                local_pending = self._capture() or local_pending
                continue
            cycle_at = max(blocked_until, now if local_pending else next_poll)
            wake_at = cycle_at if settle_at is None else min(cycle_at, settle_at)
            if wake_at > now:
                with self.intake.cond:
                    self.intake.cond.wait(timeout=min(wake_at - now, 1.0))
                continue
            full = now >= next_full
            # A save goes out first, on its own: no poll ahead of it (each write
            # still reads its page first); the poll keeps its own schedule.
            push_only = local_pending and not full and now < next_poll
            try:
                self._cycle(client, full=full, push_only=push_only)
            except NotionError as exc:
                backoff = min(MAX_BACKOFF, max(2.0, backoff * 2))
                blocked_until = time.monotonic() + backoff
                self.state["last_error"] = str(exc)
                self._save_state(running=True)
                self.log(
                    "backoff",
                    f"Notion unavailable ({exc}); local edits are kept, retrying in {backoff:g}s",
                    retry_in=backoff,
                )
                continue
            except MirrorError as exc:
                self.state["last_error"] = str(exc)
                self._save_state(running=True)
                repeats.failure("error", f"sync stopped: {exc}")
                blocked_until = time.monotonic() + opts.poll_interval
            except Exception as exc:  # a daemon outlives bugs; the trace goes to the log
                self.state["last_error"] = f"{type(exc).__name__}: {exc}"
                self._save_state(running=True)
                repeats.failure("crash", f"unexpected error, retrying later: {exc!r}",
                                trace=traceback.format_exc())  # fmt: skip
                blocked_until = time.monotonic() + max(opts.poll_interval, 5.0)
            else:
                repeats.success()
                backoff = 0.0
                blocked_until = 0.0
                if full:
                    next_full = time.monotonic() + opts.full_every * 60
            local_pending = False
            if not push_only:
                next_poll = time.monotonic() + opts.poll_interval

    def _capture(self) -> bool:
        names, journaled = self.intake.take_with_flag()
        if not names:
            return journaled
        try:
            with self.mirror.open_store() as store:
                return bool(capture_paths(self.mirror.root, store, names)) or journaled
        except MirrorError:
            return True  # the folder is gone or unreadable: the cycle says so, and rescans

    def _cycle(self, client: Any, *, full: bool, push_only: bool = False) -> None:
        from notion_mirror.sync.engine import SyncOptions, sync

        started = time.monotonic()
        if self.lock is not None:
            self.lock.ensure_current()
        try:
            report = sync(
                self.mirror,
                client,
                SyncOptions(full=full, pull=not push_only, should_stop=self.stop.is_set),
            )
        finally:
            if self.after_cycle is not None:
                self.after_cycle()
        took = time.monotonic() - started
        pushed = sum(len(p.pushed) for p in report.pages if not p.created)
        summary = {
            "full": full,
            "pushed": pushed,
            "created": report.created,
            "pulled": report.pull.changed_files,
            "conflicts": len(report.open_conflicts),
            "blocked": report.blocked,
            "seconds": round(took, 3),
        }
        self.state.update(last_cycle=_now(), last_result=summary, last_error=None)
        self._save_state(running=True)
        if pushed or report.created or report.pull.changed_files or full:
            self.log("cycle", _describe(summary), **summary)
        for page in report.pages:
            for surface, reason in page.blocked:
                self.log("blocked", f"{page.path}: {surface}: {reason}", path=page.path)
            for c in page.conflicts:
                self.log("conflict", f"{page.path}: {c.surface}: {c.reason}", path=page.path)

    def _save_state(self, *, running: bool) -> None:
        data = dict(self.state, running=running, updated=_now())
        path = self.mirror.state_dir / DAEMON_FILE
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError:
            pass  # the folder is gone (removed, unmounted): the log says so; never re-create it


def _describe(s: dict[str, Any]) -> str:
    parts = []
    if s["pushed"]:
        parts.append(f"{s['pushed']} change(s) sent")
    if s["created"]:
        parts.append(f"{s['created']} page(s) created")
    if s["pulled"]:
        parts.append(f"{s['pulled']} file(s) updated from Notion")
    if s["conflicts"]:
        parts.append(f"{s['conflicts']} open conflict(s)")
    head = "full repair" if s["full"] else "synced"
    return f"{head}: " + (", ".join(parts) if parts else "nothing changed") + f" ({s['seconds']}s)"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
