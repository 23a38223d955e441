"""Explicit page lifecycle: ``trash`` a page from its file, ``restore`` a trashed page.

Absence is not deletion (DESIGN §3.4): deleting a file never trashes its page,
so trashing needs this explicit intent. Both directions are guarded the same
way sync is: a file with edits Notion has not seen is not thrown away without
``force``, a page Notion changed since the last sync is not trashed blind, and
files are only ever removed or written through :mod:`sync.materialize`, so a
file that changed while we worked is kept.

Also home to the helpers the other offline commands share: finding the mirror
and the page a file argument names (:func:`locate_file`, :func:`load_page_file`)
and recording a file we wrote (:func:`fingerprint_fields`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import paths as paths_codec
from notion_mirror.errors import MirrorError, NotFoundError, UsageError
from notion_mirror.mirror import Mirror, open_mirror
from notion_mirror.notion.ids import extract_id
from notion_mirror.store import PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync._plan_model import SURFACE_LIFECYCLE
from notion_mirror.sync._plan_surfaces import MISSING, same
from notion_mirror.sync.capture import is_page_file
from notion_mirror.sync.local import LocalFile, read_local
from notion_mirror.sync.observe import floor_minute, iso, parse_time, server_now
from notion_mirror.sync.pull import base_from_observation, observe_page
from notion_mirror.sync.render import render_page
from notion_mirror.sync.snapshots import FileRead, by_id, read_file, top_level_values

__all__ = [
    "LocalEditsError",
    "PageFile",
    "RestoreResult",
    "TrashResult",
    "find_restore_target",
    "fingerprint_fields",
    "load_page_file",
    "local_changes",
    "locate_file",
    "require_schema",
    "restore",
    "trash_file",
]


class LocalEditsError(MirrorError):
    """The file holds edits Notion has not seen; refusing to throw them away."""


# --------------------------------------------------------------------------- shared


def locate_file(arg: str | Path) -> tuple[Mirror, str]:
    """The mirror holding the file ``arg`` (relative to the cwd) and its path in it.

    Page files live at the mirror's top level, so anything else is a usage
    error rather than a silent no-op.
    """
    given = Path(arg)
    absolute = given.absolute()
    # Resolve the folder (symlinks, ``..``) but not the name: the file may be gone.
    target = absolute.parent.resolve() / absolute.name
    mirror = open_mirror(target.parent)
    try:
        rel = target.relative_to(mirror.root)
    except ValueError:
        raise UsageError(f"{arg}: not inside the mirror {mirror.root}") from None
    if len(rel.parts) != 1 or not is_page_file(rel.name):
        raise UsageError(
            f"{arg}: not a page file; page files are the *.md files at the top of {mirror.root}"
        )
    return mirror, rel.name


def require_schema(store: StateStore) -> dict[str, Any]:
    schema = store.get_schema()
    if not schema:
        raise UsageError("this mirror has not synced yet; run `notion-mirror sync` first")
    return schema


@dataclass(frozen=True)
class PageFile:
    """One page file as read now, with the base of the page it names."""

    rel: str
    read: FileRead
    local: LocalFile
    base: PageBase | None

    @property
    def read_hash(self) -> str:
        return materialize.hash_bytes(self.read.data)


def load_page_file(mirror: Mirror, store: StateStore, schema: dict[str, Any], rel: str) -> PageFile:
    """Read ``rel`` and find its page: ``_notion.id`` first, the known path second."""
    fr = read_file(mirror.root / rel)
    if fr is None:
        raise UsageError(f"{rel}: no such file in {mirror.root}")
    allow = bool(mirror.config.options.get("allow_new_options", False))
    base = store.page_by_path(rel)
    local = read_local(rel, fr.data, schema, base, allow_new_options=allow)
    if local.page_id is not None and (base is None or base.page_id != local.page_id):
        # Identity is the id in the file, not the path (mv, save-by-rename).
        base = store.get_page(local.page_id)
        local = read_local(rel, fr.data, schema, base, allow_new_options=allow)
    elif local.page_id is None:
        base = None  # no id: a new file, whatever once lived at this path
    return PageFile(rel, fr, local, base)


def local_changes(
    schema: Mapping[str, dict[str, Any]], base: PageBase, local: LocalFile
) -> list[str]:
    """Names of the surfaces where the file differs from the base (what sync would send)."""
    names = by_id(schema)
    base_props = top_level_values(schema, base.properties)
    out = [
        str(names[pid]["name"])
        for pid in sorted(set(base_props) | set(local.props))
        if pid in names and not same(local.props.get(pid, MISSING), base_props.get(pid, MISSING))
    ]
    if local.body != body_codec.canonicalize(base.body):
        out.append("body")
    return out


def fingerprint_fields(
    schema: dict[str, Any], base: PageBase, data: bytes, fp: materialize.FileFingerprint
) -> dict[str, Any]:
    """The ``file_*`` fields to store for a file we just wrote for ``base``.

    A file that means exactly the base gets its own fingerprint, so the next
    scan skips it. A file that still holds edits for Notion (a kept local
    value) must not: the scan would skip it, the planner would never see the
    edit, and a later pull would take the matching fingerprint as "unchanged"
    and overwrite it with Notion's values. Such a file is recorded with the
    fingerprint of the base's own rendering (no stat), so it reads as edited.
    """
    pure = render_page(schema, base)
    if pure == data:
        return {"file_hash": fp.sha256, "file_size": fp.size, "file_mtime_ns": fp.mtime_ns}
    return {"file_hash": materialize.hash_bytes(pure), "file_size": None, "file_mtime_ns": None}


def body_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- trash


@dataclass
class TrashResult:
    path: str
    page_id: str
    already_trashed: bool = False
    removed: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "page_id": self.page_id,
            "already_trashed": self.already_trashed,
            "removed": self.removed,
            "notes": self.notes,
        }


def trash_file(mirror: Mirror, client: Any, rel: str, *, force: bool = False) -> TrashResult:
    """Trash the page of ``rel`` in Notion, then remove the file (guarded).

    Refuses, before any write, when the file has unsynced edits or Notion
    changed the page since the last sync, unless ``force``.
    """
    with mirror.open_store() as store:
        schema = require_schema(store)
        pf = load_page_file(mirror, store, schema, rel)
        if pf.local.page_id is None:
            raise UsageError(f"{rel}: not in Notion yet (no _notion.id); just delete the file")
        base = pf.base
        if base is None:
            raise UsageError(
                f"{rel}: _notion.id names page {pf.local.page_id}, which this mirror does not know"
            )
        if not force:
            if pf.local.errors:
                raise LocalEditsError(
                    f"{rel}: cannot be read, so its edits cannot be checked; fix it, or use "
                    "--force to trash the page anyway:\n" + "\n".join(pf.local.errors)
                )
            edited = local_changes(schema, base, pf.local)
            if edited or store.conflicts(base.page_id):
                what = ", ".join(edited) if edited else "unresolved conflicts"
                raise LocalEditsError(
                    f"{rel}: has local edits not synced to Notion ({what}); run "
                    "`notion-mirror sync` first, or use --force to trash it and lose them"
                )
        result = TrashResult(rel, base.page_id)
        try:
            page = client.retrieve_page(base.page_id)
        except NotFoundError:
            raise UsageError(
                f"{rel}: page {base.page_id} is not visible to the integration; nothing trashed"
            ) from None
        if page.in_trash:
            result.already_trashed = True
        else:
            # Guarded like every write: trashing a page whose Notion changes the
            # user has not seen would throw those away unseen.
            if not force and page.last_edited_time != parse_time(base.last_edited_time):
                raise LocalEditsError(
                    f"{rel}: page changed in Notion since the last sync; run `notion-mirror "
                    "sync` and look first, or use --force to trash it anyway"
                )
            cmd = store.add_commands(
                [
                    {
                        "page_key": base.page_id,
                        "page_id": base.page_id,
                        "kind": "trash",
                        "payload": {"path": rel},
                        "guard": {"base_last_edited": base.last_edited_time},
                    }
                ]
            )[0]
            store.set_command(cmd, "sending")
            client.update_page(base.page_id, in_trash=True)
            store.set_command(cmd, "done")
        try:
            materialize.remove_file(
                mirror.root, rel, tmp_dir=mirror.tmp_dir, expected_hash=pf.read_hash
            )
            result.removed = True
        except materialize.LocalEditError as exc:
            kept = f" (a copy is at {exc.recovered})" if exc.recovered else ""
            result.notes.append(
                f"the file changed while trashing, so it was kept{kept}; delete it, or "
                "`notion-mirror restore` it to bring the page back"
            )
        with store.atomic():
            store.put_page(base.with_changes(state="trashed", path=None))
            # Trashing settles whatever was in conflict on the page.
            store.drop_conflicts(base.page_id)
        return result


# -------------------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    page_id: str
    path: str | None
    restored_in_notion: bool = False
    wrote_file: bool = False
    kept_file: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "page_id": self.page_id,
            "path": self.path,
            "restored_in_notion": self.restored_in_notion,
            "wrote_file": self.wrote_file,
            "kept_file": self.kept_file,
            "notes": self.notes,
        }


def find_restore_target(
    ref: str, *, directory: Path | None = None
) -> tuple[Mirror, str, str | None]:
    """``ref`` (a file, a page id/URL, or the name a trashed page's file had) ->
    (mirror, page id, path of an existing file naming it or None)."""
    candidate = Path(ref)
    if directory is not None and not candidate.is_absolute():
        candidate = directory / candidate
    if candidate.is_file():
        mirror, rel = locate_file(candidate)
        with mirror.open_store() as store:
            pf = load_page_file(mirror, store, require_schema(store), rel)
        if pf.local.page_id is None:
            raise UsageError(f"{ref}: not in Notion yet (no _notion.id); nothing to restore")
        return mirror, pf.local.page_id, rel
    if candidate.suffix == ".md":
        # The file is gone (trashed): find the trashed page that had this name.
        mirror = open_mirror(candidate.absolute().parent)
        return mirror, _trashed_by_name(mirror, candidate.name), None
    try:
        page_id = extract_id(ref)
    except ValueError:
        raise UsageError(
            f"{ref!r} is neither a page file, a page id nor a Notion page URL"
        ) from None
    return open_mirror(directory), page_id, None


def _trashed_by_name(mirror: Mirror, name: str) -> str:
    """The trashed page whose file was called ``name`` (its title's file name)."""
    with mirror.open_store() as store:
        hits = [
            b.page_id
            for b in store.pages(state="trashed")
            if f"{paths_codec.safe_filename(b.title)}.md" == name
        ]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise UsageError(
            f"{name}: no such file, and no trashed page of this mirror had that name; "
            "pass the page id or URL"
        )
    raise UsageError(f"{name}: several trashed pages had that name; pass one id: {', '.join(hits)}")


def restore(mirror: Mirror, client: Any, page_id: str, rel: str | None = None) -> RestoreResult:
    """Take ``page_id`` out of Notion's trash and give it a file again.

    With ``rel`` (a file naming the page, e.g. edited while Notion trashed it)
    the file is kept as it is and its edits push on the next sync; otherwise
    the page is read from Notion and written to a free path.
    """
    try:
        page = client.retrieve_page(page_id)
    except NotFoundError:
        raise UsageError(f"page {page_id} is not visible to the integration") from None
    if page.data_source_id != mirror.config.data_source_id:
        raise UsageError(
            f"page {page_id} is not in this mirror's data source ({mirror.config.data_source_id})"
        )
    result = RestoreResult(page_id, rel)
    if page.in_trash:
        page = client.update_page(page_id, in_trash=False)
        result.restored_in_notion = True
    with mirror.open_store() as store:
        schema = require_schema(store)
        base = store.get_page(page_id)
        live_file = base is not None and base.state == "live" and base.path
        if rel is None and live_file and (mirror.root / str(base.path)).exists():
            rel = base.path  # its file is still here: keep it
            result.path = rel
        if rel is not None:
            _keep_file(mirror, store, schema, rel, page_id, result)
        else:
            _materialize_page(mirror, client, store, schema, page, result)
            store.drop_conflicts(page_id)  # no file held any side of them
        if not result.restored_in_notion and not result.wrote_file:
            result.notes.append("the page was not in Notion's trash; nothing to restore there")
    return result


def _keep_file(
    mirror: Mirror,
    store: StateStore,
    schema: dict[str, Any],
    rel: str,
    page_id: str,
    result: RestoreResult,
) -> None:
    pf = load_page_file(mirror, store, schema, rel)
    base = pf.base or store.get_page(page_id)
    if base is None:
        raise UsageError(f"{rel}: names page {page_id}, which this mirror does not know")
    result.kept_file = True
    # Only "trashed while edited" is settled here; other conflicts of the page stay.
    store.drop_conflicts(page_id, [SURFACE_LIFECYCLE])
    live = base.with_changes(state="live", path=rel, deletion_reported=False)
    if pf.local.errors:
        # Unreadable: no fingerprint, so the next scan reads it and reports why.
        store.put_page(live.with_changes(file_hash=None, file_size=None, file_mtime_ns=None))
        return
    edited = local_changes(schema, live, pf.local)
    if edited:
        result.notes.append("its local edits are sent on the next sync: " + ", ".join(edited))
    if pf.local.conflicts_key:
        from notion_mirror.sync.resolve import rewrite_view  # resolve builds on this module

        rewrite_view(mirror, store, schema, pf, live, store.conflicts(page_id))
        return
    fp = materialize.FileFingerprint(pf.read_hash, pf.read.size, pf.read.mtime_ns or -1)
    store.put_page(live.with_changes(**fingerprint_fields(schema, live, pf.read.data, fp)))


def _materialize_page(
    mirror: Mirror,
    client: Any,
    store: StateStore,
    schema: dict[str, Any],
    page: Any,
    result: RestoreResult,
) -> None:
    minute = iso(floor_minute(server_now(client)))
    obs = observe_page(client, page)
    base = base_from_observation(obs, minute)
    data = render_page(schema, base)
    for rel in _path_choices(store, base):
        try:
            fp = materialize.write_file(
                mirror.root, rel, data, tmp_dir=mirror.tmp_dir, expected_hash=None
            )
        except materialize.PathOccupiedError:
            continue
        store.put_page(
            base.with_changes(
                path=rel, file_hash=fp.sha256, file_size=fp.size, file_mtime_ns=fp.mtime_ns
            )
        )
        result.path = rel
        result.wrote_file = True
        return
    raise MirrorError(f"page {base.page_id}: every file name for it is taken; nothing written")


def _path_choices(store: StateStore, base: PageBase) -> list[str]:
    """The page's usual name among the live pages, then id-suffixed ones (taken on disk)."""
    live = {b.page_id: b for b in store.pages(state="live") if b.path and b.page_id != base.page_id}
    rows = sorted([(pid, b.title) for pid, b in live.items()] + [(base.page_id, base.title)])
    taken = {pid: str(b.path) for pid, b in live.items()}
    first = paths_codec.assign_paths(rows, taken=taken)[base.page_id]
    choices = [first]
    token = base.page_id.replace("-", "").lower()
    stem = paths_codec.safe_filename(base.title)
    for n in paths_codec.SUFFIX_LENGTHS:
        wanted = dict(taken, **{base.page_id: f"{stem} ({token[:n]}).md"})
        name = paths_codec.assign_paths(rows, taken=wanted)[base.page_id]
        if name not in choices:
            choices.append(name)
    return choices
