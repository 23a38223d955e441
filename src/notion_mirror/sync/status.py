"""Offline views of a mirror: ``status``, ``diff`` and ``conflicts``.

All three answer "what would ``sync`` do / what is stuck" from the local side
alone (:func:`engine.inspect` plans every changed file against its base
without calling Notion), so they are safe and instant to run at any time,
and they agree with ``sync`` because they use its planner. Each returns
plain data with a stable ``to_json``; the CLI only formats it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import properties
from notion_mirror.mirror import Mirror
from notion_mirror.store import ConflictRecord
from notion_mirror.sync._plan_model import SURFACE_BODY, SURFACE_LIFECYCLE
from notion_mirror.sync._plan_surfaces import UNRESOLVED
from notion_mirror.sync.engine import BAD_NAME, inspect, surface_name
from notion_mirror.sync.execute import Work, shown_value
from notion_mirror.sync.render import empty_value
from notion_mirror.sync.snapshots import by_id

__all__ = [
    "ConflictView",
    "FileDiff",
    "PropChange",
    "Status",
    "conflicts",
    "diff",
    "show",
    "status",
]


def show(value: Any) -> str:
    """A frontmatter value on one line, as a user would recognise it."""
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return value if value.strip() == value and value else json.dumps(value)
    return json.dumps(value, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- status


@dataclass
class Status:
    root: str
    modified: list[dict[str, Any]] = field(default_factory=list)  # path, page_id, surfaces
    new: list[dict[str, Any]] = field(default_factory=list)  # path
    deleted: list[dict[str, Any]] = field(default_factory=list)  # path, page_id, note
    blocked: list[dict[str, Any]] = field(default_factory=list)  # path, page_id, surface, reason
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # path, page_id, surface, ...
    pending: list[dict[str, Any]] = field(default_factory=list)  # open outbox commands
    notes: list[dict[str, Any]] = field(default_factory=list)  # path, note
    last_sync: str | None = None
    # The process holding the writer lock (watch, mount or a running sync), if any.
    writer: dict[str, Any] | None = None

    @property
    def clean(self) -> bool:
        return not (
            self.modified or self.new or self.deleted or self.blocked or self.conflicts
            or self.pending
        )  # fmt: skip

    @property
    def stuck(self) -> bool:
        """Something needs the user (blocked or in conflict)."""
        return bool(self.blocked or self.conflicts)

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": self.root,
            "clean": self.clean,
            "modified": self.modified,
            "new": self.new,
            "deleted": self.deleted,
            "blocked": self.blocked,
            "conflicts": self.conflicts,
            "pending": self.pending,
            "notes": self.notes,
            "last_sync": self.last_sync,
            "writer": self.writer,
        }


def status(mirror: Mirror) -> Status:
    """What the next ``sync`` would send, and what is blocked or in conflict."""
    found = inspect(mirror)
    schema = found.schema
    out = Status(str(mirror.root), last_sync=found.last_sync, writer=_writer(mirror))
    recorded = {(c.page_id, c.surface) for c in found.conflicts}
    for rec in found.conflicts:
        out.conflicts.append(_conflict_entry(rec, schema))
    for w, page in zip(found.works, found.pages, strict=True):
        path = page.path
        if w.plan.create:
            out.new.append({"path": path})
        elif page.pushed:
            out.modified.append({"path": path, "page_id": page.page_id, "surfaces": page.pushed})
        if w.local is None and w.base is not None:
            out.deleted.append({"path": path, "page_id": page.page_id, "notes": page.notes})
        elif page.notes and not w.plan.create:
            out.notes += [{"path": path, "note": n} for n in page.notes]
        for b in w.plan.blocked:
            if (w.page_id, b.surface) in recorded and b.reason == UNRESOLVED:
                continue  # listed under conflicts already
            out.blocked.append(
                {
                    "path": path,
                    "page_id": page.page_id,
                    "surface": surface_name(b.surface, schema),
                    "reason": b.reason,
                }
            )
        for c in w.plan.conflicts:
            if (w.page_id, c.surface) not in recorded:
                out.conflicts.append(
                    {
                        "path": path,
                        "page_id": page.page_id,
                        "surface": surface_name(c.surface, schema),
                        "reason": c.reason,
                    }
                )
    for name in found.bad_names:
        out.blocked.append(
            {"path": name, "page_id": None, "surface": "file name", "reason": BAD_NAME}
        )
    for group in (out.modified, out.new, out.deleted, out.blocked, out.conflicts, out.notes):
        group.sort(key=lambda e: str(e.get("path") or ""))
    paths = {b.page_id: b.path for b in _bases(mirror)}
    for cmd in found.open_commands:
        out.pending.append(
            {
                "id": cmd.id,
                "kind": cmd.kind,
                "page_id": cmd.page_id,
                "path": cmd.payload.get("path") or paths.get(cmd.page_id or ""),
                "status": cmd.status,
                "error": cmd.error,
            }
        )
    return out


def _writer(mirror: Mirror) -> dict[str, Any] | None:
    """Who holds the writer lock now, with the daemon's last cycle when it is ``watch``."""
    from notion_mirror.lock import holder
    from notion_mirror.watch import read_daemon_state

    who = holder(mirror.state_dir)
    if who is None:
        return None
    out: dict[str, Any] = {"pid": who.pid, "command": who.command, "since": who.since}
    if who.command == "watch":
        daemon = read_daemon_state(mirror) or {}
        for key in ("last_cycle", "last_result", "last_error"):
            out[key] = daemon.get(key)
    return out


def _bases(mirror: Mirror) -> list[Any]:
    with mirror.open_store() as store:
        return store.pages()


def _conflict_entry(rec: ConflictRecord, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": rec.path,
        "page_id": rec.page_id,
        "surface": surface_name(rec.surface, schema),
        "reason": rec.reason,
    }


# ----------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class PropChange:
    name: str
    prop_id: str
    notion: Any  # frontmatter rendering of the base (None for a create)
    local: Any  # the file's value as written


@dataclass
class FileDiff:
    path: str
    page_id: str | None
    create: bool
    props: list[PropChange] = field(default_factory=list)
    body: str | None = None  # unified diff text, None when the body is not sent

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "page_id": self.page_id,
            "create": self.create,
            "properties": [
                {"name": p.name, "id": p.prop_id, "notion": p.notion, "local": p.local}
                for p in self.props
            ],
            "body": self.body,
        }


def diff(mirror: Mirror, paths: Iterable[str] | None = None) -> list[FileDiff]:
    """What the next ``sync`` would send, per file (``paths``: only these files)."""
    wanted = set(paths) if paths is not None else None
    found = inspect(mirror)
    names = by_id(found.schema)
    out = []
    for w in found.works:
        if w.path is None or (wanted is not None and w.path not in wanted):
            continue
        plan = w.plan
        if not (plan.create or plan.push_props or plan.push_body is not None):
            continue
        out.append(_file_diff(w, names))
    return sorted(out, key=lambda d: d.path)


def _file_diff(w: Work, names: dict[str, dict[str, Any]]) -> FileDiff:
    assert w.path is not None and w.local is not None
    plan = w.plan
    result = FileDiff(w.path, w.page_id, plan.create)
    for pid in sorted(plan.push_props, key=lambda p: _order(names, p)):
        prop = names.get(pid)
        if prop is None:
            continue
        before = None
        if w.base is not None:
            value = w.base.properties.get(pid)
            if value is None or value.get("type") != prop["type"]:
                value = empty_value(prop)
            before = _plain(properties.to_frontmatter(prop, value))
        result.props.append(PropChange(prop["name"], pid, before, _plain(w.local.raw.get(pid))))
    if plan.push_body is not None:
        old = body_codec.canonicalize(w.base.body) if w.base is not None else ""
        result.body = unified(old, plan.push_body, w.path, create=plan.create)
    return result


def _order(names: dict[str, dict[str, Any]], pid: str) -> int:
    order = list(names)
    return order.index(pid) if pid in names else len(order)


def _plain(value: Any) -> Any:
    """JSON-able (dates and other str subclasses become plain strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def unified(old: str, new: str, path: str, *, create: bool = False) -> str:
    """A unified diff of two canonical bodies, Notion's side first."""
    lines = difflib.unified_diff(
        _lines(old),
        _lines(new),
        fromfile="/dev/null" if create else f"notion/{path}",
        tofile=f"local/{path}",
    )
    return "".join(lines)


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.split("\n")] if text else []


# ------------------------------------------------------------------------ conflicts


@dataclass(frozen=True)
class ConflictView:
    path: str | None
    page_id: str
    surface: str  # the prop name, "body" or "lifecycle"
    local: Any
    notion: Any
    reason: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "page_id": self.page_id,
            "surface": self.surface,
            "local": self.local,
            "notion": self.notion,
            "reason": self.reason,
            "at": self.at,
        }


def conflicts(mirror: Mirror) -> list[ConflictView]:
    """Every open conflict, with both sides as the file would show them."""
    with mirror.open_store() as store:
        schema = store.get_schema() or {}
        records = store.conflicts()
    names = by_id(schema)
    raws = _local_raws(mirror, schema, records)
    out = []
    for rec in records:
        local: Any = rec.local
        notion: Any = rec.remote
        if rec.surface.startswith("prop:") and rec.surface[5:] in names:
            pid = rec.surface[5:]
            notion = _plain(shown_value(names[pid], rec.remote))
            # The file's own spelling, when the file still holds the value.
            local = _plain(raws.get((rec.page_id, pid), rec.local))
        elif rec.surface == SURFACE_LIFECYCLE:
            local, notion = "edited here", "trashed in Notion"
        elif rec.surface == SURFACE_BODY:
            local = rec.local
            notion = rec.remote
        out.append(
            ConflictView(
                rec.path,
                rec.page_id,
                surface_name(rec.surface, schema),
                local,
                notion,
                rec.reason,
                rec.at,
            )
        )
    return out


def _local_raws(
    mirror: Mirror, schema: dict[str, Any], records: list[ConflictRecord]
) -> dict[tuple[str, str], Any]:
    from notion_mirror.sync.local import read_local
    from notion_mirror.sync.snapshots import read_file

    out: dict[tuple[str, str], Any] = {}
    for path in {r.path for r in records if r.path and r.surface.startswith("prop:")}:
        fr = read_file(mirror.root / path)
        if fr is None:
            continue
        local = read_local(path, fr.data, schema, None)
        for rec in records:
            if rec.path == path and rec.page_id == local.page_id:
                pid = rec.surface[5:]
                if pid in local.raw:
                    out[(rec.page_id, pid)] = local.raw[pid]
    return out
