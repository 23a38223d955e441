"""Emulator settings, shared by the CLI and the in-process API."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    data: str | None = None
    rate_limit: float | None = None
    latency_ms: float = 0
    faults: str = ""
    seed: int | None = 0
    query_lag: float = 0.0
    allow_remote: bool = False
