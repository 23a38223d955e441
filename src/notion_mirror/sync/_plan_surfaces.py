"""Per-surface three-way decisions (one property, or the body) for the planner.

Each decision yields an ``Outcome``: what the file holds, what the base
becomes, whether to push, and at most one report (a conflict or a block).
Pure; ``plan.py`` assembles outcomes into a ``PagePlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notion_mirror.sync._plan_model import (
    SURFACE_BODY,
    Blocked,
    Conflict,
    MergeBody,
    PageInput,
    Policy,
    Value,
    prop_surface,
)

__all__ = ["MISSING", "Outcome", "decide_body", "decide_prop", "present", "same"]


class _Missing:
    """A property absent from one side (deleted in Notion, new in Notion, line removed)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

UNRESOLVED = "unresolved conflict: resolve it (`notion-mirror resolve`) before it syncs again"
PULL_EDITS = "pull mode: local edits are not sent"
READ_ONLY = "read-only property"
DELETED_IN_NOTION = "property was deleted in Notion; remove it from the file"
LINE_REMOVED = "property is missing from the file; put the line back (an empty value clears it)"
NOT_IN_NOTION = "not a property of this data source in Notion; remove it from the file"
MARKERS = "resolve the conflict markers first"
BODY_BASE_UNKNOWN = "the Notion body has not been read yet; sync again before editing it"
BOTH_CHANGED = "changed locally and in Notion"


def same(a: Value, b: Value) -> bool:
    """Equality of canonical values, except that True is not 1 (a checkbox is not a number)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple | dict) or isinstance(b, list | tuple | dict):
        return False
    return bool(a == b)


def present(value: Value) -> Value | None:
    """A value as reports show it: an absent property shows as None."""
    return None if value is MISSING else value


@dataclass(frozen=True)
class Outcome:
    file: Value  # what the file holds for this surface (MISSING = absent)
    base: Value  # what the base becomes once pushes succeed (MISSING = absent)
    push: bool = False  # send ``file`` to Notion
    conflict: Conflict | None = None
    blocked: Blocked | None = None


def _prop_push_block(
    pid: str, bv: Value, lv: Value, rv: Value, page: PageInput, policy: Policy
) -> str | None:
    """Why a local change to this prop may not be sent, or None. First reason wins."""
    if pid in page.local_blocked_props:
        return page.local_blocked_props[pid]
    if lv is MISSING:
        return LINE_REMOVED
    if bv is MISSING and rv is MISSING:
        return NOT_IN_NOTION
    if policy.writable_props is not None and pid not in policy.writable_props:
        return READ_ONLY
    if policy.mode == "pull":
        return PULL_EDITS
    return None


def decide_prop(
    pid: str, bv: Value, lv: Value, rv: Value, page: PageInput, policy: Policy
) -> Outcome:
    """Three-way decision for one property; bv/lv/rv may be MISSING."""
    surface = prop_surface(pid)
    if surface in page.pending_conflicts:
        # Frozen until resolved: taking Notion's value would overwrite the
        # user's side of the conflict, pushing would overwrite Notion's.
        return Outcome(file=lv, base=bv, blocked=Blocked(surface, UNRESOLVED))
    # A codec-blocked value is always reported, even unchanged, so the user
    # learns why the line is not accepted.
    codec_block = page.local_blocked_props.get(pid)
    always = Blocked(surface, codec_block) if codec_block is not None else None
    local_changed = not same(lv, bv)
    remote_changed = not same(rv, bv)

    if not local_changed:
        if remote_changed:
            return Outcome(file=rv, base=rv, blocked=always)
        return Outcome(file=bv, base=bv, blocked=always)
    if not remote_changed:
        reason = _prop_push_block(pid, bv, lv, rv, page, policy)
        if reason is not None:
            return Outcome(file=lv, base=bv, blocked=Blocked(surface, reason))
        return Outcome(file=lv, base=lv, push=True)
    if same(lv, rv):
        # Both sides made the same edit: nothing to send, the base catches up.
        return Outcome(file=lv, base=lv, blocked=always)
    if rv is MISSING:
        # Not a conflict the user can resolve by choosing Notion's side: there
        # is no property to keep. The file keeps the value until they drop it.
        return Outcome(file=lv, base=bv, blocked=Blocked(surface, DELETED_IN_NOTION))
    reason = BOTH_CHANGED if codec_block is None else f"{BOTH_CHANGED} (local value: {codec_block})"
    return Outcome(
        file=lv,
        base=bv,
        conflict=Conflict(surface, present(bv), present(lv), present(rv), reason),
    )


def decide_body(
    bv: str | None,
    lv: str | None,
    rv: str | None,
    page: PageInput,
    policy: Policy,
    merge_body: MergeBody,
) -> Outcome:
    """Three-way decision for the body. ``lv``/``rv`` None = unknown, read as unchanged."""
    if lv is None:
        lv = bv
    if rv is None:
        rv = bv
    if SURFACE_BODY in page.pending_conflicts:
        return Outcome(file=lv, base=bv, blocked=Blocked(SURFACE_BODY, UNRESOLVED))
    local_changed = lv != bv
    remote_changed = rv != bv
    if local_changed and page.body_has_conflict_markers:
        # Marked text is never sent, and merging Notion's side into it would
        # bury the markers deeper: wait for the user.
        return Outcome(file=lv, base=bv, blocked=Blocked(SURFACE_BODY, MARKERS))

    cannot_push = None
    if policy.mode == "pull":
        cannot_push = PULL_EDITS
    elif not page.body_writable:
        cannot_push = page.body_reason or "the Notion body cannot be written"

    if not local_changed:
        if remote_changed:
            return Outcome(file=rv, base=rv)
        return Outcome(file=bv, base=bv)
    if not remote_changed:
        if bv is None:
            # No base to guard the write with: sending would be a blind overwrite.
            return Outcome(file=lv, base=bv, blocked=Blocked(SURFACE_BODY, BODY_BASE_UNKNOWN))
        if cannot_push is not None:
            return Outcome(file=lv, base=bv, blocked=Blocked(SURFACE_BODY, cannot_push))
        return Outcome(file=lv, base=lv, push=True)
    if lv == rv:
        return Outcome(file=lv, base=lv)
    assert lv is not None and rv is not None  # both changed from bv, so neither is unknown
    if bv is None:
        return Outcome(
            file=lv,
            base=bv,
            conflict=Conflict(SURFACE_BODY, None, lv, rv, "no common base; both sides differ"),
        )
    if policy.mode == "push":
        # Push mode: the local side is authoritative only over what Notion did
        # not touch; a remote edit under a local one is the user's call.
        return Outcome(
            file=lv,
            base=bv,
            conflict=Conflict(
                SURFACE_BODY, bv, lv, rv, f"{BOTH_CHANGED} (push mode does not merge)"
            ),
        )
    merged, clean = merge_body(bv, lv, rv)
    if not clean:
        return Outcome(
            file=merged,
            base=bv,
            conflict=Conflict(
                SURFACE_BODY, bv, lv, rv, f"{BOTH_CHANGED}; conflict markers written"
            ),
        )
    if merged == rv:
        # The local edit is already contained in Notion's: nothing to send.
        return Outcome(file=rv, base=rv)
    if cannot_push is not None:
        # Keep the local edit pending on top of Notion's text: the base is
        # Notion's, so the next cycle still sees (and reports) the local edit.
        return Outcome(file=merged, base=rv, blocked=Blocked(SURFACE_BODY, cannot_push))
    return Outcome(file=merged, base=merged, push=True)
