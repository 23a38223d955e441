from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from notion_mirror.errors import UsageError
from notion_mirror.store import SCHEMA_VERSION, PageBase, StateStore


def test_state_is_private_migrated_and_in_wal(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_ok()
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    mode = stat.S_IMODE(os.stat(tmp_path / "state.sqlite").st_mode)
    assert mode == 0o600


def test_page_base_round_trip(tmp_path: Path) -> None:
    base = PageBase(
        page_id="p1",
        path="A.md",
        title="A",
        url="https://app.notion.com/p/x",
        last_edited_time="2026-01-01T00:00:00.000Z",
        observed_minute="2026-01-01T00:01:00.000Z",
        properties={"title": {"id": "title", "type": "title", "title": []}, "a%3B": {"x": "ü"}},
        body="# H",
        body_writable=False,
        body_reason="truncated",
        remote_dirty=True,
    )
    with StateStore(tmp_path / "s.sqlite") as store:
        store.put_page(base)
        assert store.get_page("p1") == base
        assert store.page_by_path("A.md") == base
        assert store.count_pages() == 1
    with StateStore(tmp_path / "s.sqlite") as store:
        assert store.get_page("p1") == base


def test_newer_state_is_refused(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(UsageError, match="newer notion-mirror"):
        StateStore(tmp_path / "s.sqlite")


def test_meta_and_schema(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        assert store.get_meta("watermark") is None
        store.set_meta("watermark", "w")
        store.set_schema({"Name": {"id": "title"}}, "h")
        assert store.get_meta("watermark") == "w"
        assert store.get_schema() == {"Name": {"id": "title"}}
        assert store.get_meta("schema_hash") == "h"
        store.set_meta("watermark", None)
        assert store.get_meta("watermark") is None
