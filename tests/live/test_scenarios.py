"""The scenarios that matter most, as a user runs them (CLI subprocesses), against
the emulator always and against real Notion when credentials are set
(see docs/testing.md, "Live lane"):

track, a property edit, a body edit, a create, trash then restore, and a
conflict resolved. Each test builds its own database, so the scenarios are
independent and safe to run against a shared workspace.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.test_cli_pull import run
from tests.live.conftest import Remote

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Status": {"select": {"options": [{"name": "Todo"}, {"name": "Doing"}, {"name": "Done"}]}},
    "Estimate": {"number": {"format": "number"}},
    "Done": {"checkbox": {}},
}
ROWS = (("Alpha", "Todo"), ("Beta", "Doing"))
BODY = "About {name}.\n\nSecond line."


def _title(text: str) -> dict[str, Any]:
    return {"title": [{"type": "text", "text": {"content": text}}]}


class Scenario:
    """A fresh database with two pages, tracked into ``root`` by the CLI."""

    def __init__(self, notion: Remote, root: Path) -> None:
        self.notion, self.root = notion, root
        self.env = notion.env()
        name = f"notion-mirror live {uuid.uuid4().hex[:8]}"
        self.db, self.ds = notion.create_database(name, SCHEMA)
        self.ids: dict[str, str] = {}
        for title, status in ROWS:
            props = {**_title(title), "Status": {"select": {"name": status}}}
            self.ids[title] = notion.add_page(self.ds, props, BODY.format(name=title))
        # Real Notion's query can lag behind a create: wait until both are listed.
        notion.wait_for(lambda: len(notion.query(self.ds)) == len(ROWS), "the pages to be listed")
        res = run(["track", self.db, str(root)], self.env, timeout=300)
        assert res.returncode == 0, res.stderr

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(list(args), self.env, cwd=self.root, timeout=300)

    def file(self, name: str) -> Path:
        return self.root / f"{name}.md"

    def frontmatter(self, name: str) -> dict[str, Any]:
        return yaml.safe_load(self.file(name).read_text(encoding="utf-8").split("---\n")[1])

    def edit(self, name: str, old: str, new: str) -> None:
        text = self.file(name).read_text(encoding="utf-8")
        assert old in text, text
        self.file(name).write_text(text.replace(old, new), encoding="utf-8")

    def status_in_notion(self, name: str) -> str | None:
        select = self.notion.page(self.ids[name])["properties"]["Status"]["select"]
        return select["name"] if select else None


def test_track_writes_one_file_per_page(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    assert sorted(p.name for p in s.root.glob("*.md")) == ["Alpha.md", "Beta.md"]
    front = s.frontmatter("Beta")
    assert front["Name"] == "Beta" and front["Status"] == "Doing"
    assert front["_notion"]["id"].replace("-", "") == s.ids["Beta"].replace("-", "")
    assert "About Beta." in s.file("Beta").read_text(encoding="utf-8")
    # Nothing changed anywhere: a sync is a no-op on disk.
    before = {p.name: p.read_bytes() for p in s.root.glob("*.md")}
    res = s.cli("sync")
    assert res.returncode == 0, res.stderr
    assert {p.name: p.read_bytes() for p in s.root.glob("*.md")} == before


def test_property_edit_reaches_notion_and_back(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    s.edit("Alpha", "Status: Todo", "Status: Done")
    res = s.cli("sync")
    assert res.returncode == 0, res.stderr
    assert s.status_in_notion("Alpha") == "Done"

    # And the other way: an edit in Notion lands in the file.
    notion.update(s.ids["Beta"], {"Estimate": {"number": 5}})

    def pulled() -> bool:
        res = s.cli("sync")
        assert res.returncode == 0, res.stderr
        return s.frontmatter("Beta")["Estimate"] == 5

    notion.wait_for(pulled, "Notion's edit to reach the file")


def test_body_edit_reaches_notion(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    path = s.file("Alpha")
    path.write_text(path.read_text(encoding="utf-8") + "\nA third line, added locally.\n")
    res = s.cli("sync")
    assert res.returncode == 0, res.stderr
    markdown = notion.markdown(s.ids["Alpha"])
    assert "A third line, added locally." in markdown
    assert "About Alpha." in markdown


def test_new_file_creates_a_page_once(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    res = s.cli("new", "Gamma", "--set", "Status=Todo")
    assert res.returncode == 0, res.stderr
    path = s.file("Gamma")
    path.write_text(path.read_text(encoding="utf-8") + "Created from a file.\n")
    res = s.cli("sync")
    try:
        assert res.returncode == 0, res.stderr
        page_id = s.frontmatter("Gamma")["_notion"]["id"]
    finally:
        # Whatever happened, anything the mirror created gets trashed at the end.
        for page in notion.query(s.ds):
            notion.adopt(page["id"])
    assert notion.page(page_id)["properties"]["Name"]["title"][0]["plain_text"] == "Gamma"
    assert "Created from a file." in notion.markdown(page_id)

    # A second sync does not create it again.
    res = s.cli("sync")
    assert res.returncode == 0, res.stderr

    def titles() -> list[str]:
        return sorted(p["properties"]["Name"]["title"][0]["plain_text"] for p in notion.query(s.ds))

    assert notion.wait_for(lambda: titles() == ["Alpha", "Beta", "Gamma"], "the new page listed")


def test_trash_then_restore(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    res = s.cli("trash", "Beta.md")
    assert res.returncode == 0, res.stderr
    assert not s.file("Beta").exists()
    assert notion.page(s.ids["Beta"])["in_trash"] is True

    res = s.cli("restore", "Beta.md")
    assert res.returncode == 0, res.stderr
    assert notion.page(s.ids["Beta"])["in_trash"] is False
    assert s.file("Beta").exists()
    assert s.frontmatter("Beta")["Status"] == "Doing"


def test_conflict_is_kept_then_resolved(notion: Remote, tmp_path: Path) -> None:
    s = Scenario(notion, tmp_path / "tasks")
    notion.update(s.ids["Alpha"], {"Status": {"select": {"name": "Doing"}}})
    s.edit("Alpha", "Status: Todo", "Status: Done")

    def conflicted() -> bool:
        res = s.cli("sync")
        assert res.returncode in (0, 1), res.stderr
        return res.returncode == 1 and "conflict" in res.stderr

    notion.wait_for(conflicted, "the conflict to be seen")
    # Neither side was overwritten.
    assert s.status_in_notion("Alpha") == "Doing"
    res = s.cli("conflicts")
    assert res.returncode == 1
    assert "Alpha.md" in res.stdout

    res = s.cli("resolve", "Alpha.md", "--keep", "local")
    assert res.returncode == 0, res.stderr
    res = s.cli("sync")
    assert res.returncode == 0, res.stderr
    assert s.status_in_notion("Alpha") == "Done"
    assert s.frontmatter("Alpha")["Status"] == "Done"
