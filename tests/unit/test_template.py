"""template: the file `notion-mirror new` writes, and its --set values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_mirror.codec import document
from notion_mirror.errors import UsageError
from notion_mirror.mirror import Mirror, MirrorConfig
from notion_mirror.sync.local import read_local
from notion_mirror.template import (
    build,
    editable_properties,
    option_hints,
    parse_assignment,
    parse_value,
    taken_names,
    unique_name,
    write_new,
)


def _opts(*names: str) -> dict[str, Any]:
    return {"options": [{"id": f"o-{n}", "name": n, "color": "default"} for n in names]}


def _prop(name: str, pid: str, kind: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": pid, "name": name, "type": kind, kind: config or {}}


SCHEMA: dict[str, Any] = {
    "Estimate": _prop("Estimate", "est", "number", {"format": "number"}),
    "Name": _prop("Name", "title", "title"),
    "Status": _prop("Status", "st", "status", _opts("Todo", "In progress", "Done")),
    "Priority": _prop("Priority", "pr", "select", _opts("Low", "High")),
    "Tags": _prop("Tags", "tg", "multi_select", _opts("backend", "urgent")),
    "Due": _prop("Due", "due", "date"),
    "Done": _prop("Done", "dn", "checkbox"),
    "Notes": _prop("Notes", "nt", "rich_text"),
    "Owner": _prop("Owner", "ow", "people"),
    "Link": _prop("Link", "ln", "url"),
    "Created": _prop("Created", "cr", "created_time"),
    "Effort": _prop("Effort", "ef", "formula", {"expression": "1"}),
}


def front(data: bytes) -> dict[str, Any]:
    return yaml.safe_load(data.decode("utf-8").split("---\n")[1])


def test_every_editable_property_in_file_order_and_nothing_else() -> None:
    page = build(SCHEMA, "Fix login bug")
    fm = front(page.data)
    assert list(fm) == [
        "Name", "Estimate", "Status", "Priority", "Tags", "Due", "Done", "Notes", "Owner", "Link",
    ]  # fmt: skip
    assert fm == {
        "Name": "Fix login bug", "Estimate": None, "Status": None, "Priority": None, "Tags": [],
        "Due": None, "Done": False, "Notes": "", "Owner": [], "Link": None,
    }  # fmt: skip
    doc = document.parse(page.data, path=page.path)
    assert doc.notion == {} and doc.body == ""  # no _notion: sync creates the page
    assert b"#" not in page.data  # no comments
    assert page.path == "Fix login bug.md"
    local = read_local(page.path, page.data, SCHEMA, None)
    assert local.errors == () and local.page_id is None


def test_title_is_plain_text_and_names_the_file_safely() -> None:
    page = build(SCHEMA, "Q3: plan/draft *now*")
    assert page.path == "Q3- plan-draft _now_.md"
    assert front(page.data)["Name"] == r"Q3: plan/draft \*now\*"
    assert read_local(page.path, page.data, SCHEMA, None).errors == ()


def test_set_values_are_validated_and_normalised() -> None:
    page = build(
        SCHEMA,
        "T",
        [
            parse_assignment("Estimate=3"),
            parse_assignment("Status=In progress"),
            parse_assignment("Tags=[urgent, backend]"),
            parse_assignment("Due=2026-12-01"),
            parse_assignment("Done=true"),
            parse_assignment("Notes=see **this**"),
        ],
    )
    fm = front(page.data)
    assert fm["Estimate"] == 3
    assert fm["Status"] == "In progress"
    assert fm["Tags"] == ["urgent", "backend"]
    assert str(fm["Due"]) == "2026-12-01"
    assert fm["Done"] is True
    assert fm["Notes"] == "see **this**"
    assert page.values["Due"] == "2026-12-01"


@pytest.mark.parametrize(
    ("assignment", "needle"),
    [
        ("Estimate=three", "expected a number"),
        ("Priority=Urgent", "allow_new_options"),
        ("Status=Blocked", "Status"),
        ("Stauts=Todo", "did you mean 'Status'"),
        ("Created=2026-01-01", "Notion computes"),
        ("Effort=3", "Notion computes"),
        ("Due=2026-02-30", "Due"),
        ("Tags=backend, urgent", "Tags"),
    ],
)
def test_bad_set_values_are_usage_errors(assignment: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        build(SCHEMA, "T", [parse_assignment(assignment)])


def test_new_options_only_when_allowed() -> None:
    page = build(SCHEMA, "T", [parse_assignment("Priority=Urgent")], allow_new_options=True)
    assert front(page.data)["Priority"] == "Urgent"


def test_set_twice_and_set_title() -> None:
    with pytest.raises(UsageError, match="given twice"):
        build(SCHEMA, "T", [("Estimate", 1), ("Estimate", 2)])
    page = build(SCHEMA, "plain", [("Name", "Fix **login**")])
    assert front(page.data)["Name"] == "Fix **login**"
    assert page.path == "plain.md"


def test_unsynced_mirror_and_empty_title() -> None:
    with pytest.raises(UsageError, match="has not synced yet"):
        build({}, "T")
    with pytest.raises(UsageError, match="TITLE is empty"):
        build(SCHEMA, "  ")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("3.5", 3.5),
        ("true", True),
        ("[a, b]", ["a", "b"]),
        ("2026-12-01", "2026-12-01"),
        ("", None),
        ("null", None),
        ("In progress", "In progress"),
        ("'Fix #12'", "Fix #12"),
        ("{start: 2026-01-01, end: 2026-01-02}", {"start": "2026-01-01", "end": "2026-01-02"}),
    ],
)
def test_parse_value(text: str, value: Any) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["Fix #12", "#12", "a: b", "x\ny", "!!binary aGk="])
def test_parse_value_refuses_what_would_not_be_stored_as_typed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_value(text)


def test_parse_assignment() -> None:
    assert parse_assignment("Due=a=b") == ("Due", "a=b")
    assert parse_assignment(" Estimate =4") == ("Estimate", 4)
    for bad in ("Estimate", "=3"):
        with pytest.raises(UsageError, match="PROP=VALUE"):
            parse_assignment(bad)
    with pytest.raises(UsageError, match="comment"):
        parse_assignment("Notes=Fix #12")


def test_unique_name_folds_case_and_numbers() -> None:
    assert unique_name("Idea", []) == "Idea.md"
    assert unique_name("Idea", ["idea.md"]) == "Idea 2.md"
    assert unique_name("Idea", ["Idea.md", "IDEA 2.md"]) == "Idea 3.md"
    long = "x" * 300
    name = unique_name(long, [unique_name(long, [])])
    assert name.endswith(" 2.md") and len(name.encode()) <= 203


def test_option_hints_and_editable_properties() -> None:
    assert option_hints(SCHEMA) == [
        "Status: one of Todo, In progress, Done",
        "Priority: one of Low, High",
        "Tags: any of backend, urgent",
    ]
    assert "Created" not in [p["name"] for p in editable_properties(SCHEMA)]


def test_write_new_never_replaces(tmp_path: Path) -> None:
    mirror = Mirror.create(tmp_path, MirrorConfig("7a86142e-591c-4f9a-b111-6a0f4e355f5a"))
    page = build(SCHEMA, "One")
    target = write_new(mirror, page)
    assert target.read_bytes() == page.data
    assert taken_names(mirror, ["Gone.md"]) == ["One.md", "Gone.md"]
    assert build(SCHEMA, "One", taken=taken_names(mirror, [])).path == "One 2.md"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists"):
        write_new(mirror, page)
    assert target.read_text(encoding="utf-8") == "mine"
