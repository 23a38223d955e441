"""plan_resolution: how each choice moves the base and the file, decided without I/O.

The rule under test: the base always takes Notion's side of a conflicted
surface (so the next sync compares against what Notion holds), and only the
*file* differs by choice; edits outside the conflict are never dropped.
"""

from __future__ import annotations

from typing import Any

import pytest

from notion_mirror.codec import body as body_codec
from notion_mirror.errors import UsageError
from notion_mirror.store import ConflictRecord, PageBase
from notion_mirror.sync.local import LocalFile, read_local
from notion_mirror.sync.render import render_file, render_page
from notion_mirror.sync.resolve import MarkersLeftError, plan_resolution

PAGE_ID = "2b5e7c1d-0000-4000-8000-00000000abcd"
PATH = "Fix login bug.md"


def _opts(*names: str) -> dict[str, Any]:
    return {"options": [{"id": f"o-{n}", "name": n, "color": "default"} for n in names]}


SCHEMA: dict[str, dict[str, Any]] = {
    "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
    "Status": {"id": "s%3A", "name": "Status", "type": "select", "select": _opts("Todo", "Doing")},
    "Estimate": {"id": "e%3A", "name": "Estimate", "type": "number", "number": {}},
}


def _title(text: str) -> dict[str, Any]:
    item = {"type": "text", "text": {"content": text, "link": None}, "plain_text": text,
            "href": None, "annotations": {"bold": False, "italic": False, "code": False,
            "strikethrough": False, "underline": False, "color": "default"}}  # fmt: skip
    return {"id": "title", "type": "title", "title": [item]}


def _select(name: str | None) -> dict[str, Any]:
    value = {"id": f"o-{name}", "name": name, "color": "default"} if name else None
    return {"id": "s%3A", "type": "select", "select": value}


def _number(n: float | None) -> dict[str, Any]:
    return {"id": "e%3A", "type": "number", "number": n}


BASE = PageBase(
    page_id=PAGE_ID,
    path=PATH,
    title="Fix login bug",
    url="https://app.notion.com/p/x",
    last_edited_time="2026-11-01T10:00:00.000Z",
    observed_minute="2026-11-01T10:01:00.000Z",
    properties={"title": _title("Fix login bug"), "s%3A": _select("Todo"), "e%3A": _number(1)},
    body="First.\nSecond.",
)


def _local(base: PageBase, **raw: Any) -> LocalFile:
    """The file for ``base`` with ``raw`` (prop id -> frontmatter) and an optional body."""
    body = raw.pop("body", None)
    data = render_file(SCHEMA, base, keep_local=raw, body=body)
    return read_local(PATH, data, SCHEMA, base)


def _prop_conflict(local: Any, remote: dict[str, Any]) -> ConflictRecord:
    return ConflictRecord(PAGE_ID, "prop:s%3A", PATH, "Todo", local, remote, "both changed")


def test_keep_remote_takes_notions_value_for_base_and_file() -> None:
    local = _local(BASE, **{"s%3A": "Doing", "e%3A": 5})  # Estimate: an unrelated edit
    rec = _prop_conflict("Doing", _select(None))  # Notion cleared it
    res = plan_resolution(SCHEMA, BASE, local, [rec], "remote")
    assert res.base.properties["s%3A"] == rec.remote
    assert "s%3A" not in res.keep_local
    assert res.keep_local == {"e%3A": 5}  # the other edit still goes out next sync
    assert res.body is None and not res.remove_file and not res.restore


def test_keep_local_moves_only_the_base() -> None:
    local = _local(BASE, **{"s%3A": "Doing"})
    notion = _select(None)
    res = plan_resolution(SCHEMA, BASE, local, [_prop_conflict("Doing", notion)], "local")
    assert res.base.properties["s%3A"] == notion
    assert res.keep_local == {"s%3A": "Doing"}
    # The file keeps the local value, so it reads as an edit against Notion's.
    data = render_file(SCHEMA, res.base, keep_local=res.keep_local, body=res.body)
    assert b"Status: Doing" in data and b"conflicts" not in data


def test_hand_edit_keeps_what_the_user_wrote() -> None:
    local = _local(BASE, **{"s%3A": "Doing"})
    notion = _select("Doing")  # the user picked the value Notion has
    res = plan_resolution(SCHEMA, BASE, local, [_prop_conflict("Todo", notion)], None)
    assert res.base.properties["s%3A"] == notion
    assert res.keep_local == {}  # equals Notion's now: nothing left to send
    data = render_file(SCHEMA, res.base, keep_local=res.keep_local, body=res.body)
    assert data == render_page(SCHEMA, res.base)


def _body_conflict() -> ConflictRecord:
    return ConflictRecord(
        PAGE_ID, "body", PATH, "First.\nSecond.", "Mine.\nSecond.", "Theirs.\nSecond.", "both"
    )


def test_body_keep_local_and_remote() -> None:
    marked = "<<<<<<< local\nMine.\n=======\nTheirs.\n>>>>>>> notion\nSecond."
    local = _local(BASE, body=marked)
    assert local.has_conflict_markers
    remote = plan_resolution(SCHEMA, BASE, local, [_body_conflict()], "remote")
    assert remote.base.body == "Theirs.\nSecond." and remote.body is None
    kept = plan_resolution(SCHEMA, BASE, local, [_body_conflict()], "local")
    assert kept.base.body == "Theirs.\nSecond." and kept.body == "Mine.\nSecond."


def test_hand_resolution_refused_while_markers_remain() -> None:
    marked = "<<<<<<< local\nMine.\n=======\nTheirs.\n>>>>>>> notion\nSecond."
    with pytest.raises(MarkersLeftError, match="conflict markers"):
        plan_resolution(SCHEMA, BASE, _local(BASE, body=marked), [_body_conflict()], None)
    merged = plan_resolution(
        SCHEMA, BASE, _local(BASE, body="Both.\nSecond."), [_body_conflict()], None
    )
    assert merged.base.body == "Theirs.\nSecond."
    assert merged.body == body_codec.canonicalize("Both.\nSecond.")


def test_lifecycle_needs_a_choice() -> None:
    rec = ConflictRecord(PAGE_ID, "lifecycle", PATH, "live", "edited", "trashed", "trashed")
    local = _local(BASE, **{"e%3A": 7})
    with pytest.raises(UsageError, match="--keep"):
        plan_resolution(SCHEMA, BASE, local, [rec], None)
    gone = plan_resolution(SCHEMA, BASE, local, [rec], "remote")
    assert gone.remove_file and gone.base.state == "trashed" and gone.base.path is None
    live = plan_resolution(SCHEMA, BASE, local, [rec], "local")
    assert live.restore and live.base.state == "live" and live.keep_local == {"e%3A": 7}


def test_unreadable_file_is_refused() -> None:
    bad = read_local(PATH, b"---\nName: [unclosed\n---\n", SCHEMA, BASE)
    with pytest.raises(Exception, match="fix it first"):
        plan_resolution(SCHEMA, BASE, bad, [_prop_conflict("x", _select("Todo"))], "remote")
