"""A deleted state database: the folder is re-adopted conservatively.

With no record of what was last synced, nothing can tell a local edit from a
remote one: files equal to Notion settle, differences become conflicts with
both sides kept, nothing is sent, deleted or overwritten, and no file is
duplicated.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import sync
from notion_mirror.sync.resolve import resolve_file
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

WRITES = ("PATCH", "DELETE")


def _frontmatter(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def test_lost_state_database_is_readopted_without_guessing(
    tmp_path: Path, emulator: EmulatorHandle
) -> None:
    api = NotionAPI(emulator)
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        db_id, ds_id = api.create_data_source(
            {"Name": {"title": {}}, "Estimate": {"number": {}}, "Total": {"formula":
             {"expression": 'prop("Estimate") * 2'}}}
        )  # fmt: skip
        ids = {n: api.add_page(ds_id, title(n), f"About {n}.") for n in ("Ant", "Bee", "Cat")}
        root = tmp_path / "m"
        track(client, db_id, root)
        api.advance_clock(120)
        assert sync(open_mirror(root), client).converged

        # The state is lost; meanwhile Ant was edited locally, Bee in Notion,
        # Cat nowhere, and a file was renamed by hand.
        for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm"):
            (root / ".notion-mirror" / name).unlink(missing_ok=True)
        ant = root / "Ant.md"
        ant.write_text(ant.read_text().replace("Estimate: null", "Estimate: 3"))
        api.update(ids["Bee"], {"Estimate": {"number": 8}})
        (root / "Cat.md").rename(root / "Cat renamed.md")
        api.advance_clock(120)
        before = {k: v for k, v in tree(root).items() if not k.startswith(".notion-mirror")}

        api.reset_stats()
        report = sync(open_mirror(root), client)
        assert not [k for k in api.stats()["requests"] if k.startswith(WRITES)], "sent a guess"
        after = {k: v for k, v in tree(root).items() if not k.startswith(".notion-mirror")}
        # Nothing added or removed; the renamed file takes its title's name, bytes intact.
        assert after.pop("Cat.md") == before.pop("Cat renamed.md")
        assert set(after) == set(before), "a file was added or removed"
        assert (
            api.call("GET", f"/v1/pages/{ids['Ant']}")["properties"]["Estimate"]["number"] is None
        )
        # Differences are conflicts with both sides kept, in the file and the store.
        assert _frontmatter(ant)["Estimate"] == 3
        assert _frontmatter(ant)["_notion"]["conflicts"]["Estimate"] == {"notion": None}
        bee = _frontmatter(root / "Bee.md")
        assert bee["Estimate"] is None and bee["_notion"]["conflicts"]["Estimate"] == {"notion": 8}
        surfaces = {(c.path, c.surface.split(":")[0]) for c in report.open_conflicts}
        assert ("Ant.md", "prop") in surfaces and ("Bee.md", "prop") in surfaces
        # An unchanged (if renamed) file settles quietly.
        assert not [c for c in report.open_conflicts if c.path in ("Cat.md", "Cat renamed.md")]
        assert "conflicts" not in _frontmatter(root / "Cat.md")["_notion"]

        # The conflicts hold until the user decides; then everything converges.
        api.reset_stats()
        assert sync(open_mirror(root), client).open_conflicts
        assert not [k for k in api.stats()["requests"] if k.startswith(WRITES)]
        resolve_file(open_mirror(root), "Ant.md", "local")
        resolve_file(open_mirror(root), "Bee.md", "remote")
        assert sync(open_mirror(root), client).converged
        assert api.call("GET", f"/v1/pages/{ids['Ant']}")["properties"]["Estimate"]["number"] == 3
        assert _frontmatter(root / "Bee.md")["Estimate"] == 8
        api.advance_clock(120)
        sync(open_mirror(root), client)
        api.reset_stats()
        assert sync(open_mirror(root), client).converged
        assert api.stats()["requests_total"] == 2
    finally:
        client.close()
        api.close()
