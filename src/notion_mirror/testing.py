"""Public helpers for running the Notion emulator in-process (tests, demo, benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notion_mirror.emulator import Emulator

__all__ = ["EmulatorHandle", "running_emulator"]


@dataclass(frozen=True)
class EmulatorHandle:
    base_url: str
    token: str
    root_page_id: str
    emulator: Emulator


@contextmanager
def running_emulator(
    *,
    token: str | None = None,
    rate_limit: float | None = None,
    latency_ms: float = 0,
    faults: str = "",
    seed: int | None = 0,
    query_lag: float = 0.0,
    data: str | None = None,
) -> Iterator[EmulatorHandle]:
    """Serve a fresh (or ``data``-loaded) emulator on a free loopback port for the block."""
    from notion_mirror.emulator import Emulator, EmulatorOptions

    emulator = Emulator(
        EmulatorOptions(
            token=token,
            rate_limit=rate_limit,
            latency_ms=latency_ms,
            faults=faults,
            seed=seed,
            query_lag=query_lag,
            data=str(data) if data is not None else None,
        )
    )
    emulator.start()
    try:
        yield EmulatorHandle(emulator.base_url, emulator.token, emulator.root_page_id, emulator)
    finally:
        emulator.stop()
