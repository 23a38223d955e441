"""The schema library, pure parts: the drift view of the history, the history kept
by the store, and the schema changes the commands build (no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notion_mirror.errors import UsageError
from notion_mirror.schema import drift_of, edit
from notion_mirror.store import StateStore


def prop(pid: str, name: str, kind: str, options: list[str] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if options is not None:
        config = {"options": [{"id": f"o-{o}", "name": o, "color": "default"} for o in options]}
    return {"id": pid, "name": name, "type": kind, kind: config}


def schema_of(*props: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in props}


def test_store_keeps_every_name_type_and_option(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.set_schema(schema_of(prop("a", "Status", "select", ["x", "y"])), "h1")
        store.set_schema(schema_of(prop("a", "State", "multi_select", ["x"])), "h2")
        history = store.get_schema_history()
    assert history == {
        "a": {"names": ["Status", "State"], "types": ["select", "multi_select"],
              "options": ["x", "y"]},
    }  # fmt: skip


def test_history_starts_from_the_schema_an_older_mirror_stored(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.set_meta("schema", '{"Old": {"id": "a", "name": "Old", "type": "number"}}')
        store.set_schema(schema_of(prop("a", "New", "number")), "h")
        assert store.get_schema_history()["a"]["names"] == ["Old", "New"]


def test_drift_view() -> None:
    history = {
        "a": {"names": ["Status", "State"], "types": ["select"], "options": ["x", "y"]},
        "b": {"names": ["Due"], "types": ["date"], "options": []},
        "c": {"names": ["Size", "Est"], "types": ["number", "rich_text"], "options": []},
        "d": {"names": ["Est", "Other"], "types": ["number"], "options": []},
    }
    current = schema_of(
        prop("a", "State", "select", ["x"]),
        prop("c", "Size", "rich_text"),
        prop("d", "Other", "number"),
    )
    drift = drift_of(current, history)
    assert drift.aliases == {"Status": "a"}  # "Est" was held by c and d: not followed
    assert drift.former_holders["Est"] == frozenset({"c", "d"})
    assert drift.deleted == {"Due": "b"}
    assert drift.former_types == {"c": ("number",)}
    assert drift.former_options == {"a": frozenset({"y"})}


RAW = {
    "id": "ds",
    "title": [{"plain_text": "Tasks"}],
    "description": [],
    "properties": schema_of(
        prop("title", "Name", "title"),
        prop("s", "Status", "status", ["Todo"]),
        prop("p", "Priority", "select", ["Low"]),
        prop("f", "Effort", "formula"),
    ),
}


def test_describe_marks_writable() -> None:
    doc = edit.describe(RAW, "nope")
    by = {p["name"]: p for p in doc["properties"]}
    assert by["Priority"]["writable"] and by["Priority"]["options"][0]["name"] == "Low"
    assert not by["Effort"]["writable"] and "computed" in by["Effort"]["read_only_reason"]
    assert doc["synced"] is False and doc["title"] == "Tasks"


def test_add_option_lists_every_existing_option_by_id() -> None:
    change = edit.add_option(RAW, "Priority", "High", "red")
    assert change.request == {
        "properties": {"p": {"select": {"options": [{"id": "o-Low"},
                                                    {"name": "High", "color": "red"}]}}}
    }  # fmt: skip
    after = {"properties": schema_of(prop("p", "Priority", "select", ["Low", "High"]))}
    assert change.check(after) is None
    lost = {"properties": schema_of(prop("p", "Priority", "select", ["High"]))}
    assert "disappeared" in str(change.check(lost))
    assert edit.add_option(RAW, "Priority", "Low").noop


def test_refusals() -> None:
    with pytest.raises(edit.RefusedError, match="status"):
        edit.add_option(RAW, "Status", "Blocked")
    with pytest.raises(edit.RefusedError, match="do it in Notion"):
        edit.add_property(RAW, "Priority", "number")  # would change a type
    with pytest.raises(edit.RefusedError, match="configuration"):
        edit.add_property(RAW, "Link", "relation")
    with pytest.raises(UsageError, match="already exists"):
        edit.rename_property(RAW, "Priority", "Status")
    with pytest.raises(UsageError, match="not a property"):
        edit.rename_property(RAW, "Nope", "X")


def test_rename_is_by_id_and_checked() -> None:
    change = edit.rename_property(RAW, "Priority", "Urgency")
    assert change.request == {"properties": {"p": {"name": "Urgency"}}}
    assert change.check({"properties": schema_of(prop("p", "Urgency", "select"))}) is None
    assert change.check(RAW) is not None
    assert edit.set_title(RAW, "Tasks").noop
    assert edit.set_description(RAW, "x").request == {"description": "x"}
