"""Hypothesis strategies that build canonical Notion bodies from the reference constructs."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = [
    "alpha", "β-test", "snake_case", "日本語", "emoji🎉", "e\u0301", "\\*", "\\{x\\}", "\\~",
    "\\|", "\\$", "\\<tag\\>", "**bold**", "*it*", "***both***", "~~gone~~", "`co{de}`",
    "[link](https://example.com/a)", '<span color="red">red</span>',
    '<span underline="true">u</span>', "$`x^2`$", "a<br>b", "trailing ",
    '<mention-user url="user://5f1c2d3e-0000-4000-8000-000000000001"/>',
    '<mention-page url="https://app.notion.com/p/0123456789abcdef0123456789abcdef"/>',
    '<mention-date start="2026-05-24"/>',
]

inline = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
COLOR = st.sampled_from(["", ' {color="red"}', ' {color="blue_bg"}'])
CODE_LINE = st.text(alphabet="ab \t{}*#-<>$`~", max_size=8)


def _tabs(d: int) -> str:
    return "\t" * d


@st.composite
def block(draw, depth: int = 0, budget: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    t = _tabs(depth)
    kinds = [
        "para", "heading", "bullet", "todo", "quote", "divider", "empty", "code",
        "equation", "page", "database", "image", "media", "toc", "unknown", "table",
    ]
    if budget > 0:
        kinds += ["toggle_heading", "callout", "details", "columns", "para_children",
                  "list_children"]
    kind = draw(st.sampled_from(kinds))
    text = draw(inline)
    if kind == "para":
        return [t + text + draw(COLOR)]
    if kind == "heading":
        return [t + "#" * draw(st.integers(1, 4)) + " " + text + draw(COLOR)]
    if kind == "bullet":
        return [t + "- " + text]
    if kind == "todo":
        return [t + draw(st.sampled_from(["- [ ] ", "- [x] "])) + text]
    if kind == "quote":
        return [t + "> " + text]
    if kind == "divider":
        return [t + "---"]
    if kind == "empty":
        return [t + "<empty-block/>"]
    if kind in ("code", "equation"):
        fence = "```" if kind == "code" else "$$"
        lang = draw(st.sampled_from(["python", "plain text", "c++"])) if kind == "code" else ""
        lines = draw(st.lists(CODE_LINE, max_size=4))
        lines = [ln for ln in lines if ln.strip("\t ") not in ("```", "$$")]
        return [t + fence + lang, *lines, t + fence]
    if kind == "page":
        return [t + '<page url="https://app.notion.com/p/0123456789abcdef0123456789abcdef">'
                + "Sub page</page>"]
    if kind == "database":
        return [t + '<database url="https://app.notion.com/p/0123456789abcdef0123456789abcdef"'
                ' inline="true">DB</database>']
    if kind == "image":
        return [t + "![Cap](https://example.com/a.png)"]
    if kind == "media":
        return [t + '<audio src="https://example.com/a.mp3">Song</audio>']
    if kind == "toc":
        return [t + "<table_of_contents/>"]
    if kind == "unknown":
        return [t + '<unknown url="https://app.notion.com/p/x#abc" alt="bookmark"/>']
    if kind == "table":
        rows = draw(st.integers(1, 3))
        out = [t + '<table header-row="true">']
        for _ in range(rows):
            out += ["<tr>", f"<td>{draw(inline)}</td>", "<td>x</td>", "</tr>"]
        return [*out, t + "</table>"]
    kids = draw(children(depth + 1, budget - 1))
    if kind == "toggle_heading":
        return [t + "#" * draw(st.integers(1, 4)) + " " + text + ' {toggle="true"}', *kids]
    if kind == "para_children":
        return [t + text, *kids]
    if kind == "list_children":
        return [t + draw(st.sampled_from(["- ", "1. ", "- [ ] ", "> "])) + text, *kids]
    if kind == "callout":
        return [t + '<callout icon="💡" color="blue_bg">', *kids, t + "</callout>"]
    if kind == "details":
        return [t + "<details>", t + f"<summary>{text}</summary>", *kids, t + "</details>"]
    cols: list[str] = [t + "<columns>"]
    for _ in range(draw(st.integers(1, 2))):
        inner = draw(children(depth + 2, budget - 1))
        cols += [t + "\t<column>", *inner, t + "\t</column>"]
    return [*cols, t + "</columns>"]


@st.composite
def children(draw, depth: int, budget: int) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for lines in draw(st.lists(block(depth, budget), min_size=1, max_size=3)):
        out += lines
    return out


@st.composite
def raw_body(draw) -> str:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for lines in draw(st.lists(block(0, 2), max_size=6)):
        out += lines
    return "\n".join(out)
