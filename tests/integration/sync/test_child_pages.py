"""A body edit that would delete a child page is sent only on explicit request."""

from __future__ import annotations

from pathlib import Path

from notion_mirror.notion import NotionClient
from tests.helpers import NotionAPI, title
from tests.integration.sync.test_push_engine import PATCH_BODY, body_of, make_world, writes


def test_deleting_a_child_page_needs_the_explicit_flag(
    api: NotionAPI, client: NotionClient, tmp_path: Path
) -> None:
    world = make_world(api, client, tmp_path / "m", pages=1)
    parent = world.ids["Task 1.md"]
    child = api.call(
        "POST", "/v1/pages", {"parent": {"page_id": parent}, "properties": title("Sub-task")}
    )["id"]
    world.later()
    assert world.sync().converged
    path = world.path("Task 1.md")
    assert "Sub-task" in body_of(path), body_of(path)

    # The user drops the child page's line along with a paragraph edit.
    kept = [ln for ln in body_of(path).splitlines() if "Sub-task" not in ln]
    text = path.read_text(encoding="utf-8")
    head = text[: len(text) - len(body_of(path))]
    path.write_text(head + "\n".join(kept).replace("Para two.", "Para two, shorter.") + "\n")
    world.later()
    api.reset_stats()
    report = world.sync()
    assert not report.converged
    blocked = [reason for p in report.pages for _, reason in p.blocked]
    assert any("--allow-deleting-content" in r and "Task 1.md" in r for r in blocked), blocked
    assert api.call("GET", f"/v1/pages/{child}")["in_trash"] is False
    assert "Para two." in api.call("GET", f"/v1/pages/{parent}/markdown")["markdown"]

    world.later()
    api.reset_stats()
    report = world.sync(allow_deleting=frozenset({"Task 1.md"}))
    assert report.converged, [p.to_json() for p in report.pages]
    assert writes(api.stats()).get(PATCH_BODY, 0) >= 1
    assert api.call("GET", f"/v1/pages/{child}")["in_trash"] is True
    assert "Para two, shorter." in api.call("GET", f"/v1/pages/{parent}/markdown")["markdown"]
