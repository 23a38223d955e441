"""A tiny in-memory workspace for emulator unit tests: data sources, pages, users."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from notion_mirror.emulator.values import (
    ValueContext,
    build_schema,
    initial_values,
    write_values,
)

NOW = datetime(2026, 8, 14, 12, 30, tzinfo=UTC)
ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
BOT = "33333333-3333-4333-8333-333333333333"
USERS = {
    ALICE: {"object": "user", "id": ALICE, "name": "Alice", "type": "person"},
    BOB: {"object": "user", "id": BOB, "name": "Bob", "type": "person"},
    BOT: {"object": "user", "id": BOT, "name": "Mirror bot", "type": "bot"},
}


def seq_ids(prefix: str = "p") -> Any:
    counter = itertools.count(1)
    return lambda: f"{prefix}%3A{next(counter)}"


def det_uuid(seed: str) -> Any:
    counter = itertools.count(1)
    return lambda: str(uuid.uuid5(uuid.NAMESPACE_OID, f"{seed}-{next(counter)}"))


@dataclass
class World:
    schemas: dict[str, dict] = field(default_factory=dict)  # data source id -> schema
    pages: dict[str, dict] = field(default_factory=dict)  # page id -> record
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    # one option-id generator per world, so auto-created options never collide
    option_ids: Any = field(default_factory=lambda: det_uuid("opt"))

    def ctx(self) -> ValueContext:
        return ValueContext(
            users=USERS,
            page_exists=lambda pid: pid in self.pages,
            data_source_of=lambda pid: self.pages[pid]["ds"] if pid in self.pages else None,
            get_page_values=lambda pid: self.pages[pid]["values"] if pid in self.pages else None,
            schema_of_page=lambda pid: (
                self.schemas[self.pages[pid]["ds"]] if pid in self.pages else None
            ),
            get_page_meta=lambda pid: self.pages[pid]["meta"] if pid in self.pages else None,
            now=lambda: NOW,
            new_uuid=self.option_ids,
            me_id=BOT,
        )

    def add_source(self, ds: str, props: dict) -> dict:
        self.schemas[ds] = build_schema(props, new_id=seq_ids(ds[:4]), new_option_id=det_uuid(ds))
        return self.schemas[ds]

    def add_page(
        self, ds: str, props: dict | None = None, *, created: str = "2026-08-01T10:00:00.000Z"
    ) -> str:
        n = next(self.counter)
        pid = str(uuid.UUID(int=n, version=4))
        ctx = self.ctx()
        values = initial_values(self.schemas[ds], ctx=ctx)
        values, self.schemas[ds] = write_values(self.schemas[ds], values, props or {}, ctx=ctx)
        meta = {
            "id": pid,
            "created_time": created,
            "last_edited_time": created,
            "created_by": {"object": "user", "id": ALICE},
            "last_edited_by": {"object": "user", "id": BOB},
            "unique_number": n,
        }
        self.pages[pid] = {"ds": ds, "values": values, "meta": meta}
        return pid

    def record(self, pid: str) -> tuple[dict, dict, dict]:
        rec = self.pages[pid]
        return self.schemas[rec["ds"]], rec["values"], rec["meta"]


def text(s: str) -> list[dict]:
    return [{"text": {"content": s}}]
