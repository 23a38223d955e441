"""Property values: Notion read value -> frontmatter -> file -> write payload -> Notion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.codec import document, properties
from notion_mirror.codec.properties import (
    UnknownOptionError,
    canonical_value,
    from_frontmatter,
    frontmatter_to_canonical,
    is_editable,
    to_frontmatter,
)
from notion_mirror.errors import FileInputError
from tests.unit.codec._notion_values import ADA, BOB, PAGE_A, PAGE_B, PAGES, TEAM, FakeNotion

FAST = settings(max_examples=60, deadline=None)


def _text(content: str, **ann: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "text", "text": {"content": content}}
    if ann:
        item["annotations"] = ann
    return item


# Write payloads Notion accepts, per property; each is stored by the fake Notion,
# then must survive the whole file round trip.
WRITES: list[tuple[str, Any]] = [
    ("Name", []),
    ("Name", [_text("Fix login bug")]),
    ("Name", [_text("yes")]),
    ("Name", [_text("2026-01-01")]),
    ("Name", [_text("  padded  ")]),
    ("Name", [_text("- a")]),
    ("Name", [_text("#x: y")]),
    ("Name", [_text("日本語 🎉 e\u0301")]),
    ("Notes", [_text("plain "), _text("bold", bold=True), _text(" and "),
               _text("red", color="red")]),
    ("Notes", [{"type": "text", "text": {"content": "a link", "link": {"url": "https://x.y/z"}}}]),
    ("Notes", [{"type": "mention", "mention": {"type": "user", "user": {"id": ADA}}}]),
    ("Notes", [{"type": "mention", "mention": {"type": "page", "page": {"id": PAGE_A}}}]),
    ("Notes", [_text("line one\nline two")]),
    ("Notes", [_text("*stars* and _under_ and `ticks`")]),
    ("Estimate", None),
    ("Estimate", 3),
    ("Estimate", 3.5),
    ("Estimate", -0.25),
    ("Estimate", 1e20),
    ("Priority", None),
    ("Priority", {"name": "High"}),
    ("Priority", {"name": "yes"}),
    ("Priority", {"name": "2026-01-01"}),
    ("Tags", []),
    ("Tags", [{"name": "urgent"}, {"name": "backend"}]),
    ("Tags", [{"name": "null"}, {"name": "日本語"}]),
    ("Status", {"name": "In progress"}),
    ("Status", {"name": "Done"}),
    ("Due", None),
    ("Due", {"start": "2026-09-15"}),
    ("Due", {"start": "2026-09-15", "end": "2026-09-20"}),
    ("Due", {"start": "2026-01-01T10:00:00Z"}),
    ("Due", {"start": "2026-01-01T10:00:00.123+02:00"}),
    ("Due", {"start": "2026-01-01T10:00:00", "time_zone": "Europe/Paris"}),
    ("Due", {"start": "2026-01-01T10:00", "end": "2026-01-02T11:30", "time_zone": "Asia/Tokyo"}),
    ("Owner", []),
    ("Owner", [{"id": ADA}, {"id": BOB}]),
    ("Owner", [{"id": TEAM, "object": "group"}]),
    ("Attachments", []),
    ("Attachments", [{"name": "spec.pdf", "type": "external",
                      "external": {"url": "https://example.com/spec.pdf?v=2"}}]),
    ("Attachments", [{"name": "yes", "type": "external",
                      "external": {"url": "https://example.com/a"}},
                     {"name": "b", "type": "external", "external": {"url": "ftp://h/b"}}]),
    ("Done", True),
    ("Done", False),
    ("Link", None),
    ("Link", "https://example.com/a?b=c#d"),
    ("Contact", "ada@example.com"),
    ("Contact", None),
    ("Phone", "+44 20 7946 0000"),
    ("Phone", "0123"),
    ("Phone", None),
    ("Related", []),
    ("Related", [{"id": PAGE_B}, {"id": PAGE_A}]),
    ("Related", [{"id": p} for p in sorted(PAGES)[:100]]),
    ("Where", None),
    ("Where", {"lat": 48.8566, "lon": 2.3522, "name": "Paris", "address": "France"}),
]  # fmt: skip


def _file_round_trip(name: str, fm_value: Any) -> tuple[Any, int]:
    data = document.render({name: fm_value}, {"id": PAGE_A, "url": "https://u"}, "")
    doc = document.parse(data, path="tasks/x.md")
    return doc.properties[name], doc.key_lines[name]


@pytest.mark.parametrize(("name", "payload"), WRITES, ids=[f"{n}-{i}" for i, (n, _) in
                                                          enumerate(WRITES)])  # fmt: skip
def test_every_type_round_trips_through_a_file(name: str, payload: Any) -> None:
    notion = FakeNotion()
    prop = notion.by_name[name]
    remote = notion.write(name, {prop["type"]: payload})
    assert is_editable(prop, remote)

    fm = to_frontmatter(prop, remote)
    parsed, line = _file_round_trip(name, fm)
    assert parsed == fm
    assert frontmatter_to_canonical(prop, parsed) == canonical_value(prop, remote)

    write = from_frontmatter(prop, parsed, path="tasks/x.md", line=line)
    assert set(write) == {prop["type"]}
    again = notion.write(name, write)
    assert canonical_value(prop, again) == canonical_value(prop, remote)
    assert to_frontmatter(prop, again) == to_frontmatter(prop, remote)
    json.dumps(canonical_value(prop, remote))  # JSON-able


def test_value_representations() -> None:
    notion = FakeNotion()
    p = notion.by_name
    assert to_frontmatter(p["Done"], notion.write("Done", {"checkbox": True})) is True
    assert to_frontmatter(p["Tags"], notion.write(
        "Tags", {"multi_select": [{"name": "urgent"}, {"name": "backend"}]})) == [
        "urgent", "backend"]
    assert to_frontmatter(p["Due"], notion.write("Due", {"date": {"start": "2026-09-15"}})) == (
        "2026-09-15")
    ranged = to_frontmatter(p["Due"], notion.write(
        "Due", {"date": {"start": "2026-09-15", "end": "2026-09-16"}}))
    assert ranged == {"start": "2026-09-15", "end": "2026-09-16", "time_zone": None}
    assert to_frontmatter(p["Related"], notion.write(
        "Related", {"relation": [{"id": PAGE_A.replace("-", "")}]})) == [PAGE_A]
    owner = {"id": "o", "type": "people", "people": [
        {"object": "user", "id": ADA, "name": "Ada Lovelace", "avatar_url": None},
        {"object": "user", "id": BOB},
        {"object": "group", "id": TEAM, "name": "Team"},
    ]}
    assert to_frontmatter(p["Owner"], owner) == [
        f"Ada Lovelace <{ADA}>", BOB, f"Team <group:{TEAM}>"]
    files = notion.write("Attachments", {"files": [
        {"name": "a.pdf", "type": "external", "external": {"url": "https://e/a.pdf"}}]})
    assert to_frontmatter(p["Attachments"], files) == [{"name": "a.pdf", "url": "https://e/a.pdf"}]


def test_dates_are_rendered_plain_and_text_that_looks_like_a_date_is_quoted() -> None:
    notion = FakeNotion()
    p = notion.by_name
    due = to_frontmatter(p["Due"], notion.write("Due", {"date": {"start": "2026-09-15"}}))
    name = to_frontmatter(p["Name"], notion.write("Name", {"title": [_text("2026-09-15")]}))
    text = document.render({"Name": name, "Due": due}, {}, "").decode()
    assert "Name: '2026-09-15'\n" in text
    assert "Due: 2026-09-15\n" in text


def test_people_labels_are_ignored_and_ids_accepted_in_any_form() -> None:
    prop = FakeNotion().by_name["Owner"]
    write = from_frontmatter(prop, [
        f"Someone Else <{ADA}>", BOB.replace("-", "").upper(), f"group:{TEAM}",
        f"Name <with> brackets <{PAGE_A}>",
    ], path="x.md")
    assert write == {"people": [{"id": ADA}, {"id": BOB}, {"id": TEAM, "object": "group"},
                                {"id": PAGE_A}]}  # fmt: skip


def test_files_accept_a_bare_url() -> None:
    prop = FakeNotion().by_name["Attachments"]
    assert from_frontmatter(prop, ["https://e/a.pdf"], path="x.md") == {"files": [
        {"name": "https://e/a.pdf", "type": "external", "external": {"url": "https://e/a.pdf"}}]}


# ------------------------------------------------------------------------ read-only values

HOSTED = {"name": "scan.png", "type": "file", "file": {
    "url": "https://prod-files-secure.s3.amazonaws.com/ws/f1/scan.png?X-Amz-Signature=abc&X=1",
    "expiry_time": "2026-01-01T11:00:00.000Z"}}  # fmt: skip


def test_hosted_files_are_computed_with_the_signature_stripped() -> None:
    prop = FakeNotion().by_name["Attachments"]
    value = {"id": "f", "type": "files", "files": [
        {"name": "a", "type": "external", "external": {"url": "https://e/a?x=1"}}, HOSTED]}
    assert not is_editable(prop, value)
    assert to_frontmatter(prop, value) == [
        {"name": "a", "url": "https://e/a?x=1"},
        {"name": "scan.png", "url": "https://prod-files-secure.s3.amazonaws.com/ws/f1/scan.png",
         "hosted": True},
    ]
    resigned = json.loads(json.dumps(value).replace("Signature=abc", "Signature=zzz"))
    assert canonical_value(prop, resigned) == canonical_value(prop, value)
    assert to_frontmatter(prop, resigned) == to_frontmatter(prop, value)
    with pytest.raises(FileInputError, match="Notion-hosted files cannot be written"):
        from_frontmatter(prop, to_frontmatter(prop, value), path="x.md")


def test_truncated_or_oversized_lists_are_not_editable() -> None:
    notion = FakeNotion()
    rel = notion.by_name["Related"]
    assert not is_editable(rel, {"id": "r", "type": "relation", "relation": [{"id": PAGE_A}],
                                 "has_more": True})  # fmt: skip
    truncated = {"id": "r", "type": "relation", "relation": [{"id": PAGE_A}], "has_more": True}
    complete = {"id": "r", "type": "relation", "relation": [{"id": PAGE_A}], "has_more": False}
    assert canonical_value(rel, truncated) != canonical_value(rel, complete)
    many = {"id": "r", "type": "relation", "relation": [{"id": p} for p in sorted(PAGES)[:101]]}
    assert not is_editable(rel, many)
    assert is_editable(rel, complete)


def test_rich_text_that_inline_markdown_cannot_carry_is_not_editable() -> None:
    prop = FakeNotion().by_name["Notes"]
    preview = {"id": "n", "type": "rich_text", "rich_text": [
        {"type": "mention", "mention": {"type": "link_preview",
                                        "link_preview": {"url": "https://github.com/x"}},
         "plain_text": "https://github.com/x", "href": "https://github.com/x"}]}
    assert not is_editable(prop, preview)


def test_text_longer_than_any_notion_value_is_refused_before_parsing() -> None:
    """The longest text Notion accepts (100 runs of 2,000 line breaks, each linked and
    styled) fits under MAX_TEXT_MARKDOWN and stays editable; anything longer is an
    error naming the property, found without running the inline parser."""
    from notion_mirror.codec import richtext

    prop = FakeNotion().by_name["Notes"]
    runs = []
    for i in range(100):
        ann = {"bold": True, "italic": True, "strikethrough": True, "underline": True,
               "code": False, "color": ("red", "blue")[i % 2] + "_background"}  # fmt: skip
        runs.append({"type": "text", "annotations": ann, "plain_text": "", "href": None,
                     "text": {"content": "\n" * 2000,
                              "link": {"url": "https://e.com/" + "a" * 1980}}})  # fmt: skip
    longest = richtext.to_markdown(runs)
    assert len(longest) <= properties.MAX_TEXT_MARKDOWN
    too_long = "x" * (properties.MAX_TEXT_MARKDOWN + 1)
    with pytest.raises(FileInputError) as info:
        from_frontmatter(prop, too_long, path="t.md", line=3)
    assert str(info.value).startswith("t.md:3: property 'Notes': is 1,")
    assert "Notion holds at most 100 runs of 2,000 characters" in str(info.value)


def test_value_of_another_type_than_the_schema_is_not_editable() -> None:
    prop = FakeNotion().by_name["Estimate"]
    assert not is_editable(prop, {"id": "e", "type": "rich_text", "rich_text": []})


COMPUTED: list[tuple[dict[str, Any], Any]] = [
    ({"type": "formula", "formula": {"type": "string", "string": "yes"}}, "yes"),
    ({"type": "formula", "formula": {"type": "number", "number": 6}}, 6),
    ({"type": "formula", "formula": {"type": "boolean", "boolean": False}}, False),
    ({"type": "formula", "formula": {"type": "date", "date": {"start": "2026-01-01",
                                                              "end": None}}}, "2026-01-01"),
    ({"type": "formula", "formula": {"type": "unsupported", "unsupported": {}}}, None),
    ({"type": "rollup", "rollup": {"type": "number", "number": 4, "function": "sum"}}, 4),
    ({"type": "rollup", "rollup": {"type": "array", "function": "show_original", "array": [
        {"type": "title", "title": [_text("A")]}, {"type": "number", "number": 2}]}}, ["A", 2]),
    ({"type": "rollup", "rollup": {"type": "incomplete", "incomplete": {}}}, None),
    ({"type": "created_time", "created_time": "2026-11-01T10:00:00.000Z"},
     "2026-11-01T10:00:00.000Z"),
    ({"type": "last_edited_by", "last_edited_by": {"object": "user", "id": ADA}}, ADA),
    ({"type": "created_by", "created_by": {"object": "user", "id": ADA, "name": "Ada"}},
     f"Ada <{ADA}>"),
    ({"type": "unique_id", "unique_id": {"prefix": "TASK", "number": 42}}, "TASK-42"),
    ({"type": "unique_id", "unique_id": {"prefix": None, "number": 42}}, 42),
    ({"type": "verification", "verification": {"state": "unverified", "date": None,
                                               "verified_by": None}}, {"state": "unverified"}),
    ({"type": "button", "button": {}}, None),
    ({"type": "some_future_type", "some_future_type": {"a": [1]}}, {"a": [1]}),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), COMPUTED, ids=[
    f"{v['type']}-{i}" for i, (v, _) in enumerate(COMPUTED)])  # fmt: skip
def test_computed_values(value: dict[str, Any], expected: Any) -> None:
    prop = {"id": "c", "name": "Computed", "type": value["type"], value["type"]: {}}
    assert not is_editable(prop, value)
    assert to_frontmatter(prop, value) == expected
    assert canonical_value(prop, value) == expected
    shown = document.render({}, {"id": PAGE_A, "computed": {"C": to_frontmatter(prop, value)}}, "")
    assert document.parse(shown, path="x.md").notion["computed"]["C"] == expected
    with pytest.raises(FileInputError, match=r"cannot be written|cannot write"):
        from_frontmatter(prop, expected, path="x.md", line=3)


# ---------------------------------------------------------------------------- canonical


def test_canonical_ignores_response_noise() -> None:
    notion = FakeNotion()
    p = notion.by_name
    a = {"id": "x", "type": "select", "select": {"id": "1", "name": "High", "color": "red"}}
    b = {"id": "x", "type": "select", "select": {"id": "2", "name": "High", "color": "blue"}}
    assert canonical_value(p["Priority"], a) == canonical_value(p["Priority"], b) == "High"
    rich = notion.write("Notes", {"rich_text": [_text("hi", bold=True)]})
    noisy = json.loads(json.dumps(rich))
    noisy["rich_text"][0]["plain_text"] = "something else"
    noisy["rich_text"][0]["href"] = "https://noise"
    assert canonical_value(p["Notes"], noisy) == canonical_value(p["Notes"], rich)
    d1 = {"id": "d", "type": "date", "date": {"start": "2026-01-01T10:00:00.000+00:00"}}
    d2 = {"id": "d", "type": "date", "date": {"start": "2026-01-01T12:00:00+02:00", "end": None}}
    assert canonical_value(p["Due"], d1) == canonical_value(p["Due"], d2)
    n1 = {"id": "n", "type": "number", "number": 3.0}
    assert canonical_value(p["Estimate"], n1) == 3


@pytest.mark.parametrize(("name", "local", "remote"), [
    ("Done", True, {"checkbox": True}),
    ("Done", False, {"checkbox": False}),
    ("Estimate", 3, {"number": 3.0}),
    ("Priority", "High", {"select": {"id": "z", "name": "High", "color": "red"}}),
    ("Priority", "", {"select": None}),
    ("Tags", ["a", "b"], {"multi_select": [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]}),
    ("Due", "2026-01-01T10:00:00Z", {"date": {"start": "2026-01-01T10:00:00.000+00:00",
                                              "end": None, "time_zone": None}}),
    ("Due", {"start": "2026-01-01T10:00:00", "time_zone": "Europe/Paris"},
     {"date": {"start": "2026-01-01T10:00:00.000+01:00", "end": None,
               "time_zone": "Europe/Paris"}}),
    ("Link", "", {"url": None}),
    ("Owner", [f"Renamed <{ADA}>"], {"people": [{"object": "user", "id": ADA, "name": "Ada"}]}),
    ("Related", [PAGE_A.replace("-", "")], {"relation": [{"id": PAGE_A}], "has_more": False}),
])  # fmt: skip
def test_local_and_remote_canonical_forms_compare(name: str, local: Any, remote: Any) -> None:
    prop = FakeNotion().by_name[name]
    value = {"id": prop["id"], "type": prop["type"], **remote}
    assert frontmatter_to_canonical(prop, local) == canonical_value(prop, value)


def test_canonical_tells_real_changes_apart() -> None:
    p = FakeNotion().by_name
    assert frontmatter_to_canonical(p["Done"], True) != canonical_value(
        p["Done"], {"type": "checkbox", "checkbox": False})
    assert frontmatter_to_canonical(p["Tags"], ["b", "a"]) != canonical_value(
        p["Tags"], {"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]})
    assert frontmatter_to_canonical(p["Due"], "2026-01-01T10:00:00+01:00") != canonical_value(
        p["Due"], {"type": "date", "date": {"start": "2026-01-01T10:00:00.000+00:00"}})
    assert frontmatter_to_canonical(p["Notes"], "**a**") != canonical_value(
        p["Notes"], {"type": "rich_text", "rich_text": [_text("a")]})


def test_canonical_json_is_stable() -> None:
    assert properties.canonical_json({"b": 1, "a": ["é"]}) == '{"a":["é"],"b":1}'


@FAST
@given(st.text(max_size=80))
def test_any_text_survives_the_file(text: str) -> None:
    notion = FakeNotion()
    prop = notion.by_name["Notes"]
    remote = {"id": prop["id"], "type": "rich_text",
              "rich_text": [_text(text)] if text else []}  # fmt: skip
    fm = to_frontmatter(prop, remote)
    parsed, _ = _file_round_trip("Notes", fm)
    assert parsed == fm
    if is_editable(prop, remote):
        assert frontmatter_to_canonical(prop, parsed) == canonical_value(prop, remote)


@FAST
@given(st.one_of(st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False)))
def test_any_number_survives_the_file(number: float) -> None:
    prop = FakeNotion().by_name["Estimate"]
    remote = {"id": prop["id"], "type": "number", "number": number}
    parsed, _ = _file_round_trip("Estimate", to_frontmatter(prop, remote))
    assert parsed == number and type(parsed) is type(number)
    assert from_frontmatter(prop, parsed, path="x.md") == {"number": number}


# ---------------------------------------------------------------------------- bad input

BAD: list[tuple[str, Any, str]] = [
    ("Estimate", "three", 'expected a number, found the string "three"'),
    ("Estimate", True, "expected a number, found the boolean true"),
    ("Estimate", [1], "expected a number, found a list"),
    ("Estimate", float("inf"), "expected a finite number"),
    ("Estimate", 2**60, "too large for Notion to store exactly"),
    ("Name", 2024, "expected a string, found the number 2024 (put the text in quotes)"),
    ("Notes", ["a"], "expected a string, found a list"),
    ("Notes", "x" * 2000 * 101, "Notion accepts at most 100 per write"),
    ("Done", "yes please", 'expected true or false, found the string "yes please"'),
    ("Done", None, "expected true or false, found null"),
    ("Due", "2026-02-30", "'2026-02-30' is not a real date or time"),
    ("Due", "tomorrow", "expected the date as a date (YYYY-MM-DD) or an ISO 8601 date-time"),
    ("Due", "2026-01-01T25:00", "is not a real date or time"),
    ("Due", 20260101, "found the number 20260101"),
    ("Due", {"end": "2026-01-01"}, "the date mapping needs a start"),
    ("Due", {"start": "2026-01-01", "until": "x"}, "unexpected key 'until'"),
    ("Due", {"start": "2026-01-01", "end": "2026-01-02T10:00"}, "both be dates or both"),
    ("Due", {"start": "2026-01-01T10:00", "time_zone": "Mars/Olympus"}, "IANA time zone"),
    ("Status", "Shipped", "'Shipped' is not a status of this data source"),
    ("Status", "done", "did you mean 'Done'?"),
    ("Status", 3, "expected an option name, found the number 3"),
    ("Tags", "backend", 'expected a list of option names, found the string "backend"'),
    ("Tags", ["backend", "backend"], "lists 'backend' twice"),
    ("Tags", ["a,b"], "contains a comma"),
    ("Tags", ["x"] * 101, "at most 100 per write"),
    ("Priority", ["High"], "expected an option name, found a list"),
    ("Related", ["not-an-id"], 'expected a page id (32 hex digits, dashes optional), found the '
                               'string "not-an-id"'),
    ("Related", [PAGE_A, PAGE_A.replace("-", "")], "twice"),
    ("Related", PAGE_A, "expected a list of page ids"),
    ("Owner", ["Ada Lovelace"], 'expected a user id or "Name <user-id>", found the string'),
    ("Owner", [{"id": ADA}], "found a mapping"),
    ("Contact", "ada.example.com", 'expected an email address (name@example.com), found the '
                                   'string "ada.example.com"'),
    ("Contact", "a@" + "x" * 300, "Notion accepts at most 200"),
    ("Phone", 5551234, "found the number 5551234 (put the text in quotes)"),
    ("Link", "https://x/" + "a" * 2000, "Notion accepts at most 2000"),
    ("Attachments", [{"name": "a"}], "expected the file url as an absolute URL"),
    ("Attachments", [{"url": "https://x", "size": 3}], "unexpected key 'size'"),
    ("Attachments", ["not a url"], "expected the file url as an absolute URL"),
    ("Attachments", [3], "expected a file as a {name, url} mapping or a URL"),
    ("Where", {"lat": 100, "lon": 0}, "expected lat as a number between -90 and 90"),
    ("Where", {"lat": True, "lon": 0}, "found the boolean true"),
    ("Where", "Paris", "expected a place mapping with lat and lon"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "message"), BAD, ids=[
    f"{n}-{i}" for i, (n, _, _) in enumerate(BAD)])  # fmt: skip
def test_bad_input_names_file_line_property_and_what_was_expected(
    name: str, value: Any, message: str
) -> None:
    prop = FakeNotion().by_name[name]
    with pytest.raises(FileInputError) as info:
        from_frontmatter(prop, value, path="tasks/Fix.md", line=4)
    err = info.value
    assert (err.path, err.line, err.prop) == ("tasks/Fix.md", 4, name)
    assert message in str(err)
    assert str(err).startswith(f"tasks/Fix.md:4: property {name!r}: ")
    assert not isinstance(err, UnknownOptionError)


def test_unknown_select_options_are_structured_and_allowed_by_policy() -> None:
    notion = FakeNotion()
    p = notion.by_name
    with pytest.raises(UnknownOptionError) as info:
        from_frontmatter(p["Tags"], ["backend", "new", "newer"], path="x.md", line=7)
    assert info.value.options == ("new", "newer")
    assert "backend" in info.value.known
    assert "x.md:7: property 'Tags': 'new', 'newer' are not options" in str(info.value)
    with pytest.raises(UnknownOptionError) as info:
        from_frontmatter(p["Priority"], "high", path="x.md")
    assert info.value.options == ("high",)
    assert "did you mean 'High'?" in str(info.value)
    allowed = from_frontmatter(p["Priority"], "Urgent", path="x.md", allow_new_options=True)
    assert allowed == {"select": {"name": "Urgent"}}
    assert notion.write("Priority", allowed)["select"]["name"] == "Urgent"
    assert frontmatter_to_canonical(p["Priority"], "Urgent") == "Urgent"


def test_clearing_values() -> None:
    p = FakeNotion().by_name
    assert from_frontmatter(p["Estimate"], None, path="x") == {"number": None}
    assert from_frontmatter(p["Priority"], None, path="x") == {"select": None}
    assert from_frontmatter(p["Status"], None, path="x") == {"status": None}
    assert from_frontmatter(p["Tags"], None, path="x") == {"multi_select": []}
    assert from_frontmatter(p["Due"], None, path="x") == {"date": None}
    assert from_frontmatter(p["Link"], "", path="x") == {"url": None}
    assert from_frontmatter(p["Notes"], None, path="x") == {"rich_text": []}
    assert from_frontmatter(p["Related"], [], path="x") == {"relation": []}


def test_errors_from_a_real_file_carry_its_line_numbers() -> None:
    data = b'---\nName: Fix\nDone: false\nEstimate: "three"\n_notion:\n  id: x\n---\n'
    doc = document.parse(data, path="tasks/Fix.md")
    prop = FakeNotion().by_name["Estimate"]
    with pytest.raises(FileInputError) as info:
        from_frontmatter(prop, doc.properties["Estimate"], path="tasks/Fix.md",
                         line=doc.key_lines["Estimate"])  # fmt: skip
    assert str(info.value) == (
        "tasks/Fix.md:4: property 'Estimate': expected a number, found the string \"three\""
    )
