"""One sync cycle, the same for ``sync``, ``watch`` and ``mount``.

1. Capture: scan the folder into the journal (durable before anything else).
2. Settle what an earlier run left open (interrupted creates, lost answers).
3. Observe and pull: remote changes land in files nobody edited.
4. Read the journaled files, resolve identity (``_notion.id``, not the path),
   and plan every touched page.
5. Record every accepted write in the outbox (one transaction), then execute
   page by page: preflight, plan again, write, verify, settle.
6. Forget the journal entries the cycle acted on.

``dry_run`` stops after step 4 and changes nothing anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from notion_mirror import tracing
from notion_mirror.errors import MirrorError, NotFoundError
from notion_mirror.mirror import Mirror
from notion_mirror.schema.drift import drift_of
from notion_mirror.store import PageBase, StateStore
from notion_mirror.sync import capture, materialize, names
from notion_mirror.sync.crash import crash_point
from notion_mirror.sync.execute import Executor, Outcome, Work, new_client_key, preflight
from notion_mirror.sync.local import LocalFile, read_local
from notion_mirror.sync.observe import iso, server_now
from notion_mirror.sync.plan import (
    SURFACE_PAGE,
    Blocked,
    Conflict,
    PageInput,
    PagePlan,
    Policy,
    Snapshot,
    plan_page,
)
from notion_mirror.sync.pull import (
    LAST_SYNC,
    PullOptions,
    PullReport,
    _Pull,
    mirror_lock,
    with_body,
)
from notion_mirror.sync.reconcile import reconcile_open_commands
from notion_mirror.sync.render import deleted_name
from notion_mirror.sync.snapshots import FileRead, base_snapshot, read_file

__all__ = [
    "Inspection",
    "MassDeletionError",
    "PageReport",
    "SyncOptions",
    "SyncReport",
    "inspect",
    "surface_name",
    "sync",
]


class MassDeletionError(MirrorError):
    """More than half the mirror's files vanished at once: refuse until forced."""


@dataclass(frozen=True)
class SyncOptions:
    full: bool = False
    dry_run: bool = False
    force: bool = False
    # None: the mirror's config decides (``[options] allow_new_options``).
    allow_new_options: bool | None = None
    # Relative paths whose body writes may delete child pages or databases.
    allow_deleting: frozenset[str] = frozenset()
    workers: int = 4
    progress: Callable[[str, int, int | None], None] | None = None
    # False: send local changes without polling Notion first (watch after a save).
    pull: bool = True
    # Asked between pages; True ends the cycle early and safely (watch, on SIGTERM).
    should_stop: Callable[[], bool] | None = None
    # Read every body a lazy mirror has not fetched yet (``sync --fetch-bodies``).
    fetch_bodies: bool = False


@dataclass
class PageReport:
    path: str
    page_id: str | None
    pushed: list[str] = field(default_factory=list)
    created: bool = False
    restored: bool = False
    merged: bool = False
    conflicts: list[Conflict] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "page_id": self.page_id,
            "pushed": self.pushed,
            "created": self.created,
            "restored": self.restored,
            "merged": self.merged,
            "conflicts": [
                {"surface": c.surface, "reason": c.reason, "local": c.local, "notion": c.remote}
                for c in self.conflicts
            ],
            "blocked": [{"surface": s, "reason": r} for s, r in self.blocked],
            "notes": self.notes,
            "pending": self.pending,
        }


@dataclass
class SyncReport:
    pull: PullReport
    pages: list[PageReport] = field(default_factory=list)
    dry_run: bool = False
    plans: list[tuple[str, PagePlan]] = field(default_factory=list)
    stopped: bool = False  # ended early on request; the rest waits for the next cycle
    # Every conflict still open after the cycle (including older ones).
    open_conflicts: list[Any] = field(default_factory=list)

    @property
    def conflicts(self) -> int:
        return sum(len(p.conflicts) for p in self.pages)

    @property
    def blocked(self) -> int:
        return sum(len(p.blocked) for p in self.pages)

    @property
    def pending(self) -> int:
        return sum(1 for p in self.pages if p.pending)

    @property
    def pushed(self) -> int:
        return sum(1 for p in self.pages if p.pushed and not p.created)

    @property
    def created(self) -> int:
        return sum(1 for p in self.pages if p.created)

    @property
    def converged(self) -> bool:
        return not (
            self.conflicts
            or self.open_conflicts
            or self.blocked
            or self.pending
            or self.pull.occupied
            or self.pull.inaccessible
        )

    def to_json(self) -> dict[str, Any]:
        out = self.pull.to_json()
        out.pop("local_edits", None)
        out.pop("deleted_locally", None)
        out.update(
            dry_run=self.dry_run,
            converged=self.converged,
            open_conflicts=[
                {"path": c.path, "page_id": c.page_id, "surface": c.surface, "reason": c.reason}
                for c in self.open_conflicts
            ],
            pages=[p.to_json() for p in self.pages if _reportable(p)],
        )
        return out


def _reportable(p: PageReport) -> bool:
    return bool(
        p.pushed or p.created or p.restored or p.merged or p.conflicts or p.blocked
        or p.notes or p.pending
    )  # fmt: skip


@dataclass
class Inspection:
    """What ``sync`` would act on locally, found without calling Notion."""

    works: list[Work]
    pages: list[PageReport]
    schema: dict[str, Any]
    conflicts: list[Any]  # store.ConflictRecord
    open_commands: list[Any]  # store.OutboxCommand
    last_sync: str | None
    bad_names: list[str] = field(default_factory=list)  # shown with \xNN escapes


def inspect(mirror: Mirror) -> Inspection:
    """Scan and plan the local side only (``status``/``diff``): no network, no writes."""
    with mirror.open_store() as store:
        cycle = _Cycle(mirror, None, store, SyncOptions(dry_run=True))
        journal = cycle.capture(record=False)
        schema = store.get_schema() or {}
        works = cycle._plan(schema, journal) if schema else []
        pages = []
        for w in works:
            page = PageReport(w.path or w.key, w.page_id)
            _fill_from_plan(page, w.plan, schema)
            page.notes += _hand_renamed_notes(w)
            pages.append(page)
        return Inspection(
            works=works,
            pages=pages,
            schema=schema,
            conflicts=store.conflicts(),
            open_commands=store.open_commands(),
            last_sync=store.get_meta(LAST_SYNC),
            bad_names=[capture.shown_name(n) for n in cycle.bad_names],
        )


def sync(mirror: Mirror, client: Any, options: SyncOptions | None = None) -> SyncReport:
    """Run one full cycle (capture, pull, push) on ``mirror``."""
    options = options or SyncOptions()
    with (
        tracing.span(
            "sync.cycle",
            **{
                "sync.mode": mirror.config.mode,
                "sync.full": options.full,
                "sync.dry_run": options.dry_run,
                "sync.pull": options.pull,
            },
        ) as span,
        # In-process: the mount's on-demand body fetches wait for the cycle.
        mirror_lock(mirror.root),
        mirror.open_store() as store,
    ):
        report = _Cycle(mirror, client, store, options).run()
        _trace_report(span, report)
        return report


def _trace_report(span: Any, report: SyncReport) -> None:
    """Counts only: paths are page titles, reasons can quote values."""
    for key, value in (
        ("sync.pages", len(report.pages)),
        ("sync.pushed", report.pushed),
        ("sync.created", report.created),
        ("sync.conflicts", report.conflicts),
        ("sync.blocked", report.blocked),
        ("sync.pending", report.pending),
        ("sync.stopped", report.stopped),
    ):
        span.set_attribute(key, value)


class _Cycle:
    def __init__(self, mirror: Mirror, client: Any, store: StateStore, options: SyncOptions):
        self.mirror = mirror
        self.client = client
        self.store = store
        self.options = options
        self.bad_names: list[str] = []
        cfg = mirror.config
        self.policy = Policy(mode=cfg.mode)
        allow = options.allow_new_options
        if allow is None:
            allow = bool(cfg.options.get("allow_new_options", False))
        self.allow_new_options = allow

    def run(self) -> SyncReport:
        root = self.mirror.root
        dry = self.options.dry_run
        restored = [] if dry else self._recover_interrupted()
        journal = self.capture(record=not dry)
        max_seq = max((e.seq or 0 for e in self.store.journal()), default=0)
        self._guard_mass_deletion(journal)

        if not dry:
            self._readopt_after_lost_state(journal)
            names.record_moves(root, self.store, journal)
        with tracing.span("sync.reconcile"):
            adopted = [] if dry else reconcile_open_commands(self.mirror, self.client, self.store)
        if not self.options.pull and self.store.get_schema() is not None:
            # Push-only (watch, right after a save): every write still reads
            # its page first, so skipping the poll loses no guard.
            pull_report = PullReport()
        else:
            pull_report = self._pull(dry)
        # The push phase below reports local edits and deletions per page.
        pull_report.local_edits.clear()
        pull_report.deleted_locally.clear()
        report = SyncReport(pull=pull_report, dry_run=dry)
        for path in restored:
            report.pages.append(PageReport(path, None, notes=[RESTORED_AFTER_CRASH]))
        for name in self.bad_names:
            blocked = [("file name", BAD_NAME)]
            report.pages.append(PageReport(capture.shown_name(name), None, blocked=blocked))
        for path, page_id in adopted:
            report.pages.append(PageReport(path, page_id, created=True, notes=[ADOPTED]))
        schema = self.store.get_schema()
        if schema is None:
            return report

        with tracing.span("sync.plan") as span:
            works = self._plan(schema, journal)
            span.set_attribute("sync.planned", len(works))
        if dry:
            for w in works:
                page = PageReport(w.path or w.key, w.page_id)
                _fill_from_plan(page, w.plan, schema)
                if w.local is not None:
                    page.notes += _renamed_notes(w.local)
                page.notes += _hand_renamed_notes(w)
                report.pages.append(page)
                report.plans.append((w.path or w.key, w.plan))
            return report

        executor = Executor(
            root=root,
            tmp_dir=self.mirror.tmp_dir,
            client=self.client,
            store=self.store,
            schema=schema,
            data_source_id=self.mirror.config.data_source_id,
            policy=self.policy,
            allow_new_options=self.allow_new_options,
            allow_deleting=self.options.allow_deleting,
        )
        with tracing.span("sync.record_intent"):
            self._record_intent(works)
        crash_point("after_plan")
        waiting: set[str] = set()
        with tracing.span("sync.execute", **{"sync.planned": len(works)}):
            for done, w in enumerate(works, 1):
                if self.options.should_stop is not None and self.options.should_stop():
                    # Stop between pages: what was not executed keeps its journal
                    # entries, and its recorded commands are settled next run.
                    waiting = {x.path for x in works[done - 1 :] if x.path}
                    report.stopped = True
                    break
                with tracing.span("sync.page", **{"notion.page_id": w.page_id}) as span:
                    page = self._execute(executor, w)
                    _trace_page(span, page)
                report.pages.append(page)
                if self.options.progress is not None:
                    self.options.progress("push", done, len(works))
        self.store.clear_journal(set(journal) - waiting, up_to_seq=max_seq)
        self.store.prune_outbox()
        self.store.set_meta(LAST_SYNC, iso(server_now(self.client)))
        self._drop_moot_conflicts(report)
        # Files this cycle read or wrote; a full sync looks at every page.
        touched = None if self.options.full else set(journal) | {w.path for w in works if w.path}
        self._follow_titles(report, touched)
        report.open_conflicts = self.store.conflicts()
        return report

    def _follow_titles(self, report: SyncReport, touched: set[str] | None) -> None:
        """Files renamed by hand, or whose page was retitled, take their title's name."""
        with tracing.span("sync.names"):
            moves = names.follow_titles(
                self.mirror.root, self.mirror.tmp_dir, self.store, touched=touched
            )
        for move in moves:
            if move.kept is None:
                report.pull.renamed.append((move.old, move.new))
            else:
                note = f"keeps this name for now: {move.kept} ({names.NAME_NOTE})"
                report.pages.append(PageReport(move.old, move.page_id, notes=[note]))

    def _drop_moot_conflicts(self, report: SyncReport) -> None:
        """A conflicted page trashed in Notion whose file the user deleted: both sides
        agree it is gone (the file's note offered exactly this), so nothing is left."""
        by_page: dict[str, list[Any]] = {}
        for rec in self.store.conflicts():
            by_page.setdefault(rec.page_id, []).append(rec)
        for page_id, records in sorted(by_page.items()):
            base = self.store.get_page(page_id)
            if base is None or base.state == "live":
                continue
            paths = {base.path, *(c.path for c in records)} - {None, ""}
            if any((self.mirror.root / p).exists() for p in paths):
                continue  # the file (or the one the conflict lives in) is still there
            path = next((c.path for c in records if c.path), None) or page_id
            self.store.drop_conflicts(page_id)
            report.pages.append(PageReport(path, page_id, notes=[DELETED_BOTH_SIDES]))

    def _pull(self, dry: bool) -> PullReport:
        with tracing.span("sync.observe", **{"sync.full": self.options.full}):
            return self._pull_untraced(dry)

    def _pull_untraced(self, dry: bool) -> PullReport:
        return _Pull(
            self.mirror,
            self.client,
            self.store,
            PullOptions(
                full=self.options.full,
                dry_run=dry,
                workers=self.options.workers,
                progress=self.options.progress,
                fetch_bodies=self.options.fetch_bodies,
                force=self.options.force,
            ),
        ).run()

    def _recover_interrupted(self) -> list[str]:
        """Put back files a killed run set aside, and drop its temp files."""
        return materialize.recover_interrupted(
            self.mirror.root, self.mirror.tmp_dir, self.store.has_file_hash
        )

    def capture(self, *, record: bool) -> dict[str, Any]:
        """Scan the folder; the newest journal entry per path (with this scan's)."""
        with tracing.span("sync.capture") as span:
            result = capture.scan(self.mirror.root, self.store, record=record)
            span.set_attribute("sync.journaled", len(result.journaled))
        self.bad_names = result.bad_names
        if record:
            crash_point("after_capture")
        journal = dict(self.store.latest_journal())
        for entry in result.journaled:
            journal[entry.path] = entry
        return journal

    # ------------------------------------------------------------------ guard

    def _readopt_after_lost_state(self, journal: dict[str, Any]) -> None:
        """A bound folder whose state database is gone: claim its files, decide nothing.

        Without this, the first pull would see every page as new and write
        beside (or refuse) the user's files. Each file naming a page becomes a
        placeholder with no common base: the pull leaves it alone, and the
        push phase compares it with Notion, where equal surfaces settle and
        differing ones become conflicts. Nothing is sent, deleted or
        overwritten on a guess.
        """
        if self.store.get_meta("watermark") is not None or self.store.count_pages() > 0:
            return
        seen: set[str] = set()
        placeholders = []
        for path in sorted(journal):
            if journal[path].kind != "changed":
                continue
            claimed = names.claimed_page(self.mirror.root / path)
            if claimed is None:
                continue  # unreadable or no id: a new file, handled as usual
            page_id, notion = claimed
            if page_id in seen:
                continue  # a copy: the identity rules report it later
            seen.add(page_id)
            placeholders.append(
                PageBase(
                    page_id=page_id,
                    path=path,
                    title="",
                    url=str(notion.get("url", "")),
                    last_edited_time="1970-01-01T00:00:00.000Z",
                    observed_minute="1970-01-01T00:00:00.000Z",
                    remote_dirty=True,
                    no_base=True,
                )
            )
        self.store.put_pages(placeholders)

    def _guard_mass_deletion(self, journal: dict[str, Any]) -> None:
        # Paths only: decoding every page's stored state is the slow part of a no-op cycle.
        live = [
            r["path"]
            for r in self.store.db.query(
                "select path from pages where state = 'live' and path is not null"
            )
        ]
        missing = [p for p in live if p in journal and journal[p].kind == "deleted"]
        if self.options.force or len(missing) < 2 or len(missing) * 2 <= len(live):
            return
        tracing.event("sync.guard", kind="mass_deletion", missing=len(missing), live=len(live))
        raise MassDeletionError(
            f"{len(missing)} of {len(live)} files in {self.mirror.root} are missing; "
            "was the folder emptied or unmounted? Nothing was changed. Restore the files, "
            "or run `notion-mirror sync --force` to restore them from Notion"
        )

    # ------------------------------------------------------------------ planning

    def _plan(self, schema: dict[str, Any], journal: dict[str, Any]) -> list[Work]:
        dirty = self.store.db.execute(
            "select count(*) from pages where remote_dirty = 1 and state = 'live'"
        ).fetchone()[0]
        if not journal and not dirty:
            return []  # a quiet folder: nothing to read, no page state to decode
        bases = {b.page_id: b for b in self.store.pages()}
        live_paths = {b.path: b for b in bases.values() if b.path and b.state == "live"}
        conflicts: dict[str, frozenset[str]] = {}
        for rec in self.store.conflicts():
            conflicts[rec.page_id] = conflicts.get(rec.page_id, frozenset()) | {rec.surface}
        created = {
            cmd.payload.get("path"): cmd.page_id
            for cmd in self.store.open_commands(kind="create")
            if cmd.status == "created" and cmd.page_id
        }
        stuck_creates = {
            cmd.payload.get("path"): cmd.error or "an interrupted create needs attention"
            for cmd in self.store.open_commands(kind="create")
            if cmd.status == "ambiguous"
        }

        # Files edited while the schema changed in Notion still use old names,
        # types and options: the schema's history tells drift from typos.
        drift = drift_of(schema, self.store.get_schema_history())
        reads: dict[str, tuple[FileRead, LocalFile]] = {}
        deleted: list[str] = []
        for path in sorted(journal):
            # Read even a path journaled as deleted: the pull may have written
            # it since (a file renamed by hand, moved back to its title's name).
            fr = read_file(self.mirror.root / path)
            if fr is None:
                deleted.append(path)
                continue
            base = live_paths.get(path)
            local = read_local(
                path,
                fr.data,
                schema,
                _checkable(base),
                allow_new_options=self.allow_new_options,
                drift=drift,
            )
            if local.page_id is not None and (base is None or base.page_id != local.page_id):
                other = bases.get(local.page_id)
                if other is not None:
                    local = read_local(
                        path,
                        fr.data,
                        schema,
                        _checkable(other),
                        allow_new_options=self.allow_new_options,
                        drift=drift,
                    )
            reads[path] = (fr, local)

        # Identity: every file naming a page claims it; unchanged files at a
        # page's known path claim it implicitly.
        claims: dict[str, list[str]] = {}
        for path, (_, local) in reads.items():
            if local.page_id is not None:
                claims.setdefault(local.page_id, []).append(path)
        works: list[Work] = []
        owners: dict[str, str] = {}
        for pid, paths in sorted(claims.items()):
            base = bases.get(pid)
            if base is None:
                for path in paths:
                    works.append(self._blocked(path, reads[path], pid, UNKNOWN_ID))
                continue
            known = base.path
            holds_known = known is not None and (
                known in paths or (known not in journal and (self.mirror.root / known).exists())
            )
            if holds_known:
                owner = known
            elif len(paths) == 1:
                owner = paths[0]  # moved or renamed (mv, save-by-rename)
            else:
                owner = None
            for path in paths:
                if path == owner:
                    owners[pid] = path
                else:
                    reason = (
                        f"duplicate: {owner} already holds page {pid}; remove `_notion` "
                        "from this file to create a new page from it"
                        if owner
                        else f"{len(paths)} files claim page {pid} and none is its known "
                        f"file ({known}); keep one"
                    )
                    works.append(self._blocked(path, reads[path], pid, reason))
        for pid, path in sorted(owners.items()):
            fr, local = reads[path]
            works.append(
                self._work(schema, bases[pid], path, fr, local, conflicts.get(pid, frozenset()))
            )

        for path, (fr, local) in sorted(reads.items()):
            if local.page_id is not None:
                continue
            pid = created.get(path)
            if pid is not None and pid in bases:
                w = self._work(schema, bases[pid], path, fr, local, conflicts.get(pid, frozenset()))
                w.adopt_id = True
                works.append(w)
                continue
            if path in stuck_creates:
                works.append(self._blocked(path, (fr, local), None, stuck_creates[path]))
                continue
            ok = local.error is None
            inp = PageInput(
                key=f"new:{path}",
                page_id=None,
                base=None,
                local=Snapshot(local.props, local.body) if ok else Snapshot({}, ""),
                remote=None,
                local_error=local.error,
                body_has_conflict_markers=ok and local.has_conflict_markers,
            )
            works.append(
                Work(inp.key, None, path, None, local, fr, inp, plan_page(inp, self.policy))
            )

        claimed = set(owners)
        for path in deleted:
            base = live_paths.get(path)
            if base is None or base.page_id in claimed:
                continue  # an untracked file went away, or the page moved to another file
            reported = base.deletion_reported or self.options.force
            inp = PageInput(
                key=base.page_id,
                page_id=base.page_id,
                base=base_snapshot(schema, base),
                local=None,
                remote=None,
                # --force is the explicit intent to restore now (after the guard).
                remote_state="unknown" if reported else "live",
                deletion_reported=reported,
                pending_conflicts=conflicts.get(base.page_id, frozenset()),
            )
            works.append(
                Work(
                    base.page_id,
                    base.page_id,
                    path,
                    base,
                    None,
                    None,
                    inp,
                    plan_page(inp, self.policy),
                )
            )
        # Remote changes that waited behind a local edit now meet it.
        touched = {w.page_id for w in works if w.page_id}
        for base in bases.values():
            if base.remote_dirty and base.state == "live" and base.page_id not in touched:
                path = base.path
                fr = read_file(self.mirror.root / path) if path else None
                if fr is None or path is None:
                    continue
                local = read_local(
                    path,
                    fr.data,
                    schema,
                    _checkable(base),
                    allow_new_options=self.allow_new_options,
                    drift=drift,
                )
                works.append(
                    self._work(
                        schema, base, path, fr, local, conflicts.get(base.page_id, frozenset())
                    )
                )
        return works

    def _work(
        self,
        schema: dict[str, Any],
        base: PageBase,
        path: str,
        fr: FileRead,
        local: LocalFile,
        pending: frozenset[str],
    ) -> Work:
        ok = local.error is None
        if ok and local.retyped:
            base = self._rebase_retyped(schema, base, local.retyped)
        inp = PageInput(
            key=base.page_id,
            page_id=base.page_id,
            # No common base (state lost): every difference is a conflict.
            base=Snapshot({}, None) if base.no_base else base_snapshot(schema, base),
            local=Snapshot(local.props, local.body) if ok else Snapshot({}, ""),
            remote=None,
            remote_state="trashed" if base.state == "trashed" else "live",
            local_error=local.error,
            local_blocked_props=dict(local.blocked) if ok else {},
            body_writable=base.body_writable,
            body_reason=base.body_reason,
            body_has_conflict_markers=local.has_conflict_markers,
            deletion_reported=base.deletion_reported,
            pending_conflicts=pending,
        )
        return Work(
            base.page_id, base.page_id, path, base, local, fr, inp, plan_page(inp, self.policy)
        )

    def _rebase_retyped(
        self, schema: dict[str, Any], base: PageBase, retyped: frozenset[str]
    ) -> PageBase:
        """Take Notion's converted values as the base of properties whose type changed.

        The stored base holds the old type's value, which no longer compares
        with anything: Notion's conversion of it is what the local edit is
        judged against, so a valid edit is sent and an invalid one is held
        back with its reason (instead of a conflict nobody caused). One page
        read, only for pages that edited a property Notion retyped.
        """
        if self.client is None:
            return base  # status/diff: no network
        from notion_mirror.sync.observe import complete_properties, properties_by_id

        try:
            page = self.client.retrieve_page(base.page_id)
        except NotFoundError:
            return base  # the executor's preflight reports it
        now = complete_properties(self.client, base.page_id, properties_by_id(page.properties))
        types = {p["id"]: p["type"] for p in schema.values()}
        props = dict(base.properties)
        for pid in retyped:
            value = now.get(pid)
            if isinstance(value, dict) and value.get("type") == types.get(pid):
                props[pid] = value
        return base.with_changes(properties=props)

    def _blocked(
        self, path: str, read: tuple[FileRead, LocalFile], pid: str | None, reason: str
    ) -> Work:
        fr, local = read
        plan = PagePlan(path, pid, blocked=(Blocked(SURFACE_PAGE, reason),))
        inp = PageInput(key=f"blocked:{path}", page_id=pid, base=None, local=None, remote=None)
        return Work(f"blocked:{path}", pid, path, None, local, fr, inp, plan)

    # ------------------------------------------------------------------ executing

    def _record_intent(self, works: list[Work]) -> None:
        commands = []
        pending = []
        for w in works:
            if w.key.startswith("blocked:"):
                continue
            p = w.plan
            if not (p.push_props or p.push_body is not None or p.create):
                continue
            commands.append(
                {
                    "page_key": w.key,
                    "page_id": w.page_id,
                    "kind": "create" if p.create else "update",
                    "payload": {
                        "props": dict(p.push_props),
                        "body": p.push_body,
                        "path": w.path,
                        "attempted_at": iso(server_now(self.client)),
                    },
                    "guard": {"base_last_edited": w.base.last_edited_time if w.base else None},
                    "client_key": new_client_key() if p.create else None,
                }
            )
            pending.append(w)
        ids = self.store.add_commands(commands)
        for w, cid in zip(pending, ids, strict=True):
            w.command_id = cid

    def _execute(self, executor: Executor, w: Work) -> PageReport:
        page = PageReport(w.path or w.key, w.page_id)
        if w.key.startswith("blocked:"):
            _fill_from_plan(page, w.plan, executor.schema)
            return page
        needs_notion = (
            w.command_id is not None
            or w.adopt_id
            or (w.base is not None and w.base.remote_dirty and w.local is not None)
            or w.plan.restore_file
            or (w.local is None and w.input.deletion_reported)
        )
        if w.input.local_error is not None:
            needs_notion = False
        if not needs_notion:
            self._settle_locally(w)
            _fill_from_plan(page, w.plan, executor.schema)
            if w.local is None and w.base is not None and not w.input.deletion_reported:
                # Reported, not acted on: the folder and Notion differ until the
                # user trashes the page or the next sync restores the file.
                page.pending = page.notes.pop() if page.notes else "deleted locally"
            return page
        out = self._restore_missing(executor, w) if w.local is None else executor.run(w)
        if w.adopt_id and w.page_id is not None:
            self._finish_adopted_create(w.page_id)
        _fill_from_outcome(page, out)
        if w.local is not None:
            page.notes += _renamed_notes(w.local)
        return page

    def _finish_adopted_create(self, page_id: str) -> None:
        """A created page's id reached its file: its create command is over."""
        base = self.store.get_page(page_id)
        if base is None or base.file_hash is None:
            return  # the file changed again before the id could be written
        for cmd in self.store.open_commands(kind="create"):
            if cmd.page_id == page_id and cmd.status == "created":
                self.store.set_command(cmd.id, "done")

    def _settle_locally(self, w: Work) -> None:
        """No Notion call needed: record what the plan reports, adopt harmless edits."""
        base = w.base
        if base is None:
            return
        if w.local is None:
            if not base.deletion_reported:
                self.store.put_page(base.with_changes(deletion_reported=True))
            return
        if w.plan.is_noop and w.read is not None and w.read.mtime_ns is not None:
            # Formatting-only edits: the file means what the base means, so its
            # new bytes become the fingerprint and it is not read again.
            from notion_mirror.sync.materialize import hash_bytes

            self.store.put_page(
                base.with_changes(
                    path=w.path,
                    file_hash=hash_bytes(w.read.data),
                    file_size=w.read.size,
                    file_mtime_ns=w.read.mtime_ns,
                    deletion_reported=False,
                )
            )
        elif w.path != base.path and w.plan.is_noop:
            self.store.put_page(base.with_changes(path=w.path))

    def _restore_missing(self, executor: Executor, w: Work) -> Outcome:
        """A file deleted locally and already reported: bring it back from Notion."""
        assert w.base is not None and w.page_id is not None
        remote = preflight(self.client, w.page_id, w.base, need_body=False)
        out = Outcome(w.key, w.path)
        if remote.state == "trashed":
            self.store.put_page(w.base.with_changes(state="trashed", path=None))
            out.notes.append("deleted locally and trashed in Notion: nothing to do")
            return out
        if remote.state == "gone":
            self.store.put_page(w.base.with_changes(state="inaccessible"))
            out.notes.append("deleted locally and no longer visible to the integration")
            return out
        from notion_mirror.sync.observe import floor_minute
        from notion_mirror.sync.render import render_file

        restored = w.base if remote.body is None else with_body(w.base, remote.body)
        new_base = restored.with_changes(
            properties=remote.props,
            last_edited_time=iso(remote.page.last_edited_time),
            observed_minute=remote.read_minute or iso(floor_minute(server_now(self.client))),
            deletion_reported=False,
            remote_dirty=False,
        )
        assert w.path is not None
        data = render_file(executor.schema, new_base)
        fp = executor._write(w, data)
        if fp is None:
            out.notes.append("a new file took its place; not restored")
            return out
        self.store.put_page(
            new_base.with_changes(file_hash=fp.sha256, file_size=fp.size, file_mtime_ns=fp.mtime_ns)
        )
        out.restored = True
        out.notes.append("deleted locally and already reported: restored from Notion")
        return out


BAD_NAME = (
    "the file name is not valid UTF-8, so it cannot be a page's name; rename it "
    "(e.g. `mv` it to a UTF-8 name) and it syncs like any new file; it is left as it is"
)
DELETED_BOTH_SIDES = "deleted here and trashed in Notion: nothing left to settle"
RESTORED_AFTER_CRASH = "put back in place: an interrupted earlier run had set it aside"
ADOPTED = "created in Notion by an interrupted earlier sync: found and adopted, not created again"


def _checkable(base: PageBase | None) -> PageBase | None:
    """The base a file's ``_notion`` values are checked against; a re-adopted page has none."""
    return None if base is None or base.no_base else base


UNKNOWN_ID = (
    "_notion.id names a page this mirror does not know; remove `_notion` to create a new page"
)


def _trace_page(span: Any, page: PageReport) -> None:
    """What happened to one page, as events: surface (property) names, never values."""
    if page.page_id is None and span.is_recording():
        span.set_attribute("notion.page_id", "(new)")
    for surface in page.pushed:
        tracing.event("sync.pushed", surface=surface)
    for c in page.conflicts:
        tracing.event("sync.conflict", surface=c.surface)
    for surface, _reason in page.blocked:
        tracing.event("sync.blocked", surface=surface)
    if page.pending is not None:
        tracing.event("sync.pending")


def _hand_renamed_notes(w: Work) -> list[str]:
    renamed = w.base is not None and w.local is not None and w.path != w.base.path
    return [names.RENAMED_BY_HAND] if renamed else []


def _renamed_notes(local: LocalFile) -> list[str]:
    return [
        f"{old!r} was renamed to {new!r} in Notion: the edit follows the property and the "
        "file uses the new name"
        for old, new in local.renamed
    ]


def surface_name(surface: str, schema: dict[str, Any]) -> str:
    """``prop:<id>`` as the property's name (what users see in their files)."""
    if surface.startswith("prop:"):
        pid = surface[5:]
        gone = deleted_name(pid)
        if gone is not None:
            return gone
        for prop in schema.values():
            if prop["id"] == pid:
                return str(prop["name"])
    return surface


def _fill_from_plan(page: PageReport, plan: PagePlan, schema: dict[str, Any]) -> None:
    page.conflicts += [
        Conflict(surface_name(c.surface, schema), c.base, c.local, c.remote, c.reason)
        for c in plan.conflicts
    ]
    page.blocked += [(surface_name(b.surface, schema), b.reason) for b in plan.blocked]
    page.notes += list(plan.notes)
    if plan.create:
        page.created = True
        page.pushed.append("create")
        return
    page.pushed += [surface_name(f"prop:{pid}", schema) for pid in sorted(plan.push_props)]
    if plan.push_body is not None:
        page.pushed.append("body")


def _fill_from_outcome(page: PageReport, out: Outcome) -> None:
    page.pushed = out.pushed
    page.created = out.created
    page.restored = out.restored
    page.merged = out.merged
    page.conflicts = out.conflicts
    # A property Notion deleted has no name in the schema the executor knows.
    page.blocked = [
        (surface_name(s, {}) if s.startswith("prop:") else s, r) for s, r in out.blocked
    ]
    page.notes = out.notes
    page.pending = out.pending
