"""The pull half of a sync cycle: bring the folder up to date with Notion.

Incremental by default: one schema read, then a ``last_edited_time`` query
from the watermark (floored to the minute, minus an overlap), draining the
whole result before the watermark advances. Bodies are read only for pages
that changed. ``full=True`` also proves membership: every known page missing
from a complete query is read directly before anything is removed.

Absence is not deletion: a page missing from an incremental query is left
alone; a page is removed locally only when a direct read says it is in the
trash, and only if its file holds what the tool last wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notion_mirror.codec import paths as paths_codec
from notion_mirror.errors import NotFoundError
from notion_mirror.mirror import Mirror
from notion_mirror.store import PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync.observe import (
    ObservedBody,
    complete_properties,
    fetch_body,
    floor_minute,
    iso,
    overlap_start,
    parse_time,
    properties_by_id,
    schema_hash,
    server_now,
    title_of,
)
from notion_mirror.sync.render import render_page

__all__ = [
    "Observation",
    "PullOptions",
    "PullReport",
    "base_from_observation",
    "observe_page",
    "pull",
]

WATERMARK = "watermark"
LAST_SYNC = "last_sync"  # Notion's clock at the end of the last completed cycle


@dataclass(frozen=True)
class PullOptions:
    full: bool = False
    dry_run: bool = False
    overlap_minutes: int = 2
    workers: int = 4
    progress: Callable[[str, int, int | None], None] | None = None


@dataclass
class PullReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    local_edits: list[str] = field(default_factory=list)
    deleted_locally: list[str] = field(default_factory=list)
    occupied: list[str] = field(default_factory=list)
    inaccessible: list[str] = field(default_factory=list)
    read_only: list[tuple[str, str]] = field(default_factory=list)
    schema_changed: bool = False
    pages_seen: int = 0
    full: bool = False

    @property
    def changed_files(self) -> int:
        return len(self.created) + len(self.updated) + len(self.renamed) + len(self.removed)

    @property
    def pending(self) -> int:
        return len(self.local_edits) + len(self.deleted_locally) + len(self.occupied)

    def to_json(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "pages_seen": self.pages_seen,
            "created": self.created,
            "updated": self.updated,
            "renamed": [{"from": a, "to": b} for a, b in self.renamed],
            "removed": self.removed,
            "local_edits": self.local_edits,
            "deleted_locally": self.deleted_locally,
            "occupied": self.occupied,
            "inaccessible": self.inaccessible,
            "read_only": [{"path": p, "reason": r} for p, r in self.read_only],
            "schema_changed": self.schema_changed,
        }


@dataclass(frozen=True)
class Observation:
    page_id: str
    url: str
    last_edited_time: datetime
    properties: dict[str, Any]
    body: ObservedBody


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def observe_page(client: Any, page: Any) -> Observation:
    """Complete a queried page: truncated values filled in, body read."""
    props = complete_properties(client, page.id, properties_by_id(page.properties))
    return Observation(page.id, page.url, page.last_edited_time, props, fetch_body(client, page.id))


def base_from_observation(
    r: Observation, observed_minute: str, old: PageBase | None = None
) -> PageBase:
    """The new base for an observed page, keeping the fingerprint of its current file."""
    return PageBase(
        page_id=r.page_id,
        path=old.path if old and old.state == "live" else None,
        title=title_of(r.properties),
        url=r.url,
        last_edited_time=iso(r.last_edited_time),
        observed_minute=observed_minute,
        properties=r.properties,
        body=r.body.markdown,
        body_hash=_hash(r.body.markdown),
        body_writable=r.body.writable,
        body_reason=r.body.reason,
        file_hash=old.file_hash if old else None,
        file_size=old.file_size if old else None,
        file_mtime_ns=old.file_mtime_ns if old else None,
    )


def _needs_read(base: PageBase | None, last_edited: datetime) -> bool:
    """Whether a page seen in a query may differ from its base."""
    if base is None or base.state != "live" or base.remote_dirty:
        return True
    seen = parse_time(base.last_edited_time)
    if last_edited != seen:
        return True
    # Same minute-rounded timestamp: unchanged only if we read it after that
    # minute ended; an edit later in the same minute keeps the timestamp.
    return last_edited >= parse_time(base.observed_minute)


def _query_pages(
    client: Any, data_source_id: str, flt: dict[str, Any] | None, sorts: list[dict[str, Any]]
) -> Iterator[Any]:
    yield from client.iter_query(data_source_id, filter=flt, sorts=sorts)


def pull(mirror: Mirror, client: Any, options: PullOptions | None = None) -> PullReport:
    """Run the pull half of one sync cycle against ``mirror``."""
    options = options or PullOptions()
    with mirror.open_store() as store:
        return _Pull(mirror, client, store, options).run()


class _Pull:
    def __init__(self, mirror: Mirror, client: Any, store: StateStore, options: PullOptions):
        self.mirror = mirror
        self.client = client
        self.store = store
        self.options = options
        self.report = PullReport(full=options.full)
        self._conflicted = {rec.page_id for rec in store.conflicts()}

    def _progress(self, phase: str, done: int, total: int | None = None) -> None:
        if self.options.progress is not None:
            self.options.progress(phase, done, total)

    def run(self) -> PullReport:
        ds_id = self.mirror.config.data_source_id
        data_source = self.client.retrieve_data_source(ds_id)
        # A lower bound on when every read below happens, on Notion's clock:
        # a page edited at or after this minute may change again unseen.
        observed_minute = iso(floor_minute(server_now(self.client)))
        schema = data_source.raw["properties"]
        new_hash = schema_hash(schema)
        old_hash = self.store.get_meta("schema_hash")
        self.report.schema_changed = old_hash is not None and old_hash != new_hash

        watermark_text = self.store.get_meta(WATERMARK)
        full = self.options.full or watermark_text is None
        self.report.full = full
        if full:
            flt = None
            sorts = [{"timestamp": "created_time", "direction": "ascending"}]
        else:
            start = overlap_start(parse_time(watermark_text), self.options.overlap_minutes)
            flt = {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": iso(start)}}
            sorts = [{"timestamp": "last_edited_time", "direction": "ascending"}]

        bases = {b.page_id: b for b in self.store.pages()}
        seen: set[str] = set()
        max_edit: datetime | None = parse_time(watermark_text) if watermark_text else None
        fetched: list[Future[Observation]] = []
        preview: list[tuple[str, str]] = []
        # Bodies are read on a small pool while the query keeps paging, so the
        # rate limiter, not round trips, bounds a first track.
        with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
            for page in _query_pages(self.client, ds_id, flt, sorts):
                if page.id in seen:
                    continue
                seen.add(page.id)
                self.report.pages_seen += 1
                if max_edit is None or page.last_edited_time > max_edit:
                    max_edit = page.last_edited_time
                if _needs_read(bases.get(page.id), page.last_edited_time):
                    if not self.options.dry_run:
                        fetched.append(pool.submit(observe_page, self.client, page))
                    else:
                        preview.append((page.id, title_of(properties_by_id(page.properties))))
                self._progress("query", len(seen))
            # Pages whose remote change waits behind a local edit are re-read by
            # id: they may not match the incremental filter any more.
            for base in bases.values():
                if base.remote_dirty and base.page_id not in seen and base.state == "live":
                    fetched.append(pool.submit(self._observe_by_id, base.page_id))
            results = []
            for i, fut in enumerate(fetched, 1):
                result = fut.result()
                if result is not None:
                    results.append(result)
                self._progress("read", i, len(fetched))

        if self.options.dry_run:
            taken = {b.page_id: b.path for b in bases.values() if b.path and b.state == "live"}
            titles = {b.page_id: b.title for b in bases.values() if b.state == "live"}
            titles.update(preview)
            wanted = paths_codec.assign_paths(sorted(titles.items()), taken=taken)
            self.report.created = sorted(wanted[pid] for pid, _ in preview if pid not in bases)
            self.report.updated = sorted(wanted[pid] for pid, _ in preview if pid in bases)
            return self.report

        missing: list[PageBase] = []
        if full:
            missing = [b for b in bases.values() if b.state == "live" and b.page_id not in seen]
        self._apply(schema, bases, results, missing, observed_minute)
        # The schema and watermark advance only after every observation above
        # was applied, so a crash before this point re-reads the same window.
        with self.store.atomic():
            self.store.set_schema(schema, new_hash)
            if max_edit is not None:
                self.store.set_meta(WATERMARK, iso(floor_minute(max_edit)))
            self.store.set_meta(LAST_SYNC, iso(server_now(self.client)))
        return self.report

    def _observe_by_id(self, page_id: str) -> Observation | None:
        try:
            page = self.client.retrieve_page(page_id)
        except NotFoundError:
            return None
        if page.in_trash:
            return None
        return observe_page(self.client, page)

    # -- applying observations to files and bases ---------------------------------

    def _apply(
        self,
        schema: dict[str, Any],
        bases: dict[str, PageBase],
        results: list[Observation],
        missing: list[PageBase],
        observed_minute: str,
    ) -> None:
        updated: dict[str, PageBase] = {}
        for r in sorted(results, key=lambda r: r.page_id):
            updated[r.page_id] = base_from_observation(r, observed_minute, bases.get(r.page_id))

        live = {pid: b for pid, b in bases.items() if b.state == "live"}
        live.update(updated)
        for base in missing:
            gone = self._resolve_missing(base)
            if gone is not None:
                live.pop(base.page_id, None)
                updated[base.page_id] = gone

        taken = {pid: b.path for pid, b in live.items() if b.path}
        wanted = paths_codec.assign_paths(
            sorted((pid, b.title) for pid, b in live.items()), taken=taken
        )
        to_render: list[PageBase] = [b for pid, b in updated.items() if pid in live]
        if self.report.schema_changed:
            to_render += [b for pid, b in live.items() if pid not in updated]
        for done, base in enumerate(to_render, 1):
            self._materialize(schema, bases.get(base.page_id), base, wanted[base.page_id])
            self._progress("write", done, len(to_render))
        for base in updated.values():
            if base.state != "live":
                self.store.put_page(base)

    def _resolve_missing(self, base: PageBase) -> PageBase | None:
        """A known page absent from a complete query: read it directly before acting."""
        try:
            page = self.client.retrieve_page(base.page_id)
        except NotFoundError:
            self.report.inaccessible.append(base.path or base.page_id)
            self.store.put_page(base.with_changes(state="inaccessible"))
            return None
        if not page.in_trash:
            return None  # still there (e.g. query lag); nothing to do
        if base.path:
            try:
                materialize.remove_file(
                    self.mirror.root,
                    base.path,
                    tmp_dir=self.mirror.tmp_dir,
                    expected_hash=base.file_hash or "",
                )
                self.report.removed.append(base.path)
            except materialize.LocalEditError:
                self.report.local_edits.append(base.path)
                return None
        # The last state stays in the store so `restore` can bring the page back.
        return base.with_changes(state="trashed", path=None)

    def _materialize(
        self, schema: dict[str, Any], old: PageBase | None, new: PageBase, path: str
    ) -> None:
        data = render_page(schema, new)
        root, tmp = self.mirror.root, self.mirror.tmp_dir
        current = old.path if old and old.state == "live" else None
        if old is not None and current is not None and old.page_id in self._conflicted:
            # Both sides of an open conflict live in the file until `resolve`.
            self.report.local_edits.append(current)
            self.store.put_page(old.with_changes(remote_dirty=True))
            return
        if current is not None:
            status = materialize.file_status(
                root / current,
                expected_hash=old.file_hash,
                expected_size=old.file_size,
                expected_mtime_ns=old.file_mtime_ns,
            )
            if status != "unchanged":
                # A local edit (or deletion) waits; the remote change is re-read later.
                if status == "missing":
                    self.report.deleted_locally.append(current)
                else:
                    self.report.local_edits.append(current)
                self.store.put_page(old.with_changes(remote_dirty=True))
                return
            if old.file_hash == materialize.hash_bytes(data) and current == path:
                self.store.put_page(new.with_changes(path=current))
                return
        try:
            if current is None or current == path:
                fp = materialize.write_file(
                    root, path, data, tmp_dir=tmp, expected_hash=old.file_hash if current else None
                )
            else:
                fp = materialize.write_file(root, path, data, tmp_dir=tmp, expected_hash=None)
                materialize.remove_file(root, current, tmp_dir=tmp, expected_hash=old.file_hash)
        except materialize.PathOccupiedError:
            self.report.occupied.append(path)
            if old is not None:
                self.store.put_page(old.with_changes(remote_dirty=True))
            return
        except materialize.LocalEditError as exc:
            self.report.local_edits.append(exc.path)
            if old is not None:
                self.store.put_page(old.with_changes(remote_dirty=True))
            return
        if current is None:
            self.report.created.append(path)
        elif current != path:
            self.report.renamed.append((current, path))
        else:
            self.report.updated.append(path)
        if not new.body_writable and new.body_reason:
            self.report.read_only.append((path, new.body_reason))
        self.store.put_page(
            new.with_changes(
                path=path,
                file_hash=fp.sha256,
                file_size=fp.size,
                file_mtime_ns=fp.mtime_ns,
                remote_dirty=False,
            )
        )
