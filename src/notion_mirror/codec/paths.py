"""Page titles -> safe, unique, stable file names inside the mirror.

A name is one path component (never a separator, ``.`` or ``..``), valid on
Linux, macOS and Windows, at most :data:`MAX_STEM_BYTES` UTF-8 bytes before
``.md``. Collisions are judged as a case-insensitive, normalisation-insensitive
file system would (``Foo``/``foo``, NFC/NFD twins) and broken by page id, so
the same rows always get the same names in any order. The rules are spelled
out in docs/file-format.md.

Warning: grapheme clusters are approximated (combining marks, ZWJ sequences,
variation selectors, emoji modifiers, tags, flag pairs); the stdlib has no
UAX #29 segmentation. A cut never splits a code point.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["MAX_STEM_BYTES", "UNTITLED", "assign_paths", "is_inside", "safe_filename"]

MAX_STEM_BYTES = 200
UNTITLED = "Untitled"
SUFFIX_LENGTHS = (6, 8, 12, 16, 32)

# Separators and the characters Windows forbids. Separator-like ones become "-",
# the rest "_", so "Q3: plan/draft" reads as "Q3- plan-draft".
_REPLACE = {"/": "-", "\\": "-", ":": "-", "|": "-", "<": "_", ">": "_", '"': "_", "?": "_",
            "*": "_"}  # fmt: skip
# Bidirectional controls can make a name display as something else (Trojan Source);
# the BOM and friends are invisible. They are dropped.
_INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
# ".." is never a name or part of one, so no name can read as a parent reference.
_DOTS = re.compile(r"\.{2,}")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{p}{n}" for p in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]}
)


def _clean_char(ch: str) -> str:
    if ch in _REPLACE:
        return _REPLACE[ch]
    if ch in _INVISIBLE:
        return ""
    cat = unicodedata.category(ch)
    if cat == "Cc" or ch in "\u2028\u2029":
        # Line breaks and tabs separate words; other controls carry nothing.
        return " " if ch in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029" else ""
    return ch


def _extends(prev: str, ch: str, ri_run: int) -> bool:
    """Whether ``ch`` continues the grapheme cluster that ``prev`` is in."""
    cp = ord(ch)
    if unicodedata.category(ch) in ("Mn", "Me", "Mc") or cp == 0x200D or prev == "\u200d":
        return True
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0xE0020 <= cp <= 0xE007F:
        return True
    if 0x1F3FB <= cp <= 0x1F3FF:  # skin tone modifiers
        return True
    return 0x1F1E6 <= cp <= 0x1F1FF and ri_run % 2 == 1  # second half of a flag


def _clusters(text: str) -> Iterator[str]:
    current = ""
    ri_run = 0
    for ch in text:
        if current and _extends(current[-1], ch, ri_run):
            current += ch
        else:
            if current:
                yield current
            current = ch
        ri_run = ri_run + 1 if 0x1F1E6 <= ord(ch) <= 0x1F1FF else 0
    if current:
        yield current


def _truncate(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    out: list[str] = []
    used = 0
    for cluster in _clusters(text):
        size = len(cluster.encode("utf-8"))
        if used + size > limit:
            if not out:  # one absurdly long cluster: cut between code points instead
                for ch in cluster:
                    size = len(ch.encode("utf-8"))
                    if used + size > limit:
                        break
                    out.append(ch)
                    used += size
            break
        out.append(cluster)
        used += size
    return "".join(out)


def _trim(text: str) -> str:
    # Windows drops trailing dots and spaces; a leading dot hides the file. Loop:
    # removing a dot can expose whitespace and the other way round.
    while True:
        trimmed = text.strip().strip(".")
        if trimmed == text:
            return text
        text = trimmed


def _is_reserved(stem: str) -> bool:
    return stem.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def _finish(stem: str, limit: int) -> str:
    stem = _trim(_truncate(_trim(stem), limit))
    if not stem:
        return UNTITLED
    if _is_reserved(stem):
        stem = _trim(_truncate("_" + stem, limit))
    return stem


def safe_filename(title: str, *, limit: int = MAX_STEM_BYTES) -> str:
    """A safe file-name stem (no ``.md``) for a page title; ``Untitled`` when nothing is left.

    NFC; ``/ \\ : |`` -> ``-``; ``< > " ? *`` -> ``_``; tabs and line breaks ->
    space; other control and bidi characters dropped; runs of dots -> ``…``;
    surrounding dots and whitespace trimmed; Windows device names get a
    leading ``_``; at most ``limit`` UTF-8 bytes, cut between grapheme clusters.
    """
    text = unicodedata.normalize("NFC", title)
    cleaned = _DOTS.sub("\u2026", "".join(_clean_char(ch) for ch in text))
    return _finish(unicodedata.normalize("NFC", cleaned), limit)


def _fold(stem: str) -> str:
    """The identity a case- and normalisation-insensitive file system gives a name."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", stem).casefold())


def _id_token(page_id: str) -> str:
    token = re.sub(r"[^0-9a-z]", "", page_id.lower())
    # Ids that aren't hex (tests, future formats) still need a stable token.
    return token if len(token) >= 32 else hashlib.sha256(page_id.encode()).hexdigest()[:32]


def _candidates(stem: str, page_id: str) -> list[str]:
    """The names a page may have, best first: plain, then id-suffixed, then the id."""
    token = _id_token(page_id)
    out = [stem]
    for n in SUFFIX_LENGTHS:
        suffix = f" ({token[:n]})"
        base = _trim(_truncate(stem, MAX_STEM_BYTES - len(suffix.encode())))
        out.append(f"{base or UNTITLED}{suffix}")
    out.append(token)
    return out


def assign_paths(
    rows: Iterable[tuple[str, str]],
    *,
    taken: dict[str, str] | None = None,
    reserved: Iterable[str] = (),
) -> dict[str, str]:
    """A unique ``<stem>.md`` for every ``(page_id, title)``, independent of row order.

    A page keeps its ``taken`` path while that path is still one of its own
    names (its plain stem or an id-suffixed one) and no other kept path clashes
    with it. Otherwise the smallest page id of a clashing group gets the plain
    name and the others ``"<stem> (<first 6 hex of the id>).md"``, with longer
    id prefixes only if those clash too. ``reserved`` names (``<stem>.md``) are
    held by pages left out of ``rows`` and are given to none of them.
    """
    stems: dict[str, str] = {}
    for page_id, title in rows:
        if page_id in stems:
            raise ValueError(f"page {page_id} is listed twice")
        stems[page_id] = safe_filename(title)
    order = sorted(stems, key=lambda p: (_id_token(p), p))
    claims: dict[str, str] = {_fold(name[:-3]): "" for name in reserved if name.endswith(".md")}
    result: dict[str, str] = {}

    def claim(page_id: str, stem: str) -> bool:
        key = _fold(stem)
        if key in claims:
            return False
        claims[key] = page_id
        result[page_id] = f"{stem}.md"
        return True

    for page_id in order:  # keep current names first: stability beats tidiness
        current = (taken or {}).get(page_id)
        if current and current.endswith(".md"):
            stem = unicodedata.normalize("NFC", current[:-3])
            if stem in _candidates(stems[page_id], page_id):
                claim(page_id, stem)
    for page_id in order:  # then plain names, smallest id first
        if page_id not in result:
            claim(page_id, stems[page_id])
    for page_id in order:  # then id-suffixed names
        if page_id in result:
            continue
        names = _candidates(stems[page_id], page_id)[1:]
        names += [f"{names[-1]}-{n}" for n in range(2, len(stems) + len(claims) + 3)]
        if not any(claim(page_id, name) for name in names):  # pragma: no cover
            raise AssertionError("unreachable: more candidate names than pages")
    return result


def is_inside(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (relative to ``root`` unless absolute) resolves strictly inside ``root``.

    Symlinks are resolved on both sides, so a link pointing out of the mirror is outside.
    """
    base = Path(root).resolve()
    target = Path(path)
    if not target.is_absolute():
        target = Path(root) / target
    resolved = target.resolve()
    return resolved != base and resolved.is_relative_to(base)
