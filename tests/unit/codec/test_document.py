"""Mirror files as bytes: deterministic render, hostile-input-proof parse."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.codec import document
from notion_mirror.codec.document import (
    MAX_FRONTMATTER_BYTES,
    MAX_NODES,
    DateValue,
    Document,
    parse,
    render,
)
from notion_mirror.errors import FileInputError

FAST = settings(max_examples=150, deadline=None)
LOADERS = pytest.mark.parametrize("loader", [document.Loader, document._PyLoader],
                                  ids=["default", "pure-python"])  # fmt: skip
PAGE_ID = "2b5e7c1d-0000-4000-8000-000000000001"

EXAMPLE_PROPS: dict[str, Any] = {
    "Name": "Fix login bug",
    "Status": "In progress",
    "Tags": ["backend", "urgent"],
    "Due": DateValue("2026-12-01"),
    "Estimate": 3,
    "Done": False,
    "Owner": [],
}
EXAMPLE_NOTION: dict[str, Any] = {
    "url": "https://app.notion.com/p/2b5e7c1d",
    "id": PAGE_ID,
    "computed": {"Created": DateValue("2026-11-01T10:00:00.000Z"), "Task ID": "T-7"},
}
EXAMPLE = """\
---
Name: Fix login bug
Status: In progress
Tags:
- backend
- urgent
Due: 2026-12-01
Estimate: 3
Done: false
Owner: []
_notion:
  id: 2b5e7c1d-0000-4000-8000-000000000001
  url: https://app.notion.com/p/2b5e7c1d
  computed:
    Created: 2026-11-01T10:00:00.000Z
    Task ID: T-7
---
The page body.
"""


def _err(data: bytes, **kw: Any) -> FileInputError:
    with pytest.raises(FileInputError) as info:
        parse(data, path="tasks/Fix.md", **kw)
    assert info.value.path == "tasks/Fix.md"
    return info.value


# ------------------------------------------------------------------------------ render


def test_render_matches_the_documented_layout() -> None:
    assert render(EXAMPLE_PROPS, EXAMPLE_NOTION, "The page body.\n").decode() == EXAMPLE


@LOADERS
def test_parse_reads_the_layout_back(loader: type) -> None:
    doc = parse(EXAMPLE.encode(), path="x.md", loader=loader)
    assert doc == Document(
        properties={**EXAMPLE_PROPS},
        notion={**EXAMPLE_NOTION},
        body="The page body.\n",
        key_lines={"Name": 2, "Status": 3, "Tags": 4, "Due": 7, "Estimate": 8, "Done": 9,
                   "Owner": 10, "_notion": 11},
    )  # fmt: skip
    assert list(doc.properties) == list(EXAMPLE_PROPS)
    assert type(doc.properties["Due"]) is str  # dates stay text, spelled as written


def test_render_is_deterministic_and_keeps_the_given_order() -> None:
    reordered = dict(reversed(list(EXAMPLE_PROPS.items())))
    first = render(reordered, EXAMPLE_NOTION, "b")
    assert first == render(dict(reordered), dict(EXAMPLE_NOTION), "b")
    front = first.decode().split("---\n")[1]
    keys = [ln.split(":")[0] for ln in front.splitlines() if ln[:1].isalpha()]
    assert keys == list(reordered)


def test_render_writes_shared_values_twice_instead_of_aliases() -> None:
    tags = ["a", "b"]
    data = render({"X": tags, "Y": tags}, {}, "")
    assert b"&" not in data and b"*" not in data
    assert parse(data, path="x").properties == {"X": tags, "Y": tags}


def test_render_refuses_a_property_named_like_the_metadata_key() -> None:
    with pytest.raises(ValueError, match="_notion"):
        render({"_notion": 1}, {}, "")


def test_render_normalises_line_ends_and_never_wraps() -> None:
    long = "word " * 200 + "end"
    data = render({"Name": long}, {}, "a\r\nb\n")
    assert b"\r" not in data
    assert data.decode().splitlines()[1] == f"Name: {long}"
    assert parse(data, path="x").body == "a\nb\n"


def test_empty_and_metadata_only_documents() -> None:
    assert render({}, {}, "") == b"---\n---\n"
    assert parse(b"---\n---\n", path="x") == Document({}, {}, "", {})
    assert parse(b"---\n---", path="x").body == ""
    assert parse(b"---\n---\nbody", path="x").body == "body"


AMBIGUOUS = ["yes", "No", "on", "OFF", "y", "true", "null", "Null", "~", "", "1.0", "1", "-1",
             "0x1F", "0o17", "010", "1_000", "1e3", "1:20", ".inf", "-.nan", "2026-01-01",
             "2026-01-01T10:00:00Z", ":", "- a", "-", "#x", "a #b", "a: b", "[x]", "{x}",
             "&a", "*a", "!tag", "%x", "@x", "`x", "'", '"', "|", ">", "?", "? x", "=", "<<",
             " lead", "trail ", "\ttab", "---", "...", "a\nb", "a\n", "\n", "日本語", "e\u0301",
             "\x00", "\x1b[31m", "\u2028", "\ufeff", "x" * 300]  # fmt: skip


@LOADERS
@pytest.mark.parametrize("text", AMBIGUOUS)
def test_ambiguous_strings_are_quoted_and_survive(text: str, loader: type) -> None:
    data = render({"Name": text}, {}, "")
    assert parse(data, path="x", loader=loader).properties == {"Name": text}
    # Standard YAML 1.1 readers must agree that it is a string too.
    front = data.decode().split("---\n")[1]
    assert yaml.safe_load(front) == {"Name": text}


@LOADERS
@FAST
@given(
    st.dictionaries(st.text(max_size=20).filter(lambda k: k != "_notion"),
                    st.one_of(st.text(), st.lists(st.text(), max_size=3), st.none(),
                              st.booleans(), st.integers(), st.floats(allow_nan=False)),
                    max_size=5),
    st.text(),
)  # fmt: skip
def test_any_strings_survive_render_and_parse(loader: type, props: dict[str, Any],
                                              body: str) -> None:  # fmt: skip
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    data = render(props, {"id": PAGE_ID}, body)
    assert data == render(props, {"id": PAGE_ID}, body)
    doc = parse(data, path="x", loader=loader)
    assert doc.properties == props and list(doc.properties) == list(props)
    assert doc.body == body
    assert doc.notion == {"id": PAGE_ID}


def test_extra_metadata_keys_are_kept_generic() -> None:
    notion = {"id": PAGE_ID, "url": "u", "conflicts": {"Estimate": {"local": 3, "notion": 5}}}
    doc = parse(render({"Estimate": 3}, notion, ""), path="x")
    assert doc.notion == notion


# ------------------------------------------------------------------------------- parse


def test_error_lines_point_into_the_file() -> None:
    err = _err(b"---\nName: a\nTags: [a, b\nDone: true\n---\n")
    assert err.line is not None and 3 <= err.line <= 5
    assert "invalid YAML frontmatter" in str(err)
    assert str(err).startswith(f"tasks/Fix.md:{err.line}: ")


@pytest.mark.parametrize(("data", "message", "line"), [
    (b"Name: x\n", "does not start with a '---' line", 1),
    (b"", "does not start with a '---' line", 1),
    (b"---\nName: x\n", "no closing '---' line", 1),
    (b"---", "no closing '---' line", 1),
    (b"---\n- a\n- b\n---\n", "must be a mapping of property names to values, found a list", 2),
    (b"---\njust text\n---\n", "found a single value", 2),
    (b"---\nName: a\nName: b\n---\n", "duplicate key 'Name' (first on line 2)", 3),
    (b"---\n_notion: {id: a, id: b}\n---\n", "duplicate key 'id'", 2),
    (b"---\nyes: 1\n---\n", "keys must be strings, found yes", 2),
    (b"---\n3: 1\n---\n", "keys must be strings, found 3", 2),
    (b"---\n? [a]\n: 1\n---\n", "keys must be strings, found a list or mapping", 2),
    (b"---\nX: !!binary aGk=\n---\n", "YAML tag !!binary is not allowed", 2),
    (b"---\nX: !!python/object:os.system {}\n---\n", "is not allowed", 2),
    (b"---\nX: !!set {a: null}\n---\n", "YAML tag !!set is not allowed", 2),
    (b"---\nX: !custom 1\n---\n", "YAML tag !custom is not allowed", 2),
    (b"---\nX: &a 1\nY: *a\n---\n", "anchors and aliases", 2),
    (b"---\nName: x\n_notion: [1]\n---\n", "_notion must be a mapping", 3),
    (b"---\nName: x\x00y\n---\n", "NUL byte (offset 11)", 2),
    (b"---\nName: ok\n---\nbody\n\xff\xfe\n", "not valid UTF-8: byte 0xff at offset 22", 5),
    (b"---\nName: \xc3\n---\n", "byte 0xc3 at offset 10", 2),
    (b"---\nName: x\n--- trailing\n", "no closing '---' line", 1),
])  # fmt: skip
def test_bad_files_get_clear_errors(data: bytes, message: str, line: int) -> None:
    err = _err(data)
    assert message in str(err)
    assert err.line == line


@LOADERS
def test_both_loaders_reject_the_same_things(loader: type) -> None:
    for data in (b"---\nA: &x [1]\nB: *x\n---\n", b"---\nA: 1\nA: 2\n---\n",
                 b"---\nX: !!binary aGk=\n---\n", b"---\n[\n---\n"):  # fmt: skip
        with pytest.raises(FileInputError):
            parse(data, path="x", loader=loader)


@LOADERS
def test_alias_bomb_is_rejected_fast_and_small(loader: type) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    data = ("---\n" + "\n".join(lines) + "\n---\n").encode()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = _err(data, loader=loader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "anchors and aliases" in str(err)
    assert time.perf_counter() - started < 1.0
    assert peak < 5 * 1024 * 1024


@LOADERS
def test_deep_nesting_is_rejected(loader: type) -> None:
    err = _err(("---\nX: " + "[" * 5000 + "]" * 5000 + "\n---\n").encode(), loader=loader)
    assert "nest" in str(err).lower()
    err = _err(("---\nX: " + "[" * 40 + "]" * 40 + "\n---\n").encode(), loader=loader)
    assert "nested deeper than 32 levels" in str(err)


def test_huge_frontmatter_is_rejected_before_parsing() -> None:
    big = "---\nk: " + "v" * MAX_FRONTMATTER_BYTES + "\n---\n"
    started = time.perf_counter()
    err = _err(big.encode())
    assert "frontmatter is larger than 8 MiB" in str(err)
    assert err.line == 2
    assert time.perf_counter() - started < 1.0
    # A big body is fine: the cap is on the frontmatter only.
    assert parse(b"---\nA: 1\n---\n" + b"x" * (2 * MAX_FRONTMATTER_BYTES), path="x").properties


@pytest.mark.parametrize("front", [
    "X: [" + "1," * MAX_NODES + "1]\n",
    "X:\n" + "- 1\n" * (MAX_NODES + 1),
    "".join(f"k{i}: 1\n" for i in range(MAX_NODES // 2 + 1)),
])  # fmt: skip
def test_too_many_values_are_refused_before_building_them(front: str) -> None:
    """Pass criterion: a frontmatter of over MAX_NODES tiny values (under the byte cap)
    is refused quickly and without building nodes (which costs ~350 bytes each). The
    pure-Python loader shares the check (it is only slower)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = _err(f"---\n{front}---\n".encode())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_NODES:,} values" in str(err)
    assert err.line is not None and err.line >= 2
    assert time.perf_counter() - started < 3.0
    assert peak < 32 * 1024 * 1024


def test_the_largest_page_values_are_readable() -> None:
    """Pass criterion: a frontmatter as big as Notion's limits allow (several text
    properties of 100 runs x 2,000 four-byte characters: megabytes) parses, so the
    tool never writes a file it then refuses to read."""
    text = "😀" * 200_000
    props = {f"Text {i}": text for i in range(8)}
    data = render(props, {"id": PAGE_ID}, "body")
    assert len(data) > 6 * 1024 * 1024
    assert parse(data, path="x").properties == props


def test_bom_is_tolerated_and_dropped() -> None:
    doc = parse(b"\xef\xbb\xbf" + EXAMPLE.encode(), path="x")
    assert doc.properties["Name"] == "Fix login bug"
    assert doc.key_lines["Name"] == 2


def test_crlf_files_read_like_lf_files() -> None:
    crlf = parse(EXAMPLE.replace("\n", "\r\n").encode(), path="x")
    assert crlf == parse(EXAMPLE.encode(), path="x")


@pytest.mark.parametrize("eol", ["\r\n", "\r", "mixed"])
def test_any_line_ends_read_like_lf(eol: str) -> None:
    """CRLF (Windows), lone CR (classic Mac) and a mix of both with LF all read as the
    same document, BOM or not, line numbers included."""
    lines = EXAMPLE.split("\n")
    if eol == "mixed":
        text = "".join(ln + ("\r\n", "\n", "\r")[i % 3] for i, ln in enumerate(lines[:-1]))
    else:
        text = eol.join(lines)
    expected = parse(EXAMPLE.encode(), path="x")
    assert parse(text.encode(), path="x") == expected
    assert parse(b"\xef\xbb\xbf" + text.encode(), path="x") == expected


def test_render_never_writes_cr_or_bom() -> None:
    data = render({"Name": "a\r\nb\rc"}, {"id": PAGE_ID}, "x\r\ny\rz\n")
    assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
    doc = parse(data, path="x")
    assert doc.properties["Name"] == "a\r\nb\rc"  # values keep theirs, escaped
    assert doc.body == "x\ny\nz\n"


@pytest.mark.parametrize(("data", "message", "line"), [
    ("---\nName: x\n---\n".encode("utf-16"), "is encoded as UTF-16, not UTF-8", 1),
    ("---\nName: x\n---\n".encode("utf-16-le"), "is encoded as UTF-16, not UTF-8", 1),
    ("---\nName: x\n---\n".encode("utf-16-be"), "is encoded as UTF-16, not UTF-8", 1),
    ("---\nName: x\n---\n".encode("utf-32"), "is encoded as UTF-32, not UTF-8", 1),
    ("---\nName: café\n---\n".encode("cp1252"), "byte 0xe9 at offset 13; save the file as UTF-8",
     2),
    (b"\xef\xbb\xbf\xef\xbb\xbf---\nName: x\n---\n", "it starts with '\\ufeff---'", 1),
    (b"Name: x\n---\n", "it starts with 'Name: x'", 1),
    (b"---\nName: a\x07b\n---\n", "the control character U+0007 is not allowed", 2),
    (b"---\nA: 1\nB: 2\nName: a\x1bb\n---\n", "control character U+001B", 4),
    (b"---\nA: 1\r\nName: \"a\x7f\"\r\n---\r\n", "control character U+007F", 3),
    # libyaml counts bytes, PyYAML characters: the line must not depend on which.
    (("---\nName: " + "é" * 50 + "\nA: 1\nB: 2\nC: 3\nNotes: a\x07b\nZ: 1\n---\n").encode(),
     "property 'Notes': invalid YAML frontmatter: the control character U+0007", 6),
])  # fmt: skip
def test_encoding_and_character_errors_say_what_and_where(
    data: bytes, message: str, line: int
) -> None:
    for loader in (document.Loader, document._PyLoader):
        err = _err(data, loader=loader)
        assert message in str(err), str(err)
        assert err.line == line, str(err)


def test_opening_and_closing_lines_may_have_trailing_blanks() -> None:
    doc = parse(b"--- \nA: 1\n---\t\nbody", path="x")
    assert (doc.properties, doc.body) == ({"A": 1}, "body")


def test_a_dashes_line_inside_the_body_is_body() -> None:
    doc = parse(b"---\nA: 1\n---\nintro\n---\nmore\n", path="x")
    assert doc.body == "intro\n---\nmore\n"


def test_yaml_dialect() -> None:
    doc = parse(b"---\nA: yes\nB: 0x1F\nC: 2026-01-01\nD: =\nE: <<\nF: ~\nG: 1.5\n---\n",
                path="x")  # fmt: skip
    assert doc.properties == {"A": True, "B": 31, "C": "2026-01-01", "D": "=", "E": "<<",
                              "F": None, "G": 1.5}  # fmt: skip


def test_key_lines_cover_multiline_values() -> None:
    data = render({"A": "x\ny", "B": ["a", "b"], "C": 1}, {"id": PAGE_ID}, "")
    doc = parse(data, path="x")
    lines = data.decode().splitlines()
    for key, line in doc.key_lines.items():
        assert lines[line - 1].startswith(f"{key}:")
