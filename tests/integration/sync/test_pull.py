"""Pull against the emulator over real HTTP: complete, incremental, deterministic."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.pull import PullOptions, pull
from notion_mirror.sync.track import track
from tests.helpers import ALL_TYPES_SCHEMA, NotionAPI, snapshot, title, tree


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


@pytest.fixture
def tasks(api: NotionAPI) -> dict[str, Any]:
    db_id, ds_id = api.create_data_source(ALL_TYPES_SCHEMA)
    person = api.person_id()
    ids = {
        "fix": api.add_page(
            ds_id,
            {
                **title("Fix login bug"),
                "Notes": {"rich_text": [{"text": {"content": "see logs"}}]},
                "Estimate": {"number": 3},
                "Priority": {"select": {"name": "High"}},
                "Tags": {"multi_select": [{"name": "backend"}, {"name": "urgent"}]},
                "Status": {"status": {"name": "In progress"}},
                "Due": {"date": {"start": "2026-12-01"}},
                "Owner": {"people": [{"id": person}]},
                "Done": {"checkbox": False},
                "Link": {"url": "https://example.com/bug/1"},
                "Contact": {"email": "ada@example.com"},
                "Phone": {"phone_number": "+1 555 0100"},
            },
            "## Steps\n- open the app\n- log in\n```python\nprint('x')\n\nprint('y')\n```",
        ),
        "report": api.add_page(ds_id, title("Write Q3 report"), "Draft the *summary*."),
        "empty": api.add_page(ds_id, title("")),
    }
    return {"db": db_id, "ds": ds_id, "ids": ids}


def test_track_writes_one_file_per_row_deterministically(
    tmp_path: Path, client: NotionClient, tasks: dict[str, Any]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _, target, report = track(client, tasks["db"], a)
    assert target.data_source_id == tasks["ds"]
    assert sorted(report.created) == ["Fix login bug.md", "Untitled.md", "Write Q3 report.md"]
    track(client, tasks["ds"], b)  # a data source id works as well as a database id
    assert tree(a) == tree(b)
    assert (a / ".gitignore").read_text() == ".notion-mirror/\n"
    assert (a / ".notion-mirror" / "state.sqlite").exists()
    assert oct((a / ".notion-mirror").stat().st_mode & 0o777) == "0o700"

    fm = frontmatter(a / "Fix login bug.md")
    keys = list(fm)
    assert keys[0] == "Name"
    assert keys[-1] == "_notion"
    assert fm["Name"] == "Fix login bug"
    assert fm["Estimate"] == 3
    assert fm["Priority"] == "High"
    assert fm["Tags"] == ["backend", "urgent"]
    assert fm["Status"] == "In progress"
    assert str(fm["Due"]) == "2026-12-01"
    assert fm["Done"] is False
    assert fm["_notion"]["id"] == tasks["ids"]["fix"]
    computed = fm["_notion"]["computed"]
    assert computed["Effort"] == 6
    assert set(computed) >= {"Effort", "Created", "Edited", "Task ID"}
    assert not set(computed) & set(fm)  # computed values are never top-level
    body = body_of(a / "Fix login bug.md")
    assert "print('x')\n\nprint('y')" in body  # blank lines inside code survive


def test_noop_sync_sends_two_requests_and_writes_nothing(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    api.advance_clock(120)  # the next read happens in a later minute than every edit
    pull(open_mirror(mirror_dir), client)  # settles the same-minute re-reads of track
    before = snapshot(mirror_dir)
    api.reset_stats()
    report = pull(open_mirror(mirror_dir), client)
    stats = api.stats()
    assert stats["requests_total"] == 2, stats
    assert set(stats["requests"]) == {
        "GET /v1/data_sources/{data_source_id}",
        "POST /v1/data_sources/{data_source_id}/query",
    }
    assert report.changed_files == 0
    assert snapshot(mirror_dir) == before


def test_a_burst_of_edits_is_not_listed_again_by_every_later_sync(
    tmp_path: Path, client: NotionClient, api: NotionAPI
) -> None:
    """150 rows edited in one minute need two query pages once; after a later read
    has proven them, a no-op sync lists nothing old again: one query page."""
    db, ds = api.create_data_source({"Name": {"title": {}}})
    for i in range(150):
        api.add_page(ds, title(f"Row {i}"))
    mirror_dir = tmp_path / "m"
    track(client, db, mirror_dir)
    api.advance_clock(120)
    pull(open_mirror(mirror_dir), client)  # the proof read of the burst's minute
    api.advance_clock(600)
    pull(open_mirror(mirror_dir), client)
    api.reset_stats()
    report = pull(open_mirror(mirror_dir), client)
    stats = api.stats()
    assert stats["requests_total"] == 2, stats
    assert report.changed_files == 0


def test_edit_in_the_same_minute_as_the_last_read_is_seen(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    # No clock change: this edit keeps the minute-rounded last_edited_time.
    api.replace_body(tasks["ids"]["report"], "Draft the *summary* and the numbers.")
    report = pull(open_mirror(mirror_dir), client)
    assert report.updated == ["Write Q3 report.md"]
    assert "and the numbers" in body_of(mirror_dir / "Write Q3 report.md")


def test_each_remote_edit_changes_only_its_file(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    ids = tasks["ids"]

    def sync_changes(full: bool = False) -> dict[str, tuple[bytes | None, bytes | None]]:
        api.advance_clock(60)
        before = tree(mirror_dir)
        pull(open_mirror(mirror_dir), client, PullOptions(full=full))
        after = tree(mirror_dir)
        return {
            k: (before.get(k), after.get(k))
            for k in set(before) | set(after)
            if before.get(k) != after.get(k)
        }

    api.update(ids["fix"], {"Estimate": {"number": 5}})
    changed = sync_changes()
    assert list(changed) == ["Fix login bug.md"]
    assert frontmatter(mirror_dir / "Fix login bug.md")["Estimate"] == 5
    assert frontmatter(mirror_dir / "Fix login bug.md")["_notion"]["computed"]["Effort"] == 10

    api.replace_body(ids["report"], "A new body.")
    changed = sync_changes()
    assert list(changed) == ["Write Q3 report.md"]
    assert body_of(mirror_dir / "Write Q3 report.md").strip() == "A new body."

    api.update(ids["report"], title("Q3 report, final"))
    changed = sync_changes()
    assert set(changed) == {"Write Q3 report.md", "Q3 report, final.md"}
    assert changed["Write Q3 report.md"][1] is None

    api.trash(ids["fix"])
    assert sync_changes() == {}  # absence from an incremental query is not deletion
    changed = sync_changes(full=True)
    assert list(changed) == ["Fix login bug.md"]
    assert changed["Fix login bug.md"][1] is None
    with open_mirror(mirror_dir).open_store() as store:
        gone = store.get_page(ids["fix"])
        assert gone is not None and gone.state == "trashed"
        assert gone.properties  # the last state is kept for restore


def test_local_edit_is_left_alone_until_reverted(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    path = mirror_dir / "Fix login bug.md"
    original = path.read_bytes()
    edited = original.replace(b"Estimate: 3", b"Estimate: 4")
    path.write_bytes(edited)
    api.advance_clock(60)
    api.update(tasks["ids"]["fix"], {"Priority": {"select": {"name": "Low"}}})
    report = pull(open_mirror(mirror_dir), client)
    assert report.local_edits == ["Fix login bug.md"]
    assert path.read_bytes() == edited

    path.write_bytes(original)  # the user reverts: the waiting remote change lands
    api.advance_clock(60)
    report = pull(open_mirror(mirror_dir), client)
    assert report.updated == ["Fix login bug.md"]
    assert frontmatter(path)["Priority"] == "Low"


def test_locally_deleted_file_is_reported_not_recreated(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    (mirror_dir / "Write Q3 report.md").unlink()
    api.advance_clock(60)
    api.replace_body(tasks["ids"]["report"], "changed")
    report = pull(open_mirror(mirror_dir), client)
    assert report.deleted_locally == ["Write Q3 report.md"]
    assert not (mirror_dir / "Write Q3 report.md").exists()


def test_schema_changes_follow_in_unedited_files(
    tmp_path: Path, client: NotionClient, api: NotionAPI, tasks: dict[str, Any]
) -> None:
    mirror_dir = tmp_path / "m"
    track(client, tasks["db"], mirror_dir)
    edited = mirror_dir / "Untitled.md"
    edited.write_bytes(edited.read_bytes() + b"local line\n")
    edited_bytes = edited.read_bytes()

    api.advance_clock(60)
    api.update_schema(tasks["ds"], {"Reviewer": {"rich_text": {}}})
    report = pull(open_mirror(mirror_dir), client)
    assert report.schema_changed
    fm = frontmatter(mirror_dir / "Fix login bug.md")
    assert fm["Reviewer"] == ""
    assert edited.read_bytes() == edited_bytes  # a file with local edits waits

    api.advance_clock(60)
    api.update_schema(tasks["ds"], {"Priority": {"name": "Urgency"}})
    pull(open_mirror(mirror_dir), client)
    fm = frontmatter(mirror_dir / "Fix login bug.md")
    assert "Priority" not in fm
    assert fm["Urgency"] == "High"

    api.advance_clock(60)
    api.update_schema(tasks["ds"], {"Phone": None})
    pull(open_mirror(mirror_dir), client)
    assert "Phone" not in frontmatter(mirror_dir / "Fix login bug.md")
    assert edited.read_bytes() == edited_bytes


def test_truncated_relation_is_completed(
    tmp_path: Path, client: NotionClient, api: NotionAPI
) -> None:
    _, projects = api.create_data_source({"Name": {"title": {}}}, name="Projects")
    project_ids = [api.add_page(projects, title(f"P{i}")) for i in range(30)]
    db, ds = api.create_data_source(
        {
            "Name": {"title": {}},
            "Projects": {"relation": {"data_source_id": projects, "single_property": {}}},
        }
    )
    api.add_page(ds, {**title("Big"), "Projects": {"relation": [{"id": p} for p in project_ids]}})
    api.reset_stats()
    track(client, db, tmp_path / "m")
    related = frontmatter(tmp_path / "m" / "Big.md")["Projects"]
    assert len(related) == 30
    assert all(p in str(related) for p in project_ids)
    prop_reads = api.stats()["requests"].get("GET /v1/pages/{page_id}/properties/{property_id}")
    assert prop_reads == 1  # one page of up to 100 items, and only for the truncated value


def test_first_track_uses_the_ideal_number_of_requests(
    tmp_path: Path, client: NotionClient, api: NotionAPI
) -> None:
    rows = 1000
    db, ds = api.create_data_source({"Name": {"title": {}}, "N": {"number": {}}})
    for i in range(rows):
        api.add_page(ds, {**title(f"Row {i}"), "N": {"number": i}}, f"Body {i}")
    api.reset_stats()
    _, _, report = track(client, db, tmp_path / "m")
    stats = api.stats()["requests"]
    assert len(report.created) == rows
    assert stats["POST /v1/data_sources/{data_source_id}/query"] == math.ceil(rows / 100)
    assert stats["GET /v1/pages/{page_id}/markdown"] == rows
    # Plus resolving the reference (database) and the schema read.
    assert sum(stats.values()) == math.ceil(rows / 100) + rows + 2


def test_incomplete_body_is_marked_read_only(
    tmp_path: Path, client: NotionClient, api: NotionAPI
) -> None:
    db, ds = api.create_data_source()
    page = api.add_page(ds, title("Huge"), "Start")
    api.call(
        "POST",
        f"/__emulator/pages/{page}/body-flags",
        {"truncated": True, "unknown_block_ids": [page]},
    )
    _, _, report = track(client, db, tmp_path / "m")
    assert [p for p, _ in report.read_only] == ["Huge.md"]
    with open_mirror(tmp_path / "m").open_store() as store:
        base = store.get_page(page)
        assert base is not None and not base.body_writable
        assert "incomplete" in (base.body_reason or "")


def test_hostile_titles_get_safe_unique_stable_names(
    tmp_path: Path, client: NotionClient, api: NotionAPI
) -> None:
    db, ds = api.create_data_source()
    hostile = [
        "../../etc/passwd",
        "a/b",
        "CON",
        ".hidden",
        "x" * 300,
        "Café",
        "Cafe\u0301",
        "Foo",
        "foo",
        "same",
        "same",
        "",
        "tab\there",
    ]
    for t in hostile:
        api.add_page(ds, title(t))
    track(client, db, tmp_path / "a")
    track(client, db, tmp_path / "b")
    names = sorted(tree(tmp_path / "a"))
    assert names == sorted(tree(tmp_path / "b"))
    md = [n for n in names if n.endswith(".md")]
    assert len(md) == len(hostile)
    assert len({n.casefold() for n in md}) == len(md)
    for name in md:
        assert "/" not in name and not name.startswith(".")
        assert len(name.encode()) <= 255
        resolved = (tmp_path / "a" / name).resolve()
        assert resolved.parent == (tmp_path / "a").resolve()
