"""status, diff, conflicts, resolve, trash and restore as a user runs them.

Real CLI subprocesses against the emulator; Notion is edited behind the
mirror's back with raw HTTP (``NotionAPI``), local files with ``sed -i`` and
plain writes, as a user would.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notion_mirror.testing import EmulatorHandle
from tests.e2e.test_cli_pull import base_env, run
from tests.helpers import NotionAPI, title

SCHEMA = {
    "Name": {"title": {}},
    "Status": {"select": {"options": [{"name": "Todo"}, {"name": "Doing"}, {"name": "Done"}]}},
    "Estimate": {"number": {"format": "number"}},
    "Done": {"checkbox": {}},
}


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """Requests that change something in Notion (anything but GET, queries excepted)."""
    return {
        key: n
        for key, n in stats["requests"].items()
        if not key.startswith("GET ") and "/query" not in key and not key.startswith("POST /__")
    }


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def env(emulator: EmulatorHandle) -> dict[str, str]:
    e = base_env()
    e["NOTION_API_BASE_URL"] = emulator.base_url
    e["NOTION_API_TOKEN"] = emulator.token
    e["NOTION_MIRROR_RATE_LIMIT"] = "50"  # the emulator has no limit to respect
    return e


class Mirror:
    """A tracked mirror of a three-page data source."""

    def __init__(self, root: Path, api: NotionAPI, env: dict[str, str]) -> None:
        self.root, self.api, self.env = root, api, env
        self.db, self.ds = api.create_data_source(SCHEMA)
        self.ids = {}
        for name, status in (("Alpha", "Todo"), ("Beta", "Doing"), ("Gamma", "Todo")):
            props = {**title(name), "Status": {"select": {"name": status}}}
            self.ids[name] = api.add_page(self.ds, props, f"About {name}.\n\nSecond line.")
        res = run(["track", self.db, str(root)], env)
        assert res.returncode == 0, res.stderr

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(list(args), self.env, cwd=self.root)

    def file(self, name: str) -> Path:
        return self.root / f"{name}.md"

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.file(name)
        text = path.read_text()
        assert old in text, text
        path.write_text(text.replace(old, new))

    def page(self, name: str) -> dict[str, Any]:
        return self.api.call("GET", f"/v1/pages/{self.ids[name]}")

    def markdown(self, name: str) -> str:
        return self.api.call("GET", f"/v1/pages/{self.ids[name]}/markdown")["markdown"]

    def status_of(self, name: str) -> str | None:
        sel = self.page(name)["properties"]["Status"]["select"]
        return sel["name"] if sel else None


@pytest.fixture
def m(tmp_path: Path, api: NotionAPI, env: dict[str, str]) -> Mirror:
    return Mirror(tmp_path / "tasks", api, env)


def _conflict(m: Mirror, name: str = "Alpha") -> None:
    """Status changed in Notion (Doing) and locally (Done): sync records a conflict."""
    m.api.update(m.ids[name], {"Status": {"select": {"name": "Doing"}}})
    m.edit(name, "Status: Todo", "Status: Done")
    res = m.cli("sync")
    assert res.returncode == 1, res.stderr
    assert "conflict" in res.stderr


# ------------------------------------------------------------------- trash / restore


def test_trash_then_restore_round_trip(m: Mirror) -> None:
    original = m.file("Alpha").read_bytes()
    res = m.cli("trash", "Alpha.md")
    assert res.returncode == 0, res.stderr
    assert not m.file("Alpha").exists()
    assert m.page("Alpha")["in_trash"] is True

    # Nothing brings it back by itself, and nothing else moves.
    res = m.cli("sync", "--full")
    assert res.returncode == 0, res.stderr
    assert not m.file("Alpha").exists()

    res = m.cli("restore", "Alpha.md")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "Alpha.md"
    assert m.page("Alpha")["in_trash"] is False
    assert m.file("Alpha").read_bytes() == original

    m.api.reset_stats()
    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    assert m.file("Alpha").read_bytes() == original


def test_restore_by_page_id_from_outside_the_mirror(m: Mirror, tmp_path: Path) -> None:
    original = m.file("Beta").read_bytes()
    assert m.cli("trash", "Beta.md").returncode == 0
    res = run(["restore", m.ids["Beta"], "--dir", str(m.root), "--json"], m.env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["path"] == "Beta.md" and out["restored_in_notion"] is True
    assert m.file("Beta").read_bytes() == original


def test_trash_refuses_a_locally_edited_file(m: Mirror) -> None:
    m.edit("Gamma", "Status: Todo", "Status: Done")
    before = m.file("Gamma").read_bytes()
    m.api.reset_stats()
    res = m.cli("trash", "Gamma.md")
    assert res.returncode == 1
    assert "local edits" in res.stderr and "Status" in res.stderr
    assert m.file("Gamma").read_bytes() == before
    assert writes(m.api.stats()) == {}
    assert m.page("Gamma")["in_trash"] is False

    res = m.cli("trash", "Gamma.md", "--force")
    assert res.returncode == 0, res.stderr
    assert not m.file("Gamma").exists()
    assert m.page("Gamma")["in_trash"] is True


def test_trash_of_a_file_not_in_notion_is_a_usage_error(m: Mirror) -> None:
    (m.root / "New.md").write_text("---\nName: New\n---\nHello\n")
    res = m.cli("trash", "New.md")
    assert res.returncode == 2
    assert "not in Notion yet" in res.stderr
    assert (m.root / "New.md").exists()


# ------------------------------------------------------------------------ status


def test_status_lists_exactly_the_edited_properties(m: Mirror) -> None:
    res = m.cli("status")
    assert res.returncode == 0, res.stderr
    assert "nothing to sync" in res.stdout

    subprocess.run(
        ["sed", "-i", "-e", "s/^Status: Todo/Status: Done/", "-e", "s/^Done: false/Done: true/",
         str(m.file("Alpha"))],
        check=True,
    )  # fmt: skip
    subprocess.run(["sed", "-i", "s/^Estimate: null/Estimate: 3/", str(m.file("Beta"))], check=True)
    (m.root / "New idea.md").write_text("---\nName: New idea\n---\nDraft.\n")
    res = m.cli("status", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    modified = {e["path"]: sorted(e["surfaces"]) for e in out["modified"]}
    assert modified == {"Alpha.md": ["Done", "Status"], "Beta.md": ["Estimate"]}
    assert out["new"] == [{"path": "New idea.md"}]
    assert out["conflicts"] == [] and out["blocked"] == [] and out["clean"] is False

    res = m.cli("status")
    assert res.returncode == 0
    assert "Alpha.md: Done, Status" in res.stdout or "Alpha.md: Status, Done" in res.stdout

    # A file that cannot be sent is blocked, with every line of the reason.
    m.edit("Gamma", "Estimate: null", "Estimate: three\nBogus: 1")
    res = m.cli("status")
    assert res.returncode == 1
    assert "blocked" in res.stdout
    assert "'Estimate'" in res.stdout and "'Bogus'" in res.stdout

    # Once synced (and the broken file fixed), status is clean again.
    m.edit("Gamma", "Estimate: three\nBogus: 1", "Estimate: null")
    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    res = m.cli("status", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["clean"] is True


# -------------------------------------------------------------------------- diff


def test_diff_shows_property_changes_and_a_body_diff(m: Mirror) -> None:
    m.edit("Alpha", "Status: Todo", "Status: Done")
    m.edit("Alpha", "About Alpha.", "About Alpha, revised.")
    res = m.cli("diff")
    assert res.returncode == 0, res.stderr
    assert "Status: Todo -> Done" in res.stdout
    assert "--- notion/Alpha.md" in res.stdout and "+++ local/Alpha.md" in res.stdout
    assert "-About Alpha.\n" in res.stdout and "+About Alpha, revised.\n" in res.stdout

    res = m.cli("diff", "Beta.md")
    assert res.returncode == 0
    assert res.stdout == ""

    res = m.cli("diff", "Alpha.md", "--json")
    out = json.loads(res.stdout)["files"]
    assert [f["path"] for f in out] == ["Alpha.md"]
    assert out[0]["properties"] == [
        {"name": "Status", "id": out[0]["properties"][0]["id"], "notion": "Todo", "local": "Done"}
    ]
    assert "+About Alpha, revised." in out[0]["body"]
    # diff is offline and read-only: sync still sends the same edit.
    assert m.cli("sync").returncode == 0
    assert m.status_of("Alpha") == "Done"


# -------------------------------------------------------------- conflicts / resolve


def test_property_conflict_keep_remote(m: Mirror) -> None:
    _conflict(m)
    res = m.cli("conflicts", "--json")
    assert res.returncode == 1
    found = json.loads(res.stdout)["conflicts"]
    assert [(c["path"], c["surface"], c["local"], c["notion"]) for c in found] == [
        ("Alpha.md", "Status", "Done", "Doing")
    ]
    res = m.cli("status")
    assert res.returncode == 1 and "Alpha.md: Status" in res.stdout

    res = m.cli("resolve", "Alpha.md", "--keep", "remote")
    assert res.returncode == 0, res.stderr
    assert "next sync sends nothing" in res.stdout
    text = m.file("Alpha").read_text()
    assert "Status: Doing" in text and "conflicts" not in text
    assert m.cli("conflicts").returncode == 0

    m.api.reset_stats()
    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert writes(m.api.stats()) == {}
    assert m.status_of("Alpha") == "Doing"
    assert "Status: Doing" in m.file("Alpha").read_text()


def test_property_conflict_keep_local(m: Mirror) -> None:
    _conflict(m)
    res = m.cli("resolve", "Alpha.md", "--keep", "local")
    assert res.returncode == 0, res.stderr
    assert "next sync sends: Status" in res.stdout
    text = m.file("Alpha").read_text()
    assert "Status: Done" in text and "conflicts" not in text

    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert m.status_of("Alpha") == "Done"
    assert "Status: Done" in m.file("Alpha").read_text()
    assert m.cli("status", "--json").returncode == 0


def test_body_conflict_resolved_by_hand(m: Mirror) -> None:
    m.api.replace_body(m.ids["Alpha"], "About Alpha, from Notion.\n\nSecond line.")
    m.edit("Alpha", "About Alpha.", "About Alpha, from here.")
    res = m.cli("sync")
    assert res.returncode == 1, res.stderr
    text = m.file("Alpha").read_text()
    assert "<<<<<<< local" in text and ">>>>>>> notion" in text

    res = m.cli("conflicts")
    assert res.returncode == 1 and "Alpha.md: body" in res.stdout

    before = m.file("Alpha").read_bytes()
    res = m.cli("resolve", "Alpha.md")
    assert res.returncode == 1
    assert "conflict markers" in res.stderr
    assert m.file("Alpha").read_bytes() == before

    body_start = text.index("<<<<<<< local")
    body_end = text.index(">>>>>>> notion") + len(">>>>>>> notion")
    merged = text[:body_start] + "About Alpha, from both." + text[body_end:]
    m.file("Alpha").write_text(merged)
    res = m.cli("resolve", "Alpha.md")
    assert res.returncode == 0, res.stderr
    assert "next sync sends: body" in res.stdout
    assert "conflicts" not in m.file("Alpha").read_text()

    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert "About Alpha, from both." in m.markdown("Alpha")
    assert "from Notion" not in m.markdown("Alpha")
    assert "<<<<<<<" not in m.file("Alpha").read_text()


def test_resolve_without_conflicts_says_so(m: Mirror) -> None:
    res = m.cli("resolve", "Beta.md")
    assert res.returncode == 0, res.stderr
    assert "no open conflicts" in res.stdout


# ------------------------------------------------------------------ lifecycle conflict


def _trashed_while_edited(m: Mirror) -> None:
    m.edit("Beta", "Status: Doing", "Status: Done")
    m.api.trash(m.ids["Beta"])
    res = m.cli("sync")
    assert res.returncode == 1, res.stderr
    assert m.file("Beta").exists()
    found = json.loads(m.cli("conflicts", "--json").stdout)["conflicts"]
    assert [(c["path"], c["surface"]) for c in found] == [("Beta.md", "lifecycle")]


def test_restore_a_page_trashed_in_notion_while_edited_here(m: Mirror) -> None:
    _trashed_while_edited(m)
    res = m.cli("restore", "Beta.md")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "Beta.md"
    assert m.page("Beta")["in_trash"] is False
    assert "Status: Done" in m.file("Beta").read_text()
    assert m.cli("conflicts").returncode == 0

    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert m.status_of("Beta") == "Done"


def test_resolve_keep_remote_of_a_trashed_page_removes_the_file(m: Mirror) -> None:
    _trashed_while_edited(m)
    res = m.cli("resolve", "Beta.md")
    assert res.returncode == 2 and "--keep" in res.stderr
    res = m.cli("resolve", "Beta.md", "--keep", "remote")
    assert res.returncode == 0, res.stderr
    assert not m.file("Beta").exists()
    assert m.page("Beta")["in_trash"] is True
    res = m.cli("sync", "--full")
    assert res.returncode == 0, res.stderr
    assert not m.file("Beta").exists()


def test_resolve_keep_local_of_a_trashed_page_restores_it(m: Mirror) -> None:
    _trashed_while_edited(m)
    res = m.cli("resolve", "Beta.md", "--keep", "local")
    assert res.returncode == 0, res.stderr
    assert "restored" in res.stdout and "next sync sends: Status" in res.stdout
    assert m.page("Beta")["in_trash"] is False
    assert "conflicts" not in m.file("Beta").read_text()
    res = m.cli("sync")
    assert res.returncode == 0, res.stderr
    assert m.status_of("Beta") == "Done"
