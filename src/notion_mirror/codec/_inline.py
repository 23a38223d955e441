"""Conservative inline normalisation of block text (reference §3, §4).

Only rewrites what Notion is known (or strongly expected) to rewrite, and leaves every
construct Notion itself emits untouched, so that Notion's own output is a fixpoint:

* ``__b__`` -> ``**b**`` (probe E2) and ``_i_`` -> ``*i*`` (guess), real emphasis only;
* unescaped ``~`` (not ``~~``), ``{ } | ^``, ``$`` outside an inline equation, and ``< >``
  outside the inline tags Notion knows get a backslash, as Notion escapes them.

``*``, `` ` ``, ``[``/``]`` and ``\\`` are left alone: telling literal from markup there
needs a full inline parse whose result could differ from Notion's on odd input.
"""

from __future__ import annotations

import re

__all__ = ["normalize"]

# Regions whose bytes are never touched: escapes, code spans, inline equations, the inline
# tags Notion knows, link destinations.
_PROTECTED = re.compile(
    r"\\."
    r"|\$(`+)[\s\S]*?\1\$"
    r"|(`+)[\s\S]*?\2"
    r"|</?(?:span|mention-[a-z-]+|br)\b(?:\s+[\w-]+=\"[^\"]*\")*\s*/?>"
    r"|\]\((?:<[^>\n]*>|[^)\s]*)\)"
    r"|\[\^[^\]\s]+\]"
)
_STRONG_U = re.compile(r"(?<![\w\\_])__(?=[^\s_])(.+?)(?<=[^\s\\_])__(?![\w_])")
_EM_U = re.compile(r"(?<![\w\\_])_(?=[^\s_])([^_]+?)(?<=[^\s\\_])_(?![\w_])")
_LONE_TILDE = re.compile(r"(?<!~)~(?!~)")
_ALWAYS = re.compile(r"[{}|^$<>]")


def _plain(segment: str) -> str:
    segment = _STRONG_U.sub(r"**\1**", segment)
    segment = _EM_U.sub(r"*\1*", segment)
    segment = _LONE_TILDE.sub(r"\\~", segment)
    return _ALWAYS.sub(lambda m: "\\" + m.group(0), segment)


def normalize(text: str) -> str:
    """Normalise one block's inline text; idempotent."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)
