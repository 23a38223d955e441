"""Shared pieces of the benchmarks: machine description, tables, setup, timing.

Benchmarks measure; they never assert. Every figure is a request count (from
the emulator's own counters, so the client cannot under-report itself), a
ratio against the ideal of DESIGN §7, or a wall time with its settings.
"""

from __future__ import annotations

import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title

# The emulator's route keys, as its stats report them.
GET_SCHEMA = "GET /v1/data_sources/{data_source_id}"
QUERY = "POST /v1/data_sources/{data_source_id}/query"
GET_PAGE = "GET /v1/pages/{page_id}"
GET_BODY = "GET /v1/pages/{page_id}/markdown"
PATCH_PAGE = "PATCH /v1/pages/{page_id}"
PATCH_BODY = "PATCH /v1/pages/{page_id}/markdown"
POST_PAGE = "POST /v1/pages"

SHORT = {
    GET_SCHEMA: "schema",
    QUERY: "query",
    GET_PAGE: "page",
    GET_BODY: "body",
    PATCH_PAGE: "patch",
    PATCH_BODY: "patch-body",
    POST_PAGE: "create",
    "GET /v1/databases/{database_id}": "database",
}

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Status": {
        "status": {
            "options": [
                {"name": "Todo", "group": "To-do"},
                {"name": "In progress", "group": "In progress"},
                {"name": "Done", "group": "Complete"},
            ]
        }
    },
    "Estimate": {"number": {"format": "number"}},
    "Tags": {"multi_select": {"options": [{"name": "backend"}, {"name": "urgent"}]}},
    "Due": {"date": {}},
    "Done": {"checkbox": {}},
}

STATUSES = ("Todo", "In progress", "Done")


def log(message: str) -> None:
    """Progress goes to stderr; the report goes to stdout."""
    sys.stderr.write(f"  [{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line saying where and when the figures were taken."""
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    try:
        load = f"; load average {os.getloadavg()[0]:.2f} at the end"
    except OSError:
        load = ""
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.system()} {platform.release()}, "
        f"nproc {os.cpu_count()} ({cpu_model()}){mem}; "
        f"Python {platform.python_version()}{load}"
    )


# ----------------------------------------------------------------------- output


@dataclass
class Section:
    """One benchmark's report: a heading, settings, tables, notes."""

    name: str
    title: str
    settings: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        for row in rows:
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        self.blocks.append("\n".join(lines))

    def markdown(self) -> str:
        out = [f"### {self.title}", ""]
        out.append(f"Measured {machine()}.")
        if self.settings:
            out.append("Settings: " + "; ".join(self.settings) + ".")
        out.append("")
        for block in self.blocks:
            out += [block, ""]
        out += [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(actual: float, ideal: float) -> str:
    return f"{actual / ideal:.2f}" if ideal else "n/a"


def seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def breakdown(stats: dict[str, Any]) -> str:
    """``query 10, body 1000`` from an emulator stats answer."""
    parts = []
    for route, n in sorted(stats["requests"].items(), key=lambda kv: -kv[1]):
        parts.append(f"{SHORT.get(route, route)} {n}")
    return ", ".join(parts) or "none"


def pages_of(n: int) -> int:
    """Query pages needed to list ``n`` rows (at least one request)."""
    return max(1, math.ceil(n / 100))


# ------------------------------------------------------------------------ setup


def start_clock(emu: EmulatorHandle, *, days_ago: float = 30) -> datetime:
    """Freeze the emulator clock at a whole minute in the past, plus 5 s.

    A frozen clock makes minute boundaries deterministic: a minute ends only
    when the benchmark advances the clock past it.
    """
    start = datetime.now(UTC).replace(second=5, microsecond=0) - timedelta(days=days_ago)
    emu.emulator.set_clock(start, freeze=True)
    return start


def populate(
    api: NotionAPI,
    emu: EmulatorHandle,
    n: int,
    *,
    name: str = "Tasks",
    minutes_apart: float = 1.0,
    last_in_same_minute: int = 0,
) -> tuple[str, str, list[str]]:
    """A data source of ``n`` rows with short bodies: (database id, data source id, page ids).

    Rows are edited ``minutes_apart`` apart on the emulator clock, like a
    data source that grew over time, except the last ``last_in_same_minute``
    rows, which share the final (still open) minute: someone is still editing
    while the mirror reads. ``minutes_apart=0`` puts every row in one minute
    (a bulk import).
    """
    db, ds = api.create_data_source(SCHEMA, name=name)
    ids = []
    spread = n - last_in_same_minute
    for i in range(n):
        props = {
            "Name": title(f"Task {i:05d}"),
            "Status": {"status": {"name": STATUSES[i % 3]}},
            "Estimate": {"number": i % 13},
            "Tags": {"multi_select": [{"name": "backend"}] if i % 2 else []},
            "Done": {"checkbox": i % 5 == 0},
        }
        body = f"Notes for task {i}.\n\n- first point\n- second point\n\nSee also task {i + 1}.\n"
        ids.append(api.add_page(ds, props, markdown=body))
        if minutes_apart and i < min(spread, n - 1):
            emu.emulator.advance_clock(60 * minutes_apart)
    return db, ds, ids


def advance_past_minute(emu: EmulatorHandle, minutes: int = 1) -> None:
    """Move the (frozen) emulator clock ``minutes`` minutes on."""
    emu.emulator.advance_clock(60 * minutes)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def measured(emu: EmulatorHandle, fn: Callable[[], Any]) -> tuple[Any, dict[str, Any], float]:
    """Run ``fn`` between a stats reset and a stats read: (result, stats, seconds)."""
    emu.emulator.reset_stats()
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    return result, emu.emulator.stats(), took


_ESTIMATE = re.compile(r"^Estimate: .*$", re.MULTILINE)


def set_estimate(path: Path, value: float) -> None:
    """Edit one property line in place, as ``sed -i`` would."""
    text = path.read_text(encoding="utf-8")
    new, n = _ESTIMATE.subn(f"Estimate: {value:g}", text, count=1)
    if n != 1:
        raise RuntimeError(f"{path}: no Estimate line to edit")
    path.write_text(new, encoding="utf-8")


def page_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*.md") if not p.name.startswith("."))
