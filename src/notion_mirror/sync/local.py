"""Read one mirror file as the push planner needs it: validated, canonical, blocked or not.

The planner compares three states per property and body (base, local, remote);
this module produces the *local* one from the bytes on disk. Files are hostile
input (editors, ``sed``, scripts, merges), so nothing here raises for bad
input: every problem becomes one message in :attr:`LocalFile.errors`, all of
them at once, so a user fixes a file in one pass instead of one error per
sync. A file with any error is blocked as a whole: pushing "the valid half"
of a file the user is still fixing would be a silent partial edit.

Each message is the ``str()`` of a :class:`~notion_mirror.errors.FileInputError`,
e.g. ``tasks/a.md:4: property 'Estimate': expected a number, found the string "three"``.

Read-only values are enforced against the *base* rendering (what
:func:`~notion_mirror.sync.render.render_page` wrote): a value the tool put
under ``_notion.computed`` must not come back edited, and must not move to the
top level, because nothing would sync it and the user would believe it had.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import document, properties
from notion_mirror.codec.blocks import MAX_NESTING
from notion_mirror.errors import FileInputError
from notion_mirror.notion.ids import normalize_id
from notion_mirror.schema.drift import SchemaDrift
from notion_mirror.store import PageBase
from notion_mirror.sync.render import deleted_key, empty_value, render_page

__all__ = ["NOTION_KEYS", "LocalFile", "read_local"]

# What notion-mirror writes under ``_notion``; anything else is a typo or a
# misplaced property and would otherwise be dropped without a word.
NOTION_KEYS = ("id", "url", "computed", "conflicts")
_MAX_LISTED = 20
_MAX_SHOWN = 80
_LIST_TYPES = frozenset({"multi_select", "people", "relation", "files", "title", "rich_text"})
# Same rule as document.parse: the closing delimiter of the frontmatter.
_CLOSE = re.compile(r"^---[ \t]*$", re.MULTILINE)
# Best-effort identity of a file whose YAML is broken: an indented ``id:`` under a
# top-level ``_notion:`` line. Only used to say which page a blocked file belongs to.
_NOTION_BLOCK = re.compile(r"^_notion:[ \t]*\n((?:[ \t]+[^\n]*\n|[ \t]*\n)*)", re.MULTILINE)
_ID_LINE = re.compile(r"^[ \t]+id:[ \t]*(['\"]?)([0-9a-fA-F-]{32,36})\1[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class LocalFile:
    """One mirror file as read from disk.

    ``props`` and ``raw`` hold only valid editable properties present at the top
    level, keyed by property *id* (a property renamed in Notion keeps its id).
    ``props`` values compare equal to :func:`properties.canonical_value` of the
    matching Notion value; ``raw`` keeps the user's spelling for writing the file
    back. ``errors`` non-empty means the whole file is blocked.
    """

    path: str
    sha256: str
    page_id: str | None
    props: dict[str, Any]
    raw: dict[str, Any]
    body: str
    has_conflict_markers: bool
    conflicts_key: Any
    errors: tuple[str, ...]
    # Schema drift (a file edited while the schema changed in Notion):
    # property key -> why its value is held back. The value stays in ``props``
    # and ``raw`` as the user wrote it; every other property still syncs.
    # Keys are property ids, or ``render.deleted_key(name)`` for a property
    # Notion deleted.
    blocked: dict[str, str] = field(default_factory=dict)
    # (key in the file, the property's current name) for keys followed across
    # a rename in Notion; the file is rewritten under the new name.
    renamed: tuple[tuple[str, str], ...] = ()
    # Ids of properties whose type changed in Notion while the file edited them.
    retyped: frozenset[str] = frozenset()

    @property
    def error(self) -> str | None:
        """All problems as one text (one per line), or None when the file is usable."""
        return "\n".join(self.errors) if self.errors else None


def read_local(
    path: str,
    data: bytes,
    schema: dict[str, dict[str, Any]],
    base: PageBase | None,
    *,
    allow_new_options: bool = False,
    drift: SchemaDrift | None = None,
) -> LocalFile:
    """Read and validate the mirror file ``path`` holding ``data``.

    ``schema`` is the data source's ``properties`` (name -> property); ``base``
    is the page's last synced state, or None for a file with no page yet.
    ``drift`` (the schema's history, see :mod:`notion_mirror.schema.drift`)
    lets a file edited under an older schema still sync: old names are
    followed by property id, and values Notion's change made invalid are
    held back per property (:attr:`LocalFile.blocked`) instead of blocking
    the whole file. Never raises for bad input; see :attr:`LocalFile.errors`.
    """
    data = bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = document.parse(data, path=path)
    except FileInputError as exc:
        return _unreadable(path, sha, data, str(exc))
    except Exception as exc:  # parse promises FileInputError; fail closed if it breaks that
        return _unreadable(path, sha, data, str(_internal(path, exc)))
    return _Reader(path, data, doc, schema, base, allow_new_options, drift).read(sha)


# ---------------------------------------------------------------------------- reader


class _Reader:
    """Collects every problem of one parsed file; one instance per read."""

    def __init__(
        self,
        path: str,
        data: bytes,
        doc: document.Document,
        schema: dict[str, dict[str, Any]],
        base: PageBase | None,
        allow_new_options: bool,
        drift: SchemaDrift | None = None,
    ) -> None:
        self.path, self.data, self.doc, self.schema, self.base = path, data, doc, schema, base
        self.allow_new = allow_new_options
        self.drift = drift
        self.by_id = {p["id"]: p for p in schema.values() if isinstance(p, dict) and "id" in p}
        self.errors: list[str] = []
        self.props: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}
        self.blocked: dict[str, str] = {}
        self.renamed: list[tuple[str, str]] = []
        self.retyped: set[str] = set()
        self.keys_of: dict[str, str] = {}  # property id -> the file key that gave it
        self.page_id: str | None = None
        self._nested: dict[tuple[str, ...], int] | None = None

    def fail(self, message: str, *, line: int | None, prop: str | None) -> None:
        self.errors.append(str(FileInputError(self.path, message, line=line, prop=prop)))

    def read(self, sha: str) -> LocalFile:
        doc = self.doc
        # key_lines is in file order, so the messages come out top to bottom.
        for key in doc.key_lines:
            if key == document.NOTION_KEY:
                self._check_notion()
            elif key in doc.properties:
                self._read_prop(key, doc.properties[key])
        self._fill_new_properties()
        body, markers = self._read_body()
        return LocalFile(
            path=self.path,
            sha256=sha,
            page_id=self.page_id,
            props=self.props,
            raw=self.raw,
            body=body,
            has_conflict_markers=markers,
            conflicts_key=doc.notion.get("conflicts"),
            errors=tuple(self.errors),
            blocked=self.blocked,
            renamed=tuple(self.renamed),
            retyped=frozenset(self.retyped),
        )

    def _fill_new_properties(self) -> None:
        """Properties added in Notion after the file was written are not missing lines.

        A file edited before Notion added a property has no line for it; that
        is not the user removing the line, so it reads as the base (unchanged)
        and the new property's line is added when the file is rewritten.
        """
        if self.base is None:
            return
        for pid, prop in self.by_id.items():
            if pid in self.props or pid in self.base.properties:
                continue
            if prop.get("name") in self.doc.properties:
                continue
            canonical = _base_canonical(prop, self.base)
            if canonical is not _SKIP:
                self.props[pid] = canonical

    # ------------------------------------------------------------------ properties

    def _resolve(self, name: str, line: int | None) -> dict[str, Any] | None:
        """The schema property a file key means (following renames), or None (reported)."""
        prop = self.schema.get(name)
        drift = self.drift
        if prop is not None:
            if drift is not None and self.base is not None:
                self._check_ambiguous(name, prop, line)
            return prop
        pid = drift.aliases.get(name) if drift is not None else None
        if pid is None or pid not in self.by_id:
            self.fail(self._unknown_message(name), line=line, prop=name)
            return None
        prop = self.by_id[pid]
        current = str(prop["name"])
        if current in self.doc.properties or pid in self.keys_of:
            other = current if current in self.doc.properties else self.keys_of[pid]
            self.fail(f"is the former name of {current!r} (renamed in Notion), and the file "
                      f"also has {other!r}: keep one of the two lines", line=line,
                      prop=name)  # fmt: skip
            return None
        self.renamed.append((name, current))
        return prop

    def _check_ambiguous(self, name: str, prop: dict[str, Any], line: int | None) -> None:
        """A key naming a property added since the base, which an older property had.

        The file predates the new property, so the key most likely means the
        older one (renamed since): refuse to guess rather than send the value
        to the wrong property.
        """
        assert self.drift is not None and self.base is not None
        if prop["id"] in self.base.properties:
            return
        for pid, other in self.by_id.items():
            if pid == prop["id"] or pid not in self.base.properties:
                continue
            holders = self.drift.former_holders.get(name, frozenset())
            if pid in holders and other["name"] not in self.doc.properties:
                self.fail(f"is ambiguous: it was the name of the property now called "
                          f"{other['name']!r}, and a new property {name!r} was added in "
                          f"Notion since this file was written; rename the key to "
                          f"{other['name']!r} to edit that property, or add a "
                          f"{other['name']!r} line to mean the new one",
                          line=line, prop=name)  # fmt: skip
                return

    def _read_deleted(self, name: str, value: Any, old_id: str, line: int | None) -> None:
        """A key of a property Notion deleted: dropped if unedited, else held back."""
        assert self.base is not None
        old = self.base.properties.get(old_id)
        if isinstance(old, dict) and old.get("type"):
            shown = _old_rendering(old)
            if shown is not _SKIP and _same(value, shown):
                return  # not an edit: the line goes when the file is rewritten
        key = deleted_key(name)
        self.props[key] = value
        self.raw[key] = value
        self.blocked[key] = str(FileInputError(
            self.path, "was deleted in Notion, so this edit cannot be sent; it is kept in the "
            "file until you remove the line", line=line, prop=name,
        ))  # fmt: skip

    def _read_prop(self, name: str, value: Any) -> None:
        line = self.doc.key_lines.get(name)
        drift = self.drift
        if (
            name not in self.schema
            and drift is not None
            and self.base is not None
            and name in drift.deleted
        ):
            self._read_deleted(name, value, drift.deleted[name], line)
            return
        prop = self._resolve(name, line)
        if prop is None:
            return
        self.keys_of[prop["id"]] = name
        kind = prop.get("type")
        retyped = self._retyped(prop)
        if retyped and self._unchanged(prop, value):
            # Written before Notion changed the type, not edited since: Notion's
            # converted value replaces it.
            canonical = _base_canonical(prop, self.base) if self.base else _SKIP
            if canonical is not _SKIP:
                self.props[prop["id"]] = canonical
            return
        if kind not in properties.EDITABLE_TYPES:
            if kind in properties.COMPUTED_TYPES:
                why = f"is a {kind} property, computed by Notion"
            else:
                why = f"has type {kind!r}, which notion-mirror cannot write"
            if retyped:
                self._hold(prop, value, f"{why} since a type change in Notion; your edit "
                           "cannot be sent and is kept in the file until you remove the line",
                           line=line, name=name)  # fmt: skip
                return
            self.fail(f"{why} (shown under _notion.computed); it cannot be edited",
                      line=line, prop=name)  # fmt: skip
            return
        if self.base is not None:
            value_obj = _base_value(prop, self.base)
            if not properties.is_editable(prop, value_obj):
                self.fail(f"read-only here: {_read_only_reason(prop, value_obj)}; edit it in "
                          "Notion (its value is shown under _notion.computed)",
                          line=line, prop=name)  # fmt: skip
                return
        try:
            properties.from_frontmatter(prop, value, path=self.path, line=line,
                                        allow_new_options=self.allow_new)  # fmt: skip
            canonical = properties.frontmatter_to_canonical(prop, value, path=self.path,
                                                            line=line)  # fmt: skip
        except FileInputError as exc:
            reason = self._drift_reason(prop, value, exc, retyped)
            if reason is None:
                self.errors.append(str(exc))
            elif self._unchanged(prop, value):
                # An option Notion removed, on a value nobody edited here.
                canonical = _base_canonical(prop, self.base) if self.base else _SKIP
                if canonical is not _SKIP:
                    self.props[prop["id"]] = canonical
            else:
                self._hold(prop, value, reason, line=line, name=name)
                if retyped:
                    self.retyped.add(prop["id"])
            return
        except Exception as exc:  # a codec bug must block the file, not crash the sync
            self.errors.append(str(_internal(self.path, exc, line=line, prop=name)))
            return
        self.props[prop["id"]] = canonical
        self.raw[prop["id"]] = value
        if retyped:
            self.retyped.add(prop["id"])

    # ----------------------------------------------------------------- drift

    def _retyped(self, prop: dict[str, Any]) -> bool:
        """Whether Notion changed this property's type since the page's base."""
        if self.base is None or self.drift is None:
            return False
        if prop["id"] not in self.drift.former_types:
            return False
        old = self.base.properties.get(prop["id"])
        return isinstance(old, dict) and old.get("type") not in (None, prop["type"])

    def _unchanged(self, prop: dict[str, Any], value: Any) -> bool:
        """Whether ``value`` is what the file showed for the base (not a local edit)."""
        if self.base is None:
            return False
        old = self.base.properties.get(prop["id"])
        if not isinstance(old, dict) or not old.get("type"):
            return False
        shown = _old_rendering(old)
        return shown is not _SKIP and _same(value, shown)

    def _drift_reason(
        self, prop: dict[str, Any], value: Any, exc: FileInputError, retyped: bool
    ) -> str | None:
        """Why a value Notion's schema change made invalid is held back, or None (a typo)."""
        if self.drift is None or self.base is None:
            return None
        name = prop["name"]
        if retyped:
            old = self.base.properties[prop["id"]]["type"]
            return (f"{exc}; Notion changed {name!r} from {old} to {prop['type']} while it was "
                    f"edited here: fix the value for the new type, it is kept in the file and "
                    f"not sent until then")  # fmt: skip
        lost = self.drift.former_options.get(prop["id"], frozenset())
        used = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        gone = [v for v in used if isinstance(v, str) and v in lost]
        if not gone:
            return None
        config = prop.get(prop["type"]) or {}
        known = [o["name"] for o in config.get("options") or [] if isinstance(o, dict)]
        shown = ", ".join(map(repr, known)) or "(none)"
        return str(FileInputError(
            self.path, f"option {', '.join(map(repr, gone))} was removed from this property "
            f"in Notion, so this edit cannot be sent; choose one of {shown} (the value is kept "
            "in the file until then)", line=self.doc.key_lines.get(self.keys_of.get(
                prop["id"], name)), prop=name,
        ))  # fmt: skip

    def _hold(self, prop: dict[str, Any], value: Any, reason: str, *,
              line: int | None, name: str) -> None:  # fmt: skip
        if not reason.startswith(self.path):
            reason = str(FileInputError(self.path, reason, line=line, prop=name))
        self.props[prop["id"]] = value
        self.raw[prop["id"]] = value
        self.blocked[prop["id"]] = reason

    def _unknown_message(self, name: str) -> str:
        editable = sorted(
            n for n, p in self.schema.items() if p.get("type") in properties.EDITABLE_TYPES
        )
        hint = ""
        folded = [n for n in self.schema if n.casefold() == name.casefold()]
        close = difflib.get_close_matches(name, list(self.schema), n=1, cutoff=0.75)
        if folded:
            hint = f" (did you mean {folded[0]!r}? names are case-sensitive)"
        elif close:
            hint = f" (did you mean {close[0]!r}?)"
        if name in NOTION_KEYS:
            hint = f" (did you mean _notion.{name}? it belongs under _notion)"
        shown = ", ".join(editable[:_MAX_LISTED])
        if len(editable) > _MAX_LISTED:
            shown += f", ... ({len(editable) - _MAX_LISTED} more)"
        return (f"is not a property of this data source{hint}; "
                f"its editable properties are: {shown or '(none)'}")  # fmt: skip

    # ---------------------------------------------------------------------- _notion

    def _check_notion(self) -> None:
        notion = self.doc.notion
        top = self.doc.key_lines.get(document.NOTION_KEY)
        for key in notion:
            if key not in NOTION_KEYS:
                self.fail(f"is not a key notion-mirror writes; allowed under _notion: "
                          f"{', '.join(NOTION_KEYS)}. Move properties to the top level",
                          line=self._line(key), prop=f"_notion.{key}")  # fmt: skip
        if "id" in notion:
            raw_id = notion["id"]
            try:
                self.page_id = normalize_id(raw_id)
            except (ValueError, TypeError):
                self.fail(f"expected the page id (32 hex digits, dashes optional), found "
                          f"{_show(raw_id)}; put back the id notion-mirror wrote, or remove "
                          "_notion entirely to create a new page", line=self._line("id"),
                          prop="_notion.id")  # fmt: skip
        if self.base is None:
            if "id" not in notion:
                for key in ("url", "computed"):
                    if key in notion:
                        self.fail(f"a new file has no Notion page yet; remove _notion.{key}",
                                  line=self._line(key) or top, prop=f"_notion.{key}")  # fmt: skip
            return  # with an id but no base, the caller decides identity; nothing to compare
        if "url" in notion and notion["url"] != self.base.url:
            self.fail(f"is written by notion-mirror; edits to it are not synced "
                      f"(put back {self.base.url})", line=self._line("url"),
                      prop="_notion.url")  # fmt: skip
        if notion.get("computed") is not None:
            self._check_computed(notion["computed"])

    def _check_computed(self, computed: Any) -> None:
        line = self._line("computed")
        if not isinstance(computed, dict):
            self.fail(f"expected the mapping of computed values notion-mirror wrote, found "
                      f"{_kind_of(computed)}; delete it or put it back", line=line,
                      prop="_notion.computed")  # fmt: skip
            return
        assert self.base is not None
        try:
            # Compare after the same YAML round trip the file went through, so a
            # date or a float compares as the user's parser sees it.
            rendered = document.parse(render_page(self.schema, self.base), path=self.path)
            expected = rendered.notion.get("computed") or {}
        except Exception as exc:
            self.fail(f"cannot be checked against Notion's values ({type(exc).__name__}: "
                      f"{exc}); remove _notion.computed", line=line,
                      prop="_notion.computed")  # fmt: skip
            return
        for name, value in computed.items():
            where = self._line("computed", name) or line
            prop = f"_notion.computed.{name}"
            if self._stale_computed(name):
                continue  # written under an older schema; the rewrite replaces it
            if name not in expected:
                schema_prop = self.schema.get(name)
                if schema_prop is not None and schema_prop.get("type") in properties.EDITABLE_TYPES:
                    why = "is editable, so it belongs at the top level of the frontmatter"
                else:
                    why = "is not a value Notion computes for this page"
                self.fail(f"{why}; remove it from _notion.computed", line=where, prop=prop)
            elif not _same(value, expected[name]):
                self.fail(f"is computed by Notion and cannot be edited (Notion has "
                          f"{_show(expected[name])}); put it back or delete the line",
                          line=where, prop=prop)  # fmt: skip

    def _stale_computed(self, name: str) -> bool:
        """A computed value of a property Notion renamed, deleted or retyped since."""
        drift = self.drift
        if drift is None:
            return False
        if name not in self.schema:
            return name in drift.aliases or name in drift.deleted
        return self._retyped(self.schema[name])

    def _line(self, *keys: str) -> int | None:
        """1-based line of a key under ``_notion`` (``("computed", name)`` one deeper)."""
        if self._nested is None:
            self._nested = _nested_lines(self.data)
        return self._nested.get(keys)

    # ------------------------------------------------------------------------ body

    def _read_body(self) -> tuple[str, bool]:
        file_body = self.doc.body
        try:
            body = body_codec.to_canonical(file_body)
            if body_codec.too_deep(body):
                self.errors.append(str(FileInputError(
                    self.path, f"the body is nested too deeply (more than {MAX_NESTING} "
                    "indented levels); flatten it", line=_body_line(self.data),
                )))  # fmt: skip
                return file_body, body_codec.has_conflict_markers(file_body)
        except Exception as exc:  # to_canonical accepts any text; fail closed if it doesn't
            self.errors.append(str(FileInputError(
                self.path, f"the body could not be read ({type(exc).__name__}: {exc})",
                line=_body_line(self.data),
            )))  # fmt: skip
            return file_body, body_codec.has_conflict_markers(file_body)
        # Check both: the canonical form may re-render a marker line (e.g. as a heading).
        markers = body_codec.has_conflict_markers(body) or body_codec.has_conflict_markers(
            file_body
        )
        if markers:
            # Canonicalising would escape the marker lines (``\>\>...``); a marked
            # body is never sent, only written back, so keep its lines as they are.
            body = body_codec.unpresent(file_body)
        return body, markers


# --------------------------------------------------------------------------- helpers


def _unreadable(path: str, sha: str, data: bytes, message: str) -> LocalFile:
    text = document.best_effort_text(data)
    return LocalFile(
        path=path,
        sha256=sha,
        page_id=_recover_id(text),
        props={},
        raw={},
        body="",
        has_conflict_markers=body_codec.has_conflict_markers(text),
        conflicts_key=None,
        errors=(message,),
    )


def _recover_id(text: str) -> str | None:
    """The ``_notion.id`` of a file whose YAML doesn't parse, when it plainly has one.

    Lets the planner say "page X is blocked" rather than mistake the file for a
    new page; ambiguous text (two ids) gives None.
    """
    text = document.normalize_text(text) + "\n"
    close = _CLOSE.search(text, text.find("\n") + 1) if text.startswith("---") else None
    front = text[: close.start()] if close else text
    found = {
        m.group(2)
        for block in _NOTION_BLOCK.finditer(front)
        for m in _ID_LINE.finditer(block.group(1))
    }
    if len(found) != 1:
        return None
    try:
        return normalize_id(found.pop())
    except ValueError:
        return None


def _nested_lines(data: bytes) -> dict[tuple[str, ...], int]:
    """Lines of the keys under ``_notion`` and ``_notion.computed``.

    document.parse only reports top-level lines. Called only after parse accepted
    the file (no aliases, bounded size and depth), so composing again is cheap;
    a line is a nicety, so any surprise just means no line.
    """
    lines: dict[tuple[str, ...], int] = {}
    try:
        text = document.normalize_text(data.decode("utf-8"))
        start = text.index("\n") + 1
        close = _CLOSE.search(text, start)
        if close is None:
            return lines
        loader = document.Loader(text[start : close.start()])
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if not isinstance(root, MappingNode):
            return lines
        for key, value in root.value:
            if key.value != document.NOTION_KEY or not isinstance(value, MappingNode):
                continue
            for k2, v2 in value.value:
                lines[(str(k2.value),)] = k2.start_mark.line + 2  # 1-based, after '---'
                if k2.value == "computed" and isinstance(v2, MappingNode):
                    for k3, _ in v2.value:
                        lines[("computed", str(k3.value))] = k3.start_mark.line + 2
    except (ValueError, yaml.YAMLError, AttributeError, TypeError):
        return {}
    return lines


def _body_line(data: bytes) -> int | None:
    try:
        text = document.normalize_text(data.decode("utf-8"))
        close = _CLOSE.search(text, text.index("\n") + 1)
    except ValueError:
        return None
    return None if close is None else text.count("\n", 0, close.end()) + 2


_SKIP: Any = object()


def _base_canonical(prop: dict[str, Any], base: PageBase) -> Any:
    """The base's canonical value as the planner sees it (snapshots.top_level_values)."""
    value_obj = _base_value(prop, base)
    if not properties.is_editable(prop, value_obj):
        return _SKIP
    return properties.canonical_value(prop, value_obj)


def _old_rendering(value_obj: dict[str, Any]) -> Any:
    """How a base value was shown in the file, under the type it had then."""
    kind = value_obj["type"]
    try:
        return properties.to_frontmatter({"id": value_obj.get("id"), "type": kind}, value_obj)
    except Exception:  # an odd old value: treat the file's value as an edit
        return _SKIP


def _base_value(prop: dict[str, Any], base: PageBase) -> dict[str, Any]:
    """The value object render_page used for ``prop`` (same fallback rule)."""
    value_obj = base.properties.get(prop["id"])
    if value_obj is None or value_obj.get("type") != prop["type"]:
        return empty_value(prop)
    return value_obj


def _read_only_reason(prop: dict[str, Any], value_obj: dict[str, Any]) -> str:
    kind = prop["type"]
    raw = value_obj.get(kind)
    if value_obj.get("has_more"):
        return "Notion returned only part of this value, so writing it back would cut it short"
    if kind == "files" and any(f.get("type") != "external" for f in raw or []):
        return "it holds files uploaded to Notion, which cannot be written back"
    if kind in _LIST_TYPES and isinstance(raw, list) and len(raw) > properties.MAX_ITEMS:
        return f"it has more than {properties.MAX_ITEMS} entries, more than one write can set"
    if kind in ("title", "rich_text"):
        return ("its text holds formatting the file cannot carry back exactly "
                "(e.g. a link preview, a template mention or a custom emoji)")  # fmt: skip
    return "its value cannot be written back exactly"


def _internal(path: str, exc: Exception, **where: Any) -> FileInputError:
    return FileInputError(
        path, f"could not be read (internal error {type(exc).__name__}: {exc}); "
        "please report this", **where,
    )  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    """YAML value equality that keeps ``true`` apart from ``1`` but ``3`` equal to ``3.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return _show(value)


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
