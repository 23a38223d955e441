"""Rich text <-> inline enhanced markdown."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.codec.richtext import (
    MAX_TEXT,
    canonical_richtext,
    from_markdown,
    plain_text,
    to_markdown,
)

COLORS = ["default", "red", "blue_background", "gray"]


def text_run(content: str, link: str | None = None, **ann: Any) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": ann,
        "plain_text": content,
        "href": link,
    }


def test_plain_text_stays_plain() -> None:
    assert to_markdown([text_run("Fix login bug")]) == "Fix login bug"
    assert canonical_richtext(from_markdown("Fix login bug")) == canonical_richtext(
        [text_run("Fix login bug")]
    )


@pytest.mark.parametrize(
    ("runs", "md"),
    [
        ([text_run("b", bold=True)], "**b**"),
        ([text_run("i", italic=True)], "*i*"),
        ([text_run("bi", bold=True, italic=True)], "***bi***"),
        ([text_run("s", strikethrough=True)], "~~s~~"),
        ([text_run("c", code=True)], "`c`"),
        ([text_run("u", underline=True)], '<span underline="true">u</span>'),
        ([text_run("r", bold=True, color="red")], '<span color="red">**r**</span>'),
        ([text_run("y", color="yellow_background")], '<span color="yellow_bg">y</span>'),
        ([text_run("t", link="https://e.com/x")], "[t](https://e.com/x)"),
        ([text_run("a ~ {b} | c")], "a \\~ \\{b\\} \\| c"),
        ([text_run("line1\nline2")], "line1<br>line2"),
        ([text_run("差分陣列 ", bold=True)], "**差分陣列 **"),
        ([text_run("snake_case")], "snake_case"),
    ],
)
def test_to_markdown_forms(runs: list[dict[str, Any]], md: str) -> None:
    assert to_markdown(runs) == md
    assert canonical_richtext(from_markdown(md)) == canonical_richtext(runs)


def test_mentions_and_equations() -> None:
    rt = [
        {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "u-1"}},
         "plain_text": "@Ann", "href": None, "annotations": {}},
        {"type": "mention", "plain_text": "Page", "href": "https://www.notion.so/x",
         "mention": {"type": "page", "page": {"id": "01234567-89ab-cdef-0123-456789abcdef"}}},
        {"type": "mention", "plain_text": "2026-05-24",
         "mention": {"type": "date", "date": {"start": "2026-05-24", "end": None,
                                              "time_zone": None}}},
        {"type": "equation", "equation": {"expression": "e^{i\\pi}"}, "plain_text": "e^{i\\pi}"},
    ]
    md = to_markdown(rt)
    assert md == (
        '<mention-user url="user://u-1"/>'
        '<mention-page url="https://app.notion.com/p/0123456789abcdef0123456789abcdef"/>'
        '<mention-date start="2026-05-24"/>'
        "$`e^{i\\pi}`$"
    )
    assert canonical_richtext(from_markdown(md)) == canonical_richtext(rt)


def test_mention_with_inner_text_ignores_it() -> None:
    md = '<mention-page url="https://app.notion.com/p/0123456789abcdef0123456789abcdef">Old</mention-page>!'
    rt = from_markdown(md)
    assert rt[0]["mention"]["page"]["id"] == "01234567-89ab-cdef-0123-456789abcdef"
    assert rt[1]["text"]["content"] == "!"


def test_input_forms() -> None:
    assert canonical_richtext(from_markdown("__b__ _i_")) == canonical_richtext(
        [text_run("b", bold=True), text_run(" "), text_run("i", italic=True)]
    )
    assert from_markdown("") == []


def test_long_text_is_split() -> None:
    rt = from_markdown("x" * (2 * MAX_TEXT + 5))
    assert [len(r["text"]["content"]) for r in rt] == [MAX_TEXT, MAX_TEXT, 5]


def test_plain_text() -> None:
    eq = {"type": "equation", "equation": {"expression": "x"}}
    assert plain_text([text_run("a"), eq]) == "ax"
    assert plain_text(from_markdown("**a** b")) == "a b"


HOSTILE = st.lists(
    st.sampled_from([*"ab _*`<>\\[]$~{}|^#-!():\n", "🎉", "e\u0301", "日", "é", "\t"]),
    min_size=1,
    max_size=12,
).map("".join)
ANN = st.fixed_dictionaries(
    {
        "bold": st.booleans(),
        "italic": st.booleans(),
        "strikethrough": st.booleans(),
        "underline": st.booleans(),
        "code": st.booleans(),
        "color": st.sampled_from(COLORS),
    }
)
LINK = st.none() | st.sampled_from(["https://example.com/a", "https://e.com/x?y=1&z=(2)"])


@st.composite
def run(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["text", "text", "text", "mention", "equation"]))
    ann = draw(ANN)
    if kind == "text":
        content = draw(HOSTILE)
        if ann["code"]:
            content = content.replace("\n", " ")
        return {"type": "text", "text": {"content": content, "link": (
            {"url": u} if (u := draw(LINK)) else None)}, "annotations": ann}
    ann = {**ann, "code": False}
    if kind == "equation":
        expr = draw(st.text(alphabet="xy^{}\\ _*+$<>", min_size=1, max_size=8))
        return {"type": "equation", "equation": {"expression": expr.strip() or "x"},
                "annotations": ann}
    mention = draw(st.sampled_from([
        {"type": "user", "user": {"id": "5f1c2d3e-0000-4000-8000-000000000001"}},
        {"type": "page", "page": {"id": "01234567-89ab-cdef-0123-456789abcdef"}},
        {"type": "date", "date": {"start": "2026-05-24", "end": "2026-05-25"}},
    ]))
    return {"type": "mention", "mention": mention, "annotations": ann}


@settings(max_examples=200, deadline=None)
@given(st.lists(run(), max_size=5))
def test_round_trip(rt: list[dict[str, Any]]) -> None:
    expected = canonical_richtext(rt)
    md = to_markdown(expected)
    assert canonical_richtext(from_markdown(md)) == expected, md
    assert to_markdown(from_markdown(md)) == md
