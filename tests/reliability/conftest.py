"""The ``mirror`` fixture: a tracked folder over a fresh data source, with the env
that points the real CLI at the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_mirror.testing import EmulatorHandle
from tests.reliability import Mirror, make_mirror


@pytest.fixture
def mirror(tmp_path: Path, emulator: EmulatorHandle) -> Iterator[Mirror]:
    m = make_mirror(tmp_path, emulator)
    yield m
    m.api.close()
