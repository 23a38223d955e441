"""The live emulator: workspace + realism state, served by uvicorn on a loopback socket."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import secrets
import signal
import socket
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn

from notion_mirror.emulator import bodycheck
from notion_mirror.emulator.app import EmulatorApp, install_log_filter
from notion_mirror.emulator.clock import Clock
from notion_mirror.emulator.options import EmulatorOptions
from notion_mirror.emulator.realism import FaultInjector, FaultLog, RateLimiter
from notion_mirror.emulator.workspace import Workspace, load_state, new_state, write_atomic

SAVE_INTERVAL = 1.0
START_TIMEOUT = 10.0


class _QuickServer(uvicorn.Server):
    """uvicorn polls for shutdown every 100 ms and sleeps again while stopping; with
    hundreds of tests each starting an emulator, that adds up. Wake on demand instead."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 2)
        while self.server_state.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for task in list(self.server_state.tasks):
            task.cancel()
        for server in self.servers:
            await server.wait_closed()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Emulator:
    """One emulated Notion workspace. ``start()`` serves it; tests may also poke it directly."""

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.clock = Clock()
        self.data_path = Path(self.options.data) if self.options.data else None
        state = load_state(self.data_path) if self.data_path else None
        self.workspace = Workspace(
            state or new_state(self.clock.now()), self.clock, query_lag=self.options.query_lag
        )
        self.token = self.options.token or f"ntn_emu_{secrets.token_hex(20)}"
        self.faults = FaultInjector(self.options.faults, self.options.seed)
        self.limiter = RateLimiter(self.options.rate_limit)
        self.latency_ms = float(self.options.latency_ms or 0)
        # Notion's whole-payload limit; tests that seed what only Notion's UI can
        # make (a value larger than one write may send) lift it for a moment.
        self.payload_limit: int | None = bodycheck.MAX_PAYLOAD_BYTES
        self.fault_log = FaultLog()
        self.stopping = False
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._server: _QuickServer | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._save_lock = threading.Lock()
        self._last_save = 0.0
        self._save_pending = False
        self.base_url = ""
        if self.data_path and state is None:
            self.save()

    # -- identity ----------------------------------------------------------------

    @property
    def root_page_id(self) -> str:
        return self.workspace.root_page_id

    # -- stats -------------------------------------------------------------------

    def count(self, method: str, template: str) -> None:
        with self._stats_lock:
            self._stats[f"{method} {template}"] += 1

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            return {"requests_total": sum(self._stats.values()), "requests": dict(self._stats)}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()
        self.fault_log.reset()

    def fault_stats(self) -> dict[str, Any]:
        """Faulted answers and early requests (``GET /__emulator/fault-stats``)."""
        return self.fault_log.snapshot()

    # -- realism and clock ----------------------------------------------------------

    def set_faults(self, spec: str, seed: int | None = None) -> None:
        self.faults.configure(spec, seed)

    def set_rate_limit(self, rps: float | None) -> None:
        self.limiter.configure(rps)

    def set_latency(self, ms: float) -> None:
        self.latency_ms = float(ms)

    def set_payload_limit(self, limit: int | None) -> None:
        self.payload_limit = limit

    def set_query_lag(self, seconds: float) -> None:
        self.workspace.query_lag = float(seconds)

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def set_clock(self, when: datetime, *, freeze: bool = False) -> None:
        self.clock.set(when, freeze=freeze)

    # -- persistence ---------------------------------------------------------------

    def save(self) -> None:
        if self.data_path is None:
            return
        with self._save_lock:
            write_atomic(self.data_path, self.workspace.snapshot())
            self._last_save = time.monotonic()

    def schedule_save(self) -> None:
        """Persist after a write, at most about once a second (called on the server loop)."""
        if self.data_path is None or self._save_pending:
            return
        delay = self._last_save + SAVE_INTERVAL - time.monotonic()
        if delay <= 0:
            self.save()
            return
        self._save_pending = True
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self._deferred_save)

    def _deferred_save(self) -> None:
        self._save_pending = False
        if self.workspace.dirty:
            self.save()

    # -- serving -------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve in a background thread; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        host = self.options.host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets
        # whose proto says TCP, and without it every response waits ~40 ms for
        # the client's delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host.strip("[]"), self.options.port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
        self.base_url = f"http://{shown}:{port}"
        self.workspace.base_url = self.base_url
        install_log_filter()
        config = uvicorn.Config(
            EmulatorApp(self),
            lifespan="off",
            log_level="warning",
            access_log=False,
            date_header=False,  # app.py sends the emulator clock's date instead
            timeout_graceful_shutdown=2,
        )
        self._server = _QuickServer(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"notion-emulator:{port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.002)

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        finally:
            sock.close()

    def stop(self) -> None:
        self.stopping = True
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self.save()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(options: EmulatorOptions) -> int:
    """Run the emulator until SIGINT/SIGTERM; prints one JSON line first. Returns an exit code."""
    if not is_loopback(options.host) and not options.allow_remote:
        print(
            f"error: refusing to listen on non-loopback host {options.host!r}: the emulator "
            "has no real security. Pass --allow-remote to do it anyway.",
            file=sys.stderr,
        )
        return 2
    try:
        emulator = Emulator(options)
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"error: cannot start the emulator: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        line = {
            "base_url": emulator.base_url,
            "token": emulator.token,
            "root_page_id": emulator.root_page_id,
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
