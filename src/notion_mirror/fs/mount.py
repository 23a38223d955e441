"""``notion-mirror mount``: the mirror folder served through FUSE, synced by the watch loop.

The mount adds no sync logic of its own (DESIGN.md: watch and mount are
front-ends over the same cycle). It reuses :class:`notion_mirror.watch.Daemon`
whole: the daemon takes the writer lock (as ``mount``), handles signals,
backs off, and runs cycles; the mount replaces only the change intake. Where
``watch`` starts a watchdog observer, the mount starts the FUSE loop in a
thread, and the FUSE callbacks journal closed page files and wake the daemon
directly (no watcher lag, no missed events).

Threads: the main thread runs the daemon (Python signal handlers only run
there, so Ctrl-C and SIGTERM reach ``request_stop``); the FUSE thread runs
libfuse's multi-threaded loop. Either end stops both: the daemon stopping
unmounts (``fusermount3 -u``, lazily when busy), and an external unmount ends
the FUSE loop, which asks the daemon to stop. Both paths release the lock
through the daemon's own ``finally``.

After every cycle the page files whose inode, size or mtime changed are
invalidated in the kernel (``fuse_invalidate_path``), so a reader sees a
remote edit on its next ``stat`` or ``read`` instead of cached attributes.

On-demand bodies (a lazy mirror): the first ``open`` of a page file whose body
was never read reads it (:class:`BodyFetcher`, with its own client and state
connection, serialised with the cycles by ``mirror_lock``) before the file is
opened; ``readdir`` and ``getattr`` never fetch.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notion_mirror.errors import MirrorError, NotionError, UsageError
from notion_mirror.fs.kernel import (
    KernelCache,
    fuse_class,
    is_mounted,
    load_fuse,
    route_libfuse_log,
    unmount,
)
from notion_mirror.fs.ops import MirrorOps
from notion_mirror.mirror import STATE_NAME, Mirror
from notion_mirror.store import StateStore
from notion_mirror.sync.capture import capture_paths, is_page_file
from notion_mirror.sync.pull import fetch_body_now
from notion_mirror.watch.daemon import Daemon, WatchLog, WatchOptions

__all__ = [
    "BodyFetcher",
    "MountOptions",
    "changed_pages",
    "check_mountpoint",
    "mount",
    "page_stats",
]

READY_TIMEOUT = 30.0
# The kernel keeps attributes and names this long. File data never depends on it
# (every open compares the file with what the kernel cached, see fs/ops.py), and the
# invalidation after each cycle drops the page files anyone changed; it bounds only
# what ``stat`` shows of other files edited in the mirror folder directly while it
# is mounted. Longer means fewer round trips into Python for ``grep -r``/``git status``.
ATTR_TIMEOUT = 5.0


@dataclass(frozen=True)
class MountOptions:
    poll_interval: float = 30.0
    # The journal entry is written at close; the debounce only batches an editor's
    # several calls of one save into one cycle, so it can be shorter than watch's.
    debounce: float = 0.2
    full_every: float = 60.0  # minutes; 0 = never
    json_log: bool = False


def check_mountpoint(root: Path, mountpoint: Path) -> Path:
    """The resolved mountpoint, refused when it cannot work.

    The mount must not overlap the mirror folder: the FUSE callbacks and the
    sync engine read and write the mirror folder by path, and through an
    overlapping mount they would call into themselves.
    """
    mp = mountpoint.expanduser().resolve()
    root = root.resolve()
    if not mp.is_dir():
        raise UsageError(f"mountpoint {mountpoint} is not an existing directory")
    if mp == root or root in mp.parents or mp in root.parents:
        raise UsageError(
            f"mountpoint {mountpoint} overlaps the mirror folder {root}; "
            "mount it somewhere outside the mirror (e.g. an empty folder next to it)"
        )
    if is_mounted(str(mp)):
        raise UsageError(
            f"{mountpoint} is already a mountpoint; unmount it first (fusermount3 -u {mp})"
        )
    return mp


Stat = tuple[int, int, int]


def page_stats(root: Path) -> dict[str, Stat]:
    """(inode, size, mtime) of every top-level page file: stat only, no reads."""
    out: dict[str, Stat] = {}
    try:
        with os.scandir(root) as it:
            for entry in it:
                if not is_page_file(entry.name):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                out[entry.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        pass
    return out


def changed_pages(before: dict[str, Stat], after: dict[str, Stat]) -> set[str]:
    """Names whose file appeared, vanished or changed between two snapshots."""
    return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}


class BodyFetcher:
    """The mount's on-demand bodies: called by ``open`` in FUSE threads.

    The common case (a page whose body is there) costs one indexed query on a
    connection of its own. A page never read gets one markdown read, its base
    and file are completed (guarded: a file with local edits is served as is),
    then the loop is woken so the kernel's cached size is refreshed. Fetches
    hold the mirror's in-process lock, so they never interleave with a sync
    cycle or each other (a second ``open`` of the same page finds it done).
    A failed read fails the ``open`` with EIO: an empty body is never served
    as if it were the page's.
    """

    def __init__(
        self,
        mirror: Mirror,
        make_client: Callable[[], Any],
        log: WatchLog,
        wake: Callable[[str], None] | None = None,
    ) -> None:
        self.mirror = mirror
        self.make_client = make_client
        self.log = log
        self.wake = wake
        self._store = StateStore(mirror.state_dir / STATE_NAME, any_thread=True)
        self._db_lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._client: Any = None

    def _client_now(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self.make_client()
            return self._client

    def __call__(self, name: str) -> None:
        with self._db_lock:
            page_id = self._store.unfetched_page_at(name)
        if page_id is None:
            return
        try:
            with self.mirror.open_store() as store:
                outcome = fetch_body_now(self.mirror, self._client_now(), store, page_id)
        except NotionError as exc:
            self.log("fetch-error", f"{name}: could not fetch its body: {exc}", path=name)
            raise OSError(errno.EIO, os.strerror(errno.EIO)) from exc
        if outcome == "fetched":
            self.log("fetched", f"{name}: body fetched from Notion", path=name)
            if self.wake is not None:
                self.wake(name)
        elif outcome == "edited":
            self.log(
                "fetch-skipped",
                f"{name}: has local edits, so its body is not fetched yet; it is fetched "
                "on an open after they are synced",
                path=name,
            )

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        with self._db_lock:
            self._store.close()


def wants_fetcher(mirror: Mirror) -> bool:
    """Lazy mirrors, and any mirror that still has bodies to read."""
    if mirror.config.lazy:
        return True
    with mirror.open_store() as store:
        return store.count_unfetched() > 0


class _Session:
    """One mount: the FUSE thread, its readiness, and its end. It is the daemon's
    "observer" (``stop``/``join``), so the daemon's shutdown also unmounts."""

    def __init__(
        self,
        mirror: Mirror,
        mountpoint: Path,
        log: WatchLog,
        on_ready: Callable[[], None] | None,
        fetcher: BodyFetcher | None = None,
    ) -> None:
        self.mirror = mirror
        self.fetcher = fetcher
        self.mountpoint = mountpoint
        self.log = log
        self.on_ready = on_ready
        self.mfusepy = load_fuse()
        self.cache = KernelCache(self.mfusepy)
        self.daemon: Daemon | None = None
        self.thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self.stopping = False
        self._snapshot = page_stats(mirror.root)
        self._snap_lock = threading.Lock()

    # -------------------------------------------------- the daemon's observer hooks

    def start(self, root: Path, intake: Any, log: WatchLog) -> _Session:
        def capture(names: set[str]) -> None:
            with self.mirror.open_store() as store:
                capture_paths(self.mirror.root, store, names)

        def note(names: set[str], journaled: bool) -> None:
            intake.note(*(str(intake.root / n) for n in names), journaled=journaled)

        if self.fetcher is not None:
            # A fetched body is the tool's own write: the woken cycle sends nothing
            # and its cache refresh shows the file's new size.
            self.fetcher.wake = lambda name: note({name}, True)

        ops = MirrorOps(
            str(root),
            capture=capture,
            note=note,
            log=log,
            on_init=self._initialised,
            on_destroy=self.cache.detach,
            fetch=self.fetcher,
        )
        route_libfuse_log(self.mfusepy, log)
        self.thread = threading.Thread(
            target=self._serve, args=(ops,), name="notion-mirror-fuse", daemon=True
        )
        self.thread.start()
        if not self.ready.wait(READY_TIMEOUT):
            self.stop()
            raise MirrorError(f"mounting {self.mountpoint} did not finish in {READY_TIMEOUT:g}s")
        if self.ended.is_set():
            raise MirrorError(f"could not mount {self.mountpoint}: {self._describe_error()}")
        log(
            "mounted",
            f"mounted {root} at {self.mountpoint}; unmount with "
            f"`fusermount3 -u {self.mountpoint}` or Ctrl-C",
            mountpoint=str(self.mountpoint),
        )
        if self.on_ready is not None:
            self.on_ready()
        return self

    def stop(self) -> None:
        """Unmount (the FUSE loop then returns). A busy mount (a shell's cwd inside it)
        is detached lazily: stopping must not hang on a user's open terminal."""
        self.stopping = True
        if self.ended.is_set() or not is_mounted(str(self.mountpoint)):
            return
        ok, message = unmount(str(self.mountpoint))
        if not ok:
            ok, message = unmount(str(self.mountpoint), lazy=True)
        if not ok:
            self.log("unmount", f"could not unmount {self.mountpoint}: {message}")

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive():
                self.log("unmount", f"the FUSE loop of {self.mountpoint} did not end in time")

    # -------------------------------------------------- FUSE thread

    def _initialised(self) -> None:
        self.cache.attach()
        self.ready.set()

    def _serve(self, ops: MirrorOps) -> None:
        options: dict[str, Any] = {
            "foreground": True,
            "raw_fi": True,
            "fsname": "notion-mirror",
            "subtype": "notion-mirror",
            # The kernel checks mode bits as it would in the folder itself.
            "default_permissions": True,
            # Unlinking an open file must unlink it, not leave a .fuse_hidden file
            # in the mirror folder.
            "hard_remove": True,
            # Real inode numbers: git's index and editors compare them.
            "use_ino": True,
            "attr_timeout": ATTR_TIMEOUT,
            "entry_timeout": ATTR_TIMEOUT,
        }
        if _has_fusermount():
            # A killed mount process leaves no stale mount: fusermount's watchdog
            # unmounts when the FUSE connection closes.
            options["auto_unmount"] = True
        try:
            fuse_class(self.mfusepy)(ops, str(self.mountpoint), **options)
        except BaseException as exc:  # reported by start() or logged below
            self.error = exc
        finally:
            was_ready = self.ready.is_set()
            self.cache.detach()
            self.ended.set()
            self.ready.set()
            if was_ready and self.daemon is not None:
                if self.error is not None:
                    self.log("error", f"the FUSE loop ended: {self._describe_error()}")
                elif not self.stopping:
                    self.log("unmounted", f"{self.mountpoint} was unmounted; stopping")
                self.daemon.request_stop()

    def _describe_error(self) -> str:
        if self.error is None:
            return "the FUSE loop ended at once (is the mountpoint usable? see above)"
        return f"{type(self.error).__name__}: {self.error}"

    # -------------------------------------------------- after each cycle

    def refresh_kernel_cache(self) -> None:
        """Invalidate the page files the cycle (or anyone) changed since the last look."""
        try:
            after = page_stats(self.mirror.root)
            with self._snap_lock:
                changed = changed_pages(self._snapshot, after)
                self._snapshot = after
            for name in sorted(changed):
                self.cache.invalidate("/" + name)
        except Exception as exc:  # never let cache upkeep end a cycle
            self.log("cache", f"could not refresh the kernel cache: {exc!r}")


def _has_fusermount() -> bool:
    return bool(shutil.which("fusermount3") or shutil.which("fusermount"))


def mount(
    mirror: Mirror,
    mountpoint: Path,
    make_client: Callable[[], Any],
    options: MountOptions,
    log: WatchLog,
    *,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Mount ``mirror`` at ``mountpoint`` and sync until unmounted or signalled.

    ``on_ready`` runs once the mount is usable (the CLI's background mode uses it
    to let the parent process exit). Returns the exit status (0).
    """
    mp = check_mountpoint(mirror.root, mountpoint)
    # A client of its own for on-demand bodies (FUSE threads), made at the first fetch.
    fetcher = BodyFetcher(mirror, make_client, log) if wants_fetcher(mirror) else None
    session = _Session(mirror, mp, log, on_ready, fetcher)
    # The client is made before mounting so a missing token fails before anything
    # is mounted (the daemon would otherwise make it after starting its intake).
    client = make_client()
    handed: list[Any] = []

    def hand_over() -> Any:
        handed.append(client)
        return client

    daemon = Daemon(
        mirror,
        hand_over,
        WatchOptions(
            poll_interval=options.poll_interval,
            debounce=options.debounce,
            full_every=options.full_every,
            json_log=options.json_log,
        ),
        log,
        start_observer=session.start,
        command="mount",
        after_cycle=session.refresh_kernel_cache,
    )
    session.daemon = daemon
    # libfuse installs its own SIGHUP handler when none is set; route it to the daemon
    # so a closed terminal also unmounts cleanly.
    previous = signal.signal(signal.SIGHUP, daemon.request_stop)
    try:
        code = daemon.run()
    finally:
        signal.signal(signal.SIGHUP, previous)
        if not handed:
            client.close()
        session.stop()
        session.join(timeout=10)
        if fetcher is not None:
            fetcher.close()
    return code
