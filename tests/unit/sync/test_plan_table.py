"""The planner's decision table: one named case per rule, per mode, per surface.

Modelled on Mutagen's reconcile_test.go. Each case states the whole plan it
expects: pushes, create, file flags, conflict and blocked surfaces (in order),
notes, and where it matters the resulting file view and base. An expectation
left at its default means "empty / false", so a case also proves that nothing
else happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from notion_mirror.sync.plan import PageInput, PagePlan, Policy, Snapshot, plan_page
from tests.unit.sync.test_plan_support import (
    BASE,
    BASE_BODY,
    BASE_PROPS,
    DROP,
    body_lines,
    fake_merge,
    new_file,
    page,
    with_,
)

SHARED = Policy("shared")
PULL = Policy("pull")
PUSH = Policy("push")
UNSET: Any = object()

DONE = "Done"
DOING = "Doing"
NEW_DUE = {"start": "2026-02-02", "end": None, "time_zone": None}
OTHER_DUE = {"start": "2026-03-03", "end": None, "time_zone": None}
L0 = body_lines((0, "LOCAL one"))  # local edit of line 0
R2 = body_lines((2, "REMOTE three"))  # remote edit of line 2
R0 = body_lines((0, "REMOTE one"))  # remote edit of line 0 (clashes with L0)
MERGED = body_lines((0, "LOCAL one"), (2, "REMOTE three"))
MARKED = fake_merge(BASE_BODY, L0, R0)[0]
MARKERS_BODY = "<<<<<<< local\nx\n=======\ny\n>>>>>>> notion"


@dataclass(frozen=True)
class Case:
    name: str
    page: PageInput
    policy: Policy = SHARED
    push_props: dict[str, Any] = field(default_factory=dict)
    push_body: str | None = None
    create: bool = False
    materialize: bool = False
    remove_file: bool = False
    restore_file: bool = False
    conflicts: tuple[str, ...] = ()
    blocked: tuple[tuple[str, str], ...] = ()  # (surface, reason substring)
    notes: tuple[str, ...] = ()  # substrings, one per note
    result: Any = UNSET  # Snapshot | None
    next_base: Any = UNSET  # Snapshot | None


def _cases() -> list[Case]:
    return [
        # ------------------------------------------------ properties, shared
        Case("nothing changed", page(), result=None, next_base=None),
        Case(
            "local prop edit is pushed",
            page(local=with_(BASE, status=DOING)),
            push_props={"status": DOING},
            result=with_(BASE, status=DOING),
            next_base=with_(BASE, status=DOING),
        ),
        Case(
            "remote prop edit is taken into the file",
            page(remote=with_(BASE, status=DONE)),
            materialize=True,
            result=with_(BASE, status=DONE),
            next_base=with_(BASE, status=DONE),
        ),
        Case(
            "same edit on both sides converges without a push",
            page(local=with_(BASE, status=DONE), remote=with_(BASE, status=DONE)),
            result=with_(BASE, status=DONE),
            next_base=with_(BASE, status=DONE),
        ),
        Case(
            "different edits on both sides conflict, file keeps local",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, status=DONE)),
            materialize=True,
            conflicts=("prop:status",),
            result=with_(BASE, status=DOING),
            next_base=None,
        ),
        Case(
            "disjoint prop edits merge",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, due=NEW_DUE)),
            push_props={"status": DOING},
            materialize=True,
            result=with_(BASE, status=DOING, due=NEW_DUE),
            next_base=with_(BASE, status=DOING, due=NEW_DUE),
        ),
        Case(
            "disjoint edits: one prop converges, another is pushed",
            page(
                local=with_(BASE, status=DONE, estimate=5),
                remote=with_(BASE, status=DONE),
            ),
            push_props={"estimate": 5},
            result=with_(BASE, status=DONE, estimate=5),
            next_base=with_(BASE, status=DONE, estimate=5),
        ),
        Case(
            "a conflict does not stop other props from pushing",
            page(
                local=with_(BASE, status=DOING, estimate=5),
                remote=with_(BASE, status=DONE),
            ),
            push_props={"estimate": 5},
            materialize=True,
            conflicts=("prop:status",),
            result=with_(BASE, status=DOING, estimate=5),
            next_base=with_(BASE, estimate=5),
        ),
        Case(
            "conflicts are ordered by prop id",
            page(
                local=with_(BASE, title="L", estimate=1, due=NEW_DUE),
                remote=with_(BASE, title="R", estimate=2, due=OTHER_DUE),
            ),
            materialize=True,
            conflicts=("prop:due", "prop:estimate", "prop:title"),
        ),
        Case(
            "clearing a prop is an edit like any other",
            page(local=with_(BASE, status=None)),
            push_props={"status": None},
        ),
        Case(
            "list and date values are compared whole",
            page(local=with_(BASE, tags=["a", "b", "c"], due=NEW_DUE)),
            push_props={"due": NEW_DUE, "tags": ["a", "b", "c"]},
        ),
        Case(
            "a checkbox True is not the number 1",
            page(
                base=with_(BASE, done=1), local=with_(BASE, done=True), remote=with_(BASE, done=1)
            ),
            push_props={"done": True},
        ),
        Case(
            "remote not observed reads as the base",
            page(local=with_(BASE, status=DOING), remote=None),
            push_props={"status": DOING},
        ),
        Case(
            "remote state unknown still pushes (no lifecycle action)",
            page(local=with_(BASE, status=DOING), remote=None, remote_state="unknown"),
            push_props={"status": DOING},
        ),
        Case(
            "remote state unknown and nothing changed is a no-op",
            page(remote=None, remote_state="unknown"),
            result=None,
        ),
        Case(
            "new property in Notion is taken",
            page(remote=with_(BASE, priority="High")),
            materialize=True,
            result=with_(BASE, priority="High"),
            next_base=with_(BASE, priority="High"),
        ),
        Case(
            "property deleted in Notion and unchanged locally is dropped",
            page(remote=with_(BASE, estimate=DROP)),
            materialize=True,
            result=with_(BASE, estimate=DROP),
            next_base=with_(BASE, estimate=DROP),
        ),
        Case(
            "property deleted in Notion but edited locally is blocked and kept",
            page(local=with_(BASE, estimate=5), remote=with_(BASE, estimate=DROP)),
            blocked=(("prop:estimate", "deleted in Notion"),),
            result=None,
            next_base=None,
        ),
        Case(
            "property deleted in Notion and removed from the file converges",
            page(local=with_(BASE, estimate=DROP), remote=with_(BASE, estimate=DROP)),
            result=with_(BASE, estimate=DROP),
            next_base=with_(BASE, estimate=DROP),
        ),
        Case(
            "a line removed from the file is blocked, not a clear",
            page(local=with_(BASE, status=DROP)),
            blocked=(("prop:status", "missing from the file"),),
            result=None,
        ),
        Case(
            "a line removed from the file while Notion changed it conflicts",
            page(local=with_(BASE, status=DROP), remote=with_(BASE, status=DONE)),
            materialize=True,
            conflicts=("prop:status",),
        ),
        Case(
            "an unknown key in the file is blocked",
            page(local=with_(BASE, bogus=1)),
            blocked=(("prop:bogus", "not a property"),),
        ),
        Case(
            "read-only prop edited locally is blocked",
            page(local=with_(BASE, status=DOING)),
            Policy("shared", writable_props=frozenset(BASE_PROPS) - {"status"}),
            blocked=(("prop:status", "read-only property"),),
            result=None,
        ),
        Case(
            "read-only prop changed in Notion is taken",
            page(remote=with_(BASE, status=DONE)),
            Policy("shared", writable_props=frozenset()),
            materialize=True,
            result=with_(BASE, status=DONE),
        ),
        Case(
            "read-only prop unchanged says nothing",
            page(),
            Policy("shared", writable_props=frozenset()),
            result=None,
        ),
        Case(
            "read-only prop edited to Notion's new value converges",
            page(local=with_(BASE, status=DONE), remote=with_(BASE, status=DONE)),
            Policy("shared", writable_props=frozenset()),
            next_base=with_(BASE, status=DONE),
        ),
        # ------------------------------------------------ codec-blocked props
        Case(
            "codec-blocked prop is reported even when unchanged",
            page(local_blocked_props={"status": "unknown option 'Soon'"}),
            blocked=(("prop:status", "unknown option"),),
            result=None,
        ),
        Case(
            "codec-blocked prop edited locally is never pushed",
            page(
                local=with_(BASE, status="Soon"), local_blocked_props={"status": "unknown option"}
            ),
            blocked=(("prop:status", "unknown option"),),
            result=None,
        ),
        Case(
            "codec-blocked prop unchanged locally takes Notion's change",
            page(remote=with_(BASE, status=DONE), local_blocked_props={"status": "unknown option"}),
            materialize=True,
            blocked=(("prop:status", "unknown option"),),
            result=with_(BASE, status=DONE),
        ),
        Case(
            "codec-blocked prop edited on both sides conflicts, naming the block",
            page(
                local=with_(BASE, status="Soon"),
                remote=with_(BASE, status=DONE),
                local_blocked_props={"status": "unknown option"},
            ),
            materialize=True,
            conflicts=("prop:status",),
            result=with_(BASE, status="Soon"),
            next_base=None,
        ),
        Case(
            "codec-blocked prop does not hold back other props",
            page(
                local=with_(BASE, status="Soon", estimate=8),
                local_blocked_props={"status": "unknown option"},
            ),
            push_props={"estimate": 8},
            blocked=(("prop:status", "unknown option"),),
            next_base=with_(BASE, estimate=8),
        ),
        # ------------------------------------------------ pending conflicts
        Case(
            "pending conflict: the local side is not pushed",
            page(local=with_(BASE, status=DOING), pending={"prop:status"}),
            blocked=(("prop:status", "unresolved conflict"),),
            result=None,
        ),
        Case(
            "pending conflict: Notion's side does not overwrite the file",
            page(
                local=with_(BASE, status=DOING),
                remote=with_(BASE, status=DONE),
                pending={"prop:status"},
            ),
            blocked=(("prop:status", "unresolved conflict"),),
            result=None,
            next_base=None,
        ),
        Case(
            "pending conflict: even an unchanged local value is frozen",
            page(remote=with_(BASE, status=DONE), pending={"prop:status"}),
            blocked=(("prop:status", "unresolved conflict"),),
            result=None,
        ),
        Case(
            "pending conflict on one prop, other props sync",
            page(
                local=with_(BASE, status=DOING, estimate=5),
                remote=with_(BASE, status=DONE, due=NEW_DUE),
                pending={"prop:status"},
            ),
            push_props={"estimate": 5},
            materialize=True,
            blocked=(("prop:status", "unresolved conflict"),),
            result=with_(BASE, status=DOING, estimate=5, due=NEW_DUE),
            next_base=with_(BASE, estimate=5, due=NEW_DUE),
        ),
        # ------------------------------------------------ pull mode
        Case(
            "pull: local prop edit is blocked and stays in the file",
            page(local=with_(BASE, status=DOING)),
            PULL,
            blocked=(("prop:status", "pull mode"),),
            result=None,
            next_base=None,
        ),
        Case(
            "pull: remote prop edit is taken",
            page(remote=with_(BASE, status=DONE)),
            PULL,
            materialize=True,
            result=with_(BASE, status=DONE),
        ),
        Case(
            "pull: same edit on both sides converges",
            page(local=with_(BASE, status=DONE), remote=with_(BASE, status=DONE)),
            PULL,
            next_base=with_(BASE, status=DONE),
        ),
        Case(
            "pull: different edits conflict",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, status=DONE)),
            PULL,
            materialize=True,
            conflicts=("prop:status",),
        ),
        Case(
            "pull: remote change merges beside a held-back local edit",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, due=NEW_DUE)),
            PULL,
            materialize=True,
            blocked=(("prop:status", "pull mode"),),
            result=with_(BASE, status=DOING, due=NEW_DUE),
            next_base=with_(BASE, due=NEW_DUE),
        ),
        Case(
            "pull: local body edit is blocked",
            page(local=with_(BASE, body=L0)),
            PULL,
            blocked=(("body", "pull mode"),),
            result=None,
        ),
        Case(
            "pull: remote body edit is taken",
            page(remote=with_(BASE, body=R2)),
            PULL,
            materialize=True,
            result=with_(BASE, body=R2),
        ),
        Case(
            "pull: clean body merge is kept locally, base moves to Notion's",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R2)),
            PULL,
            materialize=True,
            blocked=(("body", "pull mode"),),
            result=with_(BASE, body=MERGED),
            next_base=with_(BASE, body=R2),
        ),
        Case(
            "pull: clashing body edits write markers",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R0)),
            PULL,
            materialize=True,
            conflicts=("body",),
            result=with_(BASE, body=MARKED),
            next_base=None,
        ),
        Case(
            "pull: a new file is not created",
            new_file(with_(BASE, body="hello")),
            PULL,
            blocked=(("create", "pull mode: new files are not created"),),
            result=None,
        ),
        Case(
            "pull: a deleted file is reported, not trashed",
            page(local=None),
            PULL,
            notes=("deleted locally; run `notion-mirror trash",),
        ),
        # ------------------------------------------------ push mode
        Case(
            "push: local prop edit is pushed",
            page(local=with_(BASE, status=DOING)),
            PUSH,
            push_props={"status": DOING},
        ),
        Case(
            "push: remote edit of an untouched prop is taken",
            page(remote=with_(BASE, status=DONE)),
            PUSH,
            materialize=True,
            result=with_(BASE, status=DONE),
        ),
        Case(
            "push: remote edit under a local edit is a conflict",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, status=DONE)),
            PUSH,
            materialize=True,
            conflicts=("prop:status",),
            result=with_(BASE, status=DOING),
        ),
        Case(
            "push: disjoint edits merge",
            page(local=with_(BASE, status=DOING), remote=with_(BASE, due=NEW_DUE)),
            PUSH,
            push_props={"status": DOING},
            materialize=True,
            result=with_(BASE, status=DOING, due=NEW_DUE),
        ),
        Case(
            "push: local body edit is pushed",
            page(local=with_(BASE, body=L0)),
            PUSH,
            push_body=L0,
            next_base=with_(BASE, body=L0),
        ),
        Case(
            "push: remote body edit is taken when the body is untouched locally",
            page(remote=with_(BASE, body=R2)),
            PUSH,
            materialize=True,
            result=with_(BASE, body=R2),
        ),
        Case(
            "push: both bodies changed is a conflict, no merge, file keeps local",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R2)),
            PUSH,
            materialize=True,
            conflicts=("body",),
            result=with_(BASE, body=L0),
            next_base=None,
        ),
        Case(
            "push: a new file is created",
            new_file(Snapshot({"title": "New"}, "hello")),
            PUSH,
            push_props={"title": "New"},
            push_body="hello",
            create=True,
            materialize=True,
            notes=("created in Notion",),
        ),
        Case(
            "push: a trashed page with an unchanged file is removed",
            page(remote_state="trashed"),
            PUSH,
            remove_file=True,
            notes=("trashed in Notion",),
        ),
        # ------------------------------------------------ body, shared
        Case(
            "local body edit is pushed",
            page(local=with_(BASE, body=L0)),
            push_body=L0,
            result=with_(BASE, body=L0),
            next_base=with_(BASE, body=L0),
        ),
        Case(
            "remote body edit is taken",
            page(remote=with_(BASE, body=R2)),
            materialize=True,
            result=with_(BASE, body=R2),
            next_base=with_(BASE, body=R2),
        ),
        Case(
            "same body edit on both sides converges",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=L0)),
            result=with_(BASE, body=L0),
            next_base=with_(BASE, body=L0),
        ),
        Case(
            "disjoint body edits merge cleanly and push the merge",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R2)),
            push_body=MERGED,
            materialize=True,
            result=with_(BASE, body=MERGED),
            next_base=with_(BASE, body=MERGED),
        ),
        Case(
            "a merge equal to Notion's body is taken, not pushed",
            page(
                local=with_(BASE, body=L0),
                remote=with_(BASE, body=body_lines((0, "LOCAL one"), (1, "R"))),
            ),
            materialize=True,
            result=with_(BASE, body=body_lines((0, "LOCAL one"), (1, "R"))),
        ),
        Case(
            "clashing body edits write markers and never push",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R0)),
            materialize=True,
            conflicts=("body",),
            result=with_(BASE, body=MARKED),
            next_base=None,
        ),
        Case(
            "unwritable body: local edit is blocked with the reason",
            page(
                local=with_(BASE, body=L0),
                body_writable=False,
                body_reason="unsupported block: synced_block",
            ),
            blocked=(("body", "unsupported block: synced_block"),),
            result=None,
        ),
        Case(
            "unwritable body without a reason still says why",
            page(local=with_(BASE, body=L0), body_writable=False),
            blocked=(("body", "cannot be written"),),
        ),
        Case(
            "unwritable body: remote edit is taken",
            page(remote=with_(BASE, body=R2), body_writable=False, body_reason="truncated"),
            materialize=True,
            result=with_(BASE, body=R2),
        ),
        Case(
            "unwritable body: clean merge is kept locally, not pushed",
            page(
                local=with_(BASE, body=L0),
                remote=with_(BASE, body=R2),
                body_writable=False,
                body_reason="truncated",
            ),
            materialize=True,
            blocked=(("body", "truncated"),),
            result=with_(BASE, body=MERGED),
            next_base=with_(BASE, body=R2),
        ),
        Case(
            "body with conflict markers is never pushed",
            page(local=with_(BASE, body=MARKERS_BODY), body_has_conflict_markers=True),
            blocked=(("body", "resolve the conflict markers first"),),
            result=None,
        ),
        Case(
            "body with conflict markers is not merged with Notion's change",
            page(
                local=with_(BASE, body=MARKERS_BODY),
                remote=with_(BASE, body=R2),
                body_has_conflict_markers=True,
            ),
            blocked=(("body", "conflict markers"),),
            result=None,
        ),
        Case(
            "body with conflict markers in pull mode: markers win the reason",
            page(local=with_(BASE, body=MARKERS_BODY), body_has_conflict_markers=True),
            PULL,
            blocked=(("body", "conflict markers"),),
        ),
        Case(
            "body with markers but pending conflict: unresolved",
            page(
                local=with_(BASE, body=MARKED),
                remote=with_(BASE, body=R0),
                body_has_conflict_markers=True,
                pending={"body"},
            ),
            blocked=(("body", "unresolved conflict"),),
            result=None,
        ),
        Case(
            "body not read locally counts as unchanged",
            page(local=with_(BASE, body=None)),
            result=None,
        ),
        Case(
            "body not read locally still takes Notion's change",
            page(local=with_(BASE, body=None), remote=with_(BASE, body=R2)),
            materialize=True,
            result=with_(BASE, body=R2),
        ),
        Case(
            "body not read from Notion reads as the base",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=None)),
            push_body=L0,
        ),
        Case(
            "pending body conflict: not pushed, not overwritten",
            page(local=with_(BASE, body=L0), remote=with_(BASE, body=R2), pending={"body"}),
            blocked=(("body", "unresolved conflict"),),
            result=None,
        ),
        Case(
            "body base unknown: a local edit is not sent blind",
            page(base=with_(BASE, body=None), local=with_(BASE, body=L0), remote=None),
            blocked=(("body", "has not been read"),),
        ),
        Case(
            "body base unknown, both sides differ: conflict",
            page(
                base=with_(BASE, body=None),
                local=with_(BASE, body=L0),
                remote=with_(BASE, body=R2),
            ),
            materialize=True,
            conflicts=("body",),
        ),
        Case(
            "local body edit and remote prop edit both survive",
            page(local=with_(BASE, body=L0), remote=with_(BASE, status=DONE)),
            push_body=L0,
            materialize=True,
            result=with_(BASE, body=L0, status=DONE),
            next_base=with_(BASE, body=L0, status=DONE),
        ),
        Case(
            "prop conflict and body push in one plan",
            page(
                local=with_(BASE, body=L0, status=DOING),
                remote=with_(BASE, status=DONE),
            ),
            push_body=L0,
            materialize=True,
            conflicts=("prop:status",),
            next_base=with_(BASE, body=L0),
        ),
        # ------------------------------------------------ lifecycle
        Case(
            "deleted locally, first time: reported only, never trashed",
            page(local=None),
            notes=("deleted locally; run `notion-mirror trash <file>`",),
            result=None,
            next_base=None,
        ),
        Case(
            "deleted locally, first time, Notion changed too: still only reported",
            page(local=None, remote=with_(BASE, status=DONE)),
            notes=("deleted locally",),
            result=None,
        ),
        Case(
            "deleted locally and already reported: the file is restored",
            page(local=None, deletion_reported=True),
            materialize=True,
            restore_file=True,
            notes=("restored",),
            result=BASE,
            next_base=BASE,
        ),
        Case(
            "restore uses Notion's latest state",
            page(local=None, remote=with_(BASE, status=DONE, body=None), deletion_reported=True),
            materialize=True,
            restore_file=True,
            notes=("restored",),
            result=with_(BASE, status=DONE),
        ),
        Case(
            "deleted locally, Notion state unknown: restore waits",
            page(local=None, remote=None, remote_state="unknown", deletion_reported=True),
            notes=("unknown",),
        ),
        Case(
            "deleted locally and trashed in Notion: nothing to do",
            page(local=None, remote_state="trashed"),
            notes=("trashed in Notion",),
        ),
        Case(
            "deleted locally and gone from Notion: nothing to do",
            page(local=None, remote=None, remote_state="gone", deletion_reported=True),
            notes=("no longer visible",),
        ),
        Case(
            "trashed in Notion, file unchanged: removed",
            page(remote_state="trashed"),
            remove_file=True,
            notes=("trashed in Notion",),
        ),
        Case(
            "trashed in Notion, file not observed remotely: removed",
            page(remote=None, remote_state="trashed"),
            remove_file=True,
            notes=("trashed in Notion",),
        ),
        Case(
            "trashed in Notion, prop edited locally: lifecycle conflict, no push",
            page(local=with_(BASE, status=DOING), remote_state="trashed"),
            conflicts=("lifecycle",),
        ),
        Case(
            "trashed in Notion, body edited locally: lifecycle conflict",
            page(local=with_(BASE, body=L0), remote_state="trashed"),
            conflicts=("lifecycle",),
        ),
        Case(
            "trashed in Notion, file has an extra key: not removed",
            page(local=with_(BASE, bogus=1), remote_state="trashed"),
            conflicts=("lifecycle",),
        ),
        Case(
            "trashed in Notion with an unresolved conflict: not removed",
            page(remote_state="trashed", pending={"prop:status"}),
            conflicts=("lifecycle",),
        ),
        Case(
            "trashed in Notion, lifecycle conflict pending: still blocked",
            page(local=with_(BASE, status=DOING), remote_state="trashed", pending={"lifecycle"}),
            blocked=(("lifecycle", "unresolved conflict"),),
        ),
        Case(
            "trashed in Notion, pull mode, file unchanged: removed",
            page(remote_state="trashed"),
            PULL,
            remove_file=True,
            notes=("trashed in Notion",),
        ),
        Case(
            "gone from Notion: kept locally, blocked",
            page(remote=None, remote_state="gone"),
            blocked=(("lifecycle", "no longer visible to the integration; kept locally"),),
        ),
        Case(
            "gone from Notion with a local edit: kept, nothing pushed",
            page(local=with_(BASE, status=DOING), remote=None, remote_state="gone"),
            blocked=(("lifecycle", "no longer visible"),),
            result=None,
        ),
        Case(
            "new in Notion, never synced: the file is written",
            page(base=None, local=None, remote=BASE),
            materialize=True,
            notes=("new in Notion",),
            result=BASE,
            next_base=BASE,
        ),
        Case(
            "file with an id but no base: equal sides converge",
            page(base=None),
            next_base=BASE,
        ),
        Case(
            "file with an id but no base: differing props conflict",
            page(base=None, local=with_(BASE, status=DOING)),
            materialize=True,
            conflicts=("prop:status",),
        ),
        Case(
            "file with an id but no base, Notion not read: nothing decided",
            page(base=None, local=with_(BASE, status=DOING), remote=None),
            blocked=(("page", "no synced state"),),
        ),
        # ------------------------------------------------ create
        Case(
            "new file is created with its props and body",
            new_file(Snapshot({"title": "New", "status": DOING}, "hello")),
            push_props={"status": DOING, "title": "New"},
            push_body="hello",
            create=True,
            materialize=True,
            notes=("created in Notion",),
            result=Snapshot({"status": DOING, "title": "New"}, "hello"),
            next_base=Snapshot({"status": DOING, "title": "New"}, "hello"),
        ),
        Case(
            "new file with an empty body is created with it",
            new_file(Snapshot({"title": "New"}, "")),
            push_props={"title": "New"},
            push_body="",
            create=True,
            materialize=True,
            notes=("created",),
        ),
        Case(
            "new file: a codec-blocked prop is left out of the create and reported",
            new_file(
                Snapshot({"title": "New", "status": "Soon"}, "x"),
                local_blocked_props={"status": "unknown option 'Soon'"},
            ),
            push_props={"title": "New"},
            push_body="x",
            create=True,
            materialize=True,
            blocked=(("prop:status", "unknown option"),),
            notes=("created",),
            result=Snapshot({"status": "Soon", "title": "New"}, "x"),
            next_base=Snapshot({"title": "New"}, "x"),
        ),
        Case(
            "new file: a read-only prop is left out of the create",
            new_file(Snapshot({"title": "New", "status": DOING}, "x")),
            Policy("shared", writable_props=frozenset({"title"})),
            push_props={"title": "New"},
            push_body="x",
            create=True,
            materialize=True,
            blocked=(("prop:status", "read-only"),),
            notes=("created",),
        ),
        Case(
            "new file with conflict markers: created without the body",
            new_file(Snapshot({"title": "New"}, MARKERS_BODY), body_has_conflict_markers=True),
            push_props={"title": "New"},
            create=True,
            materialize=True,
            blocked=(("body", "conflict markers"),),
            notes=("created",),
        ),
        Case(
            "new file that does not parse is not created",
            new_file(None, local_error="line 3: bad YAML"),
            blocked=(("create", "line 3: bad YAML"),),
        ),
        Case(
            "new file that disappeared again: nothing",
            new_file(None),
            result=None,
        ),
        # ------------------------------------------------ unreadable file
        Case(
            "unreadable file: the page is blocked with the parse error",
            page(local=None, local_error="Status: line 4: not a string"),
            blocked=(("page", "line 4"),),
            result=None,
            next_base=None,
        ),
        Case(
            "unreadable file: Notion's changes wait, the file is not rewritten",
            page(
                local=None,
                remote=with_(BASE, status=DONE, body=R2),
                local_error="bad YAML",
            ),
            blocked=(("page", "bad YAML"),),
            notes=("changed in Notion, applied once the file is fixed: prop:status, body",),
            result=None,
            next_base=None,
        ),
        Case(
            "unreadable file: a trashed page is not removed",
            page(local=None, remote_state="trashed", local_error="bad YAML"),
            blocked=(("page", "bad YAML"),),
            notes=("trashed in Notion; kept",),
        ),
        Case(
            "unreadable file in push mode: nothing is sent",
            page(local=BASE, local_error="bad YAML", remote=with_(BASE, estimate=DROP)),
            PUSH,
            blocked=(("page", "bad YAML"),),
            notes=("prop:estimate",),
        ),
    ]


CASES = _cases()


def test_case_names_are_unique_and_many() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 60


def _check(case: Case, plan: PagePlan) -> None:
    assert dict(plan.push_props) == case.push_props
    assert plan.push_body == case.push_body
    assert plan.create is case.create
    assert plan.materialize is case.materialize
    assert plan.remove_file is case.remove_file
    assert plan.restore_file is case.restore_file
    assert tuple(c.surface for c in plan.conflicts) == case.conflicts
    assert [b.surface for b in plan.blocked] == [s for s, _ in case.blocked]
    for got, (_, reason) in zip(plan.blocked, case.blocked, strict=True):
        assert reason in got.reason
    assert len(plan.notes) == len(case.notes), plan.notes
    for got, want in zip(plan.notes, case.notes, strict=True):
        assert want in got
    if case.result is not UNSET:
        assert plan.result == case.result
    if case.next_base is not UNSET:
        assert plan.next_base == case.next_base
    assert plan.key == case.page.key
    assert plan.page_id == case.page.page_id


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_table(case: Case) -> None:
    plan = plan_page(case.page, case.policy, merge_body=fake_merge)
    _check(case, plan)
    # Every decision is deterministic: planning twice gives the same plan.
    assert plan_page(case.page, case.policy, merge_body=fake_merge) == plan


def test_is_noop_only_when_nothing_to_do_or_say() -> None:
    assert plan_page(page(), SHARED, merge_body=fake_merge).is_noop
    reported = plan_page(page(local=None), SHARED, merge_body=fake_merge)
    assert not reported.is_noop
    assert not reported.has_actions


def test_conflict_values_show_all_three_sides() -> None:
    plan = plan_page(
        page(local=with_(BASE, status=DOING), remote=with_(BASE, status=DONE)),
        SHARED,
        merge_body=fake_merge,
    )
    (conflict,) = plan.conflicts
    assert (conflict.base, conflict.local, conflict.remote) == ("Todo", DOING, DONE)
    assert conflict.reason


def test_body_conflict_carries_the_texts() -> None:
    plan = plan_page(
        page(local=with_(BASE, body=L0), remote=with_(BASE, body=R0)),
        SHARED,
        merge_body=fake_merge,
    )
    (conflict,) = plan.conflicts
    assert (conflict.base, conflict.local, conflict.remote) == (BASE_BODY, L0, R0)


def test_merge_is_not_called_when_one_side_is_unchanged() -> None:
    def refuse(base: str, local: str, remote: str) -> tuple[str, bool]:
        raise AssertionError("merge called")

    plan_page(page(local=with_(BASE, body=L0)), SHARED, merge_body=refuse)
    plan_page(page(remote=with_(BASE, body=R2)), SHARED, merge_body=refuse)
    plan_page(
        page(local=with_(BASE, body=L0), remote=with_(BASE, body=R2)), PUSH, merge_body=refuse
    )


@pytest.mark.parametrize(
    ("input_", "policy"),
    [
        (page(), Policy("both")),
        (page(remote_state="deleted"), SHARED),
        (page(page_id=None), SHARED),
    ],
    ids=["unknown mode", "unknown remote state", "base without page id"],
)
def test_inconsistent_input_is_refused(input_: PageInput, policy: Policy) -> None:
    with pytest.raises(ValueError):
        plan_page(input_, policy, merge_body=fake_merge)
