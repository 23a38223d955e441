"""Fixtures shared by the engine tests: raw Notion access and an unthrottled client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notion_mirror.notion import NotionClient
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def client(emulator: EmulatorHandle) -> Iterator[NotionClient]:
    c = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    yield c
    c.close()
