"""``notion-mirror sync`` pushing local edits, as a user runs it: real CLI subprocesses
against the emulator over HTTP.

What is proven here needs the process boundary: exit codes, what the command
prints, shell tools (``sed -i``) editing the folder, and state that must
survive between separate runs. Finer engine behaviour is proven at library
level in ``tests/integration/sync/test_push_engine.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import inspect
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, snapshot, title, tree

CLI = [sys.executable, "-m", "notion_mirror"]

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Status": {
        "status": {
            "options": [
                {"name": "Todo", "group": "To-do"},
                {"name": "In progress", "group": "In progress"},
                {"name": "Done", "group": "Complete"},
            ]
        }
    },
    "Estimate": {"number": {"format": "number"}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Due": {"date": {}},
}

PATCH_PAGE = "PATCH /v1/pages/{page_id}"
GET_PAGE = "GET /v1/pages/{page_id}"
GET_BODY = "GET /v1/pages/{page_id}/markdown"
GET_SCHEMA = "GET /v1/data_sources/{data_source_id}"
QUERY = "POST /v1/data_sources/{data_source_id}/query"


def run(
    args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """The write requests among the emulator's counters (every PATCH/DELETE, and every
    POST except query and search)."""
    out = {}
    for route, n in stats["requests"].items():
        method, _, path = route.partition(" ")
        if method in ("PATCH", "DELETE") or (
            method == "POST" and not path.endswith(("/query", "/v1/search"))
        ):
            out[route] = n
    return out


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def md_files(root: Path) -> list[str]:
    return sorted(n for n in tree(root) if n.endswith(".md"))


def remote(api: NotionAPI, page_id: str) -> dict[str, Any]:
    """Notion's values of the test schema (plain Python) plus page metadata."""
    page = api.call("GET", f"/v1/pages/{page_id}")
    p = page["properties"]
    return {
        "Name": "".join(t["plain_text"] for t in p["Name"]["title"]),
        "Status": (p["Status"]["status"] or {}).get("name"),
        "Estimate": p["Estimate"]["number"],
        "Priority": (p["Priority"]["select"] or {}).get("name"),
        "Due": (p["Due"]["date"] or {}).get("start"),
        "last_edited_time": page["last_edited_time"],
        "in_trash": page["in_trash"],
    }


def query_ids(api: NotionAPI, ds_id: str) -> list[str]:
    res = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})
    return sorted(r["id"] for r in res["results"])


def store_state(root: Path) -> tuple[Any, ...]:
    """The state DB's pages, journal, open commands, conflicts and last sync time."""
    with open_mirror(root).open_store() as store:
        return (
            store.pages(),
            store.journal(),
            store.open_commands(),
            store.conflicts(),
            store.get_meta("last_sync"),
        )


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def env(emulator: EmulatorHandle) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    e["NO_COLOR"] = "1"
    e["COLUMNS"] = "200"  # keep rich from wrapping the lines the tests read
    e["NOTION_API_BASE_URL"] = emulator.base_url
    e["NOTION_API_TOKEN"] = emulator.token
    e["NOTION_MIRROR_RATE_LIMIT"] = "50"  # the emulator has no limit to respect
    return e


def setup_mirror(
    api: NotionAPI,
    env: dict[str, str],
    root: Path,
    pages: list[dict[str, Any]],
    *,
    mode: str | None = None,
) -> tuple[str, str, dict[str, str]]:
    """Create a data source with ``pages`` and track it into ``root``.

    The CLI client keeps Notion's 3 requests/second, so the bulk setup runs
    in-process (no rate limit) unless ``mode`` asks for ``track --mode`` on the
    command line. The clock moves on between the edits and the read and after
    it, so no later sync owes a same-minute re-read and the counts below are
    the push alone. Returns (database id, data source id, file name -> page id).
    """
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {}
    for props in pages:
        name = props["title"][0]["text"]["content"]
        ids[f"{name}.md"] = api.add_page(ds_id, props, f"About {name}.")
    api.advance_clock(120)
    if mode is None:
        with NotionClient(
            token=env["NOTION_API_TOKEN"], base_url=env["NOTION_API_BASE_URL"], rate_limit=None
        ) as client:
            track(client, db_id, root)
    else:
        res = run(["track", db_id, str(root), "--mode", mode], env)
        assert res.returncode == 0, res.stderr
    api.advance_clock(120)
    return db_id, ds_id, ids


def task(name: str, status: str = "Todo", **extra: Any) -> dict[str, Any]:
    return {**title(name), "Status": {"status": {"name": status}}, **extra}


# ================================================================== 1. sed over many files


def test_sed_over_many_files_pushes_exactly_those_edits(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """``sed -i 's/^Status: Todo/Status: Done/' *.md`` over 30 files (10 of them Todo):
    one sync pushes exactly those 10 pages, one PATCH each carrying only Status
    (every other value and every other page is untouched in Notion), the folder
    then equals a fresh track of Notion byte for byte, and further syncs write
    nothing and touch no file.

    Measured request counts (emulator stats), 10 edited pages of 30:
    push sync = 2 (schema + query) + 10 x GET page (preflight) + 10 x PATCH = 22;
    the next sync (a later minute) re-reads the 10 bodies edited in the minute of
    its last read: 2 + 10 x GET markdown = 12, no write; the third sync sends 2
    requests (schema + query) and nothing else.
    """
    root = tmp_path / "tasks"
    pages = [
        task(
            f"Task {i:02d}",
            "Todo" if i % 3 == 0 else "In progress",
            Estimate={"number": i},
            Priority={"select": {"name": "High" if i % 2 else "Low"}},
        )
        for i in range(30)
    ]
    db_id, _, ids = setup_mirror(api, env, root, pages)
    todo = sorted(f"Task {i:02d}.md" for i in range(0, 30, 3))
    assert len(todo) == 10
    before = {n: remote(api, pid) for n, pid in ids.items()}
    api.reset_stats()

    subprocess.run("sed -i 's/^Status: Todo/Status: Done/' *.md", shell=True, cwd=root, check=True)
    res = run(["sync", "--json"], env, cwd=root)
    stats = api.stats()

    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["converged"] is True
    assert sorted(p["path"] for p in out["pages"] if p["pushed"]) == todo
    assert all(p["pushed"] == ["Status"] for p in out["pages"] if p["pushed"])
    req = stats["requests"]
    assert writes(stats) == {PATCH_PAGE: 10}, stats
    assert req[GET_SCHEMA] == 1 and req[QUERY] == 1, stats
    assert req.get(GET_PAGE, 0) <= 10, stats  # one preflight read per edited page
    # At most preflight (page, and the body only when unsure) + write per page.
    assert stats["requests_total"] <= 2 + 10 * 3, stats
    assert stats["requests_total"] == 22, stats  # measured: 2 + 10 GET page + 10 PATCH

    # Only Status changed in Notion, and only on the edited pages.
    for name, pid in ids.items():
        now = remote(api, pid)
        if name in todo:
            assert now["Status"] == "Done", name
            for key in ("Name", "Estimate", "Priority", "Due", "in_trash"):
                assert now[key] == before[name][key], (name, key)
        else:
            assert now == before[name], name

    # The folder is exactly what a fresh track of Notion writes.
    fresh = tmp_path / "fresh"
    with NotionClient(
        token=env["NOTION_API_TOKEN"], base_url=env["NOTION_API_BASE_URL"], rate_limit=None
    ) as client:
        track(client, db_id, fresh)
    assert tree(root) == tree(fresh)

    # Steady state: no writes, no file byte (nor mtime) changed.
    settled = snapshot(root)
    api.advance_clock(120)
    api.reset_stats()
    res = run(["sync"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    second = api.stats()
    assert writes(second) == {}, second
    assert second["requests_total"] == 2 + 10, second  # measured: 2 + 10 GET markdown
    assert snapshot(root) == settled
    api.reset_stats()
    res = run(["sync"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    third = api.stats()
    assert snapshot(root) == settled
    assert third["requests_total"] == 2, third  # schema + query, nothing else
    assert set(third["requests"]) == {GET_SCHEMA, QUERY}


# ================================================================== 4. deletion


def test_deleted_file_is_reported_never_trashed_and_restored_next_time(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """Absence is not deletion: the first sync reports the missing file and trashes
    nothing; the second restores it byte-identical."""
    root = tmp_path / "tasks"
    _, _, ids = setup_mirror(api, env, root, [task("Alpha"), task("Beta"), task("Gamma")])
    victim = root / "Beta.md"
    original = victim.read_bytes()
    victim.unlink()
    api.reset_stats()

    res = run(["sync"], env, cwd=root)

    # The deletion is reported and waits for the user (trash) or the next sync
    # (restore): the folder and Notion differ, so the run has not converged.
    assert res.returncode == 1, res.stderr
    assert "Beta.md" in res.stderr and "deleted locally" in res.stderr, res.stderr
    assert "notion-mirror trash" in res.stderr, res.stderr
    assert writes(api.stats()) == {}
    assert not victim.exists()
    assert remote(api, ids["Beta.md"])["in_trash"] is False

    res = run(["sync"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    assert "restored" in res.stderr, res.stderr
    assert victim.read_bytes() == original
    assert remote(api, ids["Beta.md"])["in_trash"] is False
    assert writes(api.stats()) == {}

    # Restored and settled: a further sync changes nothing.
    settled = snapshot(root)
    api.advance_clock(120)
    res = run(["sync"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    assert snapshot(root) == settled


# ================================================================== 5. bad input, on the CLI


def test_bad_files_are_named_on_stderr_and_other_files_still_push(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """Three broken files and one valid edit in one sync: exit 1, each error names
    file:line and the property, nothing is sent for the broken files (which stay
    byte-identical), and the valid edit is pushed."""
    root = tmp_path / "tasks"
    names = ["Alpha", "Beta", "Gamma", "Delta"]
    _, _, ids = setup_mirror(api, env, root, [task(n, Estimate={"number": 1}) for n in names])
    broken = {
        "Alpha.md": ("Estimate: 1\n", "Estimate: three\n"),
        "Beta.md": ("Status: Todo\n", "Status: Blocked\n"),
        "Gamma.md": ("Estimate: 1\n", "Estimate: [1\n"),
    }
    data = {}
    for name, (old, new) in broken.items():
        text = (root / name).read_text(encoding="utf-8")
        assert old in text
        (root / name).write_text(text.replace(old, new, 1), encoding="utf-8")
        data[name] = (root / name).read_bytes()
    delta = root / "Delta.md"
    delta.write_text(delta.read_text().replace("Status: Todo", "Status: Done"))
    notion_before = {n: remote(api, ids[n]) for n in broken}
    api.reset_stats()

    res = run(["sync"], env, cwd=root)

    assert res.returncode == 1, res.stdout + res.stderr
    err = res.stderr
    line = {n: data[n].decode().splitlines().index(broken[n][1].strip()) + 1 for n in broken}
    assert f"Alpha.md:{line['Alpha.md']}: property 'Estimate': expected a number" in err, err
    assert f"Beta.md:{line['Beta.md']}: property 'Status': 'Blocked' is not a status" in err, err
    assert re.search(r"Gamma\.md:\d+: .*invalid YAML", err), err
    assert writes(api.stats()) == {PATCH_PAGE: 1}
    for name in broken:
        assert (root / name).read_bytes() == data[name], name
        assert remote(api, ids[name]) == notion_before[name], name
    assert remote(api, ids["Delta.md"])["Status"] == "Done"
    assert "pushed Status: Delta.md" in err, err


# ================================================================== 7. conflict exit code


def test_conflict_exits_1_and_keeps_both_sides(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """Same property changed differently on both sides: exit 1, the conflict is on
    stderr, the file keeps the local value with Notion's under ``_notion.conflicts``,
    and Notion keeps its own."""
    root = tmp_path / "tasks"
    _, _, ids = setup_mirror(api, env, root, [task("Alpha"), task("Beta")])
    f = root / "Alpha.md"
    f.write_text(f.read_text().replace("Status: Todo", "Status: Done"))
    api.update(ids["Alpha.md"], {"Status": {"status": {"name": "In progress"}}})
    api.advance_clock(120)

    res = run(["sync"], env, cwd=root)

    assert res.returncode == 1, res.stderr
    assert "conflict Status: Alpha.md" in res.stderr, res.stderr
    fm = frontmatter(f)
    assert fm["Status"] == "Done"
    assert fm["_notion"]["conflicts"] == {"Status": {"notion": "In progress"}}
    assert remote(api, ids["Alpha.md"])["Status"] == "In progress"


# ================================================================== 10. dry run


def test_dry_run_lists_the_push_and_changes_nothing(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """``sync --dry-run`` lists what would be pushed and created, sends no write,
    changes no file, and leaves the same pending edits for the real sync."""
    root = tmp_path / "tasks"
    _, ds_id, ids = setup_mirror(api, env, root, [task("Alpha"), task("Beta")])
    (root / "Alpha.md").write_text((root / "Alpha.md").read_text().replace("Todo", "Done"))
    (root / "New idea.md").write_text("---\nName: New idea\n---\nSketch.\n", encoding="utf-8")
    before = snapshot(root)
    pending_before = [(p.path, p.pushed, p.created) for p in inspect(open_mirror(root)).pages]
    state_before = store_state(root)
    assert pending_before == [("Alpha.md", ["Status"], False), ("New idea.md", ["create"], True)]
    api.reset_stats()

    res = run(["sync", "--dry-run"], env, cwd=root)

    assert res.returncode == 0, res.stderr
    assert "would push Status: Alpha.md" in res.stderr, res.stderr
    assert "would push create: New idea.md" in res.stderr, res.stderr
    assert "1 to push" in res.stderr and "1 to create" in res.stderr, res.stderr
    assert writes(api.stats()) == {}
    assert snapshot(root) == before
    assert [
        (p.path, p.pushed, p.created) for p in inspect(open_mirror(root)).pages
    ] == pending_before
    assert store_state(root) == state_before
    assert remote(api, ids["Alpha.md"])["Status"] == "Todo"
    assert len(query_ids(api, ds_id)) == 2

    res = run(["sync", "--json"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    assert remote(api, ids["Alpha.md"])["Status"] == "Done"
    assert len(query_ids(api, ds_id)) == 3
    assert "id" in frontmatter(root / "New idea.md")["_notion"]
    assert inspect(open_mirror(root)).pages == []


# ================================================================== 11. mass deletion


def test_mass_deletion_guard(tmp_path: Path, env: dict[str, str], api: NotionAPI) -> None:
    """Three of four files vanish: sync refuses (exit 1, clear message), restores
    nothing and trashes nothing, run after run; ``sync --force`` brings the files
    back from Notion byte-identical, as the refusal message promises, and trashes
    nothing."""
    root = tmp_path / "tasks"
    names = ["Alpha", "Beta", "Gamma", "Delta"]
    _, ds_id, ids = setup_mirror(api, env, root, [task(n) for n in names])
    originals = {n: (root / f"{n}.md").read_bytes() for n in names}
    for n in names[1:]:
        (root / f"{n}.md").unlink()
    api.reset_stats()

    res = run(["sync"], env, cwd=root)

    assert res.returncode == 1, res.stderr
    assert "3 of 4 files" in res.stderr and "missing" in res.stderr, res.stderr
    assert "--force" in res.stderr, res.stderr
    assert md_files(root) == ["Alpha.md"]
    assert writes(api.stats()) == {}
    assert len(query_ids(api, ds_id)) == 4
    # Refusing again is stable (the guard does not wear off by itself).
    res = run(["sync"], env, cwd=root)
    assert res.returncode == 1 and md_files(root) == ["Alpha.md"], res.stderr

    # The guard's message promises: "run `notion-mirror sync --force` to restore them
    # from Notion". One forced sync must do that.
    res = run(["sync", "--force"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    assert md_files(root) == [f"{n}.md" for n in sorted(names)], res.stderr
    for n in names:
        assert (root / f"{n}.md").read_bytes() == originals[n], n
        assert remote(api, ids[f"{n}.md"])["in_trash"] is False
    assert writes(api.stats()) == {}


# ================================================================== 12. pull mode


def test_pull_mode_reports_local_edits_and_still_pulls(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    """``track --mode pull``: a local edit is reported ("pull mode", exit 1) and never
    sent, while Notion's edits still land in the other files."""
    root = tmp_path / "tasks"
    _, _, ids = setup_mirror(api, env, root, [task("Alpha"), task("Beta")], mode="pull")
    alpha = root / "Alpha.md"
    alpha.write_text(alpha.read_text().replace("Status: Todo", "Status: Done"))
    edited = alpha.read_bytes()
    api.update(ids["Beta.md"], {"Estimate": {"number": 7}})
    api.advance_clock(120)
    api.reset_stats()

    res = run(["sync"], env, cwd=root)

    assert res.returncode == 1, res.stderr
    assert "pull mode" in res.stderr and "Alpha.md" in res.stderr, res.stderr
    assert writes(api.stats()) == {}
    assert remote(api, ids["Alpha.md"])["Status"] == "Todo"
    assert alpha.read_bytes() == edited
    assert frontmatter(root / "Beta.md")["Estimate"] == 7
