"""``notion-mirror new``: a new page file with every editable property pre-filled.

The file is what a user would write by hand for a new row: every editable
property of the schema, in file order, with its empty value (so all keys are
visible), the title, the ``--set`` values, and no ``_notion`` block, so the
next ``sync`` creates the page. Option lists are not written into the file
(YAML comments are never used, and extra keys would be errors); the caller
shows them separately (:func:`option_hints`).

Every value is validated with the same codec ``sync`` uses, and the finished
bytes are read back with :func:`~notion_mirror.sync.local.read_local` before
anything is written, so a file ``new`` writes is always one ``sync`` accepts.
"""

from __future__ import annotations

import difflib
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from notion_mirror.codec import document, properties, richtext
from notion_mirror.codec.paths import safe_filename
from notion_mirror.errors import FileInputError, UsageError
from notion_mirror.mirror import Mirror
from notion_mirror.sync.capture import is_page_file
from notion_mirror.sync.local import read_local
from notion_mirror.sync.render import empty_value, ordered_schema

__all__ = [
    "NewPage",
    "build",
    "editable_properties",
    "option_hints",
    "parse_assignment",
    "parse_value",
    "taken_names",
    "unique_name",
    "write_new",
]

_OPTION_KINDS = ("select", "multi_select", "status")
_MAX_NAME_TRIES = 1000
_COMMENT = "YAML reads '#' at the start or after a space as a comment; quote the value: 'Fix #12'"


@dataclass(frozen=True)
class NewPage:
    """The file ``new`` writes: its name, bytes and the values it carries."""

    path: str
    data: bytes
    values: dict[str, Any]
    hints: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "values": self.values, "options": self.hints}


def editable_properties(schema: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The properties a page file has at its top level, in file order."""
    return [p for p in ordered_schema(dict(schema)) if properties.is_editable(p, empty_value(p))]


def _plain(value: Any) -> Any:
    """A frontmatter value as plain JSON-able data (dates are str subclasses)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def parse_value(text: str) -> Any:
    """A ``--set`` VALUE read as YAML, in the same dialect as mirror files.

    ``Estimate=3`` is a number, ``Done=true`` a boolean, ``Tags=[a, b]`` a
    list, ``Due=2026-12-01`` stays the string it is; an empty VALUE is null.
    Anchors, aliases and tags are refused as they are in files.
    """
    if "\n" in text or "\r" in text:
        raise ValueError("VALUE must be on one line; use YAML flow style for lists: [a, b]")
    framed = b"---\nv: " + text.encode("utf-8") + b"\n---\n"
    try:
        doc = document.parse(framed, path="--set")
    except FileInputError as exc:
        reason = exc.reason.replace("invalid YAML frontmatter", "invalid YAML")
        raise ValueError(f"{reason}; quote the value if it is text") from None
    if set(doc.properties) != {"v"}:
        raise ValueError("VALUE must be one YAML value (quote it if it contains ': ' or '#')")
    line = "v: " + text
    node = yaml.compose(line, Loader=yaml.SafeLoader)
    value_node = node.value[0][1] if node is not None and node.value else None
    if value_node is not None and value_node.end_mark.index < len(line.rstrip()):
        # YAML dropped the rest as a comment (`Fix #12` reads as `Fix`): never
        # store less than what was typed.
        raise ValueError(_COMMENT)
    if value_node is None and text.strip():
        raise ValueError(_COMMENT)
    return doc.properties["v"]


def parse_assignment(text: str) -> tuple[str, Any]:
    """``PROP=VALUE`` -> (PROP, parsed VALUE); the first ``=`` splits."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--set {text!r}: expected PROP=VALUE, e.g. --set 'Status=In progress'")
    try:
        return name.strip(), parse_value(raw)
    except ValueError as exc:
        raise UsageError(f"--set {text!r}: {exc}") from None


def _option_names(prop: dict[str, Any]) -> list[str]:
    config = prop.get(prop["type"]) or {}
    return [str(o.get("name")) for o in config.get("options") or () if isinstance(o, dict)]


def option_hints(schema: Mapping[str, dict[str, Any]]) -> list[str]:
    """``Status: one of Todo, In progress, Done`` for each option property."""
    out = []
    for prop in editable_properties(schema):
        if prop["type"] not in _OPTION_KINDS:
            continue
        names = _option_names(prop)
        shown = ", ".join(names) if names else "(no options yet)"
        what = "any of" if prop["type"] == "multi_select" else "one of"
        out.append(f"{prop['name']}: {what} {shown}")
    return out


def _property_named(schema: Mapping[str, dict[str, Any]], name: str) -> dict[str, Any]:
    editable = {p["name"]: p for p in editable_properties(schema)}
    if name in editable:
        return editable[name]
    if name in schema:
        kind = schema[name]["type"]
        raise UsageError(
            f"--set {name}: is a {kind} property, which Notion computes; it cannot be set"
        )
    folded = [n for n in editable if n.casefold() == name.casefold()]
    close = folded or difflib.get_close_matches(name, list(editable), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(
        f"--set {name}: is not a property of this data source{hint}; "
        f"its editable properties are: {', '.join(editable) or '(none)'}"
    )


# Kinds whose value is written back in the codec's own shape (dates unquoted,
# option names as the schema spells them); text keeps the user's spelling.
_NORMALISED = frozenset(
    {"date", "number", "checkbox", "select", "status", "multi_select", "url", "email"}
)


def _file_value(prop: dict[str, Any], raw: Any, *, allow_new_options: bool) -> Any:
    """The frontmatter value for ``raw``, validated like ``sync`` validates a file."""
    kind = prop["type"]
    try:
        payload = properties.from_frontmatter(
            prop, raw, path="--set", allow_new_options=allow_new_options
        )
    except FileInputError as exc:
        hint = ""
        if isinstance(exc, properties.UnknownOptionError) and not allow_new_options:
            hint = (
                "; new options are refused unless `allow_new_options = true` is set under "
                "[options] in .notion-mirror/config.toml"
            )
        raise UsageError(f"--set {prop['name']}: {exc.reason}{hint}") from None
    if kind not in _NORMALISED:
        return raw
    return properties.to_frontmatter(prop, {"type": kind, kind: payload[kind]})


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def unique_name(title: str, taken: Sequence[str]) -> str:
    """``<safe title>.md``, or ``<safe title> 2.md``... when a name is taken.

    Names compare as a case-insensitive file system sees them (case folding,
    NFC), like the mirror's own collision rule.
    """
    used = {_fold(n) for n in taken}
    stem = safe_filename(title)
    for n in range(1, _MAX_NAME_TRIES + 1):
        candidate = stem if n == 1 else safe_filename(f"{stem} {n}")
        if n > 1 and not candidate.endswith(f" {n}"):
            # A stem at the length limit: shorten it to make room for the number.
            room = len(stem.encode()) - len(f" {n}".encode())
            candidate = f"{safe_filename(stem, limit=max(room, 1))} {n}"
        if _fold(f"{candidate}.md") not in used:
            return f"{candidate}.md"
    raise UsageError(f"no free file name for {title!r}; pick another title")


def build(
    schema: Mapping[str, dict[str, Any]],
    title: str,
    assignments: Sequence[tuple[str, Any]] = (),
    *,
    taken: Sequence[str] = (),
    allow_new_options: bool = False,
) -> NewPage:
    """The new page file for ``title`` with ``assignments`` applied; nothing is written.

    ``title`` is plain text (Markdown specials are escaped so it reads back
    as typed); a ``--set`` of the title property replaces it and is inline
    Markdown like any title value in a file. Raises :class:`UsageError` for
    any invalid input.
    """
    if not schema:
        raise UsageError("this mirror has not synced yet; run `notion-mirror sync` first")
    props = editable_properties(schema)
    title_prop = next((p for p in props if p["type"] == "title"), None)
    if title_prop is None:
        raise UsageError("this data source has no editable title property")
    if not title.strip():
        raise UsageError("TITLE is empty; give the page a title")
    values: dict[str, Any] = {
        p["name"]: properties.to_frontmatter(p, empty_value(p)) for p in props
    }
    values[title_prop["name"]] = richtext.escape_text(title)
    seen: set[str] = set()
    for name, raw in assignments:
        prop = _property_named(schema, name)
        if prop["name"] in seen:
            raise UsageError(f"--set {name}: given twice")
        seen.add(prop["name"])
        values[prop["name"]] = _file_value(prop, raw, allow_new_options=allow_new_options)
    path = unique_name(title, taken)
    data = document.render(values, {}, "")
    # The file must be one sync accepts as it is; never write one it would block.
    local = read_local(path, data, dict(schema), None, allow_new_options=allow_new_options)
    if local.errors:
        raise UsageError("the new file would not be valid:\n" + "\n".join(local.errors))
    return NewPage(path, data, {k: _plain(v) for k, v in values.items()}, option_hints(schema))


def taken_names(mirror: Mirror, known_paths: Sequence[str]) -> list[str]:
    """Names a new file must not take: files in the folder and paths the state knows."""
    names = [e.name for e in os.scandir(mirror.root) if is_page_file(e.name)]
    return names + [p for p in known_paths if p]


def write_new(mirror: Mirror, page: NewPage) -> Path:
    """Create the file (never replacing anything: exclusive create) and return its path."""
    target = mirror.root / page.path
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise UsageError(f"{target}: already exists; nothing written") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(page.data)
        fh.flush()
        os.fsync(fh.fileno())
    return target
