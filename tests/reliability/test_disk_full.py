"""Disk full while materialising: every file is old or new, never truncated; what
failed is not marked synced; the next run converges."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync import materialize
from notion_mirror.sync.engine import sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

ROWS = 6


def _fresh(client: NotionClient, db_id: str, root: Path) -> dict[str, bytes]:
    track(client, db_id, root)
    return {k: v for k, v in tree(root).items() if not k.startswith(".notion-mirror")}


def _files(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(root).items() if not k.startswith(".notion-mirror")}


def test_enospc_during_materialise_loses_nothing_and_converges(
    tmp_path: Path, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = NotionAPI(emulator)
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        db_id, ds_id = api.create_data_source({"Name": {"title": {}}, "Estimate": {"number": {}}})
        ids = [api.add_page(ds_id, title(f"Row {i}"), f"Body {i}.") for i in range(ROWS)]
        root = tmp_path / "m"
        track(client, db_id, root)
        api.advance_clock(120)
        assert sync(open_mirror(root), client).converged
        old = _files(root)
        with open_mirror(root).open_store() as store:
            watermark = store.get_meta("watermark")

        api.advance_clock(120)
        for i, pid in enumerate(ids):
            api.update(pid, {"Estimate": {"number": 100 + i}})
            api.replace_body(pid, f"Body {i}, edited in Notion, with a longer text.")
        api.advance_clock(120)

        real_fsync = materialize.os.fsync
        calls = {"n": 0}

        def fsync_until_full(fd: Any) -> None:
            calls["n"] += 1
            if calls["n"] > 4:  # a couple of files land, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(materialize.os, "fsync", fsync_until_full)
        with pytest.raises(OSError) as failed:
            sync(open_mirror(root), client)
        assert failed.value.errno == errno.ENOSPC
        monkeypatch.setattr(materialize.os, "fsync", real_fsync)

        new = _fresh(client, db_id, tmp_path / "fresh")
        now = _files(root)
        assert set(now) == set(old), "a file vanished or appeared"
        for name, data in now.items():
            assert data in (old[name], new[name]), f"{name} is neither old nor new"
        assert any(now[n] == new[n] != old[n] for n in now), "nothing landed before the fault"
        assert any(now[n] == old[n] != new[n] for n in now), "the fault did not bite"
        assert not list((root / ".notion-mirror" / "tmp").iterdir()), "temp files left behind"
        with open_mirror(root).open_store() as store:
            assert store.get_meta("watermark") == watermark, "state advanced past a failure"

        report = sync(open_mirror(root), client)
        assert report.converged
        assert _files(root) == new
        api.reset_stats()
        api.advance_clock(120)
        sync(open_mirror(root), client)
        api.reset_stats()
        sync(open_mirror(root), client)
        assert api.stats()["requests_total"] == 2
        assert _files(root) == new
    finally:
        client.close()
        api.close()
