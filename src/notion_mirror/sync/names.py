"""File names follow page titles.

A page's file is named after its title (:func:`codec.paths.assign_paths`), so
a fresh ``track`` of the same data source gives the same names. A file renamed
by hand (``mv``, a file manager) is still its page, since identity is
``_notion.id``: its edits are sent as usual, and the sync then moves it back
to its title's name. Renaming a page is done by editing its title.

Two steps keep this safe:

- :func:`record_moves`, before Notion is read: a page whose file left its
  known path and now sits, alone, under another name is recorded there, so
  that a pull which rewrites or removes the file (a page trashed in Notion)
  acts on the file that exists.
- :func:`follow_titles`, at the end of a cycle: every page whose file is
  unchanged since the tool last saw it, has no open conflict, and is not at
  its title's name is moved there with ``RENAME_NOREPLACE``. The new path is
  recorded first, so a run killed in between finds the file under its old
  name and identity resolves it again; nothing is ever renamed over a file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notion_mirror.codec import paths as paths_codec
from notion_mirror.renames import rename_noreplace
from notion_mirror.store import PageBase, StateStore
from notion_mirror.sync import materialize
from notion_mirror.sync.crash import crash_point

__all__ = [
    "NAME_NOTE",
    "RENAMED_BY_HAND",
    "WAITING",
    "Rename",
    "claimed_page",
    "follow_titles",
    "record_moves",
]

NAME_NOTE = "a file's name follows its page's title (edit the title to rename the page)"
RENAMED_BY_HAND = (
    "renamed by hand: sync moves it to its title's name (edit the title to rename the page)"
)
# State meta key: pages a pass could not move yet (edited, in conflict, name taken).
WAITING = "names_waiting"


@dataclass(frozen=True)
class Rename:
    page_id: str
    old: str
    new: str
    # None: moved. Otherwise why the file keeps its old name for now.
    kept: str | None = None


def claimed_page(path: Path) -> tuple[str, dict[str, Any]] | None:
    """The page id a file's ``_notion.id`` names, with its whole ``_notion`` mapping;
    None for a new, unreadable or invalid file (the planner reports those by name)."""
    from notion_mirror.codec import document
    from notion_mirror.notion.ids import normalize_id

    try:
        doc = document.parse(path.read_bytes(), path=path.name)
        return normalize_id(str(doc.notion.get("id", ""))), doc.notion
    except Exception:
        return None


def record_moves(root: Path, store: StateStore, journal: Mapping[str, Any]) -> list[str]:
    """Record, before Notion is read, the new name of each file renamed by hand.

    Only the unambiguous case: the known path is gone and exactly one changed
    file (at a path no other page holds) names the page. Anything else is left
    to the planner, which reports duplicates and copies by name.
    """
    gone = [p for p, e in journal.items() if e.kind == "deleted"]
    if not gone:
        return []
    live = {b.path: b.page_id for b in store.page_summaries() if b.state == "live" and b.path}
    missing = {live[p] for p in gone if p in live and not (root / p).exists()}
    if not missing:
        return []
    claims: dict[str, list[str]] = {}
    for path, entry in sorted(journal.items()):
        if entry.kind != "changed" or path in live:
            continue
        claimed = claimed_page(root / path)
        if claimed is not None and claimed[0] in missing:
            claims.setdefault(claimed[0], []).append(path)
    moved = []
    for page_id, found in sorted(claims.items()):
        base = store.get_page(page_id)
        if len(found) == 1 and base is not None:
            moved.append(base.with_changes(path=found[0]))
    store.put_pages(moved)
    return [b.page_id for b in moved]


def follow_titles(
    root: Path,
    tmp_dir: Path,
    store: StateStore,
    *,
    touched: Iterable[str] | None = None,
    dry_run: bool = False,
) -> list[Rename]:
    """Move settled page files whose name is not their title's to that name.

    ``touched``: the paths a cycle read or wrote (None: every page). Only those
    pages, and ones an earlier pass had to leave (:data:`WAITING`), can be
    misnamed: every other file got its name from the pull or from this pass.
    Looking at just those keeps a busy cycle of a large mirror from paying for
    every title.
    """
    waiting = set(json.loads(store.get_meta(WAITING) or "[]"))
    paths = None if touched is None else set(touched)
    if paths is not None and not paths and not waiting:
        return []
    live = [
        (r["page_id"], r["path"], r["title"])
        for r in store.db.query(
            "select page_id, path, title from pages where state = 'live' and path is not null"
        )
    ]
    picked = {
        pid: (path, title)
        for pid, path, title in live
        if paths is None or path in paths or pid in waiting
    }
    wanted = paths_codec.assign_paths(
        sorted((pid, title) for pid, (_, title) in picked.items()),
        taken={pid: path for pid, (path, _) in picked.items()},
        reserved=[path for pid, path, _ in live if pid not in picked],
    )
    conflicted = {c.page_id for c in store.conflicts()}
    pending: dict[str, tuple[PageBase, str]] = {}
    left: set[str] = set()
    for pid, (path, _) in sorted(picked.items()):
        if wanted[pid] == path:
            continue
        base = store.get_page(pid)
        if base is None or pid in conflicted or _status(root, base) != "unchanged":
            left.add(pid)  # an edit or a conflict settles first; then it moves
        else:
            pending[pid] = (base, wanted[pid])
    if dry_run:
        return [Rename(pid, b.path or "", new) for pid, (b, new) in sorted(pending.items())]
    moves = _move_all(root, tmp_dir, store, pending)
    left |= {m.page_id for m in moves if m.kept is not None}
    if left or waiting:
        store.set_meta(WAITING, json.dumps(sorted(left)) if left else None)
    return moves


def _status(root: Path, b: PageBase) -> str:
    assert b.path is not None
    return materialize.file_status(
        root / b.path,
        expected_hash=b.file_hash,
        expected_size=b.file_size,
        expected_mtime_ns=b.file_mtime_ns,
    )


def _move_all(
    root: Path, tmp_dir: Path, store: StateStore, pending: dict[str, tuple[PageBase, str]]
) -> list[Rename]:
    """Move files to their names; ones that swapped names go through the temp folder."""
    done: list[Rename] = []
    sources = {pid: root / b.path for pid, (b, _) in pending.items() if b.path}
    while pending:
        progressed = False
        for page_id in sorted(pending):
            base, new = pending[page_id]
            assert base.path is not None
            if os.path.lexists(root / new):
                continue  # taken (for now): no state write per retry
            _record(store, page_id, path=new)
            crash_point("before_rename")
            try:
                rename_noreplace(sources[page_id], root / new)
            except FileExistsError:
                _record(store, page_id, path=base.path)
                continue
            except FileNotFoundError:
                # Gone meanwhile: the next scan reports the deletion.
                _record(store, page_id, path=base.path)
                _drop_parked(sources[page_id], tmp_dir)
                del pending[page_id]
                progressed = True
                continue
            crash_point("after_rename")
            _drop_parked(sources[page_id], tmp_dir)
            done.append(Rename(page_id, base.path, new))
            del pending[page_id]
            progressed = True
        if progressed:
            continue
        # Each remaining destination is taken. One held by another pending
        # file (two files swapped names) frees up once that file moves: park
        # this one in the temp folder, under its destination's name, where
        # an interrupted run's recovery puts it in place.
        held = {sources[pid] for pid in pending}
        page_id = next((pid for pid in sorted(pending) if root / pending[pid][1] in held), None)
        if page_id is None:
            break
        aside = materialize.aside_path(tmp_dir, "a", pending[page_id][1])
        _record(store, page_id, path=pending[page_id][1])
        os.rename(sources[page_id], aside)
        sources[page_id] = aside
    for page_id, (base, new) in sorted(pending.items()):
        assert base.path is not None
        if sources[page_id] != root / base.path:
            with contextlib.suppress(OSError):  # else parked: `doctor` shows it
                rename_noreplace(sources[page_id], root / base.path)
                _drop_parked(sources[page_id], tmp_dir)
                _record(store, page_id, path=base.path)
        done.append(Rename(page_id, base.path, new, kept=f"{new} is taken"))
    return done


def _record(store: StateStore, page_id: str, *, path: str) -> None:
    base = store.get_page(page_id)
    if base is not None and base.path != path:
        store.put_page(base.with_changes(path=path))


def _drop_parked(source: Path, tmp_dir: Path) -> None:
    """Remove the emptied temp folder of a file that was parked there (never a
    path in the mirror: something new may sit at a moved file's old name)."""
    if tmp_dir in source.parents:
        materialize.drop_aside(source, tmp_dir)
