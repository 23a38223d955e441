"""The mirror's private state database, ``.notion-mirror/state.sqlite``.

It holds what the planner needs to tell a local edit from a remote one: the
*base* of every page (the Notion state last synced, canonical), the
fingerprint of the file the tool last wrote for it, the data source schema
and the incremental-sync checkpoints.

Warning: one process writes at a time. The database runs in WAL mode so
readers (``status``) never block the writer, and every multi-row change goes
through :meth:`StateStore.atomic`. Never hold a transaction across a network
call: record intent, commit, call, record the result.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from notion_mirror.store._migrations import MIGRATIONS, SCHEMA_VERSION
from notion_mirror.store.outbox import OutboxMixin

__all__ = [
    "MTIME_TRUST_NS",
    "SCHEMA_HISTORY",
    "SCHEMA_VERSION",
    "JournalEntry",
    "PageBase",
    "StateStore",
    "trusted_mtime",
]

SCHEMA_HISTORY = "schema_history"

# A file modified this recently may change again within the same mtime tick with
# the same size (coarse timestamps: 1 s on many filesystems, 2 s on FAT).
MTIME_TRUST_NS = 2_000_000_000


def trusted_mtime(mtime_ns: int | None, now_ns: int | None = None) -> int | None:
    """``mtime_ns`` if a fingerprint taken now may vouch for the file by its stat alone.

    A fingerprint taken within the file's mtime tick is "racily clean" (git's
    term): a same-size write later in that tick keeps size and mtime, so such a
    fingerprint is stored without its mtime and the next scan hashes the file
    instead of trusting its stat (then confirms the stat once the tick is past).
    """
    if mtime_ns is None:
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    return mtime_ns if now_ns - mtime_ns > MTIME_TRUST_NS else None


@dataclass(frozen=True)
class JournalEntry:
    """One captured local change: ``kind`` is ``changed`` or ``deleted``."""

    path: str
    kind: str
    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    at: str = ""
    seq: int | None = None


@dataclass(frozen=True)
class PageBase:
    """What the mirror last agreed with Notion for one page.

    ``properties`` maps property *id* to the Notion value object, so a property
    renamed in Notion keeps its base. ``file_*`` describe the bytes the tool
    last wrote at ``path``: a file that no longer matches them was edited
    locally.
    """

    page_id: str
    path: str | None
    title: str
    url: str
    last_edited_time: str
    observed_minute: str
    state: str = "live"  # live | trashed | inaccessible
    properties: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_hash: str = ""
    body_writable: bool = True
    body_reason: str | None = None
    file_hash: str | None = None
    file_size: int | None = None
    file_mtime_ns: int | None = None
    # Notion changed but the file had local edits, so the change was not
    # materialised; the next sync re-reads the page by id.
    remote_dirty: bool = False
    # The file was found missing and reported once; the next sync restores it.
    deletion_reported: bool = False
    # False in a lazy mirror until the body is read: ``body`` is then a
    # placeholder (empty), never Notion's text, and must not be written over.
    body_fetched: bool = True
    # Re-adopted from a file after the state was lost: no common base yet.
    no_base: bool = False

    def with_changes(self, **changes: Any) -> PageBase:
        return replace(self, **changes)


_JSON_FIELDS = ("properties",)


def _remember(history: dict[str, dict[str, list[str]]], schema: dict[str, Any]) -> None:
    """Add the names, types and options of ``schema`` to ``history`` (in place)."""
    for prop in schema.values():
        if not isinstance(prop, dict) or not prop.get("id"):
            continue
        entry = history.setdefault(str(prop["id"]), {"names": [], "types": [], "options": []})
        kind = prop.get("type")
        config = prop.get(kind) if isinstance(kind, str) else None
        options = config.get("options") if isinstance(config, dict) else None
        found = (
            ("names", [prop.get("name")]),
            ("types", [kind]),
            ("options", [o.get("name") for o in options or [] if isinstance(o, dict)]),
        )
        for key, values in found:
            seen = entry.setdefault(key, [])
            seen.extend(v for v in values if isinstance(v, str) and v not in seen)


def _to_row(base: PageBase) -> dict[str, Any]:
    row = asdict(base)
    row["file_mtime_ns"] = trusted_mtime(base.file_mtime_ns)
    for name in _JSON_FIELDS:
        row[name] = json.dumps(row[name], sort_keys=True, ensure_ascii=False)
    row["body_writable"] = int(base.body_writable)
    row["remote_dirty"] = int(base.remote_dirty)
    row["deletion_reported"] = int(base.deletion_reported)
    row["body_fetched"] = int(base.body_fetched)
    row["no_base"] = int(base.no_base)
    return row


def _from_row(row: dict[str, Any]) -> PageBase:
    data = dict(row)
    for name in _JSON_FIELDS:
        data[name] = json.loads(data[name]) if data[name] else {}
    data["body_writable"] = bool(data["body_writable"])
    data["remote_dirty"] = bool(data.get("remote_dirty"))
    data["deletion_reported"] = bool(data.get("deletion_reported"))
    data["body_fetched"] = bool(data.get("body_fetched", 1))
    data["no_base"] = bool(data.get("no_base", 0))
    return PageBase(**data)


class StateStore(OutboxMixin):
    """Typed access to ``state.sqlite``; opening it applies pending migrations."""

    def __init__(self, path: Path, *, any_thread: bool = False) -> None:
        """``any_thread``: the connection may be used from several threads (the
        caller serialises its use, e.g. the mount's FUSE callbacks under a lock)."""
        self.path = Path(path)
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if new:
            # The state can describe private pages: create it readable by the user only.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        if any_thread:
            self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
        else:
            self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 10000")
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.enable_wal()
        self._migrate()

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            from notion_mirror.errors import UsageError

            raise UsageError(
                f"{self.path} was written by a newer notion-mirror (state version {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade notion-mirror"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.db.atomic():
                MIGRATIONS[target](self.db)
                self.db.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # -- meta and checkpoints ---------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = list(self.db.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("delete from meta where key = ?", [key])
        else:
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    # -- schema -------------------------------------------------------------

    def get_schema(self) -> dict[str, Any] | None:
        raw = self.get_meta("schema")
        return json.loads(raw) if raw else None

    def set_schema(self, schema: dict[str, Any], schema_hash: str) -> None:
        with self.atomic():
            history = self.get_schema_history()
            if not history:
                # First history for an older mirror: what the files were written with.
                _remember(history, self.get_schema() or {})
            _remember(history, schema)
            # Key order is kept: it is the order properties appear in files.
            self.set_meta("schema", json.dumps(schema, ensure_ascii=False))
            self.set_meta("schema_hash", schema_hash)
            self.set_meta(SCHEMA_HISTORY, json.dumps(history, ensure_ascii=False, sort_keys=True))

    def get_schema_history(self) -> dict[str, dict[str, list[str]]]:
        """Every name, type and option each property id has had in a stored schema.

        ``{id: {"names": [...], "types": [...], "options": [...]}}``, oldest first.
        Files edited before a schema change still use the old names, types and
        options; this is what lets a sync tell drift from a typo.
        """
        raw = self.get_meta(SCHEMA_HISTORY)
        return json.loads(raw) if raw else {}

    # -- pages --------------------------------------------------------------

    def get_page(self, page_id: str) -> PageBase | None:
        rows = list(self.db.query("select * from pages where page_id = ?", [page_id]))
        return _from_row(rows[0]) if rows else None

    def page_summaries(self) -> list[PageBase]:
        """Every page WITHOUT its properties and body (empty), for decisions over all pages.

        Decoding every page's stored values dominates a no-op cycle of a large
        mirror; what pull decides per page needs only the scalar columns.
        Never write a summary back: load the page with :meth:`get_page` first.
        """
        cols = [c.name for c in self.db["pages"].columns if c.name not in ("properties", "body")]
        rows = self.db.query(f"select {', '.join(cols)} from pages order by page_id")
        out = []
        for r in rows:
            out.append(_from_row({**r, "properties": None, "body": ""}))
        return out

    def pages(self, *, state: str | None = None) -> list[PageBase]:
        if state is None:
            rows = self.db.query("select * from pages order by page_id")
        else:
            rows = self.db.query("select * from pages where state = ? order by page_id", [state])
        return [_from_row(r) for r in rows]

    def page_by_path(self, path: str) -> PageBase | None:
        rows = list(self.db.query("select * from pages where path = ?", [path]))
        return _from_row(rows[0]) if rows else None

    def put_page(self, base: PageBase) -> None:
        self.db["pages"].upsert(_to_row(base), pk="page_id")

    def put_pages(self, bases: list[PageBase]) -> None:
        if bases:
            with self.atomic():
                self.db["pages"].upsert_all([_to_row(b) for b in bases], pk="page_id")

    def forget_page(self, page_id: str) -> None:
        """Drop a page's row (one recorded ahead of a write that did not happen)."""
        self.db.execute("delete from pages where page_id = ?", [page_id])

    def has_file_hash(self, digest: str) -> bool:
        """Whether the tool wrote (or last saw) exactly these bytes for some page."""
        row = self.db.execute("select 1 from pages where file_hash = ? limit 1", [digest])
        return row.fetchone() is not None

    def confirm_fingerprints(self, seen: list[tuple[str, str, int, int]]) -> None:
        """Record the stat of files found, by hashing, to hold their fingerprinted bytes.

        ``seen`` holds (path, sha256, size, mtime_ns) of files whose mtime tick is
        past: from now on the scan may trust their stat again. A row whose stored
        hash differs (the file holds an edit) is left as it is.
        """
        if seen:
            with self.atomic():
                self.db.conn.executemany(
                    "update pages set file_size = ?, file_mtime_ns = ? "
                    "where path = ? and state = 'live' and file_hash = ?",
                    [(size, mtime, path, digest) for path, digest, size, mtime in seen],
                )

    def unfetched_page_at(self, path: str) -> str | None:
        """The id of the live page at ``path`` whose body was not fetched yet, if any."""
        row = self.db.execute(
            "select page_id from pages where path = ? and state = 'live' and body_fetched = 0",
            [path],
        ).fetchone()
        return str(row[0]) if row else None

    def count_unfetched(self) -> int:
        """Live pages whose body was not fetched yet (lazy mirrors)."""
        return int(
            self.db.execute(
                "select count(*) from pages where state = 'live' and body_fetched = 0"
            ).fetchone()[0]
        )

    def count_pages(self, *, state: str = "live") -> int:
        return int(
            self.db.execute("select count(*) from pages where state = ?", [state]).fetchone()[0]
        )

    # -- journal of local changes ------------------------------------------------

    def append_journal(self, entries: list[JournalEntry]) -> None:
        """Record local changes durably (one transaction)."""
        if not entries:
            return
        with self.atomic():
            self.db["journal"].insert_all(
                [
                    {
                        "path": e.path,
                        "kind": e.kind,
                        "sha256": e.sha256,
                        "size": e.size,
                        "mtime_ns": trusted_mtime(e.mtime_ns),
                        "at": e.at,
                    }
                    for e in entries
                ]
            )

    def journal(self) -> list[JournalEntry]:
        rows = self.db.query("select * from journal order by seq")
        return [JournalEntry(**r) for r in rows]

    def latest_journal(self) -> dict[str, JournalEntry]:
        """The newest entry per path."""
        out: dict[str, JournalEntry] = {}
        for entry in self.journal():
            out[entry.path] = entry
        return out

    def clear_journal(self, paths: set[str], *, up_to_seq: int) -> None:
        """Forget entries for ``paths`` recorded up to ``up_to_seq`` (acted upon)."""
        if not paths:
            return
        with self.atomic():
            for path in paths:
                self.db.execute(
                    "delete from journal where path = ? and seq <= ?", [path, up_to_seq]
                )
