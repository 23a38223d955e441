"""Property-based checks of the planner's promises over random (base, local, remote) triples.

Values and body lines are drawn from tiny alphabets so that equal, converged
and clashing edits all happen often.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.sync.plan import PageInput, PagePlan, Policy, Snapshot, plan_page
from tests.unit.sync.test_plan_support import fake_merge

ABSENT: Any = object()
PROP_IDS = ("a", "b", "c", "d")
VALUES = st.sampled_from([None, "x", "y", 1, True, False, ["p"], ["p", "q"]])
LINES = st.lists(st.sampled_from(["one", "two", "ONE", "TWO", "three"]), min_size=3, max_size=3)
BODIES = st.one_of(st.none(), LINES.map("\n".join))


@st.composite
def props(draw: st.DrawFn) -> dict[str, Any]:
    out = {}
    for pid in PROP_IDS:
        value = draw(st.one_of(st.just(ABSENT), VALUES))
        if value is not ABSENT:
            out[pid] = value
    return out


@st.composite
def derived(draw: st.DrawFn, base: Snapshot | None) -> Snapshot:
    """A side that mostly keeps the base, sometimes edits, drops or adds a prop."""
    start = dict(base.props) if base is not None else {}
    out: dict[str, Any] = {}
    for pid in PROP_IDS:
        choice = draw(st.sampled_from(["keep", "keep", "edit", "drop"]))
        if choice == "keep" and pid in start:
            out[pid] = start[pid]
        elif choice == "edit":
            out[pid] = draw(VALUES)
    body_choice = draw(st.sampled_from(["keep", "keep", "edit"]))
    body = base.body if body_choice == "keep" and base is not None else draw(BODIES)
    return Snapshot(out, body)


@st.composite
def inputs(draw: st.DrawFn) -> tuple[PageInput, Policy]:
    mode = draw(st.sampled_from(["shared", "pull", "push"]))
    writable = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(PROP_IDS))))
    policy = Policy(mode, writable)
    is_new = draw(st.integers(0, 5)) == 0
    # An existing page without a base: new in Notion, or state lost.
    no_base = draw(st.integers(0, 7)) == 0
    base = None if is_new or no_base else draw(st.builds(Snapshot, props(), BODIES))
    local = None if draw(st.integers(0, 6)) == 0 else draw(derived(base))
    remote = None if is_new or draw(st.integers(0, 4)) == 0 else draw(derived(base))
    surfaces = [f"prop:{p}" for p in PROP_IDS] + ["body", "lifecycle"]
    page = PageInput(
        key="new:x.md" if is_new else "p1",
        page_id=None if is_new else "p1",
        base=base,
        local=local,
        remote=remote,
        remote_state=draw(st.sampled_from(["live", "live", "live", "trashed", "gone", "unknown"])),
        local_error=draw(st.sampled_from([None, None, None, None, "bad YAML"])),
        local_blocked_props=draw(
            st.dictionaries(st.sampled_from(PROP_IDS), st.just("unknown option"), max_size=2)
        ),
        body_writable=draw(st.booleans()),
        body_reason=draw(st.sampled_from([None, "truncated"])),
        body_has_conflict_markers=draw(st.integers(0, 5)) == 0,
        deletion_reported=draw(st.booleans()),
        pending_conflicts=draw(st.frozensets(st.sampled_from(surfaces), max_size=2)),
    )
    return page, policy


def _plan(page: PageInput, policy: Policy) -> PagePlan:
    return plan_page(page, policy, merge_body=fake_merge)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _remote_view(page: PageInput) -> Snapshot | None:
    if page.remote is None:
        return page.base
    base_body = page.base.body if page.base is not None else None
    return Snapshot(
        page.remote.props, page.remote.body if page.remote.body is not None else base_body
    )


def _page_level_report(plan: PagePlan) -> bool:
    surfaces = {b.surface for b in plan.blocked} | {c.surface for c in plan.conflicts}
    return bool(surfaces & {"page", "lifecycle", "create"}) or plan.create


RUNS = settings(max_examples=300, deadline=None)


@RUNS
@given(inputs())
def test_no_local_edit_is_lost(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, policy)
    if page.local is None or page.local_error is not None:
        assert not plan.materialize or plan.restore_file or page.local is None
        if page.local_error is not None:
            assert plan.result is None and not plan.materialize and not plan.remove_file
        return
    base_props = page.base.props if page.base is not None else {}
    remote = _remote_view(page)
    remote_props = remote.props if remote is not None else {}
    reported = {b.surface for b in plan.blocked} | {c.surface for c in plan.conflicts}
    for pid, lv in page.local.props.items():
        if pid in base_props and _same(lv, base_props[pid]):
            continue
        surface = f"prop:{pid}"
        # The file keeps the local value...
        if plan.result is not None:
            assert _same(plan.result.props.get(pid, ABSENT), lv), surface
        # ...and the edit is sent, reported, or already in Notion.
        assert (
            (pid in plan.push_props and _same(plan.push_props[pid], lv))
            or surface in reported
            or _same(remote_props.get(pid, ABSENT), lv)
            or _page_level_report(plan)
        ), surface
        # The base only takes a local value Notion is known to hold.
        if plan.next_base is not None and _same(plan.next_base.props.get(pid, ABSENT), lv):
            assert pid in plan.push_props or _same(remote_props.get(pid, ABSENT), lv)
    # A line removed from the file is a local edit too: it must not vanish unreported.
    for pid in base_props:
        if pid not in page.local.props and pid in remote_props and not _page_level_report(plan):
            assert f"prop:{pid}" in reported
    lb = page.local.body
    bb = page.base.body if page.base is not None else None
    if lb is not None and lb != bb:
        rb = remote.body if remote is not None else None
        merged = fake_merge(bb, lb, rb) if bb is not None and rb is not None else None
        if plan.result is not None and plan.result.body != lb:
            # The file's body is only ever replaced by a merge of the local text
            # with Notion's (clean, or with markers under a conflict).
            assert merged is not None and plan.result.body == merged[0]
            assert merged[1] or "body" in {c.surface for c in plan.conflicts}
        assert (
            plan.push_body is not None
            or "body" in reported
            or rb == lb
            or _page_level_report(plan)
            or merged == (rb, True)  # the local edit is already part of Notion's text
        )
        if plan.next_base is not None and plan.next_base.body == lb:
            assert plan.push_body == lb or rb == lb


@RUNS
@given(inputs())
def test_nothing_is_pushed_for_an_unchanged_surface(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, policy)
    if plan.create:
        return
    assert page.local is not None or not (plan.push_props or plan.push_body is not None)
    if page.local is None:
        return
    base = page.base
    assert base is not None or not plan.push_props
    for pid, value in plan.push_props.items():
        assert base is not None and pid in base.props
        assert not _same(page.local.props[pid], base.props[pid])
        assert _same(page.local.props[pid], value)
    if plan.push_body is not None:
        assert base is not None and page.local.body is not None
        assert page.local.body != base.body
        assert not page.body_has_conflict_markers
        assert page.body_writable


@RUNS
@given(inputs())
def test_pull_mode_never_writes_notion(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, replace(policy, mode="pull"))
    assert not plan.push_props and plan.push_body is None and not plan.create


@RUNS
@given(inputs())
def test_plans_are_deterministic(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    reordered = replace(
        page,
        base=_reversed(page.base),
        local=_reversed(page.local),
        remote=_reversed(page.remote),
        local_blocked_props=dict(reversed(list(page.local_blocked_props.items()))),
    )
    plan = _plan(page, policy)
    assert _plan(page, policy) == plan
    again = _plan(reordered, policy)
    assert again == plan
    assert list(again.push_props) == list(plan.push_props)


def _reversed(snap: Snapshot | None) -> Snapshot | None:
    if snap is None:
        return None
    return Snapshot(dict(reversed(list(snap.props.items()))), snap.body)


@RUNS
@given(inputs())
def test_result_replanned_is_a_noop(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, policy)
    if plan.result is None:
        return
    settled = PageInput(
        key=page.key,
        page_id=page.page_id or "created",
        base=plan.result,
        local=plan.result,
        remote=plan.result,
    )
    assert _plan(settled, policy).is_noop


@RUNS
@given(inputs())
def test_next_cycle_does_not_ping_pong(case: tuple[PageInput, Policy]) -> None:
    """After the plan's pushes and file writes, the next cycle has nothing to write."""
    page, policy = case
    plan = _plan(page, policy)
    if page.local_error is not None or page.remote_state not in ("live", "unknown"):
        return
    if page.local is None and not plan.restore_file:
        return
    if page.page_id is None and not plan.create:
        return
    remote = _remote_view(page) if not plan.create else Snapshot({}, None)
    if remote is None:
        return  # nothing known about Notion: the plan only reports
    notion = Snapshot(
        {**remote.props, **plan.push_props},
        plan.push_body if plan.push_body is not None else remote.body,
    )
    file = plan.result or page.local
    assert file is not None
    base = plan.next_base or page.base
    marked = page.body_has_conflict_markers or any(c.surface == "body" for c in plan.conflicts)
    again = _plan(
        replace(
            page,
            page_id=page.page_id or "created",
            base=base,
            local=file,
            remote=notion,
            body_has_conflict_markers=marked,
            deletion_reported=False,
            pending_conflicts=page.pending_conflicts | {c.surface for c in plan.conflicts},
        ),
        policy,
    )
    assert not again.push_props, again
    assert again.push_body is None, again
    assert not again.create and not again.materialize and not again.restore_file, again
    assert not again.conflicts, again


@RUNS
@given(inputs())
def test_a_file_is_removed_only_when_trashed_and_unchanged(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, policy)
    if not plan.remove_file:
        return
    assert page.remote_state == "trashed"
    assert page.local is not None and page.base is not None and page.local_error is None
    assert not page.pending_conflicts
    assert page.local.props.keys() == page.base.props.keys()
    for pid, value in page.local.props.items():
        assert _same(value, page.base.props[pid])
    assert page.local.body is None or page.local.body == page.base.body
    assert not plan.push_props and plan.push_body is None and not plan.materialize


@RUNS
@given(inputs())
def test_a_missing_file_never_pushes_or_trashes(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    if page.local is not None:
        return
    plan = _plan(page, policy)
    assert not plan.push_props and plan.push_body is None and not plan.create
    assert not plan.remove_file


@RUNS
@given(inputs())
def test_no_surface_is_both_pushed_and_held_back(case: tuple[PageInput, Policy]) -> None:
    page, policy = case
    plan = _plan(page, policy)
    held = {b.surface for b in plan.blocked} | {c.surface for c in plan.conflicts}
    pushed = {f"prop:{p}" for p in plan.push_props}
    if plan.push_body is not None:
        pushed.add("body")
    assert not pushed & held
    # One report per surface at most.
    surfaces = [b.surface for b in plan.blocked] + [c.surface for c in plan.conflicts]
    assert len(surfaces) == len(set(surfaces))
