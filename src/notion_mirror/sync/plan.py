"""The planner: what one sync cycle does to each page, as a pure function.

``plan_page(page, policy, merge_body=...)`` reads a page's base (last synced),
local (the file) and remote (Notion) snapshots and decides, per surface —
each property, the body, the lifecycle, a create — what to push, what to
write to the file, and what to report. No I/O, no clock, no randomness: the
same input always gives the same plan, and a plan's own outcome re-planned
gives nothing to do (no ping-pong).

Guarantees (DESIGN §3), each tested by the case table in tests/unit/sync:

* A local edit is pushed, kept in the file and reported (conflict/blocked),
  or already equal to Notion's value — never dropped, and never absorbed
  into the base unless Notion holds it.
* Nothing is pushed for a surface the user did not change.
* A missing file never trashes a page; a file is removed only when Notion
  trashed the page and the file holds exactly the base.
* A file that cannot be parsed is never rewritten.

Decisions where the rules leave room are marked "Decision:" below and in
``_plan_surfaces``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from notion_mirror.sync._plan_model import (
    MODES,
    REMOTE_STATES,
    SURFACE_BODY,
    SURFACE_CREATE,
    SURFACE_LIFECYCLE,
    SURFACE_PAGE,
    Blocked,
    Conflict,
    MergeBody,
    PageInput,
    PagePlan,
    Policy,
    Snapshot,
    Value,
    prop_surface,
)
from notion_mirror.sync._plan_surfaces import (
    MARKERS,
    MISSING,
    READ_ONLY,
    UNRESOLVED,
    Outcome,
    decide_body,
    decide_prop,
    same,
)

__all__ = [
    "SURFACE_BODY",
    "SURFACE_CREATE",
    "SURFACE_LIFECYCLE",
    "SURFACE_PAGE",
    "Blocked",
    "Conflict",
    "MergeBody",
    "PageInput",
    "PagePlan",
    "Policy",
    "Snapshot",
    "Value",
    "default_merge_body",
    "plan_all",
    "plan_page",
    "prop_surface",
]

NOTE_DELETED = (
    "deleted locally; run `notion-mirror trash <file>` to trash it in Notion, or `sync` restores it"
)
NOTE_RESTORED = "deleted locally and already reported: restored from Notion"
NOTE_DELETED_UNKNOWN = "deleted locally; Notion's state is unknown this cycle, restore waits"
NOTE_DELETED_BOTH = "deleted locally and trashed in Notion: nothing to do"
NOTE_DELETED_GONE = "deleted locally and no longer visible to the integration: nothing to do"
NOTE_TRASHED = "trashed in Notion and unchanged locally: file removed (`notion-mirror restore`)"
NOTE_NEW_REMOTE = "new in Notion"
NOTE_CREATE = "new file: created in Notion"
GONE = "no longer visible to the integration; kept locally"
TRASHED_EDITED = "edited locally but trashed in Notion"
PULL_CREATE = "pull mode: new files are not created in Notion"
NO_STATE = "no synced state for this page and Notion was not read this cycle; sync again"


def default_merge_body(base: str, local: str, remote: str) -> tuple[str, bool]:
    """The product's body merge (``codec.body.merge3``), imported on first use."""
    from notion_mirror.codec.body import merge3

    return merge3(base, local, remote)


def plan_all(
    pages: Iterable[PageInput], policy: Policy, *, merge_body: MergeBody = default_merge_body
) -> list[PagePlan]:
    """Plan every page, in input order."""
    return [plan_page(page, policy, merge_body=merge_body) for page in pages]


def plan_page(
    page: PageInput, policy: Policy, *, merge_body: MergeBody = default_merge_body
) -> PagePlan:
    """Decide what this cycle does to one page. Raises ValueError on inconsistent input."""
    _check(page, policy)
    if page.page_id is None:
        return _plan_create(page, policy)
    if page.local_error is not None:
        return _plan_unreadable_file(page)
    if page.local is None:
        return _plan_missing_file(page)
    if page.remote_state == "gone":
        # Absence is not deletion: unshared or moved pages look the same as
        # deleted ones, so the file stays and nothing is sent.
        return PagePlan(page.key, page.page_id, blocked=(Blocked(SURFACE_LIFECYCLE, GONE),))
    if page.remote_state == "trashed":
        return _plan_trashed(page)
    if page.base is None and page.remote is None:
        # A file with an id but no synced state, and Notion not read: no side
        # to compare with, so nothing is decided (never a blind push).
        return PagePlan(page.key, page.page_id, blocked=(Blocked(SURFACE_PAGE, NO_STATE),))
    return _plan_surfaces(page, policy, merge_body)


def _check(page: PageInput, policy: Policy) -> None:
    if policy.mode not in MODES:
        raise ValueError(f"unknown sync mode {policy.mode!r}")
    if page.remote_state not in REMOTE_STATES:
        raise ValueError(f"unknown remote state {page.remote_state!r} for {page.key}")
    if page.page_id is None and page.base is not None:
        raise ValueError(f"{page.key}: a page without an id cannot have a base")


# ---------------------------------------------------------------- views


def _remote_view(page: PageInput) -> Snapshot | None:
    """Notion's state as far as known: unobserved parts read as the base."""
    base, remote = page.base, page.remote
    if remote is None:
        return base
    body = remote.body if remote.body is not None else (base.body if base else None)
    return Snapshot(dict(remote.props), body)


def _sorted(props: Mapping[str, Value]) -> dict[str, Value]:
    return {k: props[k] for k in sorted(props)}


def _props_of(snap: Snapshot | None) -> Mapping[str, Value]:
    return snap.props if snap is not None else {}


# ---------------------------------------------------------------- the usual path


def _plan_surfaces(page: PageInput, policy: Policy, merge_body: MergeBody) -> PagePlan:
    assert page.local is not None
    base, local = page.base, page.local
    remote = _remote_view(page)
    b_props, l_props, r_props = _props_of(base), local.props, _props_of(remote)

    outcomes: list[tuple[str, Outcome]] = []
    for pid in sorted(set(b_props) | set(l_props) | set(r_props)):
        outcome = decide_prop(
            pid,
            b_props.get(pid, MISSING),
            l_props.get(pid, MISSING),
            r_props.get(pid, MISSING),
            page,
            policy,
        )
        outcomes.append((pid, outcome))
    b_body = base.body if base is not None else None
    r_body = remote.body if remote is not None else None
    body = decide_body(b_body, local.body, r_body, page, policy, merge_body)

    file_props = {pid: o.file for pid, o in outcomes if o.file is not MISSING}
    base_props = {pid: o.base for pid, o in outcomes if o.base is not MISSING}
    push_props = {pid: o.file for pid, o in outcomes if o.push}
    conflicts = [o.conflict for _, o in outcomes if o.conflict is not None]
    blocked = [o.blocked for _, o in outcomes if o.blocked is not None]
    if body.conflict is not None:
        conflicts.append(body.conflict)
    if body.blocked is not None:
        blocked.append(body.blocked)

    file_view = Snapshot(file_props, body.file)
    next_base = Snapshot(base_props, body.base)
    local_known = Snapshot(dict(local.props), local.body if local.body is not None else b_body)
    # A conflict always rewrites the file: the engine records both sides in
    # `_notion.conflicts` there, even when the local value itself stays.
    materialize = not _same_snapshot(file_view, local_known) or bool(conflicts)
    base_changed = base is None or not _same_snapshot(next_base, base)
    push_body = body.file if body.push else None
    changed = materialize or base_changed or bool(push_props) or push_body is not None
    return PagePlan(
        key=page.key,
        page_id=page.page_id,
        push_props=push_props,
        push_body=push_body,
        result=file_view if changed else None,
        materialize=materialize,
        conflicts=tuple(conflicts),
        blocked=tuple(blocked),
        next_base=next_base if base_changed else None,
    )


def _same_snapshot(a: Snapshot, b: Snapshot) -> bool:
    return (
        a.props.keys() == b.props.keys()
        and all(same(a.props[k], b.props[k]) for k in a.props)
        and a.body == b.body
    )


# ---------------------------------------------------------------- lifecycle


def _locally_unchanged(page: PageInput) -> bool:
    """The file holds exactly the base on every surface (so removing it loses nothing)."""
    base, local = page.base, page.local
    if base is None or local is None or page.pending_conflicts:
        return False
    if base.props.keys() != local.props.keys():
        return False
    if not all(same(local.props[k], base.props[k]) for k in local.props):
        return False
    return local.body is None or local.body == base.body


def _plan_trashed(page: PageInput) -> PagePlan:
    if SURFACE_LIFECYCLE in page.pending_conflicts:
        return PagePlan(page.key, page.page_id, blocked=(Blocked(SURFACE_LIFECYCLE, UNRESOLVED),))
    if _locally_unchanged(page):
        return PagePlan(page.key, page.page_id, remove_file=True, notes=(NOTE_TRASHED,))
    # Decision: nothing is pushed to a trashed page (that would be an implicit
    # restore); the file stays, and the user chooses restore or discard.
    conflict = Conflict(SURFACE_LIFECYCLE, "live", "edited", "trashed", TRASHED_EDITED)
    return PagePlan(page.key, page.page_id, conflicts=(conflict,))


def _plan_missing_file(page: PageInput) -> PagePlan:
    key, pid = page.key, page.page_id
    remote = _remote_view(page)
    if page.base is None:
        # Decision: a page Notion has and we never synced is new in Notion:
        # write its file (the pull path), unless Notion is not live.
        if page.remote is not None and page.remote_state in ("live", "unknown"):
            assert remote is not None
            view = Snapshot(_sorted(remote.props), remote.body)
            return PagePlan(
                key, pid, result=view, materialize=True, next_base=view, notes=(NOTE_NEW_REMOTE,)
            )
        return PagePlan(key, pid)
    if page.remote_state == "trashed":
        return PagePlan(key, pid, notes=(NOTE_DELETED_BOTH,))
    if page.remote_state == "gone":
        return PagePlan(key, pid, notes=(NOTE_DELETED_GONE,))
    if not page.deletion_reported:
        # Absence is not deletion: report once, never trash.
        return PagePlan(key, pid, notes=(NOTE_DELETED,))
    if page.remote_state == "unknown":
        # Decision: no restore without knowing Notion's state (it may be trashed).
        return PagePlan(key, pid, notes=(NOTE_DELETED_UNKNOWN,))
    assert remote is not None
    view = Snapshot(_sorted(remote.props), remote.body)
    return PagePlan(
        key,
        pid,
        result=view,
        materialize=True,
        restore_file=True,
        notes=(NOTE_RESTORED,),
        next_base=view,
    )


def _plan_unreadable_file(page: PageInput) -> PagePlan:
    """Everything waits: the user's broken file is never rewritten, Notion never written."""
    assert page.local_error is not None
    notes: list[str] = []
    if page.remote_state in ("trashed", "gone"):
        notes.append(f"{page.remote_state} in Notion; kept until the file is fixed")
    waiting = _remote_changes(page)
    if waiting:
        notes.append("changed in Notion, applied once the file is fixed: " + ", ".join(waiting))
    return PagePlan(
        page.key,
        page.page_id,
        blocked=(Blocked(SURFACE_PAGE, page.local_error),),
        notes=tuple(notes),
    )


def _remote_changes(page: PageInput) -> list[str]:
    """Surfaces Notion changed since the base (left in Notion, so the next cycle sees them)."""
    base = page.base
    remote = _remote_view(page)
    if base is None or remote is None or page.remote is None:
        return []
    b, r = base.props, remote.props
    out = [
        prop_surface(k)
        for k in sorted(set(b) | set(r))
        if not same(b.get(k, MISSING), r.get(k, MISSING))
    ]
    if remote.body != base.body:
        out.append(SURFACE_BODY)
    return out


# ---------------------------------------------------------------- create


def _plan_create(page: PageInput, policy: Policy) -> PagePlan:
    local = page.local
    if page.local_error is not None:
        return PagePlan(page.key, None, blocked=(Blocked(SURFACE_CREATE, page.local_error),))
    if local is None:
        return PagePlan(page.key, None)  # a new file that is gone again: nothing to do
    if policy.mode == "pull":
        return PagePlan(page.key, None, blocked=(Blocked(SURFACE_CREATE, PULL_CREATE),))
    # Decision: the page is created with whatever props are acceptable; the
    # rest stay in the file, reported, and sync like edits once fixed.
    push_props: dict[str, Value] = {}
    blocked: list[Blocked] = []
    for pid in sorted(local.props):
        reason = page.local_blocked_props.get(pid)
        if reason is None and policy.writable_props is not None:
            reason = READ_ONLY if pid not in policy.writable_props else None
        if reason is None:
            push_props[pid] = local.props[pid]
        else:
            blocked.append(Blocked(prop_surface(pid), reason))
    body = local.body
    if body is not None and page.body_has_conflict_markers:
        blocked.append(Blocked(SURFACE_BODY, MARKERS))
        body = None
    # The file is rewritten after the create so it carries the new page's id.
    return PagePlan(
        page.key,
        None,
        push_props=push_props,
        push_body=body,
        create=True,
        result=Snapshot(_sorted(local.props), local.body),
        materialize=True,
        blocked=tuple(blocked),
        notes=(NOTE_CREATE,),
        next_base=Snapshot(push_props, body),
    )
