"""``scan``: local work on a large mirror: capture scans, parse/validate, render.

A real mirror of N rows is tracked from the emulator (unthrottled), then the
local phases are timed in-process, with no network involved:

- the capture scan (``notion_mirror.sync.capture.scan``) with nothing
  changed: it must only stat (0 files hashed), compared in the same run with
  ``find <dir> -maxdepth 1 -newer <file>`` over the same folder;
- the same scan after touching 100 files (mtime moved, bytes the same) and
  after editing 100 files (bytes changed);
- ``read_local`` (parse + validate against the schema), files/s;
- ``render_page`` (state -> file bytes), files/s;
- and, because it is the same mirror, the wall time of a whole no-op ``sync``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Section,
    advance_past_minute,
    breakdown,
    log,
    measured,
    page_files,
    populate,
    seconds,
    set_estimate,
    start_clock,
)
from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.capture import scan
from notion_mirror.sync.engine import SyncOptions, sync
from notion_mirror.sync.local import read_local
from notion_mirror.sync.materialize import MTIME_TRUST_NS
from notion_mirror.sync.render import render_page
from notion_mirror.testing import running_emulator
from tests.helpers import NotionAPI

REPEAT = 5
RATE_ENV = "NOTION_MIRROR_RATE_LIMIT"
CHANGED = 100


def _median_time(fn: Any, repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cli_peak_rss(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run ``notion-mirror ARGS`` as a user would: (wall seconds, peak RSS in bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "notion_mirror", *args], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"notion-mirror {' '.join(args)} exited {proc.returncode}: {err!r}")
    return took, usage.ru_maxrss * 1024  # Linux reports KiB


def merge_bench(paragraphs: int) -> tuple[float, float, int]:
    """The product's body merge against the same merge on difflib's matcher, for a body
    of ``paragraphs`` paragraphs where each side edited a different random quarter."""
    import random

    from merge3 import Merge3

    from notion_mirror.codec.body import merge3

    base: list[str] = []
    for i in range(paragraphs):
        base += [f"Paragraph {i} of a long page, with a few words.", ""]
    rnd = random.Random(7)
    local, remote = list(base), list(base)
    for i in rnd.sample(range(0, len(base), 2), paragraphs // 4):
        local[i] += " Edited here."
    for i in rnd.sample(range(0, len(base), 2), paragraphs // 4):
        remote[i] += " Edited in Notion."
    texts = ["\n".join(x) for x in (base, local, remote)]
    merge_t, _ = _median_time(lambda: merge3(*texts), 3)
    lines = [[line + "\n" for line in x] for x in (base, local, remote)]
    difflib_t, _ = _median_time(lambda: list(Merge3(*lines).merge_lines()), 1)
    return merge_t, difflib_t, len(base)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def run(quick: bool) -> Section:
    n = 1000 if quick else 10_000
    section = Section("scan", f"scan: local work on a mirror of {n:,} files")
    section.settings = [
        f"a real mirror of {n:,} rows tracked from the emulator (6 properties and a 5-line "
        "body each, about 600 bytes per file)",
        f"times are the median of {REPEAT} runs, warm page cache, in-process",
        "scans use `record=False` (nothing journaled), so every run sees the same state",
    ]
    with running_emulator() as emu, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        api = NotionAPI(emu)
        client = NotionClient(token=emu.token, base_url=emu.base_url, rate_limit=None)
        start_clock(emu)
        log(f"scan: creating {n} rows")
        db, _, _ = populate(api, emu, n)
        advance_past_minute(emu)
        root = Path(tmp) / "tasks"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
        env.update(NOTION_API_BASE_URL=emu.base_url, NOTION_API_TOKEN=emu.token)
        env[RATE_ENV] = "100000"  # the limiter lifted: local work, not the budget
        log(f"scan: tracking {n} rows (`notion-mirror track` as a subprocess)")
        emu.emulator.reset_stats()
        track_took, track_rss = cli_peak_rss(["track", db, str(root)], env)
        track_stats = emu.emulator.stats()
        mirror = open_mirror(root)
        # Past the racy-mtime window, so an unchanged file's stat is trusted.
        time.sleep(MTIME_TRUST_NS / 1e9 + 0.5)
        advance_past_minute(emu)
        sync(mirror, client, SyncOptions())
        _, sync_stats, _ = measured(emu, lambda: sync(mirror, client, SyncOptions()))
        sync_took, _ = _median_time(lambda: sync(mirror, client, SyncOptions()))
        emu.emulator.reset_stats()
        cli_sync_took, sync_rss = cli_peak_rss(["sync", str(root)], env)
        cli_sync_stats = emu.emulator.stats()

        log("scan: capture scans")
        store = mirror.open_store()
        noop_t, noop = _median_time(lambda: scan(root, store, record=False))
        stamp = Path(tmp) / "stamp"
        stamp.touch()
        find = shutil.which("find") or "find"

        def run_find() -> int:
            out = subprocess.run(
                [find, str(root), "-maxdepth", "1", "-name", "*.md", "-newer", str(stamp)],
                check=True, capture_output=True,
            )  # fmt: skip
            return len(out.stdout.splitlines())

        find_t, _ = _median_time(run_find)
        python_stat_t, _ = _median_time(lambda: sum(1 for e in os.scandir(root) if e.stat()))

        files = page_files(root)
        step = max(1, len(files) // CHANGED)
        picked = files[::step][:CHANGED]
        for path in picked:
            os.utime(path)  # touch: new mtime, same bytes
        touch_t, touched = _median_time(lambda: scan(root, store, record=False))
        for i, path in enumerate(picked):
            set_estimate(path, 5000 + i)
        edit_t, edited = _median_time(lambda: scan(root, store, record=False))

        log("scan: parse/validate and render throughput")
        schema = store.get_schema() or {}
        bases = {b.path: b for b in store.pages(state="live")}
        store.close()
        blobs = [(p.name, p.read_bytes()) for p in files]

        def parse_all() -> int:
            return sum(
                bool(read_local(name, data, schema, bases.get(name)).errors) for name, data in blobs
            )

        parse_t, blocked = _median_time(parse_all, 3)
        ordered = [bases[name] for name, _ in blobs if name in bases]

        def render_all() -> int:
            return sum(len(render_page(schema, b)) for b in ordered)

        render_t, rendered_bytes = _median_time(render_all, 3)
        client.close()
        api.close()

    log("scan: three-way body merge")
    paragraphs = 2_000 if quick else 10_000
    merge_t, difflib_t, merge_lines = merge_bench(paragraphs)

    ideal_track = -(-n // 100) + n
    section.table(
        ["job", "files", "files hashed", "files journaled", "wall", "vs `find -newer`"],
        [
            ["no-op capture scan", noop.scanned, noop.hashed, len(noop.journaled),
             seconds(noop_t), f"{noop_t / find_t:.1f}x"],
            [f"scan after touching {CHANGED} files", touched.scanned, touched.hashed,
             len(touched.journaled), seconds(touch_t), f"{touch_t / find_t:.1f}x"],
            [f"scan after editing {CHANGED} files", edited.scanned, edited.hashed,
             len(edited.journaled), seconds(edit_t), f"{edit_t / find_t:.1f}x"],
            ["`find <dir> -maxdepth 1 -name '*.md' -newer <file>` (subprocess)", n, "-", "-",
             seconds(find_t), "1.0x"],
            ["`os.scandir` + `stat` in Python, nothing else", n, "-", "-",
             seconds(python_stat_t), f"{python_stat_t / find_t:.1f}x"],
        ],
    )  # fmt: skip
    section.table(
        ["job", "files", "wall", "throughput"],
        [
            ["`read_local` (parse + validate, unchanged files)", len(blobs), seconds(parse_t),
             f"{len(blobs) / parse_t:,.0f} files/s"],
            ["`render_page` (state -> bytes)", len(ordered), seconds(render_t),
             f"{len(ordered) / render_t:,.0f} files/s "
             f"({rendered_bytes / render_t / 1e6:.1f} MB/s)"],
        ],
    )  # fmt: skip
    section.table(
        ["job", "lines", "wall", "vs difflib's matcher"],
        [[f"`merge3` of a body both sides edited ({paragraphs // 4:,} paragraphs each)",
          f"{merge_lines:,}", seconds(merge_t), f"{merge_t / difflib_t:.3f}x"]],
    )  # fmt: skip
    section.table(
        ["same mirror, remote", "ideal requests", "actual", "wall", "peak RSS",
         "requests sent"],
        [
            [f"first track of {n:,} rows (`notion-mirror track`, limiter lifted)", ideal_track,
             track_stats["requests_total"], seconds(track_took), mib(track_rss),
             breakdown(track_stats)],
            [f"no-op `sync` of {n:,} files, library call (median of {REPEAT})", 2,
             sync_stats["requests_total"], seconds(sync_took), "-", breakdown(sync_stats)],
            [f"no-op `notion-mirror sync` of {n:,} files (whole process)", 2,
             cli_sync_stats["requests_total"], seconds(cli_sync_took), mib(sync_rss),
             breakdown(cli_sync_stats)],
        ],
    )  # fmt: skip
    section.notes.append(
        "peak RSS is the child process's `ru_maxrss` (`os.wait4`): the CLI alone, without "
        "the emulator, which runs in the benchmark's own process; the CLI's wall time "
        "includes starting Python and importing the package."
    )
    if blocked:
        section.notes.append(f"{blocked} file(s) were blocked by validation (expected 0).")
    return section
