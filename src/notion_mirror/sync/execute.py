"""The executor: guarded writes of one page's plan, then settle.

Notion has no compare-and-swap, so every write is preceded by a preflight
read of the page and the page is planned again against what that read shows
(a remote edit since the first plan becomes a merge or a conflict, never a
blind overwrite). Then: write only the surfaces that changed, verify from the
response, and settle (new base, file materialised, outbox command done).

Named crash points (``NOTION_MIRROR_CRASH_AT=<point>[:<nth>]``) kill the
process with SIGKILL at ``before_send``, ``after_send``, ``after_response``
or ``after_settle``; the reliability tests restart the CLI after each one
and prove every edit lands exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import properties
from notion_mirror.errors import (
    AmbiguousOutcomeError,
    NotFoundError,
    NotionError,
    NotionValidationError,
    PermanentError,
    RequestTooLargeError,
)
from notion_mirror.store import ConflictRecord, PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync._plan_surfaces import MISSING, same
from notion_mirror.sync.crash import CRASH_ENV, CRASH_POINTS, EXECUTE_POINTS, crash_point
from notion_mirror.sync.local import LocalFile
from notion_mirror.sync.observe import (
    ObservedBody,
    complete_properties,
    floor_minute,
    iso,
    observed_body,
    parse_time,
    properties_by_id,
    server_now,
    title_of,
)
from notion_mirror.sync.plan import (
    SURFACE_BODY,
    SURFACE_LIFECYCLE,
    Conflict,
    PageInput,
    PagePlan,
    Policy,
    Snapshot,
    plan_page,
)
from notion_mirror.sync.render import render_file
from notion_mirror.sync.snapshots import by_id, top_level_values

__all__ = [
    "CRASH_ENV",
    "CRASH_POINTS",
    "EXECUTE_POINTS",
    "Executor",
    "Outcome",
    "Remote",
    "Work",
    "adopt_created",
    "crash_point",
    "preflight",
    "shown_value",
]

BODY_CONFLICT_NOTE = (
    "conflict markers in the body: keep what you want, then `notion-mirror resolve`"
)
LIFECYCLE_NOTE = "trashed in Notion while edited here: `notion-mirror restore` or delete the file"


@dataclass
class Work:
    """One page's share of a cycle: what was read locally and the first plan."""

    key: str
    page_id: str | None
    path: str | None  # where the file is (or was, for a missing file)
    base: PageBase | None
    local: LocalFile | None
    read: Any  # snapshots.FileRead of the bytes ``local`` came from
    input: PageInput
    plan: PagePlan
    adopt_id: bool = False  # the file lacks the id of the page it was created as
    command_id: int | None = None


@dataclass
class Outcome:
    key: str
    path: str | None
    pushed: list[str] = field(default_factory=list)  # surfaces written to Notion
    created: bool = False
    restored: bool = False
    merged: bool = False  # the file took remote changes
    conflicts: list[Conflict] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: str | None = None  # an outcome left for the next run to establish


@dataclass(frozen=True)
class Remote:
    state: str  # live | trashed | gone
    page: Any = None
    props: dict[str, Any] = field(default_factory=dict)  # by property id, complete
    body: ObservedBody | None = None  # None: not read (unchanged since the base)
    raw_markdown: str | None = None
    read_minute: str | None = None  # Notion's minute before any write that follows
    body_stale: bool = False  # the body may have changed in Notion and was not read


def preflight(
    client: Any,
    page_id: str,
    base: PageBase | None,
    *,
    need_body: bool,
    read_changed_body: bool = True,
) -> Remote:
    """Read the page as it is now.

    The body is read when it is to be written (``need_body``), or when it may
    have changed and ``read_changed_body``. Otherwise it is left unread and
    the result says so (``body_stale``): the caller keeps the page marked for
    a re-read instead of trusting the old body.
    """
    try:
        page = client.retrieve_page(page_id)
    except NotFoundError:
        return Remote("gone")
    minute = iso(floor_minute(server_now(client)))
    props = complete_properties(client, page_id, properties_by_id(page.properties))
    if page.in_trash:
        return Remote("trashed", page, props, read_minute=minute)
    unchanged = (
        base is not None
        and page.last_edited_time == parse_time(base.last_edited_time)
        and page.last_edited_time < parse_time(base.observed_minute)
    )
    # Edited in a later minute than the base: the body may be what changed, and
    # the file should show it once this sync ends. A same-minute edit cannot be
    # told from our own last write; such a body is re-read by the next sync.
    newer = base is None or page.last_edited_time > parse_time(base.last_edited_time)
    if not need_body and (unchanged or not (read_changed_body or newer)):
        return Remote("live", page, props, read_minute=minute, body_stale=not unchanged)
    md = client.retrieve_markdown(page_id)
    return Remote("live", page, props, observed_body(md), md.markdown, minute)


def adopt_created(
    client: Any, store: StateStore, page: Any, *, path: str, had_body: bool
) -> PageBase:
    """Store the base of a page this mirror created (its file may not carry the id yet)."""
    props = complete_properties(client, page.id, properties_by_id(page.properties))
    minute = iso(floor_minute(server_now(client)))
    body = observed_body(client.retrieve_markdown(page.id)) if had_body else None
    base = PageBase(
        page_id=page.id,
        path=path,
        title=title_of(props),
        url=page.url,
        last_edited_time=iso(page.last_edited_time),
        observed_minute=minute,
        properties=props,
        body=body.markdown if body else "",
        body_hash="",
        body_writable=body.writable if body else True,
        body_reason=body.reason if body else None,
    )
    store.put_page(base)
    return base


def _refusal(exc: NotionError, path: str | None) -> tuple[str, str]:
    """The blocked surface and message for a write Notion refused (or would refuse)."""
    if isinstance(exc, RequestTooLargeError):
        # The body travels alone (markdown route) or inside a create.
        body = bool(exc.route and exc.route.endswith("/markdown"))
        what = "the body" if body else "the page's content"
        return (
            "body" if body else "page",
            f"too large for Notion: {exc.message}. Shorten {what}, or split it into several pages",
        )
    if "would delete" in str(exc):
        return (
            "body",
            f"Notion refused the write: {exc}. If deleting them is intended, run "
            f"`notion-mirror sync --allow-deleting-content '{path}'`",
        )
    return ("page", f"Notion refused the write: {exc}")


class Executor:
    def __init__(
        self,
        *,
        root: Path,
        tmp_dir: Path,
        client: Any,
        store: StateStore,
        schema: dict[str, dict[str, Any]],
        data_source_id: str,
        policy: Policy,
        allow_new_options: bool,
        allow_deleting: frozenset[str] = frozenset(),
    ) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        self.client = client
        self.store = store
        self.schema = schema
        self.by_id = by_id(schema)
        self.data_source_id = data_source_id
        self.policy = policy
        self.allow_new_options = allow_new_options
        # Paths whose body writes may delete child pages/databases in Notion:
        # only ever on the user's explicit request, per file.
        self.allow_deleting = allow_deleting

    # -------------------------------------------------------------- entry point

    def run(self, work: Work) -> Outcome:
        out = Outcome(work.key, work.path)
        try:
            if work.page_id is None:
                self._create(work, out)
            else:
                self._update(work, out)
        except AmbiguousOutcomeError as exc:
            if work.command_id is not None:
                self.store.set_command(work.command_id, "ambiguous", error=str(exc))
            out.pending = f"Notion's answer was lost ({exc}); the next sync checks what landed"
        except (PermanentError, NotionValidationError) as exc:
            # Notion refused, or would have (no access, invalid or too large for
            # Notion): this page waits, the rest of the cycle goes on. What
            # already landed settles next run.
            if work.command_id is not None:
                self.store.set_command(work.command_id, "failed", error=str(exc))
            out.blocked.append(_refusal(exc, work.path))
        return out

    # -------------------------------------------------------------- updates

    def _update(self, work: Work, out: Outcome) -> None:
        assert work.page_id is not None
        need_body = work.plan.push_body is not None
        # A property-only edit does not need Notion's body: one read fewer per
        # page; a body that may have changed is re-read by the next pull.
        body_edited = (
            work.local is not None
            and work.input.base is not None
            and work.local.body != work.input.base.body
        )
        read_body = body_edited or work.plan.restore_file
        if work.base is not None and not work.base.body_fetched:
            # A lazy mirror's page whose body was never read: its empty base body
            # is no base for a body edit (the plan blocks it), and a body read
            # here would pose as one. Properties are sent as usual.
            read_body = need_body = False
        remote = preflight(
            self.client,
            work.page_id,
            work.base,
            need_body=need_body,
            read_changed_body=read_body,
        )
        inp = work.input
        if remote.state == "live":
            snap_body = body_codec.canonicalize(remote.body.markdown) if remote.body else None
            inp = replace(
                inp,
                remote=Snapshot(top_level_values(self.schema, remote.props), snap_body),
                remote_state="live",
                body_writable=remote.body.writable if remote.body else inp.body_writable,
                body_reason=remote.body.reason if remote.body else inp.body_reason,
            )
        else:
            inp = replace(inp, remote=None, remote_state=remote.state)
        plan = plan_page(inp, self.policy)
        self._report(plan, out)
        if remote.state != "live":
            self._finish_command(work, "superseded")
            if plan.remove_file and work.path and work.read is not None:
                self._remove_trashed(work, out)
            elif remote.state == "trashed" and work.base is not None:
                self._record_conflicts(work, plan, remote.props)
                self._write_conflict_view(work, plan, remote)
            return

        new_props = dict(remote.props)
        new_body = remote.body
        last_edited = remote.page.last_edited_time
        observed_minute = remote.read_minute or iso(floor_minute(server_now(self.client)))
        if plan.push_props:
            payload = self._payload(plan.push_props, work.local)
            self._command(work, "sending", plan)
            crash_point("before_send")
            page = self.client.update_page(work.page_id, properties=payload)
            crash_point("after_send")
            new_props = complete_properties(
                self.client, work.page_id, properties_by_id(page.properties)
            )
            last_edited = page.last_edited_time
            out.pushed += [self.by_id[pid]["name"] for pid in sorted(plan.push_props)]
            self._verify_props(plan.push_props, new_props, out)
        if plan.push_body is not None:
            self._command(work, "sending", plan)
            crash_point("before_send")
            allowed = work.path in self.allow_deleting
            new_body = self._push_body(work.page_id, remote, plan.push_body, allow_deleting=allowed)
            crash_point("after_send")
            out.pushed.append("body")
        if work.command_id is not None and (plan.push_props or plan.push_body is not None):
            self.store.set_command(work.command_id, "sent")
            crash_point("after_response")
        elif work.command_id is not None:
            self._finish_command(work, "superseded")

        body_text = (
            new_body.markdown if new_body is not None else (work.base.body if work.base else "")
        )
        new_base = self._settled_base(
            work, plan, new_props, new_body, remote, last_edited, observed_minute
        )
        if remote.body_stale and plan.push_body is None:
            new_base = replace(new_base, remote_dirty=True)
        pushed_ids = set(plan.push_props)
        self._settle(work, plan, new_base, new_props, body_text, pushed_ids, out)

    def _payload(self, push: Mapping[str, Any], local: LocalFile | None) -> dict[str, Any]:
        assert local is not None
        payload: dict[str, Any] = {}
        for pid in sorted(push):
            prop = self.by_id[pid]
            payload[prop["name"]] = properties.from_frontmatter(
                prop, local.raw[pid], path=local.path, allow_new_options=self.allow_new_options
            )
        return payload

    def _verify_props(
        self, pushed: Mapping[str, Any], new_props: Mapping[str, Any], out: Outcome
    ) -> None:
        now = top_level_values(self.schema, new_props)
        for pid, want in pushed.items():
            got = now.get(pid, MISSING)
            if not same(got, want):
                name = self.by_id[pid]["name"]
                out.notes.append(f"Notion stored {name} in its own form; the file shows it")

    def _push_body(
        self, page_id: str, remote: Remote, new: str, *, allow_deleting: bool
    ) -> ObservedBody:
        assert remote.body is not None and remote.raw_markdown is not None
        ops = body_codec.diff_updates(body_codec.canonicalize(remote.body.markdown), new)
        md = None
        if ops and all(_unique(remote.raw_markdown, op["old_str"]) for op in ops):
            md = self.client.update_markdown_content(
                page_id, ops, allow_deleting_content=allow_deleting
            )
            got = observed_body(md)
            if body_codec.canonicalize(got.markdown) == new:
                return got
            # An op Notion skipped or matched differently: one whole-body write
            # makes the outcome exact (it is still the base we just read).
        md = self.client.replace_markdown(page_id, new, allow_deleting_content=allow_deleting)
        return observed_body(md)

    # -------------------------------------------------------------- creates

    def _create(self, work: Work, out: Outcome) -> None:
        plan = work.plan
        assert work.local is not None and work.path is not None
        payload = self._payload(plan.push_props, work.local)
        if work.command_id is not None:
            self.store.set_command(work.command_id, "sending", attempts=1, error=None)
        crash_point("before_send")
        body = plan.push_body or None
        page = self.client.create_page(
            parent_data_source_id=self.data_source_id, properties=payload, markdown=body
        )
        crash_point("after_send")
        if work.command_id is not None:
            self.store.set_command(work.command_id, "created", page_id=page.id)
        crash_point("after_response")
        out.created = True
        out.pushed.append("create")
        base = adopt_created(self.client, self.store, page, path=work.path, had_body=bool(body))
        keep = {
            pid: work.local.raw[pid]
            for pid in work.local.raw
            if pid not in plan.push_props and pid in self.by_id
        }
        data = render_file(self.schema, base, keep_local=keep)
        fp = self._write(work, data)
        if fp is None:
            out.notes.append("created in Notion; the id is added to the file on the next sync")
            return
        self.store.put_page(base.with_changes(**self._fingerprint(base, data, fp)))
        self._finish_command(work, "done")
        crash_point("after_settle")

    # -------------------------------------------------------------- settling

    def _settled_base(
        self,
        work: Work,
        plan: PagePlan,
        new_props: dict[str, Any],
        new_body: ObservedBody | None,
        remote: Remote,
        last_edited: datetime,
        observed_minute: str,
    ) -> PageBase:
        """The base after this cycle: Notion's values, except where an edit is held back.

        Where the plan keeps the old base (a conflict), the old value object
        stays, so the next cycle still sees the local edit as an edit.
        """
        old = work.base
        assert old is not None
        old_canon = top_level_values(self.schema, old.properties)
        new_canon = top_level_values(self.schema, new_props)
        want = plan.next_base or Snapshot(old_canon, body_codec.canonicalize(old.body))
        props = dict(new_props)
        mine = work.local.props if work.local is not None else {}
        for pid, value in old_canon.items():
            target = want.props.get(pid, MISSING)
            # Only a held-back local edit keeps the old base (so it stays an
            # edit); anything the user did not touch follows Notion's newest.
            edited = pid in mine and not same(mine[pid], value)
            if edited and not same(target, new_canon.get(pid, MISSING)) and same(target, value):
                props[pid] = old.properties.get(pid, props.get(pid))
        body = new_body.markdown if new_body is not None else old.body
        held_back = (
            new_body is not None
            and plan.push_body is None
            and want.body != body_codec.canonicalize(body)
            and want.body == body_codec.canonicalize(old.body)
        )
        if held_back:
            body = old.body
        return replace(
            old,
            title=title_of(props),
            url=remote.page.url if remote.page is not None else old.url,
            last_edited_time=iso(last_edited),
            observed_minute=observed_minute,
            properties=props,
            body=body,
            body_writable=new_body.writable if new_body is not None else old.body_writable,
            body_reason=new_body.reason if new_body is not None else old.body_reason,
            state="live",
            remote_dirty=False,
            deletion_reported=False,
            no_base=False,
        )

    def _settle(
        self,
        work: Work,
        plan: PagePlan,
        new_base: PageBase,
        notion_props: dict[str, Any],
        notion_body: str,
        pushed: set[str],
        out: Outcome,
    ) -> None:
        """Write the file for the new state (guarded), then record base, conflicts, command."""
        notion = replace(new_base, properties=notion_props, body=notion_body)
        notion_canon = top_level_values(self.schema, notion_props)
        keep: dict[str, Any] = {}
        body: str | None = None
        if plan.result is not None and work.local is not None:
            for pid, value in plan.result.props.items():
                if pid in pushed or pid not in work.local.raw:
                    continue
                # Keep the user's text only where the plan held back the user's
                # value. A value the plan took from Notion's preflight that Notion
                # has changed again since (seen in the write's response) is
                # Notion's to show: keeping the older local text would later read
                # as a local edit and undo Notion's newer one.
                mine = work.local.props.get(pid, MISSING)
                base_props = work.input.base.props if work.input.base is not None else {}
                held_local = same(value, mine) and not same(mine, base_props.get(pid, MISSING))
                if held_local and not same(value, notion_canon.get(pid, MISSING)):
                    keep[pid] = work.local.raw[pid]
            result_body = plan.result.body
            if plan.push_body is None and result_body is not None:
                body = result_body if result_body != body_codec.canonicalize(notion_body) else None
        elif work.local is not None:
            # Nothing planned for the file: it stays as the user has it.
            keep = {
                pid: raw
                for pid, raw in work.local.raw.items()
                if not same(work.local.props.get(pid, MISSING), notion_canon.get(pid, MISSING))
            }
            if work.local.body != body_codec.canonicalize(notion_body):
                body = work.local.body
        conflicts = self._record_conflicts(work, plan, notion_props)
        data = render_file(
            self.schema,
            notion,
            keep_local=keep,
            body=body,
            conflicts=self._conflict_view(new_base.page_id, conflicts),
        )
        if plan.restore_file:
            out.restored = True
        elif work.local is not None and work.read is not None and data != work.read.data:
            # Merged = the file took something from Notion it did not have.
            took_props = any(
                pid not in keep
                and pid not in pushed
                and not same(work.local.props.get(pid, MISSING), value)
                for pid, value in notion_canon.items()
            )
            took_body = body is None and work.local.body != body_codec.canonicalize(notion_body)
            out.merged = took_props or (took_body and plan.push_body is None)
        fp = self._write(work, data)
        fields: dict[str, Any] = {"path": work.path}
        if fp is not None:
            fields.update(self._fingerprint(new_base, data, fp))
        else:
            # The file changed since it was read: that is a new local edit. The
            # old fingerprint stays, so the next scan journals it again; and
            # what Notion changed did not reach the file, so the base must not
            # claim it did (the file's older value would then look like a local
            # edit and be pushed back over Notion's): only what was pushed moves.
            out.notes.append("the file changed during sync; its new edits wait for the next sync")
            new_base = self._held_base(work, new_base, pushed, pushed_body=plan.push_body)
        with self.store.atomic():
            self.store.put_page(replace(new_base, **fields))
            if work.command_id is not None:
                self.store.set_command(work.command_id, "done")
        crash_point("after_settle")

    def _held_base(
        self, work: Work, new_base: PageBase, pushed: set[str], *, pushed_body: str | None
    ) -> PageBase:
        """``new_base`` with every surface not pushed back at the old base, re-read next cycle."""
        old = work.base
        assert old is not None
        props = dict(new_base.properties)
        for pid in self.by_id:
            if pid not in pushed and pid in old.properties:
                props[pid] = old.properties[pid]
        body = new_base.body if pushed_body is not None else old.body
        return replace(new_base, properties=props, body=body, remote_dirty=True)

    def _write(self, work: Work, data: bytes) -> materialize.FileFingerprint | None:
        """Write the file unless it changed since it was read; None when it did."""
        assert work.path is not None
        if work.read is not None and work.read.data == data:
            if work.read.mtime_ns is None:
                return materialize.FileFingerprint(materialize.hash_bytes(data), work.read.size, -1)
            return materialize.FileFingerprint(
                materialize.hash_bytes(data), work.read.size, work.read.mtime_ns
            )
        expected = materialize.hash_bytes(work.read.data) if work.read is not None else None
        try:
            return materialize.write_file(
                self.root, work.path, data, tmp_dir=self.tmp_dir, expected_hash=expected
            )
        except (materialize.LocalEditError, materialize.PathOccupiedError):
            return None

    def _remove_trashed(self, work: Work, out: Outcome) -> None:
        assert work.path is not None and work.base is not None
        try:
            materialize.remove_file(
                self.root,
                work.path,
                tmp_dir=self.tmp_dir,
                expected_hash=materialize.hash_bytes(work.read.data),
            )
        except materialize.LocalEditError:
            out.notes.append("changed during sync; kept")
            return
        self.store.put_page(work.base.with_changes(state="trashed", path=None))

    # -------------------------------------------------------------- conflicts

    def _record_conflicts(
        self, work: Work, plan: PagePlan, notion_props: Mapping[str, Any] | None
    ) -> list[ConflictRecord]:
        """Persist new conflicts; return every open conflict of the page.

        For a property, ``remote`` keeps Notion's value object (so `resolve
        --keep remote` can make it the base and the file's value exactly);
        for the body, Notion's canonical text.
        """
        assert work.page_id is not None
        for c in plan.conflicts:
            remote: Any = c.remote
            if c.surface.startswith("prop:") and notion_props is not None:
                remote = notion_props.get(c.surface[5:])
            self.store.put_conflict(
                ConflictRecord(
                    page_id=work.page_id,
                    surface=c.surface,
                    path=work.path,
                    base=c.base,
                    local=c.local,
                    remote=remote,
                    reason=c.reason,
                )
            )
        return self.store.conflicts(work.page_id)

    def _conflict_view(self, page_id: str, records: list[ConflictRecord]) -> dict[str, Any]:
        """``_notion.conflicts``: Notion's side of each conflict, as frontmatter."""
        view: dict[str, Any] = {}
        for rec in records:
            if rec.surface == SURFACE_BODY:
                view["body"] = BODY_CONFLICT_NOTE
            elif rec.surface == SURFACE_LIFECYCLE:
                view["page"] = LIFECYCLE_NOTE
            elif rec.surface.startswith("prop:"):
                prop = self.by_id.get(rec.surface[5:])
                if prop is None:
                    continue
                view[prop["name"]] = {"notion": shown_value(prop, rec.remote)}
        return view

    def _write_conflict_view(self, work: Work, plan: PagePlan, remote: Remote) -> None:
        if work.base is None or work.read is None or work.local is None or not plan.conflicts:
            return
        keep = dict(work.local.raw)
        data = render_file(
            self.schema,
            work.base,
            keep_local=keep,
            body=work.local.body,
            conflicts=self._conflict_view(
                work.base.page_id, self.store.conflicts(work.base.page_id)
            ),
        )
        fp = self._write(work, data)
        if fp is not None:
            fields = self._fingerprint(work.base, data, fp)
            self.store.put_page(work.base.with_changes(path=work.path, **fields))

    def _fingerprint(
        self, base: PageBase, data: bytes, fp: materialize.FileFingerprint
    ) -> dict[str, Any]:
        """The file fingerprint to store with ``base``.

        A file holding exactly the base gets its own fingerprint. A file that
        keeps something the base does not (a conflicted or unsent local value)
        gets the fingerprint of the base's own rendering instead, so scans and
        pulls keep treating it as locally edited and never overwrite it.
        """
        own = render_file(self.schema, base)
        if own == data:
            return {"file_hash": fp.sha256, "file_size": fp.size, "file_mtime_ns": fp.mtime_ns}
        return {"file_hash": materialize.hash_bytes(own), "file_size": None, "file_mtime_ns": None}

    # -------------------------------------------------------------- helpers

    def _report(self, plan: PagePlan, out: Outcome) -> None:
        out.conflicts += [replace(c, surface=self._name(c.surface)) for c in plan.conflicts]
        out.blocked += [(self._name(b.surface), b.reason) for b in plan.blocked]
        out.notes += list(plan.notes)

    def _name(self, surface: str) -> str:
        if surface.startswith("prop:") and surface[5:] in self.by_id:
            return str(self.by_id[surface[5:]]["name"])
        return surface

    def _command(self, work: Work, status: str, plan: PagePlan) -> None:
        if work.command_id is None:
            return
        payload = {
            "props": {pid: v for pid, v in plan.push_props.items()},
            "body": plan.push_body,
            "path": work.path,
        }
        self.store.set_command(work.command_id, status, payload=payload)

    def _finish_command(self, work: Work, status: str) -> None:
        if work.command_id is not None:
            self.store.set_command(work.command_id, status)


def _unique(text: str, needle: str) -> bool:
    pos = text.find(needle)
    return bool(needle) and pos >= 0 and text.find(needle, pos + 1) < 0


def shown_value(prop: dict[str, Any], value_obj: Any) -> Any:
    """Notion's side of a property conflict as it would appear in the file."""
    if not isinstance(value_obj, dict) or value_obj.get("type") != prop["type"]:
        return None
    return properties.to_frontmatter(prop, value_obj)


def new_client_key() -> str:
    return uuid.uuid4().hex


def reconcile_window(attempted_at: str) -> str:
    """The earliest created_time a page from this attempt can have (clock skew allowed)."""
    return iso(floor_minute(parse_time(attempted_at)) - timedelta(minutes=2))
