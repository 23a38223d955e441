"""``requests``: what each job costs in Notion requests, against the ideal of DESIGN §7.

Library API against the in-process emulator over real HTTP. The client is
unthrottled (``rate_limit=None``) and the emulator adds no latency, so the
counts are exact and the wall times show the local overhead; one extra
scenario runs a first track under the real budget (3 req/s, 150 ms per
round trip) to show how much of the allowed rate is used.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import (
    GET_BODY,
    GET_SCHEMA,
    QUERY,
    Section,
    advance_past_minute,
    breakdown,
    log,
    measured,
    page_files,
    pages_of,
    populate,
    ratio,
    seconds,
    set_estimate,
    start_clock,
)
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import SyncOptions, sync
from notion_mirror.sync.track import track
from notion_mirror.testing import running_emulator
from tests.helpers import NotionAPI

# Rows edited in the minute the first track reads (someone still editing).
LIVE_ROWS = 5


def run(quick: bool) -> Section:
    n = 200 if quick else 1000
    budget_n = 30 if quick else 100
    section = Section("requests", f"requests: request counts against the ideal (N = {n:,})")
    section.settings = [
        f"N = {n:,} rows (6 properties and a 5-line body each), rows edited one emulator "
        f"minute apart except the last {LIVE_ROWS}, which share the minute of the first track",
        "emulator in-process over HTTP on loopback, no rate limit, no added latency",
        "`NotionClient(rate_limit=None)`, library API (`track`, `sync`), 4 body-read workers",
        "emulator clock frozen; it moves only when the benchmark advances it",
    ]
    rows: list[list[Any]] = []

    def row(job: str, ideal_text: str, ideal: int, stats: dict[str, Any], took: float) -> None:
        actual = stats["requests_total"]
        rows.append([job, ideal_text, ideal, actual, ratio(actual, ideal), seconds(took),
                     breakdown(stats)])  # fmt: skip

    with running_emulator() as emu, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        api = NotionAPI(emu)
        client = NotionClient(token=emu.token, base_url=emu.base_url, rate_limit=None)
        root = Path(tmp) / "tasks"
        start_clock(emu)
        log(f"requests: creating {n} rows")
        db, _, _ = populate(api, emu, n, last_in_same_minute=LIVE_ROWS)

        def sync_once(**opts: Any) -> Any:
            return sync(mirror, client, SyncOptions(**opts))

        def settle() -> None:
            """Converge and move past the query's overlap window (watermark minute and the
            two before it), so the next job starts from rest and is counted alone."""
            advance_past_minute(emu, 3)
            for _ in range(3):
                _, stats, _ = measured(emu, sync_once)
                # Only schema and query pages: nothing left to re-read. (The query
                # may list more than one page: see the bulk-import row.)
                if set(stats["requests"]) <= {GET_SCHEMA, QUERY}:
                    return
            raise RuntimeError(f"no steady state: {stats}")

        log("requests: first track")
        (mirror, _, _), stats, took = measured(emu, lambda: track(client, db, root))
        ideal = pages_of(n) + n
        row("first track", f"ceil(N/100) + N = {pages_of(n)} + {n:,}", ideal, stats, took)

        log("requests: no-op syncs")
        _, stats, took = measured(emu, sync_once)
        row(f"no-op sync, same minute as the track ({LIVE_ROWS} rows edited in it)", "2", 2,
            stats, took)  # fmt: skip
        advance_past_minute(emu)
        _, stats, took = measured(emu, sync_once)
        row("no-op sync, first after that minute ended", "2", 2, stats, took)
        _, stats, took = measured(emu, sync_once)
        row("no-op sync, steady state", "2", 2, stats, took)

        for rnd, k in enumerate((10, 150)):
            log(f"requests: {k} remote changes")
            settle()
            page_ids = [b.page_id for b in _bases(mirror)][:k]
            for i, pid in enumerate(page_ids):
                api.update(pid, {"Estimate": {"number": 1000 * (rnd + 1) + i}})
            advance_past_minute(emu)
            _, stats, took = measured(emu, sync_once)
            ideal = 1 + pages_of(k) + k
            row(f"sync after k = {k} remote edits", f"2 + {pages_of(k) - 1} + k", ideal,
                stats, took)  # fmt: skip

        files = page_files(root)
        for rnd, k in enumerate((10, 150)):
            log(f"requests: push {k} property edits")
            settle()
            for i, path in enumerate(files[:k]):
                set_estimate(path, 1000 * (rnd + 3) + i)
            _, stats, took = measured(emu, sync_once)
            row(f"push k = {k} property edits", "2 + 2k", 2 + 2 * k, stats, took)
        advance_past_minute(emu)
        _, stats, took = measured(emu, sync_once)
        row("next sync after that push (minute ended)", "2 + k (proof read)", 2 + 150, stats,
            took)  # fmt: skip

        k = 10
        log(f"requests: push {k} body edits")
        settle()
        for i, path in enumerate(files[k : 2 * k]):
            with path.open("a", encoding="utf-8") as fh:
                fh.write(f"\nA local line {i}.\n")
        _, stats, took = measured(emu, sync_once)
        row(f"push k = {k} body edits", "2 + 3k", 2 + 3 * k, stats, took)

        c = 10
        log(f"requests: {c} creates")
        settle()
        for i in range(c):
            (root / f"New task {i}.md").write_text(
                f"---\nName: New task {i}\nEstimate: {i}\n---\nA new page, number {i}.\n",
                encoding="utf-8",
            )
        _, stats, took = measured(emu, sync_once)
        row(f"create c = {c} pages with a body", "2 + 2c", 2 + 2 * c, stats, took)
        settle()

        log(f"requests: bulk import of {n} rows in one minute")
        bulk_db, _, _ = populate(api, emu, n, name="Imported", minutes_apart=0)
        advance_past_minute(emu)
        bulk_root = Path(tmp) / "imported"
        bulk, _, _ = track(client, bulk_db, bulk_root)
        advance_past_minute(emu)
        sync(bulk, client, SyncOptions())
        _, stats, took = measured(emu, lambda: sync(bulk, client, SyncOptions()))
        row("no-op sync 1 minute after a burst of N edits (inside the 2-minute overlap)", "2",
            2, stats, took)  # fmt: skip
        advance_past_minute(emu, 2)
        sync(bulk, client, SyncOptions())
        _, stats, took = measured(emu, lambda: sync(bulk, client, SyncOptions()))
        row("no-op sync 3 minutes after that burst", "2", 2, stats, took)
        client.close()
        api.close()

    section.table(
        ["job", "ideal", "ideal requests", "actual", "actual / ideal", "wall", "requests sent"],
        rows,
    )
    section.blocks.append(_budget(budget_n))
    section.notes = [
        "`schema` = GET data source, `query` = POST query (one per 100 rows), `body` = GET "
        "page markdown, `page` = GET page (preflight), `patch` / `patch-body` = writes, "
        "`create` = POST page, `database` = GET database (resolving the URL `track` is given).",
        "k > 100 remote edits need one more query page, hence `2 + 1 + k` for k = 150.",
    ]
    return section


def _bases(mirror: Any) -> list[Any]:
    with mirror.open_store() as store:
        return sorted(store.pages(state="live"), key=lambda b: b.path or "")


def _budget(n: int) -> str:
    """First track under the real budget: default client limiter (3 req/s), 150 ms latency."""
    log(f"requests: first track of {n} rows at 3 req/s with 150 ms latency")
    with running_emulator(latency_ms=150) as emu, tempfile.TemporaryDirectory() as tmp:
        api = NotionAPI(emu)
        start_clock(emu)
        db, _, _ = populate(api, emu, n)
        advance_past_minute(emu)
        client = NotionClient(token=emu.token, base_url=emu.base_url)  # 3 req/s, burst 3
        _, stats, took = measured(emu, lambda: track(client, db, Path(tmp) / "t"))
        client.close()
        api.close()
    actual = stats["requests_total"]
    rate = actual / took
    ideal = pages_of(n) + n
    lines = [
        f"First track under the real budget (N = {n}, client limiter 3 req/s burst 3, "
        "emulator latency 150 ms per request, 4 body-read workers):",
        "",
        "| rows | ideal requests | actual | wall | achieved rate | share of 3 req/s |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {n} | {ideal} | {actual} | {seconds(took)} | {rate:.2f} req/s | {rate / 3:.0%} |",
    ]
    body_reads = stats["requests"].get(GET_BODY, 0)
    if body_reads != n:
        lines.append(f"\n(body reads: {body_reads}, expected {n})")
    return "\n".join(lines)
