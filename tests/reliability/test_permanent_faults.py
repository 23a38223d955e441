"""Permanent faults (token revoked, data source unshared): a clear non-zero exit,
nothing deleted or rewritten locally, state not advanced, and the first run after
the fix converges with every pending edit sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

CLI = [sys.executable, "-m", "notion_mirror"]


def _state(root: Path) -> tuple[object, ...]:
    with open_mirror(root).open_store() as store:
        return (
            store.get_meta("watermark"),
            store.get_meta("last_sync"),
            [(b.page_id, b.last_edited_time, b.file_hash) for b in store.pages()],
            len(store.journal()),
        )


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_revoked_token_and_unshared_data_source_change_nothing(
    tmp_path: Path, emulator: EmulatorHandle
) -> None:
    api = NotionAPI(emulator)
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        db_id, ds_id = api.create_data_source({"Name": {"title": {}}, "Estimate": {"number": {}}})
        ids = [api.add_page(ds_id, title(f"Row {i}"), f"Body {i}.") for i in range(3)]
        root = tmp_path / "m"
        track(client, db_id, root)
        api.advance_clock(120)
        assert sync(open_mirror(root), client).converged
        # Pending work on both sides: a local edit and a remote one.
        row0 = root / "Row 0.md"
        row0.write_text(row0.read_text().replace("Estimate: null", "Estimate: 7"))
        api.update(ids[1], {"Estimate": {"number": 5}})
        api.advance_clock(120)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
        env.update(NOTION_API_BASE_URL=emulator.base_url, NO_COLOR="1")
        env["NOTION_MIRROR_RATE_LIMIT"] = "50"

        files, state = tree(root), _state(root)
        api.reset_stats()
        revoked = _run(["sync", str(root)], dict(env, NOTION_API_TOKEN="ntn_revoked_0000000000"))
        assert revoked.returncode == 3, revoked.stderr
        assert "401" in revoked.stderr or "unauthorized" in revoked.stderr.lower()
        assert tree(root) == files
        after = _state(root)
        assert after[:3] == state[:3], "state advanced past a failure"
        assert after[3] >= 1, "the local edit was forgotten"
        assert not [k for k in api.stats()["requests"] if k.startswith(("PATCH", "DELETE"))]

        # The binding points at a data source the integration cannot see (unshared).
        config = root / ".notion-mirror" / "config.toml"
        good = config.read_text()
        config.write_text(good.replace(ds_id, "0" * 8 + ds_id[8:]))
        unshared = _run(["sync", str(root)], dict(env, NOTION_API_TOKEN=emulator.token))
        assert unshared.returncode == 3, unshared.stderr
        assert "404" in unshared.stderr or "not found" in unshared.stderr.lower()
        assert tree(root) == files
        assert _state(root)[:3] == state[:3]

        # Fixed: the next run converges and sends what was pending.
        config.write_text(good)
        fixed = _run(["sync", str(root)], dict(env, NOTION_API_TOKEN=emulator.token))
        assert fixed.returncode == 0, fixed.stderr
        page0 = api.call("GET", f"/v1/pages/{ids[0]}")["properties"]["Estimate"]["number"]
        assert page0 == 7
        assert "Estimate: 5" in (root / "Row 1.md").read_text()
    finally:
        client.close()
        api.close()
