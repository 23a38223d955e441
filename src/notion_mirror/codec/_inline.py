"""Conservative inline normalisation of block text (reference §3, §4).

Only rewrites what Notion is known (or strongly expected) to rewrite, and leaves every
construct Notion itself emits untouched, so that Notion's own output is a fixpoint:

* ``__b__`` -> ``**b**`` (probe E2) and ``_i_`` -> ``*i*`` (guess), real emphasis only;
* unescaped ``~`` (not ``~~``), ``{ } | ^``, ``$`` outside an inline equation, and ``< >``
  outside the inline tags Notion knows get a backslash, as Notion escapes them.

``*``, `` ` ``, ``[``/``]`` and ``\\`` are left alone: telling literal from markup there
needs a full inline parse whose result could differ from Notion's on odd input.

The protected regions (escapes, code spans, inline equations, the inline tags Notion
knows, link destinations, footnote references) are found by :class:`_Protected`, which
gives exactly the matches of the regular expression in its docstring, in linear time:
the expression itself backtracks cubically on a long backtick run and quadratically on
repeated ``](`` or ``[^``, so a few kilobytes of hostile text would stall a sync.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

__all__ = ["normalize", "protected_spans"]

_STRONG_U = re.compile(r"(?<![\w\\_])__(?=[^\s_])(.+?)(?<=[^\s\\_])__(?![\w_])")
_EM_U = re.compile(r"(?<![\w\\_])_(?=[^\s_])([^_]+?)(?<=[^\s\\_])_(?![\w_])")
_LONE_TILDE = re.compile(r"(?<!~)~(?!~)")
_ALWAYS = re.compile(r"[{}|^$<>]")

# Where a protected region may start. Escapes and tags are decided by the expression
# itself (neither can backtrack far); the other kinds are decided by _Protected.
_CANDIDATE = re.compile(
    r"\\."
    r"|\$`"
    r"|`"
    r"|</?(?:span|mention-[a-z-]+|br)\b(?:\s+[\w-]+=\"[^\"]*\")*\s*/?>"
    r"|\]\("
    r"|\[\^"
)
# The same for richtext's delimiter pass (see _Protected).
_CANDIDATE_RICH = re.compile(r"\\.|\$`|`|<[^<>\n]*>|\]\(")
_RUNS = re.compile(r"`+")
_LINK_PLAIN_END = re.compile(r"[)\s]")
_LINK_ANGLE_END = re.compile(r"[>\n]")
_LINK_ANGLE_END_RICH = re.compile(r">")
_FOOTNOTE_END = re.compile(r"[\]\s]")


def _plain(segment: str) -> str:
    segment = _STRONG_U.sub(r"**\1**", segment)
    segment = _EM_U.sub(r"*\1*", segment)
    segment = _LONE_TILDE.sub(r"\\~", segment)
    return _ALWAYS.sub(lambda m: "\\" + m.group(0), segment)


class _Stopper:
    """First match of a character class at or after a position, remembered.

    Every start inside ``[lo, found]`` has the same answer, so repeated queries from
    a run of failed candidates (``](](](...``) cost one scan in total.
    """

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.text, self.pattern = text, pattern
        self.lo, self.found = 1, 0  # empty range: the first query scans

    def __call__(self, pos: int) -> int:
        """Index of the first match at or after ``pos``; ``len(text)`` when none."""
        if not self.lo <= pos <= self.found:
            m = self.pattern.search(self.text, pos)
            self.lo, self.found = pos, m.start() if m else len(self.text)
        return self.found


class _Protected:
    """The non-overlapping, leftmost matches of this expression in ``text``::

        \\\\.                                  an escape
        | \\$(`+)[\\s\\S]*?\\1\\$                an inline equation $`...`$
        | (`+)[\\s\\S]*?\\2                     a code span
        | </?(?:span|mention-[a-z-]+|br)\\b(?:\\s+[\\w-]+=\\"[^\\"]*\\")*\\s*/?>
        | \\]\\((?:<[^>\\n]*>|[^)\\s]*)\\)        a link destination
        | \\[\\^[^\\]\\s]+\\]                     a footnote reference

    as ``re.finditer`` would give them (the unit tests compare both), computed with
    backtick runs indexed once instead of by backtracking. With ``rich`` (the
    delimiter pass of :func:`notion_mirror.codec.richtext.from_markdown`) the
    expression is instead::

        \\\\. | \\$?(`+)[\\s\\S]*?\\1\\$? | <[^<>\\n]*> | \\]\\((?:<[^>]*>|[^)\\s]*)\\)
    """

    def __init__(self, text: str, *, rich: bool = False) -> None:
        self.text = text
        self.n = len(text)
        self.rich = rich
        runs = [(m.start(), m.end()) for m in _RUNS.finditer(text)]
        self.starts = [s for s, _ in runs]
        self.ends = [e for _, e in runs]
        # Longest run after index i (any / followed by "$"), for "is there one at all".
        count = len(runs)
        self.max_after = [0] * (count + 1)
        self.max_dollar_after = [0] * (count + 1)
        for i in range(count - 1, -1, -1):
            length = runs[i][1] - runs[i][0]
            self.max_after[i] = max(self.max_after[i + 1], length)
            dollar = length if text.startswith("$", runs[i][1]) else 0
            self.max_dollar_after[i] = max(self.max_dollar_after[i + 1], dollar)
        self.link_plain = _Stopper(text, _LINK_PLAIN_END)
        self.link_angle = _Stopper(text, _LINK_ANGLE_END_RICH if rich else _LINK_ANGLE_END)
        self.footnote = _Stopper(text, _FOOTNOTE_END)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        candidates = _CANDIDATE_RICH if self.rich else _CANDIDATE
        pos = 0
        while True:
            m = candidates.search(self.text, pos)
            if m is None:
                return
            start, kind = m.start(), m.group(0)[:2]
            end: int | None
            if kind[0] == "`":
                end = self._rich_code(start) if self.rich else self._code(start)
            elif kind == "$`":
                end = self._rich_code(start + 1) if self.rich else self._equation(start)
            elif kind == "](":
                end = self._link(start)
            elif kind == "[^":
                end = self._footnote(start)
            else:  # an escape or a tag: the candidate is the whole match
                end = m.end()
            if end is None:
                pos = start + 1
                continue
            yield start, end
            pos = end

    def _run_at(self, pos: int) -> int:
        """Index of the backtick run holding ``pos``."""
        return bisect_right(self.starts, pos) - 1

    def _code(self, p: int) -> int | None:
        # (`+)[\s\S]*?\2 at p: the greedy opener is the whole rest of the run (n
        # backticks); the first length k (from n down) with a later run of k backticks
        # wins. For k <= n // 2 the run itself holds the closer right after the opener.
        i = self._run_at(p)
        n = self.ends[i] - p
        longest = self.max_after[i + 1]
        if longest > n // 2:
            k = min(n, longest)
            j = i + 1
            while self.ends[j] - self.starts[j] < k:
                j += 1
            return self.starts[j] + k
        if n >= 2:
            return p + 2 * (n // 2)
        return None

    def _rich_code(self, p: int) -> int | None:
        # \$?(`+)[\s\S]*?\1\$?: a code span from p, then a "$" if one follows.
        end = self._code(p)
        if end is not None and self.text.startswith("$", end):
            end += 1
        return end

    def _equation(self, d: int) -> int | None:
        # \$(`+)[\s\S]*?\1\$ at d: as _code, but the closer is k backticks ending a
        # run that is followed by "$", and the match takes that "$".
        p = d + 1
        i = self._run_at(p)
        n = self.ends[i] - p
        longest = self.max_dollar_after[i + 1]
        own_dollar = self.text.startswith("$", self.ends[i])
        if longest > n // 2:
            k = min(n, longest)
        elif n >= 2 and own_dollar:
            return self.ends[i] + 1  # closer: the last n // 2 backticks of this run
        elif longest >= 1:
            k = longest
        else:
            return None
        j = i + 1
        while self.ends[j] - self.starts[j] < k or not self.text.startswith("$", self.ends[j]):
            j += 1
        return self.ends[j] + 1

    def _link(self, s: int) -> int | None:
        # \]\((?:<[^>\n]*>|[^)\s]*)\): the angle form first, then the plain form.
        if self.text.startswith("<", s + 2):
            e = self.link_angle(s + 3)
            if e < self.n and self.text[e] == ">" and self.text.startswith(")", e + 1):
                return e + 2
        e = self.link_plain(s + 2)
        if e < self.n and self.text[e] == ")":
            return e + 1
        return None

    def _footnote(self, s: int) -> int | None:
        e = self.footnote(s + 2)
        if e > s + 2 and e < self.n and self.text[e] == "]":
            return e + 1
        return None


def protected_spans(text: str, *, rich: bool = False) -> list[tuple[int, int]]:
    """The regions of ``text`` whose characters are not markup (see :class:`_Protected`)."""
    return list(_Protected(text, rich=rich))


def normalize(text: str) -> str:
    """Normalise one block's inline text; idempotent."""
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for start, end in _Protected(text):
        out.append(_plain(text[pos:start]))
        out.append(text[start:end])
        pos = end
    out.append(_plain(text[pos:]))
    return "".join(out)
