"""``resolve``: settle a page's open conflicts the way the user chose.

While a conflict record exists the engine neither pushes nor pulls that
surface, so resolving is purely a matter of moving the *base* and the *file*:

* ``keep="remote"``: base and file both take Notion's side.
* ``keep="local"``: the base takes Notion's side and the file keeps the local
  one, so the next ``sync`` sees an ordinary local edit against what Notion
  holds and pushes it through the usual guarded path (if Notion moved again
  meanwhile, that is a new conflict, never a blind overwrite).
* no ``keep``: the user merged by hand; the base takes Notion's side and the
  file stays as written (refused while the body still holds markers).

A lifecycle conflict (trashed in Notion while edited here) is settled by
restoring the page (local) or removing the file (remote).

Order of effects, for crash safety: the file is written first, the store
last. A crash in between leaves the conflict records in place, so the engine
keeps holding the surfaces and running ``resolve`` again finishes the job;
the reverse order could let a sync push a value the user chose to drop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.errors import MirrorError, UsageError
from notion_mirror.mirror import Mirror
from notion_mirror.store import ConflictRecord, PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync._plan_model import SURFACE_BODY, SURFACE_LIFECYCLE
from notion_mirror.sync._plan_surfaces import MISSING, same
from notion_mirror.sync.engine import surface_name
from notion_mirror.sync.lifecycle import (
    PageFile,
    body_hash,
    fingerprint_fields,
    load_page_file,
    local_changes,
    require_schema,
)
from notion_mirror.sync.local import LocalFile, read_local
from notion_mirror.sync.observe import title_of
from notion_mirror.sync.render import render_file
from notion_mirror.sync.snapshots import top_level_values

__all__ = [
    "KEEP_CHOICES",
    "MarkersLeftError",
    "Resolution",
    "ResolveResult",
    "plan_resolution",
    "resolve_file",
]

KEEP_CHOICES = ("local", "remote")


class MarkersLeftError(MirrorError):
    """The body still holds conflict markers; a hand resolution is not finished."""


@dataclass(frozen=True)
class Resolution:
    """What resolving does, decided without I/O (see :func:`plan_resolution`)."""

    base: PageBase  # the page's new base
    keep_local: dict[str, Any]  # prop id -> the file's raw value, kept in the rewritten file
    body: str | None  # canonical body for the file; None = the base's
    surfaces: tuple[str, ...]  # the conflict surfaces settled
    remove_file: bool = False  # lifecycle, keep remote: the page stays trashed
    restore: bool = False  # lifecycle, keep local: take the page out of Notion's trash


def plan_resolution(
    schema: Mapping[str, dict[str, Any]],
    base: PageBase,
    local: LocalFile,
    records: list[ConflictRecord],
    keep: str | None,
) -> Resolution:
    """Decide the new base and file view for settling ``records`` with ``keep``.

    Raises :class:`MarkersLeftError` when a hand resolution still has markers
    and :class:`UsageError` when a choice is needed (lifecycle) or invalid.
    """
    if keep is not None and keep not in KEEP_CHOICES:
        raise UsageError(f"--keep must be local or remote, not {keep!r}")
    if local.errors:
        raise MirrorError(
            f"{local.path}: cannot be read, fix it first:\n" + "\n".join(local.errors)
        )
    surfaces = tuple(r.surface for r in records)
    lifecycle = SURFACE_LIFECYCLE in surfaces
    if lifecycle and keep is None:
        raise UsageError(
            f"{local.path}: the page was trashed in Notion while edited here; choose "
            "--keep local (restore the page, keep the file) or --keep remote (remove the file)"
        )
    if lifecycle and keep == "remote":
        return Resolution(
            base.with_changes(state="trashed", path=None), {}, None, surfaces, remove_file=True
        )

    props = dict(base.properties)
    new_body = base.body
    conflicted: set[str] = set()
    body_record: ConflictRecord | None = None
    for rec in records:
        if rec.surface.startswith("prop:"):
            pid = rec.surface[5:]
            conflicted.add(pid)
            # Notion's value object becomes the base; a missing one (the
            # property went away) leaves the base alone.
            if isinstance(rec.remote, dict):
                props[pid] = rec.remote
        elif rec.surface == SURFACE_BODY:
            body_record = rec
            if isinstance(rec.remote, str):
                new_body = rec.remote
    # Notion's values are those of the conflict's time: the next sync re-reads the
    # page, so a later Notion edit reaches the file (or conflicts again) too.
    new_base = base.with_changes(
        properties=props, title=title_of(props) or base.title, remote_dirty=True
    )
    if new_body != base.body:
        new_base = new_base.with_changes(body=new_body, body_hash=body_hash(new_body))
    if lifecycle:
        new_base = new_base.with_changes(state="live", deletion_reported=False)

    # The file: every value that differs from Notion's stays the user's, except
    # a conflicted one the user chose to drop.
    notion_canon = top_level_values(schema, props)
    keep_local = {
        pid: raw
        for pid, raw in local.raw.items()
        if not (keep == "remote" and pid in conflicted)
        and not same(local.props.get(pid, MISSING), notion_canon.get(pid, MISSING))
    }
    body: str | None = local.body
    if body_record is not None:
        if keep == "remote":
            body = None
        elif keep == "local":
            body = body_record.local if isinstance(body_record.local, str) else local.body
        elif local.has_conflict_markers:
            raise MarkersLeftError(
                f"{local.path}: the body still has conflict markers (<<<<<<< / ======= / "
                ">>>>>>>); edit the body to what it should be and run resolve again, or "
                "use --keep local / --keep remote"
            )
    if body is not None and body == body_codec.canonicalize(new_base.body):
        body = None
    return Resolution(new_base, keep_local, body, surfaces, restore=lifecycle)


@dataclass
class ResolveResult:
    path: str
    page_id: str
    keep: str | None
    resolved: list[str] = field(default_factory=list)  # surface names
    removed: bool = False
    restored: bool = False
    next_sync: list[str] = field(default_factory=list)  # surfaces the next sync sends
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "page_id": self.page_id,
            "keep": self.keep,
            "resolved": self.resolved,
            "removed": self.removed,
            "restored": self.restored,
            "next_sync": self.next_sync,
            "notes": self.notes,
        }


def resolve_file(
    mirror: Mirror,
    rel: str,
    keep: str | None,
    *,
    connect: Callable[[], Any] | None = None,
) -> ResolveResult:
    """Settle every open conflict of the page in ``rel``.

    Offline except for a lifecycle conflict kept local, which restores the
    page in Notion through ``connect()`` (a client factory; closed after use).
    """
    with mirror.open_store() as store:
        schema = require_schema(store)
        pf = load_page_file(mirror, store, schema, rel)
        if pf.local.page_id is None or pf.base is None:
            raise UsageError(f"{rel}: not a page this mirror knows; nothing to resolve")
        base = pf.base
        records = store.conflicts(base.page_id)
        result = ResolveResult(rel, base.page_id, keep)
        if not records:
            result.notes.append("no open conflicts")
            if pf.local.conflicts_key:
                rewrite_view(mirror, store, schema, pf, base, [])
                result.notes.append("removed the stale _notion.conflicts from the file")
            return result
        plan = plan_resolution(schema, base, pf.local, records, keep)
        result.resolved = [surface_name(s, schema) for s in plan.surfaces]
        if plan.remove_file:
            _remove(mirror, pf)
            result.removed = True
            with store.atomic():
                store.put_page(plan.base)
                store.drop_conflicts(base.page_id)
            return result

        data = render_file(schema, plan.base, keep_local=plan.keep_local, body=plan.body)
        fp = _write(mirror, pf, data)
        if plan.restore:
            if connect is None:
                raise UsageError("restoring the page needs Notion; no client given")
            _restore_in_notion(connect, base.page_id)
            result.restored = True
        new_base = plan.base.with_changes(
            path=rel, **fingerprint_fields(schema, plan.base, data, fp)
        )
        with store.atomic():
            store.put_page(new_base)
            store.drop_conflicts(base.page_id)
        result.next_sync = _pending(mirror, schema, plan.base, rel, data)
        return result


def rewrite_view(
    mirror: Mirror,
    store: StateStore,
    schema: dict[str, Any],
    pf: PageFile,
    base: PageBase,
    records: list[ConflictRecord],
) -> PageBase:
    """Rewrite ``pf`` as the user has it, with ``_notion.conflicts`` for ``records`` only."""
    from notion_mirror.sync.execute import BODY_CONFLICT_NOTE, LIFECYCLE_NOTE, shown_value
    from notion_mirror.sync.snapshots import by_id

    names = by_id(schema)
    canon = top_level_values(schema, base.properties)
    keep = {
        pid: raw
        for pid, raw in pf.local.raw.items()
        if not same(pf.local.props.get(pid, MISSING), canon.get(pid, MISSING))
    }
    body = pf.local.body if pf.local.body != body_codec.canonicalize(base.body) else None
    view: dict[str, Any] = {}
    for rec in records:
        if rec.surface == SURFACE_BODY:
            view["body"] = BODY_CONFLICT_NOTE
        elif rec.surface == SURFACE_LIFECYCLE:
            view["page"] = LIFECYCLE_NOTE
        elif rec.surface[5:] in names:
            prop = names[rec.surface[5:]]
            view[prop["name"]] = {"notion": shown_value(prop, rec.remote)}
    data = render_file(schema, base, keep_local=keep, body=body, conflicts=view)
    fp = _write(mirror, pf, data)
    new_base = base.with_changes(path=pf.rel, **fingerprint_fields(schema, base, data, fp))
    store.put_page(new_base)
    return new_base


def _write(mirror: Mirror, pf: PageFile, data: bytes) -> materialize.FileFingerprint:
    if data == pf.read.data and pf.read.mtime_ns is not None:
        return materialize.FileFingerprint(pf.read_hash, pf.read.size, pf.read.mtime_ns)
    try:
        return materialize.write_file(
            mirror.root, pf.rel, data, tmp_dir=mirror.tmp_dir, expected_hash=pf.read_hash
        )
    except (materialize.LocalEditError, materialize.PathOccupiedError):
        raise MirrorError(
            f"{pf.rel}: changed while resolving; nothing was settled, run resolve again"
        ) from None


def _remove(mirror: Mirror, pf: PageFile) -> None:
    try:
        materialize.remove_file(
            mirror.root, pf.rel, tmp_dir=mirror.tmp_dir, expected_hash=pf.read_hash
        )
    except materialize.LocalEditError:
        raise MirrorError(
            f"{pf.rel}: changed while resolving; nothing was settled, run resolve again"
        ) from None


def _restore_in_notion(connect: Callable[[], Any], page_id: str) -> None:
    client = connect()
    try:
        page = client.retrieve_page(page_id)
        if page.in_trash:
            client.update_page(page_id, in_trash=False)
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _pending(
    mirror: Mirror, schema: dict[str, Any], base: PageBase, rel: str, data: bytes
) -> list[str]:
    allow = bool(mirror.config.options.get("allow_new_options", False))
    local = read_local(rel, data, schema, base, allow_new_options=allow)
    return local_changes(schema, base, local)
