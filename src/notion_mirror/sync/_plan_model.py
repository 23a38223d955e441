"""The planner's data model: what it reads (PageInput, Policy) and what it decides (PagePlan).

Re-exported by ``notion_mirror.sync.plan``; import from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MODES",
    "REMOTE_STATES",
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
    "prop_surface",
]

# A canonical, JSON-able value of one property, as the codecs produce it.
Value = Any

# merge_body(base, local, remote) -> (merged text, clean)
MergeBody = Callable[[str, str, str], tuple[str, bool]]

SURFACE_BODY = "body"
SURFACE_LIFECYCLE = "lifecycle"
SURFACE_CREATE = "create"
# The whole page: used only when the file cannot be read at all (local_error),
# so no finer surface can be named.
SURFACE_PAGE = "page"

MODES = frozenset({"shared", "pull", "push"})
REMOTE_STATES = frozenset({"live", "trashed", "gone", "unknown"})


def prop_surface(prop_id: str) -> str:
    return f"prop:{prop_id}"


@dataclass(frozen=True)
class Snapshot:
    """One side's view of a page: property id -> canonical value, and the body."""

    props: Mapping[str, Value]
    body: str | None  # None = not known (not fetched)


@dataclass(frozen=True)
class PageInput:
    """Everything the planner knows about one page in one cycle.

    ``local.props`` must carry, for a prop in ``local_blocked_props``, the raw
    value the file holds: if the file is rewritten, that is what is written
    back, so leaving it out would drop the user's text.
    """

    key: str  # page id, or "new:<relative path>" for a file without _notion.id
    page_id: str | None  # None: a new local file (a create)
    base: Snapshot | None  # last synced state; None for a new local file
    local: Snapshot | None  # parsed file; None = the file is missing
    remote: Snapshot | None  # observed Notion state; None = not observed (== base)
    remote_state: str = "live"  # "live" | "trashed" | "gone" | "unknown"
    local_error: str | None = None  # the file cannot be parsed: the whole page is blocked
    local_blocked_props: Mapping[str, str] = field(default_factory=dict)  # prop id -> reason
    body_writable: bool = True  # False when Notion's body is incomplete/unsupported
    body_reason: str | None = None
    body_has_conflict_markers: bool = False
    deletion_reported: bool = False  # a previous cycle reported the file as deleted
    pending_conflicts: frozenset[str] = frozenset()  # surfaces with unresolved conflicts


@dataclass(frozen=True)
class Policy:
    mode: str = "shared"  # "shared" | "pull" | "push"
    writable_props: frozenset[str] | None = None  # None = every prop in local.props


@dataclass(frozen=True)
class Conflict:
    surface: str
    base: Value | str | None
    local: Value | str | None
    remote: Value | str | None
    reason: str


@dataclass(frozen=True)
class Blocked:
    surface: str
    reason: str


@dataclass(frozen=True)
class PagePlan:
    """What one cycle does to one page.

    Two views of the outcome, because they differ exactly where an edit is
    held back (conflict, blocked): the file keeps the local value, the base
    must not take it, or the next cycle would see no edit and lose it.

    * ``result`` — what the FILE holds once the pushes succeed (the merged
      view, local values kept where held back, conflict markers in a
      conflicted body). None when neither the file nor the base changes.
    * ``next_base`` — what the stored BASE becomes once the pushes succeed:
      only values Notion is known to hold. None = base unchanged.
      (Additive to the original contract: storing ``result`` as the base
      would silently absorb blocked/conflicted local edits.)
    """

    key: str
    page_id: str | None
    push_props: Mapping[str, Value] = field(default_factory=dict)
    push_body: str | None = None
    create: bool = False
    result: Snapshot | None = None
    materialize: bool = False
    remove_file: bool = False
    restore_file: bool = False
    conflicts: tuple[Conflict, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    notes: tuple[str, ...] = ()
    next_base: Snapshot | None = None

    @property
    def has_actions(self) -> bool:
        """Whether the engine has anything to write, to Notion or to disk."""
        return bool(
            self.push_props
            or self.push_body is not None
            or self.create
            or self.result is not None
            or self.next_base is not None
            or self.materialize
            or self.remove_file
            or self.restore_file
        )

    @property
    def is_noop(self) -> bool:
        """Nothing to do and nothing to report."""
        return not (self.has_actions or self.conflicts or self.blocked or self.notes)
