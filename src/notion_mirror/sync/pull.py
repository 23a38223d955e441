"""The pull half of a sync cycle: bring the folder up to date with Notion.

Incremental by default: one schema read, then a ``last_edited_time`` query
from the watermark (floored to the minute, minus an overlap), draining the
whole result before the watermark advances. Bodies are read only for pages
that changed. ``full=True`` also proves membership: every known page missing
from a complete query is read directly before anything is removed.

Absence is not deletion: a page missing from an incremental query is left
alone; a page is removed locally only when a direct read says it is in the
trash, and only if its file holds what the tool last wrote. A listing Notion
reports incomplete proves no absence, and a complete one lacking more than half
the mirror's pages stops the run (:class:`MassVanishingError`) before any page
is read, unless forced. An incremental query that lists nothing leaves the
watermark where it was.

Lazy mirrors (``track --lazy``) read no bodies of pages never read before:
such a page's base records ``body_fetched = False`` with an empty body, its
file shows no body, and its body is not writable until it is read (through
the mount, :func:`fetch_body_now`, or ``sync --fetch-bodies``). Bodies of
pages already read are followed as usual.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from notion_mirror.codec import paths as paths_codec
from notion_mirror.errors import MirrorError, NotFoundError
from notion_mirror.mirror import Mirror
from notion_mirror.store import PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync.observe import (
    BODY_NOT_FETCHED,
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
from notion_mirror.tracing import in_this_span

__all__ = [
    "MassVanishingError",
    "Observation",
    "PullOptions",
    "PullReport",
    "base_from_observation",
    "fetch_body_now",
    "mirror_lock",
    "observe_page",
    "pull",
    "with_body",
]

WATERMARK = "watermark"
LAST_SYNC = "last_sync"  # Notion's clock at the end of the last completed cycle

_LOCKS: dict[Path, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def mirror_lock(root: Path) -> threading.RLock:
    """The in-process lock of one mirror: a sync cycle and an on-demand body
    fetch (the mount's FUSE threads) never interleave their reads and writes
    of bases and files. Across processes the writer lock does that job."""
    key = Path(root).resolve()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


@dataclass(frozen=True)
class PullOptions:
    full: bool = False
    dry_run: bool = False
    overlap_minutes: int = 2
    workers: int = 4
    progress: Callable[[str, int, int | None], None] | None = None
    # Read every body not fetched yet, even in a lazy mirror (``sync --fetch-bodies``).
    fetch_bodies: bool = False
    # Check pages missing from a complete query one by one even when more than half
    # of them are missing (``sync --force``); otherwise such a run stops.
    force: bool = False


class MassVanishingError(MirrorError):
    """A complete query lacks more than half the mirror's pages: refuse until forced.

    Raised before any page is read, any file touched or any state recorded.
    """


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
    # Live pages whose body is still not fetched after this pull (lazy mirrors).
    bodies_not_fetched: int = 0
    # Bodies left unfetched although asked for, because their file has local edits.
    not_fetched_edited: list[str] = field(default_factory=list)

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
            "bodies_not_fetched": self.bodies_not_fetched,
            "not_fetched_edited": self.not_fetched_edited,
        }


@dataclass(frozen=True)
class Observation:
    page_id: str
    url: str
    last_edited_time: datetime
    properties: dict[str, Any]
    body: ObservedBody | None  # None: not read (a lazy mirror's page)
    # Set when only the body was read: the properties are the base's, observed then.
    observed_minute: str | None = None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def observe_page(client: Any, page: Any, *, with_body: bool = True) -> Observation:
    """Complete a queried page: truncated values filled in, body read (if ``with_body``)."""
    props = complete_properties(client, page.id, properties_by_id(page.properties))
    body = fetch_body(client, page.id) if with_body else None
    return Observation(page.id, page.url, page.last_edited_time, props, body)


def _observe_body_only(client: Any, base: PageBase) -> Observation:
    """A known page whose body was never read: read just the body."""
    return Observation(
        base.page_id,
        base.url,
        parse_time(base.last_edited_time),
        base.properties,
        fetch_body(client, base.page_id),
        observed_minute=base.observed_minute,
    )


def with_body(base: PageBase, body: ObservedBody | None) -> PageBase:
    """``base`` with ``body`` as its body; None = not fetched (an empty, unwritable body)."""
    if body is None:
        return base.with_changes(
            body="",
            body_hash=_hash(""),
            body_writable=False,
            body_reason=BODY_NOT_FETCHED,
            body_fetched=False,
        )
    return base.with_changes(
        body=body.markdown,
        body_hash=_hash(body.markdown),
        body_writable=body.writable,
        body_reason=body.reason,
        body_fetched=True,
    )


def base_from_observation(
    r: Observation, observed_minute: str, old: PageBase | None = None
) -> PageBase:
    """The new base for an observed page, keeping the fingerprint of its current file."""
    base = PageBase(
        page_id=r.page_id,
        path=old.path if old and old.state == "live" else None,
        title=title_of(r.properties),
        url=r.url,
        last_edited_time=iso(r.last_edited_time),
        observed_minute=r.observed_minute or observed_minute,
        properties=r.properties,
        file_hash=old.file_hash if old else None,
        file_size=old.file_size if old else None,
        file_mtime_ns=old.file_mtime_ns if old else None,
    )
    return with_body(base, r.body)


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
    client: Any,
    data_source_id: str,
    flt: dict[str, Any] | None,
    sorts: list[dict[str, Any]],
    cut_short: list[bool],
) -> Iterator[Any]:
    """Every row of the query, all result pages followed; appends to ``cut_short``
    when Notion says the result set is incomplete (its 10,000-row cap)."""
    cursor: str | None = None
    while True:
        res = client.query_data_source(data_source_id, filter=flt, sorts=sorts, start_cursor=cursor)
        if not res.complete:
            cut_short.append(True)
        yield from res.results
        if not res.has_more:
            return
        cursor = res.next_cursor


def vanishing_message(missing: int, live: int, root: Path) -> str:
    """The refusal of a complete query that lacks most of the mirror's pages."""
    if missing == live:
        head = f"Notion's query returned no pages while the mirror {root} has {live}"
    else:
        head = f"Notion's complete query lacks {missing} of the {live} pages of the mirror {root}"
    return (
        f"{head}; nothing was changed. Notion may be lagging, or the data source's "
        "sharing changed: sync again later. If the pages really were trashed, run "
        "`notion-mirror sync --full --force` to check each one and remove the trashed ones' files"
    )


def pull(mirror: Mirror, client: Any, options: PullOptions | None = None) -> PullReport:
    """Run the pull half of one sync cycle against ``mirror``."""
    options = options or PullOptions()
    with mirror_lock(mirror.root), mirror.open_store() as store:
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

        # Summaries (no stored values): enough to decide what to read; the pages
        # actually touched are loaded in full before anything is written.
        bases = {b.page_id: b for b in self.store.page_summaries()}
        lazy = self.mirror.config.lazy and not self.options.fetch_bodies

        def want_body(base: PageBase | None) -> bool:
            # A lazy mirror reads a body only where it already holds Notion's.
            if base is None or base.body_fetched:
                return not lazy or base is not None
            if lazy:
                return False
            if self._edited(base):
                # Its empty body would read as deleting Notion's: not fetched.
                self.report.not_fetched_edited.append(base.path or base.page_id)
                return False
            return True

        seen: set[str] = set()
        cut_short: list[bool] = []
        observed: set[str] = set()
        max_edit: datetime | None = parse_time(watermark_text) if watermark_text else None
        fetched: list[Future[Observation]] = []
        preview: list[tuple[str, str]] = []
        # Bodies are read on a small pool while the query keeps paging, so the
        # rate limiter, not round trips, bounds a first track.
        with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
            for page in _query_pages(self.client, ds_id, flt, sorts, cut_short):
                if page.id in seen:
                    continue
                seen.add(page.id)
                self.report.pages_seen += 1
                if max_edit is None or page.last_edited_time > max_edit:
                    max_edit = page.last_edited_time
                base = bases.get(page.id)
                if _needs_read(base, page.last_edited_time):
                    if not self.options.dry_run:
                        observed.add(page.id)
                        fetched.append(
                            pool.submit(
                                in_this_span(observe_page),
                                self.client,
                                page,
                                with_body=want_body(base),
                            )
                        )
                    else:
                        preview.append((page.id, title_of(properties_by_id(page.properties))))
                self._progress("query", len(seen))
            # Only a complete listing says anything about absence, and a mass
            # vanishing says more about Notion (lag, sharing, a bug) than about the
            # pages: stop before any of them is read or any file touched.
            missing_ids: list[str] = []
            if full and not cut_short:
                live = [b.page_id for b in bases.values() if b.state == "live"]
                missing_ids = [pid for pid in live if pid not in seen]
                vanished = len(missing_ids) >= 2 and len(missing_ids) * 2 > len(live)
                if vanished and not self.options.force:
                    for fut in fetched:
                        fut.cancel()
                    raise MassVanishingError(
                        vanishing_message(len(missing_ids), len(live), self.mirror.root)
                    )
            # Pages whose remote change waits behind a local edit are re-read by
            # id: they may not match the incremental filter any more.
            for base in bases.values():
                if base.remote_dirty and base.page_id not in seen and base.state == "live":
                    observed.add(base.page_id)
                    fetched.append(
                        pool.submit(
                            in_this_span(self._observe_by_id), base.page_id, want_body(base)
                        )
                    )
            # Bodies never read (a lazy mirror) are read when laziness is off for
            # this pull: just the body, the properties are as current as the base.
            if not lazy and not self.options.dry_run:
                for base in bases.values():
                    unread = base.state == "live" and not base.body_fetched
                    if unread and base.page_id not in observed and want_body(base):
                        stored = self.store.get_page(base.page_id)  # a summary lacks values
                        if stored is not None:
                            fetched.append(
                                pool.submit(in_this_span(_observe_body_only), self.client, stored)
                            )
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

        if self.report.schema_changed:
            bases = {b.page_id: b for b in self.store.pages()}
        else:
            for pid in {r.page_id for r in results} | set(missing_ids):
                stored = self.store.get_page(pid) if pid in bases else None
                if stored is not None:
                    bases[pid] = stored
        missing = [bases[pid] for pid in missing_ids]
        self._apply(schema, bases, results, missing, observed_minute)
        # The schema and watermark advance only after every observation above
        # was applied, so a crash before this point re-reads the same window.
        with self.store.atomic():
            self.store.set_schema(schema, new_hash)
            # The next query starts (minus the overlap) where this read began on
            # Notion's clock, not at the newest edit seen: anchored at an edit,
            # a burst of edits would be listed again by every later sync.
            # Edits at or after this minute, and ones the query had not caught
            # up with yet, stay inside the overlap.
            mark = parse_time(observed_minute)
            if max_edit is not None:
                mark = max(mark, floor_minute(max_edit))
            # An incremental query that listed nothing proves nothing (a quiet data
            # source, or a query answering empty by mistake): the window stays where
            # it is, so edits made meanwhile are still listed once queries answer.
            if full or seen or watermark_text is None:
                self.store.set_meta(WATERMARK, iso(mark))
            self.store.set_meta(LAST_SYNC, iso(server_now(self.client)))
        self.report.bodies_not_fetched = self.store.count_unfetched()
        return self.report

    def _edited(self, base: PageBase) -> bool:
        """Whether the page's file differs from what the tool last wrote (or is gone)."""
        if base.path is None:
            return True
        status = materialize.file_status(
            self.mirror.root / base.path,
            expected_hash=base.file_hash,
            expected_size=base.file_size,
            expected_mtime_ns=base.file_mtime_ns,
        )
        return status != "unchanged"

    def _observe_by_id(self, page_id: str, with_body: bool = True) -> Observation | None:
        try:
            page = self.client.retrieve_page(page_id)
        except NotFoundError:
            return None
        if page.in_trash:
            return None
        return observe_page(self.client, page, with_body=with_body)

    # -- applying observations to files and bases ---------------------------------

    def _apply(
        self,
        schema: dict[str, Any],
        bases: dict[str, PageBase],
        results: list[Observation],
        missing: list[PageBase],
        observed_minute: str,
    ) -> None:
        if not results and not missing and not self.report.schema_changed:
            return  # nothing observed: no names to assign, no file to render
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
            if status == "missing" and old.file_hash is None:
                current = None  # recorded ahead of a write that never happened
            elif status != "unchanged":
                # A local edit (or deletion) waits; the remote change is re-read later.
                if status == "missing":
                    self.report.deleted_locally.append(current)
                else:
                    self.report.local_edits.append(current)
                self.store.put_page(old.with_changes(remote_dirty=True))
                return
            elif old.file_hash == materialize.hash_bytes(data) and current == path:
                self.store.put_page(new.with_changes(path=current))
                return
        if old is None:
            # Known before its file exists: a run killed once the file is written
            # finds a known page whose file is unconfirmed (read as an edit, equal
            # to Notion unless the user changed it), never a file naming a page it
            # does not know.
            self.store.put_page(
                new.with_changes(
                    path=path, file_hash=None, file_size=None, file_mtime_ns=None, remote_dirty=True
                )
            )
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
            else:
                self.store.forget_page(new.page_id)
            return
        except materialize.LocalEditError as exc:
            self.report.local_edits.append(exc.path)
            if old is not None:
                self.store.put_page(old.with_changes(remote_dirty=True))
            else:
                self.store.forget_page(new.page_id)
            return
        if current is None:
            self.report.created.append(path)
        elif current != path:
            self.report.renamed.append((current, path))
        else:
            self.report.updated.append(path)
        if not new.body_writable and new.body_reason and new.body_fetched:
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


def fetch_body_now(mirror: Mirror, client: Any, store: StateStore, page_id: str) -> str:
    """Read the body of a page a lazy mirror has not fetched yet, and show it.

    One markdown read; the base records the body (``body_fetched``) and the
    file is rendered anew, guarded: only if it still holds the bytes the tool
    last wrote. A file edited meanwhile is left alone (nothing is read), because
    its empty body would otherwise read as deleting Notion's text.

    Returns ``fetched``, ``present`` (nothing to do: already fetched, not a live
    page with a file) or ``edited`` (the file has local edits; not fetched).
    Serialised with sync cycles and other fetches by :func:`mirror_lock`.
    """
    with mirror_lock(mirror.root):
        base = store.get_page(page_id)
        if base is None or base.state != "live" or base.body_fetched or base.path is None:
            return "present"
        schema = store.get_schema()
        if schema is None:
            return "present"
        path = mirror.root / base.path
        status = materialize.file_status(
            path,
            expected_hash=base.file_hash,
            expected_size=base.file_size,
            expected_mtime_ns=base.file_mtime_ns,
        )
        if status != "unchanged":
            return "edited"
        new = with_body(base, fetch_body(client, page_id))
        data = render_page(schema, new)
        try:
            fp = materialize.write_file(
                mirror.root,
                base.path,
                data,
                tmp_dir=mirror.tmp_dir,
                expected_hash=base.file_hash,
            )
        except (materialize.LocalEditError, materialize.PathOccupiedError):
            return "edited"
        store.put_page(
            new.with_changes(file_hash=fp.sha256, file_size=fp.size, file_mtime_ns=fp.mtime_ns)
        )
        return "fetched"
