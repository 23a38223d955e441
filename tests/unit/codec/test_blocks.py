"""Structure produced by the block scanner."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings

from notion_mirror.codec.blocks import MAX_NESTING, TOO_DEEP, Node, blocks_of, render, walk
from notion_mirror.codec.body import canonicalize, is_writable, present, to_canonical
from tests.unit.codec._strategies import raw_body


def kinds(nodes: tuple[Node, ...]) -> list[str]:
    return [n.kind for n in nodes]


def test_one_block_per_line() -> None:
    nodes = blocks_of("# H\npara\n- b\n1. n\n- [x] t\n> q\n---\n<empty-block/>")
    assert kinds(nodes) == [
        "heading", "paragraph", "bullet", "numbered", "todo", "quote", "divider", "tag"
    ]
    assert nodes[4].marker == "x"


def test_tab_children_and_depth() -> None:
    (item,) = blocks_of("- a\n\t- b\n\t\tc\n\td")
    assert [c.text for c in item.children] == ["b", "d"]
    assert item.children[0].children[0].depth == 2


def test_toggle_heading_attrs() -> None:
    (h,) = blocks_of('## T {toggle="true" color="red"}\n\tchild')
    assert h.kind == "heading" and h.text == "T"
    assert dict(h.attrs) == {"toggle": "true", "color": "red"}
    assert h.children[0].text == "child"


def test_escaped_brace_is_text_not_attrs() -> None:
    (p,) = blocks_of('a \\{color="red"\\}')
    assert p.attrs == () and p.text == 'a \\{color="red"\\}'


def test_fence_content_is_raw_even_at_column_zero() -> None:
    md = (
        "<details>\n<summary>S</summary>\n"
        "\t```c++\n\tint x;\n## not a heading\n\n\t```\n</details>"
    )
    (d,) = blocks_of(md)
    (code,) = d.children
    assert code.kind == "code" and code.marker == "c++"
    assert code.body == ("\tint x;", "## not a heading", "")
    assert render(blocks_of(md)) == md


def test_equation_block() -> None:
    (eq,) = blocks_of("$$\nE = mc^2\n$$")
    assert eq.kind == "equation" and eq.body == ("E = mc^2",)


def test_containers() -> None:
    md = (
        '<callout icon="💡">\n\tlead\n\t- x\n</callout>\n'
        "<columns>\n\t<column>\n\t\tL\n\t</column>\n</columns>"
    )
    callout, columns = blocks_of(md)
    assert callout.kind == "callout" and dict(callout.attrs) == {"icon": "💡"}
    assert kinds(callout.children) == ["paragraph", "bullet"]
    assert columns.children[0].kind == "column"
    assert columns.children[0].children[0].text == "L"


def test_details_summary() -> None:
    (d,) = blocks_of("<details color=\"red\">\n<summary>Q</summary>\n\tA\n</details>")
    assert d.kind == "details" and d.text == "Q" and d.children[0].text == "A"


def test_table_rows_inline_or_indented() -> None:
    for md in (
        "<table>\n<tr><td>a</td><td>**b**</td></tr>\n</table>",
        "<table>\n\t<tr>\n\t\t<td>a</td>\n\t\t<td>**b**</td>\n\t</tr>\n</table>",
    ):
        (table,) = blocks_of(md)
        (row,) = table.children
        assert [c.text for c in row.children] == ["a", "**b**"]


def test_one_line_tags() -> None:
    md = (
        '<page url="https://app.notion.com/p/1">Sub</page>\n'
        '<database url="u" inline="true">DB</database>\n'
        '<pdf src="https://e.com/a.pdf">Doc</pdf>\n'
        '<table_of_contents color="gray"/>\n'
        '<unknown url="u#1" alt="embed"/>\n'
        "![c](https://e.com/i.png)"
    )
    nodes = blocks_of(md)
    assert [n.marker for n in nodes[:5]] == ["page", "database", "pdf", "table_of_contents",
                                            "unknown"]
    assert nodes[0].text == "Sub"
    assert nodes[5].kind == "image"


def test_inline_tag_at_line_start_is_a_paragraph() -> None:
    (p,) = blocks_of('<span color="red">x</span> y')
    assert p.kind == "paragraph"
    (m,) = blocks_of('<mention-user url="user://1"/> hi')
    assert m.kind == "paragraph"


@pytest.mark.parametrize("md", ["<foo bar=\"1\">\n\tx\n</foo>", "</details>", "<weird"])
def test_unrecognised_tags_are_opaque_and_verbatim(md: str) -> None:
    nodes = blocks_of(md)
    assert any(n.unsupported for n in nodes)
    assert render(nodes) == md


def test_nodes_are_immutable() -> None:
    (p,) = blocks_of("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.text = "y"  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(raw_body())
def test_render_round_trips_canonical_bodies(body: str) -> None:
    c = canonicalize(body)
    assert render(blocks_of(c)) == c


@pytest.mark.parametrize("kind", ["bullets", "toggles"])
def test_nesting_past_the_limit_is_kept_verbatim_and_read_only(kind: str) -> None:
    """5,000 levels (far past the interpreter's recursion limit) scan, render and
    round-trip exactly; everything below level MAX_NESTING is one opaque node, and
    the body is read-only with a reason, never a crash."""
    if kind == "bullets":
        lines = ["\t" * i + f"- level {i}" for i in range(5000)]
    else:
        lines = []
        for i in range(2500):
            lines.append("\t" * i + f"<details>\n{chr(9) * i}<summary>s{i}</summary>")
        lines += ["\t" * i + "</details>" for i in reversed(range(2500))]
    md = "\n".join(lines)
    nodes = blocks_of(md)
    assert render(nodes) == md
    assert canonicalize(md) == md
    assert to_canonical(present(md)) == md
    deep = [n for n in walk(nodes) if n.marker == TOO_DEEP]
    assert len(deep) == 1 and deep[0].depth == MAX_NESTING
    assert max(n.depth for n in walk(nodes)) == MAX_NESTING
    assert is_writable(md) == (False, f"nests blocks deeper than {MAX_NESTING} levels")


def test_nesting_up_to_the_limit_is_scanned_as_usual() -> None:
    md = "\n".join("\t" * i + f"- level {i}" for i in range(MAX_NESTING))
    nodes = blocks_of(md)
    assert all(n.kind == "bullet" for n in walk(nodes)), {n.kind for n in walk(nodes)}
    assert render(nodes) == md
    assert is_writable(md) == (True, None)
