"""A schema and a value store that behave as Notion does, for codec round trips.

Backed by the emulator's pure value functions, so "the write payload re-applied
as Notion would store it" is the same code the integration tests talk to.
"""

from __future__ import annotations

import itertools
from typing import Any

from notion_mirror.emulator import values

DS_ID = "0f0f0f0f-0000-4000-8000-000000000000"
ADA = "7775f3a3-893f-43fa-b625-460c61094c78"
BOB = "11111111-2222-4333-8444-555555555555"
TEAM = "99999999-8888-4777-8666-555555555555"
PAGE_A = "1a2b3c4d-0000-4000-8000-000000000001"
PAGE_B = "1a2b3c4d-0000-4000-8000-000000000002"
PAGES = {PAGE_A, PAGE_B} | {f"2b000000-0000-4000-8000-{n:012d}" for n in range(120)}

SCHEMA_REQUEST: dict[str, Any] = {
    "Name": {"title": {}},
    "Notes": {"rich_text": {}},
    "Estimate": {"number": {"format": "number"}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"},
                                        {"name": "yes"}, {"name": "2026-01-01"}]}},
    "Tags": {"multi_select": {"options": [{"name": "backend"}, {"name": "urgent"},
                                          {"name": "null"}, {"name": "日本語"}]}},
    "Status": {"status": {}},
    "Due": {"date": {}},
    "Owner": {"people": {}},
    "Attachments": {"files": {}},
    "Done": {"checkbox": {}},
    "Link": {"url": {}},
    "Contact": {"email": {}},
    "Phone": {"phone_number": {}},
    "Related": {"relation": {"data_source_id": DS_ID, "single_property": {}}},
    "Where": {"place": {}},
}  # fmt: skip


class FakeNotion:
    """One page's worth of stored values over a fixed schema."""

    def __init__(self) -> None:
        counter = itertools.count()
        self.schema = values.build_schema(SCHEMA_REQUEST, new_id=lambda: f"p{next(counter)}")
        self.by_name = {p["name"]: p for p in self.schema.values()}
        self.ctx = values.ValueContext(
            users={
                ADA: {"object": "user", "id": ADA, "name": "Ada Lovelace"},
                BOB: {"object": "user", "id": BOB, "name": None},
                TEAM: {"object": "group", "id": TEAM, "name": "Team"},
            },
            page_exists=lambda pid: pid in PAGES,
            data_source_of=lambda pid: DS_ID if pid in PAGES else None,
        )
        self.values = values.initial_values(self.schema, ctx=self.ctx)

    def write(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Apply ``{name: payload}`` and return the read value object Notion would show."""
        self.values, self.schema = values.write_values(
            self.schema, self.values, {name: payload}, ctx=self.ctx
        )
        self.by_name = {p["name"]: p for p in self.schema.values()}
        return self.read(name)

    def read(self, name: str) -> dict[str, Any]:
        prop = self.by_name[name]
        raw = values.property_value(self.schema, prop["id"], self.values, {}, ctx=self.ctx)
        return {"id": prop["id"], "type": prop["type"], prop["type"]: raw}
