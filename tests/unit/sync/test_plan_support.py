"""Builders and a fake body merge shared by the planner tests (plus tests of the fake)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notion_mirror.sync.plan import PageInput, Snapshot

DROP: Any = object()  # in with_(): remove this prop

BASE_PROPS: dict[str, Any] = {
    "due": {"start": "2026-01-01", "end": None, "time_zone": None},
    "done": False,
    "estimate": 3,
    "status": "Todo",
    "tags": ["a", "b"],
    "title": "Fix login bug",
}
BASE_BODY = "line one\nline two\nline three"
BASE = Snapshot(BASE_PROPS, BASE_BODY)


def with_(snap: Snapshot, body: Any = DROP, **changes: Any) -> Snapshot:
    """A copy of ``snap`` with props changed (DROP removes one) and optionally a new body."""
    props = dict(snap.props)
    for pid, value in changes.items():
        if value is DROP:
            props.pop(pid, None)
        else:
            props[pid] = value
    return Snapshot(props, snap.body if body is DROP else body)


def body_lines(*replace: tuple[int, str]) -> str:
    """BASE_BODY with some lines replaced: body_lines((0, "X")) changes the first line."""
    lines = BASE_BODY.split("\n")
    for index, text in replace:
        lines[index] = text
    return "\n".join(lines)


def page(
    *,
    base: Snapshot | None = BASE,
    local: Snapshot | None = BASE,
    remote: Snapshot | None = BASE,
    key: str = "p1",
    page_id: str | None = "p1",
    local_blocked_props: Mapping[str, str] | None = None,
    pending: frozenset[str] | set[str] = frozenset(),
    **kw: Any,
) -> PageInput:
    return PageInput(
        key=key,
        page_id=page_id,
        base=base,
        local=local,
        remote=remote,
        local_blocked_props=dict(local_blocked_props or {}),
        pending_conflicts=frozenset(pending),
        **kw,
    )


def new_file(local: Snapshot | None, **kw: Any) -> PageInput:
    return page(base=None, local=local, remote=None, key="new:New page.md", page_id=None, **kw)


def fake_merge(base: str, local: str, remote: str) -> tuple[str, bool]:
    """A tiny deterministic line merge: exact when line counts agree, else one big conflict."""
    if local in (base, remote):
        return remote, True
    if remote == base:
        return local, True
    b, lo, r = base.split("\n"), local.split("\n"), remote.split("\n")
    if not len(b) == len(lo) == len(r):
        return f"<<<<<<< local\n{local}\n=======\n{remote}\n>>>>>>> notion", False
    out: list[str] = []
    clean = True
    for x, y, z in zip(b, lo, r, strict=True):
        if y == x:
            out.append(z)
        elif z in (x, y):
            out.append(y)
        else:
            clean = False
            out += ["<<<<<<< local", y, "=======", z, ">>>>>>> notion"]
    return "\n".join(out), clean


def test_fake_merge_takes_disjoint_line_edits() -> None:
    merged, clean = fake_merge("a\nb", "A\nb", "a\nB")
    assert (merged, clean) == ("A\nB", True)


def test_fake_merge_marks_same_line_edits() -> None:
    merged, clean = fake_merge("a\nb", "A\nb", "X\nb")
    assert not clean
    assert merged.startswith("<<<<<<< local\nA\n=======\nX\n>>>>>>> notion")


def test_fake_merge_gives_up_on_length_changes() -> None:
    merged, clean = fake_merge("a", "a\nb", "c")
    assert not clean
    assert ">>>>>>> notion" in merged
