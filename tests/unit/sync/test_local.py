"""Reading a local mirror file for the push planner: valid edits come through as
canonical values, and every bad input blocks the file with a message naming the
file, the line and the property — all problems at once, never an exception."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notion_mirror.codec import document, properties
from notion_mirror.store import PageBase
from notion_mirror.sync.local import NOTION_KEYS, LocalFile, read_local
from notion_mirror.sync.render import render_page

PATH = "tasks/Fix login bug.md"
PAGE_ID = "2b5e7c1d-0000-4000-8000-00000000abcd"
URL = "https://www.notion.so/Fix-login-bug-2b5e7c1d00004000800000000000abcd"
ADA = "7775f3a3-893f-43fa-b625-460c61094c78"
OTHER_PAGE = "1a2b3c4d-0000-4000-8000-000000000001"


def _opts(*names: str) -> dict[str, Any]:
    return {"options": [{"id": f"o-{n}", "name": n, "color": "default"} for n in names]}


SCHEMA: dict[str, dict[str, Any]] = {
    name: {"id": pid, "name": name, "type": kind, kind: config}
    for name, pid, kind, config in [
        ("Name", "title", "title", {}),
        ("Notes", "n%3A", "rich_text", {}),
        ("Estimate", "e%3A", "number", {"format": "number"}),
        ("Priority", "p%3A", "select", _opts("Low", "High")),
        ("Tags", "t%3A", "multi_select", _opts("backend", "urgent", "frontend")),
        ("Status", "s%3A", "status", _opts("Not started", "In progress", "Done")),
        ("Due", "d%3A", "date", {}),
        ("Shipped", "c%3A", "checkbox", {}),
        ("Link", "u%3A", "url", {}),
        ("Owner", "o%3A", "people", {}),
        ("Related", "r%3A", "relation", {"data_source_id": "x", "single_property": {}}),
        ("Score", "f%3A", "formula", {"expression": "1"}),
        ("Created", "ct%3A", "created_time", {}),
    ]
}
BY_ID = {p["id"]: p for p in SCHEMA.values()}


def _text(content: str, **annotations: bool) -> dict[str, Any]:
    ann = {"bold": False, "italic": False, "strikethrough": False, "underline": False,
           "code": False, "color": "default"} | annotations  # fmt: skip
    return {"type": "text", "text": {"content": content, "link": None}, "annotations": ann,
            "plain_text": content, "href": None}  # fmt: skip


def _value(name: str, raw: Any, **extra: Any) -> dict[str, Any]:
    prop = SCHEMA[name]
    return {"id": prop["id"], "type": prop["type"], prop["type"]: raw, **extra}


def _option(name: str) -> dict[str, Any]:
    return {"id": f"o-{name}", "name": name, "color": "default"}


BASE_VALUES = {
    "Name": [_text("Fix login bug")],
    "Notes": [_text("Users "), _text("cannot", bold=True), _text(" log in")],
    "Estimate": 3,
    "Priority": _option("High"),
    "Tags": [_option("backend")],
    "Status": _option("In progress"),
    "Due": {"start": "2026-12-01", "end": None, "time_zone": None},
    "Shipped": False,
    "Link": "https://example.com/issue/1",
    "Owner": [{"object": "user", "id": ADA, "name": "Ada Lovelace"}],
    "Related": [{"id": OTHER_PAGE}],
    "Score": {"type": "number", "number": 42},
    "Created": "2026-11-01T10:00:00.000Z",
}
BODY = "# Steps\nOpen the app.\n- Click login"


def make_base(**overrides: Any) -> PageBase:
    values = {
        SCHEMA[name]["id"]: _value(name, raw)
        for name, raw in BASE_VALUES.items()
        if name not in overrides
    }
    for name, value_obj in overrides.items():
        values[SCHEMA[name]["id"]] = value_obj
    return PageBase(
        page_id=PAGE_ID,
        path=PATH,
        title="Fix login bug",
        url=URL,
        last_edited_time="2026-11-02T09:00:00.000Z",
        observed_minute="2026-11-02T09:00",
        properties=values,
        body=BODY,
    )


BASE = make_base()
FILE = render_page(SCHEMA, BASE)


def edit(data: bytes, pattern: str, repl: str, count: int = 1) -> bytes:
    """A ``sed -i 's/pattern/repl/'`` over the file text."""
    text, n = re.subn(pattern, repl, data.decode(), count=count, flags=re.MULTILINE)
    assert n, f"pattern {pattern!r} did not match:\n{data.decode()}"
    return text.encode()


def line_of(data: bytes, pattern: str) -> int:
    for number, line in enumerate(data.decode().split("\n"), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"no line matches {pattern!r}")


def read(data: bytes, base: PageBase | None = BASE, **kw: Any) -> LocalFile:
    return read_local(PATH, data, SCHEMA, base, **kw)


def only_error(local: LocalFile) -> str:
    assert len(local.errors) == 1, local.errors
    return local.errors[0]


# ------------------------------------------------------------------------ happy path


def test_untouched_file_reads_back_as_the_base() -> None:
    local = read(FILE)
    assert local.errors == ()
    assert local.error is None
    assert local.path == PATH
    assert local.page_id == PAGE_ID
    assert local.sha256 == hashlib.sha256(FILE).hexdigest()
    editable = {
        p["id"]: properties.canonical_value(p, BASE.properties[p["id"]])
        for p in SCHEMA.values()
        if properties.is_editable(p, BASE.properties[p["id"]])
    }
    assert set(editable) == {p["id"] for p in SCHEMA.values()} - {"f%3A", "ct%3A"}
    assert local.props == editable
    assert local.raw == {
        SCHEMA[name]["id"]: value for name, value in document.parse(FILE, path=PATH)
        .properties.items()
    }  # fmt: skip
    assert local.body == BODY
    assert local.has_conflict_markers is False
    assert local.conflicts_key is None


def test_sed_edits_show_up_in_props() -> None:
    data = edit(FILE, r"^Status: In progress$", "Status: Done")
    data = edit(data, r"^Estimate: 3$", "Estimate: 5.5")
    data = edit(data, r"^- backend$", "- backend\n- urgent")
    local = read(data)
    assert local.errors == ()
    assert local.props["s%3A"] == "Done"
    assert local.props["e%3A"] == 5.5
    assert local.props["t%3A"] == ["backend", "urgent"]
    assert local.raw["t%3A"] == ["backend", "urgent"]
    assert local.props["title"] == properties.canonical_value(
        SCHEMA["Name"], BASE.properties["title"]
    )


def test_raw_keeps_the_users_spelling() -> None:
    local = read(edit(FILE, r"^Due: 2026-12-01$", "Due: '2026-12-01'"))
    assert local.errors == ()
    assert local.raw["d%3A"] == "2026-12-01"
    assert local.props["d%3A"] == {"start": "2026-12-01", "end": None, "time_zone": None}


def test_deleted_properties_and_computed_are_fine() -> None:
    data = edit(FILE, r"^Estimate: 3\n", "")
    data = edit(data, r"^  computed:\n(    .*\n)+", "")
    local = read(data)
    assert local.errors == ()
    assert "e%3A" not in local.props


def test_body_canonicalisation_ignores_blank_lines() -> None:
    spaced = edit(FILE, r"^Open the app\.$", "\n\n\nOpen the app.\n\n")
    local = read(spaced + b"\n\n\n")
    assert local.errors == ()
    assert local.body == read(FILE).body == BODY
    assert local.sha256 != read(FILE).sha256


def test_new_file_without_notion() -> None:
    data = b"---\nName: Brand new\nStatus: Not started\nTags:\n- frontend\n---\nHello\n"
    local = read(data, base=None)
    assert local.errors == ()
    assert local.page_id is None
    assert local.props == {
        "title": properties.frontmatter_to_canonical(SCHEMA["Name"], "Brand new"),
        "s%3A": "Not started",
        "t%3A": ["frontend"],
    }
    assert local.body == "Hello"


def test_new_file_with_url_or_computed_is_blocked() -> None:
    data = b"---\nName: New\n_notion:\n  url: https://x\n  computed:\n    Score: 1\n---\n"
    local = read(data, base=None)
    assert len(local.errors) == 2
    assert local.errors[0].startswith(f"{PATH}:4: property '_notion.url': a new file has no")
    assert local.errors[1].startswith(f"{PATH}:5: property '_notion.computed':")


def test_id_without_base_skips_base_checks() -> None:
    local = read(FILE, base=None)
    assert local.errors == ()
    assert local.page_id == PAGE_ID


def test_id_is_normalised() -> None:
    data = edit(FILE, r"^  id: .*$", "  id: " + PAGE_ID.replace("-", "").upper())
    assert read(data).page_id == PAGE_ID


def test_conflict_markers_and_conflicts_key() -> None:
    data = FILE.decode().replace(
        "- Click login", "<<<<<<< local\n- Click login\n=======\n- Tap login\n>>>>>>> notion"
    )
    data = data.replace("  computed:", "  conflicts:\n  - body\n  computed:")
    local = read(data.encode())
    assert local.errors == ()
    assert local.has_conflict_markers is True
    assert local.conflicts_key == ["body"]
    assert read(FILE).has_conflict_markers is False


# ------------------------------------------------------------------------- bad input


def assert_names(message: str, line: int | None, prop: str | None) -> None:
    where = PATH if line is None else f"{PATH}:{line}"
    assert message.startswith(f"{where}: "), message
    if prop is not None:
        assert f"property {prop!r}" in message, message


@pytest.mark.parametrize(
    ("pattern", "repl", "prop", "expect"),
    [
        (r"^Estimate: 3$", "Estimate: three", "Estimate", 'expected a number, found the string'),
        (r"^Priority: High$", "Priority: Urgent", "Priority", "'Urgent' is not an option"),
        (r"^Status: In progress$", "Status: Blocked", "Status", "'Blocked' is not a status"),
        (r"^Status: In progress$", "Status: in progress", "Status", "did you mean 'In progress'"),
        (r"^Due: 2026-12-01$", "Due: 2026-02-30", "Due", "is not a real date"),
        (r"^Due: 2026-12-01$", "Due: next week", "Due", "expected the date as a date"),
        (r"^Shipped: false$", "Shipped: maybe", "Shipped", "expected true or false"),
        (r"^Link: .*$", "Link: 12", "Link", "expected a URL string, found the number 12"),
        (r"^Name: .*$", "Stauts: Done", "Stauts", "did you mean 'Status'?"),
        (r"^Name: .*$", "Colour: red", "Colour", "is not a property of this data source"),
        (r"^Name: .*$", "Score: 7", "Score", "computed by Notion"),
        (r"^Name: .*$", "Created: 2026-01-01", "Created", "computed by Notion"),
    ],
)  # fmt: skip
def test_bad_property_values(pattern: str, repl: str, prop: str, expect: str) -> None:
    data = edit(FILE, pattern, repl)
    local = read(data)
    message = only_error(local)
    assert_names(message, line_of(data, "^" + re.escape(repl)), prop)
    assert expect in message, message
    assert local.error == message
    # A blocked property never reaches props; the others still do.
    assert SCHEMA.get(prop, {}).get("id") not in local.props
    assert len(local.props) >= 8


def test_multi_select_error_points_at_the_property_line() -> None:
    data = edit(FILE, r"^- backend$", "- backend\n- newtag")
    message = only_error(read(data))
    assert_names(message, line_of(data, "^Tags:"), "Tags")
    assert "'newtag' is not an option of this multi-select" in message


def test_unknown_property_lists_editable_names() -> None:
    data = edit(FILE, r"^Name: .*$", "Colour: red")
    assert only_error(read(data)) == (
        f"{PATH}:2: property 'Colour': is not a property of this data source; its editable "
        "properties are: Due, Estimate, Link, Name, Notes, Owner, Priority, Related, Shipped, "
        "Status, Tags"
    )


def test_new_options_allowed_by_policy() -> None:
    data = edit(FILE, r"^Priority: High$", "Priority: Urgent")
    data = edit(data, r"^- backend$", "- backend\n- newtag")
    assert len(read(data).errors) == 2
    local = read(data, allow_new_options=True)
    assert local.errors == ()
    assert local.props["p%3A"] == "Urgent"
    assert local.props["t%3A"] == ["backend", "newtag"]
    # Statuses are never created, whatever the policy.
    data = edit(FILE, r"^Status: In progress$", "Status: Blocked")
    assert "is not a status" in only_error(read(data, allow_new_options=True))


def test_malformed_yaml() -> None:
    data = edit(FILE, r"^Estimate: 3$", "Estimate: [3")
    local = read(data)
    message = only_error(local)
    assert message.startswith(f"{PATH}:")
    assert "invalid YAML frontmatter" in message
    assert local.props == {} and local.raw == {}
    # The identity is still recovered so the planner can block the right page.
    assert local.page_id == PAGE_ID


def test_no_closing_delimiter() -> None:
    data = FILE.replace(b"\n---\n", b"\n", 1)
    assert b"\n---\n" not in data[4:]
    message = only_error(read(data))
    assert message.startswith(f"{PATH}:1: ")
    assert "no closing '---'" in message


def test_not_utf8() -> None:
    data = edit(FILE, r"^Estimate: 3$", "Estimate: 3 XX").replace(b"XX", b"\xff\xfe")
    message = only_error(read(data))
    assert message.startswith(f"{PATH}:{line_of(FILE, '^Estimate')}: ")
    assert "not valid UTF-8" in message


def test_alias_bomb() -> None:
    lol = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        lol.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]")
    data = ("\n".join([*lol, "---", "body"]) + "\n").encode()
    local = read(data)
    message = only_error(local)
    # The codec reports the anchored node's line (2), not the first alias's (3).
    assert re.match(rf"{re.escape(PATH)}:[23]: ", message), message
    assert "aliases" in message


def test_oversized_frontmatter() -> None:
    big = "x" * (document.MAX_FRONTMATTER_BYTES + 10)
    data = f"---\nName: {big}\n---\n".encode()
    message = only_error(read(data))
    assert message.startswith(f"{PATH}:2: ")
    assert "larger than" in message


def _mixed_line_ends(data: bytes) -> bytes:
    lines = data.split(b"\n")
    ends = (b"\r\n", b"\n", b"\r")
    return b"".join(ln + ends[i % 3] for i, ln in enumerate(lines[:-1])) + lines[-1]


@pytest.mark.parametrize("variant", [
    lambda d: b"\xef\xbb\xbf" + d,
    lambda d: d.replace(b"\n", b"\r\n"),
    lambda d: d.replace(b"\n", b"\r"),
    _mixed_line_ends,
    lambda d: b"\xef\xbb\xbf" + _mixed_line_ends(d),
], ids=["bom", "crlf", "cr", "mixed", "bom-mixed"])  # fmt: skip
def test_bom_and_line_ends_are_not_edits(variant: Any) -> None:
    """A BOM or other line ends (Windows, classic Mac, a mix) read exactly as the file
    notion-mirror wrote: same values, same canonical body, same identity; an edit in
    such a file reads like the same edit in a clean file, with the same line numbers."""
    clean = read(FILE)
    local = read(variant(FILE))
    assert local.errors == ()
    assert (local.props, local.raw, local.body, local.page_id) == (
        clean.props, clean.raw, clean.body, clean.page_id)  # fmt: skip
    edited = edit(FILE, r"^Estimate: 3$", "Estimate: three")
    assert read(variant(edited)).errors == read(edited).errors
    body_edit = edit(FILE, r"^Open the app\.$", "Open the app now.")
    assert read(variant(body_edit)).body == read(body_edit).body != clean.body


@pytest.mark.parametrize(("data", "says", "line"), [
    (FILE + b"tail\x00\n", "contains a NUL byte", 28),
    (FILE.replace(b"Estimate: 3", b"Estimate: 3\x00"), "contains a NUL byte", 4),
    (FILE.replace(b"\n", b"\r").replace(b"Estimate: 3", b"Estimate: \xff"),
     "not valid UTF-8: byte 0xff", 4),
    (FILE.decode().encode("utf-16"), "is encoded as UTF-16", 1),
    (FILE.decode().encode("utf-16-le"), "is encoded as UTF-16", 1),
])  # fmt: skip
def test_unreadable_bytes_name_the_line_and_keep_the_identity(
    data: bytes, says: str, line: int
) -> None:
    local = read(data)
    message = only_error(local)
    assert message.startswith(f"{PATH}:{line}: "), message
    assert says in message
    assert local.page_id == PAGE_ID  # the planner blocks the page, not a "new file"
    assert local.props == {}


def test_control_character_in_the_frontmatter_names_line_and_property() -> None:
    data = edit(FILE, r"^Estimate: 3$", "Estimate: 3\nNotes: bell\x07here")
    message = only_error(read(data))
    assert message.startswith(f"{PATH}:{line_of(data, '^Notes: bell')}: property 'Notes': ")
    assert "control character U+0007 is not allowed" in message


def test_a_body_nested_too_deeply_is_an_error_not_a_crash() -> None:
    deep = "\n".join("\t" * i + "- level" for i in range(1500))
    message = only_error(read(FILE + deep.encode()))
    assert message.startswith(f"{PATH}:{line_of(FILE, '^# Steps')}: ")
    assert "nested too deeply (more than 64 indented levels)" in message


def test_edited_computed_value() -> None:
    data = edit(FILE, r"^    Score: 42$", "    Score: 43")
    message = only_error(read(data))
    assert message == (
        f"{PATH}:{line_of(data, 'Score: 43')}: property '_notion.computed.Score': is computed "
        "by Notion and cannot be edited (Notion has 42); put it back or delete the line"
    )


def test_computed_value_round_trip_is_not_an_edit() -> None:
    # The same value spelled differently (quoted date, 42.0) is not an edit.
    data = edit(FILE, r"^    Score: 42$", "    Score: 42.0")
    data = edit(data, r"^    Created: (.*)$", r"    Created: '\1'")
    assert read(data).errors == ()
    # ... but a boolean is not a number.
    assert len(read(edit(FILE, r"^    Score: 42$", "    Score: true")).errors) == 1


def test_added_computed_value() -> None:
    data = edit(FILE, r"^    Score: 42$", "    Score: 42\n    Status: Done\n    Bogus: 1")
    local = read(data)
    assert len(local.errors) == 2
    assert_names(local.errors[0], line_of(data, "Status: Done"), "_notion.computed.Status")
    assert "belongs at the top level" in local.errors[0]
    assert_names(local.errors[1], line_of(data, "Bogus: 1"), "_notion.computed.Bogus")


def test_computed_not_a_mapping() -> None:
    data = edit(FILE, r"^  computed:\n(    .*\n)+", "  computed: 5\n")
    assert_names(only_error(read(data)), line_of(data, "computed: 5"), "_notion.computed")


def test_edited_notion_url() -> None:
    data = edit(FILE, r"^  url: .*$", "  url: https://evil.example")
    message = only_error(read(data))
    assert message == (
        f"{PATH}:{line_of(data, 'url: https://evil')}: property '_notion.url': is written by "
        f"notion-mirror; edits to it are not synced (put back {URL})"
    )


def test_unknown_notion_key() -> None:
    data = edit(FILE, r"^  url: (.*)$", r"  url: \1\n  Status: Done")
    message = only_error(read(data))
    assert_names(message, line_of(data, "^  Status: Done"), "_notion.Status")
    assert "allowed under _notion: id, url, computed, conflicts" in message


@pytest.mark.parametrize("bad", ["not-an-id", "12345", "null", "[1, 2]"])
def test_bad_notion_id(bad: str) -> None:
    data = edit(FILE, r"^  id: .*$", f"  id: {bad}")
    local = read(data)
    message = only_error(local)
    assert_names(message, line_of(data, r"^  id: "), "_notion.id")
    assert "expected the page id" in message
    assert local.page_id is None


def test_read_only_rich_text_at_top_level() -> None:
    # A truncated value is rendered under computed; moving it to the top is refused.
    truncated = _value("Notes", [_text("part")], has_more=True)
    base = make_base(Notes=truncated)
    rendered = render_page(SCHEMA, base)
    assert b"\n    Notes: part\n" in rendered
    assert read(rendered, base=base).errors == ()
    data = edit(rendered, r"^Estimate: 3$", "Estimate: 3\nNotes: part and more")
    message = only_error(read(data, base=base))
    assert_names(message, line_of(data, "^Notes:"), "Notes")
    assert "read-only here: Notion returned only part of this value" in message
    assert "edit it in Notion" in message


def test_many_problems_are_all_reported_in_file_order() -> None:
    data = edit(FILE, r"^Estimate: 3$", "Estimate: three")
    data = edit(data, r"^Status: In progress$", "Status: Blocked")
    data = edit(data, r"^Name: (.*)$", r"Name: \1\nColour: red")
    data = edit(data, r"^  url: .*$", "  url: https://evil.example")
    data = edit(data, r"^    Score: 42$", "    Score: 1")
    local = read(data)
    props = ["Colour", "Estimate", "Status", "_notion.url", "_notion.computed.Score"]
    assert len(local.errors) == len(props), local.errors
    for message, prop in zip(local.errors, props, strict=True):
        assert message.startswith(f"{PATH}:"), message
        assert f"property {prop!r}" in message, message
    lines = [int(m.split(":")[1]) for m in local.errors]
    assert lines == sorted(lines)
    assert local.error == "\n".join(local.errors)
    # The valid properties are still read (the planner may show them), but the file is blocked.
    assert local.props["p%3A"] == "High"
    assert "e%3A" not in local.props


# ------------------------------------------------------------------------ robustness

_KEYS = st.sampled_from([*SCHEMA, "_notion", "Other", "id", "url"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
    st.sampled_from(["High", "Done", "2026-12-01", "2026-12-01T10:00Z", ADA, PAGE_ID, URL]),
)  # fmt: skip
_SUBKEYS = st.sampled_from((*NOTION_KEYS, "start", "end", "time_zone", "Score", "name", "x"))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_SUBKEYS, inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), use_base=st.booleans())
def test_never_raises_on_arbitrary_bytes(data: bytes, use_base: bool) -> None:
    for blob in (data, b"---\n" + data, FILE[:200] + data):
        local = read(blob, base=BASE if use_base else None)
        assert isinstance(local.errors, tuple)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.text(max_size=300), body=st.text(max_size=100), use_base=st.booleans())
def test_never_raises_on_arbitrary_frontmatter_text(front: str, body: str, use_base: bool) -> None:
    local = read(f"---\n{front}\n---\n{body}".encode(), base=BASE if use_base else None)
    assert all(m.startswith(PATH) for m in local.errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=st.dictionaries(_KEYS, _VALUES, max_size=6), use_base=st.booleans(),
       allow=st.booleans())  # fmt: skip
def test_never_raises_on_arbitrary_yaml_values(
    mapping: dict[str, Any], use_base: bool, allow: bool
) -> None:
    notion = mapping.pop("_notion", None)
    try:
        data = document.render(mapping, notion if isinstance(notion, dict) else {}, "body")
    except ValueError:
        return
    local = read(data, base=BASE if use_base else None, allow_new_options=allow)
    assert all(m.startswith(f"{PATH}:") for m in local.errors), local.errors
    # Whatever is accepted is canonical and comparable.
    for pid in local.props:
        assert pid in BY_ID and pid in local.raw
