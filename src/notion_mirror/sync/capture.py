"""Capture local changes into the durable journal.

The scan is the truth (watchers and FUSE hooks are hints that feed the same
journal): every top-level ``*.md`` file is stat'ed; a file is hashed only when
its size or mtime differs from the last known fingerprint, or when its mtime
is too recent to trust. Page files live at the top level of the mirror;
sub-folders and dot-files are the user's own and never journaled.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from notion_mirror.store import JournalEntry, StateStore
from notion_mirror.store.state import MTIME_TRUST_NS
from notion_mirror.sync.materialize import hash_bytes

__all__ = [
    "CaptureResult",
    "capture_path",
    "capture_paths",
    "is_page_file",
    "scan",
    "shown_name",
]


@dataclass(frozen=True)
class CaptureResult:
    scanned: int
    hashed: int
    journaled: list[JournalEntry]
    # Page files whose names are not valid UTF-8: never journaled (the state,
    # Notion titles and YAML are all UTF-8), reported until the user renames them.
    bad_names: list[str] = field(default_factory=list)


def shown_name(name: str) -> str:
    """A file name as text, with bytes that are not UTF-8 shown as ``\\xNN`` escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_page_file(name: str) -> bool:
    return name.endswith(".md") and not name.startswith(".") and "/" not in name and _utf8(name)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# (sha256, size, mtime_ns) per path, as plain tuples: the scan compares 10,000s of them.
_Print = tuple[str | None, int | None, int | None]


def _prints(store: StateStore) -> dict[str, _Print]:
    """What the tool last saw at each path, in one light query (tuples, no row dicts),
    then the journal on top (a journaled change is the newest thing known)."""
    cursor = store.db.execute(
        "select path, file_hash, file_size, file_mtime_ns from pages "
        "where path is not null and state = 'live'"
    )
    known: dict[str, _Print] = {row[0]: row[1:] for row in cursor}
    for path, entry in store.latest_journal().items():
        known[path] = (entry.sha256, entry.size, entry.mtime_ns)
    return known


def scan(
    root: Path, store: StateStore, *, now_ns: int | None = None, record: bool = True
) -> CaptureResult:
    """Journal every page file that changed since the tool last saw it.

    ``record=False`` (a dry run) returns the entries without journaling them.
    """
    now_ns = time.time_ns() if now_ns is None else now_ns
    # A file modified after this may change again unseen within its mtime tick.
    trusted_before = now_ns - MTIME_TRUST_NS
    known = _prints(store)
    seen: list[str] = []
    entries: list[JournalEntry] = []
    hashed = 0
    confirmed: list[tuple[str, str, int, int]] = []
    bad_names: list[str] = []
    at = _now_iso()
    # Stat only: one ``stat`` per file and tuple compares; the per-file work stays
    # within a few times a bare ``os.scandir`` + ``stat`` loop (docs/benchmarks.md).
    with os.scandir(root) as it:
        for entry in it:
            name = entry.name
            # is_page_file, inlined (a directory entry's name never holds "/").
            if (
                not name.endswith(".md")
                or name[0] == "."
                or not entry.is_file(follow_symlinks=False)
            ):
                continue
            if not _utf8(name):
                bad_names.append(name)
                continue
            seen.append(name)
            st = entry.stat(follow_symlinks=False)
            ref = known.get(name)
            if (
                ref is not None
                and ref[2] == st.st_mtime_ns
                and ref[1] == st.st_size
                and ref[0] is not None
                and st.st_mtime_ns < trusted_before
            ):
                continue
            try:
                with open(entry.path, "rb") as fh:
                    digest = hash_bytes(fh.read())
            except FileNotFoundError:
                continue  # vanished between listing and reading; the next scan sees it
            hashed += 1
            if ref is not None and digest == ref[0]:
                if st.st_mtime_ns < trusted_before and (ref[1], ref[2]) != (
                    st.st_size,
                    st.st_mtime_ns,
                ):
                    # Same bytes, tick past: let the next scans trust the stat.
                    confirmed.append((name, digest, st.st_size, st.st_mtime_ns))
                continue
            entries.append(JournalEntry(name, "changed", digest, st.st_size, st.st_mtime_ns, at))
    for path in sorted(known.keys() - set(seen)):
        if known[path][0] is not None:
            entries.append(JournalEntry(path, "deleted", None, None, None, at))
    if record:
        store.append_journal(entries)
        store.confirm_fingerprints(confirmed)
    return CaptureResult(
        scanned=len(seen), hashed=hashed, journaled=entries, bad_names=sorted(bad_names)
    )


def capture_paths(root: Path, store: StateStore, names: set[str]) -> list[JournalEntry]:
    """Journal the named paths that differ from what the tool last saw there.

    The watcher's intake: an event is only a hint, so each path is judged by
    its content now. A file the tool itself just wrote hashes to its own
    fingerprint and is not journaled (own writes are not user edits); the
    several events of an editor's save collapse into the file's final state.
    """
    known = _prints(store)
    at = _now_iso()
    entries: list[JournalEntry] = []
    for name in sorted(names):
        if not is_page_file(name):
            continue
        ref = known.get(name)
        path = root / name
        try:
            st = path.stat()
            digest = hash_bytes(path.read_bytes()) if path.is_file() else None
        except FileNotFoundError:
            if ref is not None and ref[0] is not None:
                entries.append(JournalEntry(name, "deleted", None, None, None, at))
            continue
        if digest is None or (ref is not None and digest == ref[0]):
            continue
        entries.append(JournalEntry(name, "changed", digest, st.st_size, st.st_mtime_ns, at))
    store.append_journal(entries)
    return entries


def capture_path(root: Path, store: StateStore, name: str) -> JournalEntry | None:
    """Journal one path now (used by the watcher and FUSE hooks)."""
    if not is_page_file(name):
        return None
    path = root / name
    try:
        st = path.stat()
        digest = hash_bytes(path.read_bytes())
    except FileNotFoundError:
        entry = JournalEntry(name, "deleted", None, None, None, _now_iso())
    else:
        entry = JournalEntry(name, "changed", digest, st.st_size, st.st_mtime_ns, _now_iso())
    store.append_journal([entry])
    return entry
