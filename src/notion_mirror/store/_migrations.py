"""Schema migrations of ``state.sqlite``, one function per version.

A migration runs inside a transaction together with the ``user_version``
bump, so a crash leaves the database at the old or the new version.
Never edit a released migration: add the next one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["pages"].create(
        {
            "page_id": str,
            "path": str,
            "title": str,
            "url": str,
            "last_edited_time": str,
            "observed_minute": str,
            "state": str,
            "properties": str,
            "body": str,
            "body_hash": str,
            "body_writable": int,
            "body_reason": str,
            "file_hash": str,
            "file_size": int,
            "file_mtime_ns": int,
            "remote_dirty": int,
        },
        pk="page_id",
        not_null={"state", "last_edited_time"},
        defaults={"remote_dirty": 0},
    )
    db["pages"].create_index(["path"])
    db["pages"].create_index(["state"])


def _v2(db: sqlite_utils.Database) -> None:
    # Local change capture: the scan, watchdog and FUSE all append here; the
    # engine clears entries only after it has acted on them.
    db["journal"].create(
        {
            "seq": int,
            "path": str,
            "kind": str,
            "sha256": str,
            "size": int,
            "mtime_ns": int,
            "at": str,
        },
        pk="seq",
    )
    db["journal"].create_index(["path"])
    # Durable intent: a command is recorded here before it is sent to Notion.
    db["outbox"].create(
        {
            "id": int,
            "page_key": str,
            "page_id": str,
            "kind": str,
            "payload": str,
            "guard": str,
            "status": str,
            "client_key": str,
            "attempts": int,
            "created_at": str,
            "updated_at": str,
            "error": str,
        },
        pk="id",
        not_null={"kind", "status", "payload"},
        defaults={"attempts": 0},
    )
    db["outbox"].create_index(["status"])
    db["conflicts"].create(
        {
            "page_id": str,
            "surface": str,
            "path": str,
            "base": str,
            "local": str,
            "remote": str,
            "reason": str,
            "at": str,
        },
        pk=("page_id", "surface"),
    )
    db["pages"].add_column("deletion_reported", int, not_null_default=0)


def _v3(db: sqlite_utils.Database) -> None:
    # Lazy mirrors (``track --lazy``) record a page before its body is read:
    # 0 = the stored body is a placeholder, not Notion's. Existing bases were
    # all read in full.
    db["pages"].add_column("body_fetched", int, not_null_default=1)


def _v4(db: sqlite_utils.Database) -> None:
    # 1 = a page re-adopted from its file after the state was lost: there is
    # no common base, so every difference between file and Notion is a
    # conflict until settled (never a push, never an overwrite).
    db["pages"].add_column("no_base", int, not_null_default=0)


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _v1,
    2: _v2,
    3: _v3,
    4: _v4,
}
SCHEMA_VERSION = max(MIGRATIONS)
