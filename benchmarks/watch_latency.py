"""``watch-latency``: from a file save to the Notion write arriving at the emulator.

A real ``notion-mirror watch`` daemon runs as a subprocess (the CLI, as a
user starts it) against the in-process emulator. For each save the benchmark
rewrites one property line of a page file in place, notes the time right
after the file is closed, then polls the emulator's request counter for
``PATCH /v1/pages/{page_id}`` every 10 ms (in-process, no HTTP) until it
moves; the difference is the latency. Arrival is counted when the request
reaches the emulator's routing, before it is processed.

The CLI's client is rate limited to 3 requests/s (burst 3) and every save
costs a few requests (schema, query, preflight, write, and the proof read of
the page pushed just before), so saves are spaced far enough apart that the
limiter has refilled: the figure is the pipeline's latency, not the budget's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._common import (
    PATCH_PAGE,
    Section,
    advance_past_minute,
    breakdown,
    log,
    page_files,
    populate,
    set_estimate,
    start_clock,
)
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import running_emulator
from tests.helpers import NotionAPI

DEBOUNCE = 0.2
POLL_INTERVAL = 30
SPACING = 1.5  # seconds between saves
POLL_EVERY = 0.01
TIMEOUT = 15.0
PAGES = 5
# The documented environment override of the CLI client's rate (requests/s).
RATE_ENV = "NOTION_MIRROR_RATE_LIMIT"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]  # nearest-rank


def _writes(emu: Any) -> int:
    return emu.emulator.stats()["requests"].get(PATCH_PAGE, 0)


def _wait_for(pred: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL_EVERY)


@dataclass
class Trial:
    label: str
    rate_env: str | None  # NOTION_MIRROR_RATE_LIMIT for the daemon, None = default 3 req/s
    spacing: float
    rotate: int  # saves go round-robin over this many pages
    latencies: list[float] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None


def _trial(t: Trial, saves: int) -> Trial:
    with running_emulator() as emu, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        api = NotionAPI(emu)
        start_clock(emu, days_ago=1)
        db, _, _ = populate(api, emu, PAGES)
        # The daemon must see minutes end: let the emulator clock tick from here.
        emu.emulator.set_clock(emu.emulator.clock.now(), freeze=False)
        advance_past_minute(emu)
        root = Path(tmp) / "tasks"
        client = NotionClient(token=emu.token, base_url=emu.base_url, rate_limit=None)
        track(client, db, root)
        client.close()
        files = page_files(root)[: t.rotate]
        env = dict(os.environ, NOTION_API_BASE_URL=emu.base_url, NOTION_API_TOKEN=emu.token)
        env.pop(RATE_ENV, None)
        if t.rate_env is not None:
            env[RATE_ENV] = t.rate_env
        err_path = Path(tmp) / "watch.log"
        cmd = [sys.executable, "-m", "notion_mirror", "watch", str(root),
               "--debounce", str(DEBOUNCE), "--poll-interval", str(POLL_INTERVAL),
               "--json-log"]  # fmt: skip
        log(f"watch-latency: {t.label}: {saves} saves {t.spacing} s apart")
        with err_path.open("w") as err:
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        try:
            state = root / ".notion-mirror" / "daemon.json"

            def started() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"watch exited {proc.returncode}: {err_path.read_text()}")
                try:
                    return bool(json.loads(state.read_text()).get("last_cycle"))
                except (OSError, ValueError):
                    return False

            _wait_for(started, 30, "the daemon's first cycle")
            time.sleep(2.0)  # let the limiter's bucket refill after the first cycle
            emu.emulator.reset_stats()
            for i in range(saves):
                before = _writes(emu)
                path = files[i % len(files)]
                set_estimate(path, 100 + i)
                saved = time.perf_counter()
                _wait_for(lambda b=before: _writes(emu) > b, TIMEOUT, f"the write of save {i}")
                t.latencies.append(time.perf_counter() - saved)
                time.sleep(max(0.0, saved + t.spacing - time.perf_counter()))
            t.stats = emu.emulator.stats()
        finally:
            proc.terminate()
            try:
                t.exit_code = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                t.exit_code = proc.wait()
        for line in err_path.read_text().splitlines():
            if line.startswith("{"):
                kind = json.loads(line).get("event", "?")
                t.events[kind] = t.events.get(kind, 0) + 1
        api.close()
    return t


def run(quick: bool) -> Section:
    saves = 20 if quick else 100
    section = Section("watch-latency", "watch-latency: from a file save to the Notion write")
    section.settings = [
        f"`notion-mirror watch --debounce {DEBOUNCE} --poll-interval {POLL_INTERVAL}` as a "
        "subprocess, started as a user would (`python -m notion_mirror`)",
        f"emulator in-process, no added latency; a mirror of {PAGES} pages; each save is an "
        "in-place rewrite of one property line",
        f"arrival detected by polling the emulator's counter for `{PATCH_PAGE}` every "
        f"{POLL_EVERY * 1000:.0f} ms (resolution ~{POLL_EVERY * 1000:.0f} ms)",
    ]
    # (trial, saves): the briefed run (saves 1.5 s apart, default client) and the
    # pipeline with the limiter lifted get the full count; the two explanatory
    # runs get a fifth of it (and are skipped by --quick).
    trials = [
        (Trial("one page, client at 3 req/s (default)", None, SPACING, 1), saves),
        (Trial("one page, limiter lifted (`NOTION_MIRROR_RATE_LIMIT=1000`)", "1000", 0.6, 1),
         saves),
    ]  # fmt: skip
    if not quick:
        trials += [
            (Trial("one page, client at 3 req/s, bucket refilled between saves", None, 2.5, 1),
             saves // 5),
            (Trial(f"{PAGES} pages in turn, client at 3 req/s (default)", None, SPACING, PAGES),
             saves // 5),
        ]  # fmt: skip
    rows = []
    for t, count in trials:
        _trial(t, count)
        ms = [x * 1000 for x in t.latencies]
        per_save = t.stats["requests_total"] / len(ms)
        rows.append([
            t.label, f"{t.spacing:g} s", len(ms), f"{statistics.median(ms):.0f} ms",
            f"{_percentile(ms, 95):.0f} ms", f"{min(ms):.0f} ms", f"{max(ms):.0f} ms",
            f"{statistics.median(ms) - DEBOUNCE * 1000:.0f} ms",
            f"{per_save:.1f} ({per_save / t.spacing:.1f} req/s)", breakdown(t.stats),
        ])  # fmt: skip
        section.notes.append(
            f"{t.label}: daemon log events "
            f"{', '.join(f'{k} {v}' for k, v in sorted(t.events.items()))}; "
            f"exit code after SIGTERM {t.exit_code}."
        )
    section.table(
        ["daemon", "save every", "saves", "p50", "p95", "min", "max", "p50 - debounce",
         "requests per save", "requests sent"],
        rows,
    )  # fmt: skip
    return section
