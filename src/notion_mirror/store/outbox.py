"""Durable intent and open conflicts: the ``outbox`` and ``conflicts`` tables.

A command is appended to the outbox (one transaction for a whole plan)
before anything is sent to Notion, and moves through
``pending -> sending -> sent -> done`` as the executor goes. Anything not
``done``/``superseded``/``failed`` after a crash is re-observed by the next
run before it acts (see ``sync.execute``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

__all__ = ["OPEN_STATUSES", "ConflictRecord", "OutboxCommand", "OutboxMixin"]

# Statuses whose outcome the next run must establish before acting on the page.
OPEN_STATUSES = ("pending", "sending", "sent", "ambiguous", "created")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class OutboxCommand:
    id: int
    page_key: str
    page_id: str | None
    kind: str  # update | create | trash | restore
    payload: dict[str, Any]
    guard: dict[str, Any]
    status: str
    client_key: str | None
    attempts: int
    created_at: str
    updated_at: str
    error: str | None


@dataclass(frozen=True)
class ConflictRecord:
    """One surface held in conflict; values are canonical JSON-able values."""

    page_id: str
    surface: str
    path: str | None
    base: Any
    local: Any
    remote: Any
    reason: str
    at: str = ""


def _command(row: dict[str, Any]) -> OutboxCommand:
    data = dict(row)
    data["payload"] = json.loads(data["payload"] or "{}")
    data["guard"] = json.loads(data["guard"] or "{}")
    data["attempts"] = data["attempts"] or 0
    return OutboxCommand(**data)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class OutboxMixin:
    db: sqlite_utils.Database

    # -- outbox ---------------------------------------------------------------

    def add_commands(self, commands: list[dict[str, Any]]) -> list[int]:
        """Append commands (page_key, page_id, kind, payload, guard, client_key) atomically."""
        ids: list[int] = []
        now = _now()
        with self.db.atomic():  # type: ignore[attr-defined]
            for cmd in commands:
                row = {
                    "page_key": cmd["page_key"],
                    "page_id": cmd.get("page_id"),
                    "kind": cmd["kind"],
                    "payload": _dumps(cmd.get("payload", {})),
                    "guard": _dumps(cmd.get("guard", {})),
                    "status": "pending",
                    "client_key": cmd.get("client_key"),
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                    "error": None,
                }
                ids.append(int(self.db["outbox"].insert(row).last_pk))  # type: ignore[union-attr]
        return ids

    def get_command(self, command_id: int) -> OutboxCommand:
        rows = list(self.db.query("select * from outbox where id = ?", [command_id]))
        if not rows:
            raise KeyError(command_id)
        return _command(rows[0])

    def set_command(self, command_id: int, status: str, **fields: Any) -> None:
        """Move a command on; ``fields`` may set page_id, error, payload, attempts."""
        updates: dict[str, Any] = {"status": status, "updated_at": _now()}
        for key, value in fields.items():
            updates[key] = _dumps(value) if key in ("payload", "guard") else value
        self.db["outbox"].update(command_id, updates)  # type: ignore[union-attr]

    def open_commands(self, *, kind: str | None = None) -> list[OutboxCommand]:
        marks = ",".join("?" * len(OPEN_STATUSES))
        sql = f"select * from outbox where status in ({marks})"
        params: list[Any] = list(OPEN_STATUSES)
        if kind is not None:
            sql += " and kind = ?"
            params.append(kind)
        return [_command(r) for r in self.db.query(sql + " order by id", params)]

    def prune_outbox(self, *, keep: int = 1000) -> None:
        """Drop finished commands beyond the newest ``keep`` (the outbox is not a log)."""
        self.db.execute(
            "delete from outbox where status in ('done', 'superseded', 'failed', 'abandoned') "
            "and id not in (select id from outbox order by id desc limit ?)",
            [keep],
        )

    # -- conflicts --------------------------------------------------------------

    def conflicts(self, page_id: str | None = None) -> list[ConflictRecord]:
        if page_id is None:
            rows = self.db.query("select * from conflicts order by path, surface")
        else:
            rows = self.db.query(
                "select * from conflicts where page_id = ? order by surface", [page_id]
            )
        out = []
        for r in rows:
            data = dict(r)
            for key in ("base", "local", "remote"):
                data[key] = json.loads(data[key]) if data[key] is not None else None
            out.append(ConflictRecord(**data))
        return out

    def put_conflict(self, record: ConflictRecord) -> None:
        row = {
            "page_id": record.page_id,
            "surface": record.surface,
            "path": record.path,
            "base": _dumps(record.base),
            "local": _dumps(record.local),
            "remote": _dumps(record.remote),
            "reason": record.reason,
            "at": record.at or _now(),
        }
        self.db["conflicts"].upsert(row, pk=("page_id", "surface"))  # type: ignore[union-attr]

    def drop_conflicts(self, page_id: str, surfaces: list[str] | None = None) -> None:
        if surfaces is None:
            self.db.execute("delete from conflicts where page_id = ?", [page_id])
            return
        for surface in surfaces:
            self.db.execute(
                "delete from conflicts where page_id = ? and surface = ?", [page_id, surface]
            )
