"""Schema drift at library level: the schema changes in Notion while a local edit
is pending, and the next ``sync`` neither loses the edit nor sends it to the
wrong place (docs/schema.md, "Drift").

Witnesses: Notion's state read raw through :class:`tests.helpers.NotionAPI`,
the bytes of the files, and the sync report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notion_mirror.notion import NotionClient
from tests.helpers import NotionAPI
from tests.integration.sync.test_push_engine import (
    World,
    all_text,
    edit,
    frontmatter,
    make_world,
)


@pytest.fixture
def world(api: NotionAPI, client: NotionClient, tmp_path: Path) -> World:
    return make_world(api, client, tmp_path / "m")


def props_by_id(api: NotionAPI, page_id: str) -> dict[str, Any]:
    """Notion's page values by property id (names may have changed)."""
    page = api.call("GET", f"/v1/pages/{page_id}")
    return {v["id"]: {"name": n, **v} for n, v in page["properties"].items()}


def schema_ids(api: NotionAPI, ds_id: str) -> dict[str, str]:
    """Property name -> id, as Notion has it now."""
    ds = api.call("GET", f"/v1/data_sources/{ds_id}")
    return {name: p["id"] for name, p in ds["properties"].items()}


def blocked_of(report: Any, path: str) -> dict[str, str]:
    return {s: r for p in report.pages if p.path == path for s, r in p.blocked}


def pushed_of(report: Any, path: str) -> list[str]:
    return [s for p in report.pages if p.path == path for s in p.pushed]


# ---------------------------------------------------------------- rename


def test_rename_with_pending_edit_lands_on_the_same_property(world: World) -> None:
    api, ds = world.api, world.ds_id
    status_id = schema_ids(api, ds)["Status"]
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")
    api.update_schema(ds, {"Status": {"name": "State"}})
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    assert pushed_of(report, "Task 1.md") == ["State"]
    assert "renamed to 'State'" in all_text(report)
    got = props_by_id(api, world.ids["Task 1.md"])[status_id]
    assert got["name"] == "State" and got["status"]["name"] == "Done"
    # Every file follows the rename; the edited one keeps the edited value.
    fm = frontmatter(world.path("Task 1.md"))
    assert fm["State"] == "Done" and "Status" not in fm
    for name in ("Task 2.md", "Task 3.md"):
        fm = frontmatter(world.path(name))
        assert fm["State"] == "Todo" and "Status" not in fm
    world.later()
    again = world.sync()
    assert again.converged and not again.pages, all_text(again)


def test_rename_twice_before_sync_and_old_and_new_key_together(world: World) -> None:
    api, ds = world.api, world.ds_id
    est_id = schema_ids(api, ds)["Estimate"]
    edit(world.path("Task 1.md"), r"^Estimate: 1$", "Estimate: 10")
    # Both lines in one file: which one is meant cannot be guessed.
    edit(world.path("Task 2.md"), r"^Estimate: 2$", "Estimate: 20\nSize: 21")
    api.update_schema(ds, {"Estimate": {"name": "Points"}})
    world.later()
    world.sync()  # Task 2 is refused as a whole; Task 1 lands
    api.update_schema(ds, {"Points": {"name": "Size"}})
    world.later()
    edit(world.path("Task 3.md"), r"^Points: 3$", "Points: 30")

    report = world.sync()

    values = {n: props_by_id(api, world.ids[n])[est_id]["number"] for n in world.ids}
    assert values == {"Task 1.md": 10, "Task 2.md": 2, "Task 3.md": 30}
    text = all_text(report)
    assert "is the former name of 'Size'" in text and "Task 2.md" in text
    assert frontmatter(world.path("Task 2.md"))["Estimate"] == 20  # nothing rewritten
    assert frontmatter(world.path("Task 1.md"))["Size"] == 10


def test_new_property_with_a_former_name_is_not_guessed(world: World) -> None:
    api, ds = world.api, world.ds_id
    old_id = schema_ids(api, ds)["Priority"]
    edit(world.path("Task 1.md"), r"^Priority: null$", "Priority: High")
    api.update_schema(ds, {"Priority": {"name": "Urgency"}})
    world.later()
    api.update_schema(ds, {"Priority": {"select": {"options": [{"name": "High"}]}}})
    world.later()

    report = world.sync()

    assert "is ambiguous" in all_text(report)
    page = props_by_id(api, world.ids["Task 1.md"])
    new_id = schema_ids(api, ds)["Priority"]
    assert page[old_id]["select"] is None and page[new_id]["select"] is None
    assert frontmatter(world.path("Task 1.md"))["Priority"] == "High"  # kept as written


# ---------------------------------------------------------------- delete


def test_deleted_property_with_pending_edit_is_blocked_and_kept(world: World) -> None:
    api, ds = world.api, world.ds_id
    ids = schema_ids(api, ds)
    path = world.path("Task 1.md")
    edit(path, r"^Due: null$", "Due: 2026-12-01")
    edit(path, r"^Priority: null$", "Priority: High")
    api.update_schema(ds, {"Due": None})
    world.later()

    report = world.sync()

    blocked = blocked_of(report, "Task 1.md")
    assert "deleted in Notion" in blocked["Due"] and "Task 1.md:" in blocked["Due"]
    assert pushed_of(report, "Task 1.md") == ["Priority"]  # the rest of the file syncs
    page = props_by_id(api, world.ids["Task 1.md"])
    assert page[ids["Priority"]]["select"]["name"] == "High"
    fm = frontmatter(path)
    assert fm["Due"] == "2026-12-01" and fm["Priority"] == "High"  # the edit is kept
    # Unedited files drop the line of the deleted property.
    assert "Due" not in frontmatter(world.path("Task 2.md"))

    world.later()
    again = world.sync()
    assert "deleted in Notion" in blocked_of(again, "Task 1.md")["Due"]
    assert frontmatter(path)["Due"] == "2026-12-01"

    edit(path, r"^Due: '?2026-12-01'?\n", "")
    world.later()
    done = world.sync()
    assert done.converged, all_text(done)
    world.later()
    assert world.sync().converged


def test_deleted_property_unedited_in_an_edited_file_goes_away(world: World) -> None:
    api, ds = world.api, world.ds_id
    path = world.path("Task 1.md")
    edit(path, r"^Priority: null$", "Priority: Low")
    api.update_schema(ds, {"Due": None})
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    fm = frontmatter(path)
    assert "Due" not in fm and fm["Priority"] == "Low"


# ---------------------------------------------------------------- type change


def test_type_change_with_pending_edits(world: World) -> None:
    api, ds = world.api, world.ds_id
    ids = schema_ids(api, ds)
    edit(world.path("Task 1.md"), r"^Estimate: 1$", "Estimate: 7")  # a number: invalid now
    edit(world.path("Task 1.md"), r"^Priority: null$", "Priority: Low")
    edit(world.path("Task 2.md"), r"^Estimate: 2$", "Estimate: about two days")  # valid text
    edit(world.path("Task 3.md"), r"^Priority: null$", "Priority: High")  # Estimate untouched
    api.update_schema(ds, {"Estimate": {"rich_text": {}}})
    world.later()

    report = world.sync()

    reason = blocked_of(report, "Task 1.md")["Estimate"]
    assert "from number to rich_text" in reason
    assert pushed_of(report, "Task 1.md") == ["Priority"]
    assert pushed_of(report, "Task 2.md") == ["Estimate"]
    assert pushed_of(report, "Task 3.md") == ["Priority"]

    def text(name: str) -> str:
        value = props_by_id(api, world.ids[name])[ids["Estimate"]]
        return "".join(t["plain_text"] for t in value["rich_text"])

    assert text("Task 1.md") == "1"  # Notion's converted value, untouched
    assert text("Task 2.md") == "about two days"
    assert frontmatter(world.path("Task 1.md"))["Estimate"] == 7  # kept for the user
    assert frontmatter(world.path("Task 2.md"))["Estimate"] == "about two days"
    assert frontmatter(world.path("Task 3.md"))["Estimate"] == "3"  # took Notion's

    edit(world.path("Task 1.md"), r"^Estimate: 7$", "Estimate: '7'")
    world.later()
    fixed = world.sync()
    assert fixed.converged, all_text(fixed)
    assert text("Task 1.md") == "7"


# ---------------------------------------------------------------- options


def test_removed_option_blocks_pending_value_and_new_options_arrive(world: World) -> None:
    api, ds = world.api, world.ds_id
    ids = schema_ids(api, ds)
    path = world.path("Task 1.md")
    edit(path, r"^Priority: null$", "Priority: High")
    edit(path, r"^Status: Todo$", "Status: In progress")
    # Notion: "High" goes, "Medium" comes, and a page takes it.
    ds_now = api.call("GET", f"/v1/data_sources/{ds}")
    low = next(
        o for o in ds_now["properties"]["Priority"]["select"]["options"] if o["name"] == "Low"
    )
    api.update_schema(
        ds, {"Priority": {"select": {"options": [{"id": low["id"]}, {"name": "Medium"}]}}}
    )
    api.update(world.ids["Task 2.md"], {"Priority": {"select": {"name": "Medium"}}})
    world.later()

    report = world.sync()

    reason = blocked_of(report, "Task 1.md")["Priority"]
    assert "'High' was removed" in reason and "'Medium'" in reason
    assert pushed_of(report, "Task 1.md") == ["Status"]
    page = props_by_id(api, world.ids["Task 1.md"])
    assert page[ids["Priority"]]["select"] is None
    assert page[ids["Status"]]["status"]["name"] == "In progress"
    assert frontmatter(path)["Priority"] == "High"  # kept
    assert frontmatter(world.path("Task 2.md"))["Priority"] == "Medium"  # accepted

    edit(path, r"^Priority: High$", "Priority: Medium")
    world.later()
    fixed = world.sync()
    assert fixed.converged, all_text(fixed)
    assert props_by_id(api, world.ids["Task 1.md"])[ids["Priority"]]["select"]["name"] == "Medium"


def test_removed_option_on_an_unedited_value_takes_notions(world: World) -> None:
    api, ds = world.api, world.ds_id
    api.update(world.ids["Task 1.md"], {"Priority": {"select": {"name": "High"}}})
    world.later()
    world.sync()
    path = world.path("Task 1.md")
    assert frontmatter(path)["Priority"] == "High"
    edit(path, r"^Estimate: 1$", "Estimate: 5")
    ds_now = api.call("GET", f"/v1/data_sources/{ds}")
    low = next(
        o for o in ds_now["properties"]["Priority"]["select"]["options"] if o["name"] == "Low"
    )
    api.update_schema(ds, {"Priority": {"select": {"options": [{"id": low["id"]}]}}})
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    fm = frontmatter(path)
    assert fm["Estimate"] == 5 and fm["Priority"] is None


def test_typo_is_still_an_error_for_the_whole_file(world: World) -> None:
    path = world.path("Task 1.md")
    edit(path, r"^Priority: null$", "Priorty: High")
    edit(path, r"^Estimate: 1$", "Estimate: 5")
    report = world.sync()
    text = all_text(report)
    assert "is not a property of this data source" in text
    assert pushed_of(report, "Task 1.md") == []


def test_property_added_in_notion_is_not_a_removed_line(world: World) -> None:
    api, ds = world.api, world.ds_id
    path = world.path("Task 1.md")
    edit(path, r"^Estimate: 1$", "Estimate: 5")
    api.update_schema(ds, {"Reviewer": {"rich_text": {}}})
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    fm = frontmatter(path)
    assert fm["Estimate"] == 5 and fm["Reviewer"] == ""
