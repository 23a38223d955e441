"""Page bodies: Notion's canonical form, file presentation, patches and merges.

Three forms of one body:

* *canonical* — the bytes Notion returns from the markdown endpoint (reference §8);
  ``canonicalize`` predicts them for any markdown we send, and is idempotent.
* *presented* — what the ``.md`` file holds: canonical plus a blank line between
  top-level blocks and a final newline, so ordinary Markdown viewers show separate blocks.
  ``present``/``unpresent`` are inverse bijections between canonical bodies and the
  image of ``present``; ``unpresent`` also accepts anything a user types.
* patches (``diff_updates``) and three-way merges (``merge3``) work on canonical text.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from merge3 import Merge3
from patiencediff import PatienceSequenceMatcher

from notion_mirror.codec import _inline
from notion_mirror.codec.blocks import (
    MAX_NESTING,
    TOO_DEEP,
    Node,
    blocks_of,
    render,
    render_node,
    walk,
)

__all__ = [
    "CODE_LANGUAGE_ALIASES",
    "canonicalize",
    "diff_updates",
    "has_conflict_markers",
    "is_writable",
    "merge3",
    "present",
    "strip_volatile",
    "to_canonical",
    "unpresent",
]

# Short names people type -> Notion's language names.  ts/js are evidenced (probe E2);
# the rest follow the same pattern and are guesses until checked live.
CODE_LANGUAGE_ALIASES = {
    "": "plain text",
    "text": "plain text",
    "txt": "plain text",
    "plaintext": "plain text",
    "plain": "plain text",
    "ts": "typescript",
    "tsx": "typescript",
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "py": "python",
    "python3": "python",
    "sh": "shell",
    "zsh": "shell",
    "console": "shell",
    "rb": "ruby",
    "rs": "rust",
    "golang": "go",
    "kt": "kotlin",
    "yml": "yaml",
    "md": "markdown",
    "cpp": "c++",
    "cxx": "c++",
    "cs": "c#",
    "csharp": "c#",
    "fsharp": "f#",
    "objc": "objective-c",
    "ps1": "powershell",
    "dockerfile": "docker",
    "tex": "latex",
    "proto": "protobuf",
    "wasm": "webassembly",
}

_TEXT_KINDS = ("paragraph", "heading", "bullet", "todo", "numbered", "quote", "cell", "details")
CONFLICT_START = "<<<<<<< local"
CONFLICT_MID = "======="
CONFLICT_END = ">>>>>>> notion"


# ------------------------------------------------------------------------- canonical


def _canon_node(node: Node) -> Node:
    kids = tuple(_canon_node(k) for k in node.children)
    if node.kind in _TEXT_KINDS:
        node = replace(node, text=_inline.normalize(node.text))
    elif node.kind == "code":
        lang = node.marker.strip()
        node = replace(node, marker=CODE_LANGUAGE_ALIASES.get(lang.lower(), lang))
    elif node.kind == "opaque":
        # Notion drops blank lines everywhere but in code (reference §4).
        node = replace(node, raw=tuple(line for line in node.raw if line.strip()))
    return replace(node, children=kids) if kids or node.children else node


def canonicalize(markdown: str) -> str:
    """The body Notion stores and returns after a write of ``markdown`` (idempotent)."""
    return render(tuple(_canon_node(n) for n in blocks_of(markdown)))


def to_canonical(file_body: str) -> str:
    """A file body (as a user left it) -> the canonical body it stands for."""
    return canonicalize(unpresent(file_body))


# ---------------------------------------------------------------------- writability


_DEEP_LINE = re.compile(rf"^\t{{{MAX_NESTING},}}", re.MULTILINE)


def too_deep(canonical: str) -> bool:
    """Whether the body nests blocks deeper than :data:`blocks.MAX_NESTING` levels."""
    if not _DEEP_LINE.search(canonical):
        return False  # no line is indented that far: nothing to walk
    return any(node.marker == TOO_DEEP for node in walk(blocks_of(canonical)))


def is_writable(canonical: str) -> tuple[bool, str | None]:
    """Whether the mirror may push this body; ``(False, reason)`` when it must not."""
    for node in walk(blocks_of(canonical)):
        if node.marker == TOO_DEEP:
            return False, f"nests blocks deeper than {MAX_NESTING} levels"
        if node.unsupported:
            first = node.raw[0] if node.raw else node.marker
            return False, f"unsupported markup the mirror cannot round-trip: {first.strip()!r}"
        if node.kind == "tag" and node.marker == "unknown":
            alt = dict(node.attrs).get("alt", "block")
            return False, f"contains a block Notion cannot express in markdown ({alt})"
        if node.kind in ("synced_block", "synced_block_reference"):
            return False, "contains a synced block (edits would change every copy)"
        if node.kind == "meeting_notes":
            return False, "contains meeting notes (transcripts are read-only)"
        if "<unknown" in node.text:
            return False, "contains an <unknown> tag"
    return True, None


# ------------------------------------------------------------------------- volatile

_URL = re.compile(r"https?://[^\s)\"'<>\]]+")
_HOSTED = "prod-files-secure.s3.us-west-2.amazonaws.com"


def _stable_url(m: re.Match[str]) -> str:
    url = m.group(0)
    base, sep, query = url.partition("?")
    if sep and (_HOSTED in base or "X-Amz-Signature" in query):
        return base
    return url


def _strip_node(node: Node) -> Node:
    if node.kind in ("code", "equation"):
        return node
    return replace(
        node,
        text=_URL.sub(_stable_url, node.text),
        attrs=tuple((k, _URL.sub(_stable_url, v)) for k, v in node.attrs),
        raw=tuple(_URL.sub(_stable_url, line) for line in node.raw),
        children=tuple(_strip_node(k) for k in node.children),
    )


def strip_volatile(canonical: str) -> str:
    """Drop the signed query of Notion-hosted file URLs so one state renders one text."""
    if "?" not in canonical:
        return canonical
    return render(tuple(_strip_node(n) for n in blocks_of(canonical)))


# --------------------------------------------------------------------- presentation


def present(canonical: str) -> str:
    """Canonical body -> file body: blank line between top-level blocks, final newline."""
    if not canonical:
        return ""
    chunks: list[str] = []
    number = 0
    for node in blocks_of(canonical):
        number = number + 1 if node.kind == "numbered" else 0
        chunks.append("\n".join(render_node(node, number)))
    return "\n\n".join(chunks) + "\n"


def unpresent(file_body: str) -> str:
    """File body -> canonical layout (exact inverse of ``present`` on its image).

    Blank lines outside code and CRLF are dropped, so whatever a user or editor did to
    the spacing maps to the same body; inline text is left for ``canonicalize``.
    """
    return render(blocks_of(file_body))


# -------------------------------------------------------------------------- patches

MAX_UPDATES = 100  # content_updates maxItems (reference §5)


def _find_unique(text: str, needle: str) -> int | None:
    if not needle:
        return None
    pos = text.find(needle)
    if pos < 0 or text.find(needle, pos + 1) >= 0:
        return None
    return pos


def apply_updates(base: str, updates: list[dict[str, Any]]) -> str:
    """Apply ``update_content`` operations with Notion's exact, unique-match rule."""
    text = base
    for op in updates:
        pos = _find_unique(text, op["old_str"])
        if pos is None:
            raise ValueError(f"old_str does not match exactly once: {op['old_str']!r}")
        text = text[:pos] + op["new_str"] + text[pos + len(op["old_str"]) :]
    return text


# Work bounds for _line_opcodes, far above any hand edit (one edit is one or two
# matching blocks); past them the caller sends one replace_content instead.
_MAX_BLOCKS = 4 * MAX_UPDATES + 8
_MAX_PAIRS = 20_000_000
# Context lines added one at a time before the widening speeds up.
_LINEAR_CONTEXT = 16


def _line_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]] | None:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``, or None when the
    diff would need more than :data:`MAX_UPDATES` hunks or too much work to find.

    SequenceMatcher is quadratic on bodies with many scattered changes or many equal
    lines; a common prefix and suffix are set aside first (most edits are local),
    then the matching blocks are searched with a budget.
    """
    lo = 0
    top = min(len(a), len(b))
    while lo < top and a[lo] == b[lo]:
        lo += 1
    ha, hb = len(a), len(b)
    while ha > lo and hb > lo and a[ha - 1] == b[hb - 1]:
        ha, hb = ha - 1, hb - 1
    mid_a, mid_b = a[lo:ha], b[lo:hb]
    counts = Counter(mid_b)
    if sum(counts[line] for line in mid_a) > _MAX_PAIRS:
        return None  # every comparison the matcher could make: too many equal lines
    matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    # get_matching_blocks, with a budget (same order of work, same result).
    found: list[tuple[int, int, int]] = []
    queue = [(0, len(mid_a), 0, len(mid_b))]
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = matcher.find_longest_match(alo, ahi, blo, bhi)
        if not k:
            continue
        found.append((i, j, k))
        if len(found) > _MAX_BLOCKS:
            return None
        if alo < i and blo < j:
            queue.append((alo, i, blo, j))
        if i + k < ahi and j + k < bhi:
            queue.append((i + k, ahi, j + k, bhi))
    found.sort()
    blocks: list[tuple[int, int, int]] = []
    for i, j, k in found:
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            pi, pj, pk = blocks[-1]
            blocks[-1] = (pi, pj, pk + k)
        else:
            blocks.append((i, j, k))
    blocks.append((len(mid_a), len(mid_b), 0))
    matcher.matching_blocks = [difflib.Match(*m) for m in blocks]  # type: ignore[attr-defined]
    out: list[tuple[str, int, int, int, int]] = []
    if lo:
        out.append(("equal", 0, lo, 0, lo))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" and out and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1], i2 + lo, out[-1][3], j2 + lo)
        else:
            out.append((tag, i1 + lo, i2 + lo, j1 + lo, j2 + lo))
    if ha < len(a):
        tail = ("equal", ha, len(a), hb, len(b))
        if out and out[-1][0] == "equal":
            tail = ("equal", out[-1][1], len(a), out[-1][3], len(b))
            out.pop()
        out.append(tail)
    return out


def diff_updates(base: str, new: str) -> list[dict[str, Any]] | None:
    """Line-level ``update_content`` operations turning ``base`` into ``new``.

    None when no safe set exists (empty base, too many hunks, no unique anchor); the
    caller then falls back to a guarded ``replace_content``.
    """
    if base == new:
        return []
    if not base:
        return None
    old_lines, new_lines = base.split("\n"), new.split("\n")
    opcodes = _line_opcodes(old_lines, new_lines)
    if opcodes is None:
        return None
    cur = list(old_lines)
    shift = 0
    ops: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        ci1, ci2 = i1 + shift, i2 + shift
        a, b = ci1, ci2
        text = "\n".join(cur)
        step = 1
        for tries in itertools.count():
            # A pure insertion or deletion needs a neighbouring line to carry the "\n".
            needs_context = (a == ci1 and b == ci2) and (ci1 == ci2 or j1 == j2)
            old_str = "\n".join(cur[a:b])
            if not needs_context and b > a and _find_unique(text, old_str) is not None:
                break
            if tries >= _LINEAR_CONTEXT:
                step *= 2  # among many equal lines: widen faster, each try costs a scan
            if b < len(cur):
                b = min(b + step, len(cur))
            elif a > 0:
                a = max(a - step, 0)
            else:
                break
        repl = cur[a:ci1] + new_lines[j1:j2] + cur[ci2:b]
        old_str = "\n".join(cur[a:b])
        if _find_unique(text, old_str) is None:
            return None
        ops.append({"old_str": old_str, "new_str": "\n".join(repl)})
        if len(ops) > MAX_UPDATES:
            return None  # more than one request can carry: stop before more work
        cur[a:b] = repl
        shift += (j2 - j1) - (i2 - i1)
    if len(ops) > MAX_UPDATES:
        return None
    try:
        if apply_updates(base, ops) != new:
            return None
    except ValueError:
        return None
    return ops


# -------------------------------------------------------------------------- merging


def _lines(text: str) -> list[str]:
    return (text + "\n").splitlines(keepends=True) if text else []


def merge3(base: str, local: str, remote: str) -> tuple[str, bool]:
    """Line-based three-way merge; conflicts carry git-style markers (local vs notion)."""
    m = Merge3(
        _lines(base), _lines(local), _lines(remote), sequence_matcher=PatienceSequenceMatcher
    )
    clean = not any(region[0] == "conflict" for region in m.merge_regions())
    merged = "".join(
        m.merge_lines(
            name_a="local",
            name_b="notion",
            start_marker="<<<<<<<",
            mid_marker="=======",
            end_marker=">>>>>>>",
        )
    )
    return merged.removesuffix("\n"), clean


_MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.M)


def has_conflict_markers(text: str) -> bool:
    """True when ``text`` still holds git-style conflict markers."""
    return bool(_MARKER.search(text))
