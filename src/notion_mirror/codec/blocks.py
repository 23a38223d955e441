"""Line-based block scanner for Notion enhanced Markdown (reference §1, §2, §7).

Not a CommonMark parser on purpose: Notion's body is one block per line, nested by tabs,
and mistune's block rules merge lines, swallow tags and read tab children as code.

``blocks_of`` never fails: anything it does not understand becomes an ``opaque`` node
that keeps its lines verbatim and is flagged ``unsupported``.  ``render`` writes the
canonical layout; for canonical input ``render(blocks_of(md)) == md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

__all__ = ["CONTAINERS", "MAX_NESTING", "TOO_DEEP", "Node", "blocks_of", "render", "walk"]

# Blocks nested deeper than this are kept verbatim in one opaque node (read-only)
# instead of being scanned: the scanner, the renderer and every tree walk recurse
# per level, and no real page nests anywhere near this deep.
MAX_NESTING = 64
TOO_DEEP = "too_deep"  # the marker of that opaque node

Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Node:
    kind: str
    depth: int
    text: str = ""  # inline text: heading/list/quote/paragraph/summary/cell/tag caption
    attrs: Attrs = ()  # tag attributes or the trailing {…} list, in source order
    marker: str = ""  # heading '#'s, list marker, tag name, code language
    body: tuple[str, ...] = ()  # code/equation content lines, byte for byte
    raw: tuple[str, ...] = ()  # opaque/meeting-notes lines, verbatim
    children: tuple[Node, ...] = field(default=())
    unsupported: bool = False


CONTAINERS = ("details", "callout", "columns", "column", "synced_block", "synced_block_reference")
ONE_LINE_TAGS = ("page", "database", "audio", "video", "file", "pdf", "image")
SELF_CLOSING = ("empty-block", "table_of_contents", "unknown")
INLINE_TAGS = re.compile(r"</?(?:span|mention-[a-z-]+|br)\b")
MEDIA_KINDS = ("image", "audio", "video", "file", "pdf")

_TAG = re.compile(
    r"<(?P<name>[A-Za-z][\w-]*)(?P<attrs>(?:\s+[\w:-]+(?:=\"[^\"]*\")?)*)\s*(?P<sc>/?)>"
)
_ATTR = re.compile(r"([\w:-]+)(?:=\"([^\"]*)\")?")
# A trailing attribute list "{k="v" ...}" at the end of a line. _split_trailing gives
# the leftmost match of r'(?:^|(?<=[^\\]))\s*' followed by this, without letting the
# regex engine retry the whitespace from every position of a long blank run.
_TRAILING_ATTRS = re.compile(r"\{(?P<a>\s*[\w-]+=\"[^\"]*\"(?:\s+[\w-]+=\"[^\"]*\")*\s*)\}$")
_HEADING = re.compile(r"(#{1,6})(?:[ \t]+(.*)|$)")
_TODO = re.compile(r"[-*+] \[([ xX])\](?: (.*)|$)")
_BULLET = re.compile(r"([-*+])(?: (.*)|$)")
_NUMBERED = re.compile(r"(\d{1,9})\. (.*)|(\d{1,9})\.$")
_QUOTE = re.compile(r">(?: (.*)|$)")
_DIVIDER = re.compile(r"-{3,}|\*{3,}")
_IMAGE = re.compile(r"!\[[^\]]*\]\(.*\)")
# Table tokens: the matches of r"<(/?)(tr|td|th|colgroup|col)\b([^>]*?)(/?)>" (see
# _cell_tokens, which finds them without rescanning to the next ">" from every "<tr").
_CELL_OPEN = re.compile(r"<(/?)(tr|td|th|colgroup|col)\b")


def _tabs(line: str) -> int:
    return len(line) - len(line.lstrip("\t"))


def _blank(line: str) -> bool:
    return not line.strip()


def _parse_attrs(raw: str) -> Attrs:
    return tuple((k, v if v is not None else "") for k, v in _ATTR.findall(raw))


def _split_trailing(text: str) -> tuple[str, Attrs]:
    brace = text.find("{")
    while brace >= 0:
        m = _TRAILING_ATTRS.match(text, brace)
        if m:
            # The match starts where the blanks before "{" start, unless a backslash
            # precedes them: then one blank later, or (no blanks) not at this brace.
            start = brace
            while start > 0 and text[start - 1].isspace():
                start -= 1
            if start > 0 and text[start - 1] == "\\":
                start += 1
            if start <= brace:
                return text[:start], _parse_attrs(m.group("a"))
        brace = text.find("{", brace + 1)
    return text, ()


class _Scanner:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0

    def seq(self, min_tabs: int, depth: int) -> tuple[Node, ...]:
        nodes: list[Node] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if _blank(line):
                self.i += 1
                continue
            if _tabs(line) < min_tabs:
                break
            nodes.append(self.block(depth))
        return tuple(nodes)

    def children(self, tabs: int, depth: int) -> tuple[Node, ...]:
        if depth + 1 < MAX_NESTING:
            return self.seq(tabs + 1, depth + 1)
        start = self.i
        while self.i < len(self.lines) and (
            _blank(self.lines[self.i]) or _tabs(self.lines[self.i]) > tabs
        ):
            self.i += 1
        while self.i > start and _blank(self.lines[self.i - 1]):
            self.i -= 1
        if self.i == start:
            return ()
        raw = tuple(self.lines[start : self.i])
        return (Node("opaque", depth + 1, marker=TOO_DEEP, raw=raw, unsupported=True),)

    def block(self, depth: int) -> Node:
        line = self.lines[self.i]
        tabs = _tabs(line)
        content = line[tabs:]
        if content.startswith("```"):
            return self.fence(depth, tabs, "code", content[3:].strip(), "```")
        if content.rstrip() == "$$":
            return self.fence(depth, tabs, "equation", "", "$$")
        if content.startswith("<") and not INLINE_TAGS.match(content):
            return self.tag_block(depth, tabs, content)
        self.i += 1
        node = _line_block(content, depth)
        kids = self.children(tabs, depth)
        return replace(node, children=kids) if kids else node

    def fence(self, depth: int, tabs: int, kind: str, info: str, close: str) -> Node:
        start = self.i
        self.i += 1
        body: list[str] = []
        # Prefer a closer at the opener's indentation (Notion's output); accept any
        # indentation as a fallback so a hand-edited fence still closes.
        end = next(
            (j for j in range(self.i, len(self.lines)) if self.lines[j] == "\t" * tabs + close),
            None,
        )
        if end is None:
            end = next(
                (j for j in range(self.i, len(self.lines))
                 if self.lines[j].strip("\t ") == close),
                None,
            )
        if end is None:
            self.i = len(self.lines)
            return Node("opaque", depth, raw=tuple(self.lines[start:]), unsupported=True)
        body = self.lines[self.i : end]
        self.i = end + 1
        return Node(kind, depth, marker=info, body=tuple(body))

    def tag_block(self, depth: int, tabs: int, content: str) -> Node:
        m = _TAG.match(content)
        if m is None:
            return self.opaque(depth, tabs)
        name, attrs, rest = m.group("name"), _parse_attrs(m.group("attrs")), content[m.end():]
        if name in CONTAINERS and not m.group("sc"):
            return self.container(depth, tabs, name, attrs, rest)
        if name == "table" and not m.group("sc"):
            return self.table(depth, attrs, rest)
        if name == "meeting-notes":
            return self.until_close(depth, tabs, name)
        if name in SELF_CLOSING and m.group("sc") and not rest.strip():
            self.i += 1
            return self._with_children(Node("tag", depth, marker=name, attrs=attrs), tabs)
        if name in ONE_LINE_TAGS and not m.group("sc"):
            inner, trail = _split_trailing(rest)
            close = f"</{name}>"
            if inner.endswith(close):
                self.i += 1
                if name in MEDIA_KINDS:
                    # Notion drops media colours on write (reference §4).
                    attrs = tuple(a for a in attrs if a[0] != "color")
                    trail = ()
                node = Node("tag", depth, marker=name, attrs=attrs + trail,
                            text=inner[: -len(close)])
                return self._with_children(node, tabs)
        return self.opaque(depth, tabs)

    def _with_children(self, node: Node, tabs: int) -> Node:
        kids = self.children(tabs, node.depth)
        return replace(node, children=kids) if kids else node

    def container(self, depth: int, tabs: int, name: str, attrs: Attrs, rest: str) -> Node:
        self.i += 1
        close = f"</{name}>"
        summary = ""
        if name == "callout" and rest.endswith(close):
            # 2025 one-line dialect: <callout …>text</callout>
            text = rest[: -len(close)]
            kids = (Node("paragraph", depth + 1, text=text),) if text else ()
            return Node("callout", depth, marker=name, attrs=attrs, children=kids)
        if name == "details":
            sm = re.match(r"\s*<summary>(.*)</summary>\s*$", rest)
            if sm is None and self.i < len(self.lines):
                sm = re.match(r"\t*<summary>(.*)</summary>\s*$", self.lines[self.i])
                if sm:
                    self.i += 1
            if sm is None:
                self.i -= 1
                return self.opaque(depth, tabs)
            summary = sm.group(1)
        elif rest.strip():
            self.i -= 1
            return self.opaque(depth, tabs)
        kids = self.children(tabs, depth)
        closed = self.i < len(self.lines) and self.lines[self.i].strip("\t ") == close
        if closed:
            self.i += 1
        return Node(name, depth, marker=name, attrs=attrs, text=summary, children=kids,
                    unsupported=not closed)

    def table(self, depth: int, attrs: Attrs, rest: str) -> Node:
        start = self.i
        chunks = [rest]
        self.i += 1
        while "</table>" not in chunks[-1] and self.i < len(self.lines):
            chunks.append(self.lines[self.i])
            self.i += 1
        text = "\n".join(chunks)
        closed = "</table>" in text
        inner, _, after = text.partition("</table>")
        rows, ok = _table_rows(inner, depth)
        if not (closed and ok and not after.strip()):
            # Keep what we cannot read verbatim rather than re-render a guess of it.
            raw = tuple(line for line in self.lines[start : self.i] if line.strip())
            return Node("opaque", depth, raw=raw, unsupported=True)
        attrs = tuple(a for a in attrs if a[1] != "false")
        return Node("table", depth, marker="table", attrs=attrs, children=rows)

    def until_close(self, depth: int, tabs: int, name: str) -> Node:
        start = self.i
        close = "\t" * tabs + f"</{name}>"
        while self.i < len(self.lines) and self.lines[self.i] != close:
            self.i += 1
        self.i = min(self.i + 1, len(self.lines))
        return Node("meeting_notes", depth, marker=name, raw=tuple(self.lines[start:self.i]))

    def opaque(self, depth: int, tabs: int) -> Node:
        start = self.i
        self.i += 1
        while self.i < len(self.lines) and (
            _blank(self.lines[self.i]) or _tabs(self.lines[self.i]) > tabs
        ):
            self.i += 1
        while self.i > start + 1 and _blank(self.lines[self.i - 1]):
            self.i -= 1
        return Node("opaque", depth, raw=tuple(self.lines[start:self.i]), unsupported=True)


def _cell_tokens(inner: str) -> Iterator[tuple[int, int, str, str, str]]:
    """(start, end, "/" or "", tag, attributes) of each table token, left to right."""
    pos = 0
    gt = -1  # the first ">" at or after the current tag name
    while (m := _CELL_OPEN.search(inner, pos)) is not None:
        if gt < m.end():
            gt = inner.find(">", m.end())
            if gt < 0:
                return  # no ">" left: no token can close
        attrs = inner[m.end() : gt]
        yield m.start(), gt + 1, m.group(1), m.group(2), attrs.removesuffix("/")
        pos = gt + 1


def _table_rows(inner: str, depth: int) -> tuple[tuple[Node, ...], bool]:
    rows: list[Node] = []
    cells: list[Node] | None = None
    row_attrs: Attrs = ()
    pos = 0
    ok = True
    open_cell: tuple[str, Attrs, int] | None = None
    for m_start, m_end, closing, tag, attr_raw in _cell_tokens(inner):
        if open_cell is not None:
            if closing and tag == open_cell[0]:
                text = inner[open_cell[2] : m_start]
                assert cells is not None
                cells.append(Node("cell", depth + 2, marker=tag, attrs=open_cell[1], text=text))
                open_cell = None
                pos = m_end
            continue
        if inner[pos : m_start].strip():
            ok = False
        pos = m_end
        if tag == "tr" and not closing:
            cells, row_attrs = [], _parse_attrs(attr_raw)
        elif tag == "tr" and closing and cells is not None:
            rows.append(Node("row", depth + 1, marker="tr", attrs=row_attrs,
                             children=tuple(cells)))
            cells = None
        elif tag in ("td", "th") and not closing and cells is not None:
            open_cell = (tag, _parse_attrs(attr_raw), m_end)
        elif tag in ("colgroup", "col"):
            rows.append(Node("colgroup", depth + 1, marker=("/" if closing else "") + tag,
                             attrs=_parse_attrs(attr_raw)))
        else:
            ok = False
    if inner[pos:].strip() or cells is not None or open_cell is not None:
        ok = False
    return tuple(rows), ok


def _line_block(content: str, depth: int) -> Node:
    if m := _HEADING.fullmatch(content):
        text, attrs = _split_trailing(m.group(2) or "")
        return Node("heading", depth, marker=m.group(1), text=text, attrs=attrs)
    if m := _TODO.fullmatch(content):
        text, attrs = _split_trailing(m.group(2) or "")
        return Node("todo", depth, marker="x" if m.group(1) in "xX" else " ", text=text,
                    attrs=attrs)
    if _DIVIDER.fullmatch(content.rstrip()):
        return Node("divider", depth)
    if m := _BULLET.fullmatch(content):
        text, attrs = _split_trailing(m.group(2) or "")
        return Node("bullet", depth, marker="-", text=text, attrs=attrs)
    if m := _NUMBERED.fullmatch(content):
        text, attrs = _split_trailing(m.group(2) or "")
        return Node("numbered", depth, marker=m.group(1) or m.group(3), text=text, attrs=attrs)
    if m := _QUOTE.fullmatch(content):
        text, attrs = _split_trailing(m.group(1) or "")
        return Node("quote", depth, text=text, attrs=attrs)
    if _IMAGE.match(content):
        text, attrs = _split_trailing(content)
        # Media colours are dropped by Notion (reference §4).
        attrs = tuple(a for a in attrs if a[0] != "color")
        return Node("image", depth, text=text, attrs=attrs)
    text, attrs = _split_trailing(content)
    return Node("paragraph", depth, text=text, attrs=attrs)


def blocks_of(markdown: str) -> tuple[Node, ...]:
    """Scan an enhanced-markdown body into a tree of nodes (never raises)."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return ()
    scanner = _Scanner(text.split("\n"))
    nodes: list[Node] = []
    while scanner.i < len(scanner.lines):
        nodes.extend(scanner.seq(0, 0))
    return tuple(nodes)


# ---------------------------------------------------------------------------- render


def format_attrs(attrs: Attrs) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs)


def _brace(attrs: Attrs) -> str:
    if not attrs:
        return ""
    # Notion writes toggle before color: {toggle="true" color="red"} (reference §8).
    order = {"toggle": 0, "color": 1}
    ranked = sorted(attrs, key=lambda a: order.get(a[0], 2))
    return "{" + format_attrs(tuple(ranked)) + "}"


def _with_brace(text: str, attrs: Attrs) -> str:
    brace = _brace(attrs)
    if not brace:
        return text
    return f"{text} {brace}" if text else brace


def _open_tag(name: str, attrs: Attrs, self_closing: bool = False) -> str:
    inner = f"{name} {format_attrs(attrs)}" if attrs else name
    return f"<{inner}/>" if self_closing else f"<{inner}>"


def render(nodes: tuple[Node, ...] | list[Node]) -> str:
    """Write nodes in Notion's canonical layout (no trailing newline)."""
    out: list[str] = []
    _render_seq(tuple(nodes), out)
    return "\n".join(out)


def _render_seq(nodes: tuple[Node, ...], out: list[str]) -> None:
    number = 0
    for node in nodes:
        number = number + 1 if node.kind == "numbered" else 0
        out.extend(render_node(node, number))


def render_node(node: Node, number: int = 1) -> list[str]:
    """The lines of one node and its subtree."""
    t = "\t" * node.depth
    kind = node.kind
    out: list[str] = []
    if kind in ("opaque", "meeting_notes"):
        return list(node.raw)
    if kind in ("code", "equation"):
        fence = "```" if kind == "code" else "$$"
        return [t + fence + node.marker, *node.body, t + fence]
    if kind == "paragraph":
        out.append(t + _with_brace(node.text, node.attrs))
    elif kind == "heading":
        out.append(t + _with_brace("#" * min(len(node.marker), 4) + " " + node.text, node.attrs))
    elif kind == "bullet":
        out.append(t + _with_brace("- " + node.text, node.attrs))
    elif kind == "todo":
        out.append(t + _with_brace(f"- [{node.marker}] " + node.text, node.attrs))
    elif kind == "numbered":
        out.append(t + _with_brace(f"{number}. " + node.text, node.attrs))
    elif kind == "quote":
        out.append(t + _with_brace("> " + node.text, node.attrs))
    elif kind == "divider":
        out.append(t + "---")
    elif kind == "image":
        out.append(t + _with_brace(node.text, node.attrs))
    elif kind == "tag":
        if node.marker in SELF_CLOSING:
            out.append(t + _open_tag(node.marker, node.attrs, self_closing=True))
        else:
            out.append(t + _open_tag(node.marker, node.attrs) + node.text + f"</{node.marker}>")
    elif kind == "table":
        out.append(t + _open_tag("table", node.attrs))
        for row in node.children:
            if row.kind == "colgroup":
                closing = row.marker.startswith("/")
                out.append(f"</{row.marker[1:]}>" if closing else _open_tag(row.marker, row.attrs))
                continue
            out.append(_open_tag("tr", row.attrs))
            for cell in row.children:
                out.append(_open_tag(cell.marker, cell.attrs) + cell.text + f"</{cell.marker}>")
            out.append("</tr>")
        out.append(t + "</table>")
        return out
    elif kind in CONTAINERS:
        out.append(t + _open_tag(node.marker, node.attrs))
        if kind == "details":
            out.append(t + f"<summary>{node.text}</summary>")
        _render_seq(node.children, out)
        if not node.unsupported:
            out.append(t + f"</{node.marker}>")
        return out
    _render_seq(node.children, out)
    return out


def walk(nodes: tuple[Node, ...]):  # type: ignore[no-untyped-def]
    """Every node of the tree, depth first."""
    for node in nodes:
        yield node
        yield from walk(node.children)
