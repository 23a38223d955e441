"""Shared fixtures: a fresh emulator per test, and guards against leaked threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_mirror.testing import EmulatorHandle, running_emulator

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    """A fresh in-process emulator on a free loopback port, torn down after the test."""
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator_factory() -> Iterator:
    """Start emulators with options (rate limit, faults, latency...); all stopped at the end."""
    stack: list = []

    def start(**options):
        cm = running_emulator(**options)
        handle = cm.__enter__()
        stack.append(cm)
        return handle

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon and t is not threading.main_thread()
    ]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test leaked threads: {still}"
