"""The mirror's private state: ``.notion-mirror/state.sqlite``."""

from notion_mirror.store.outbox import ConflictRecord, OutboxCommand
from notion_mirror.store.state import SCHEMA_VERSION, JournalEntry, PageBase, StateStore

__all__ = [
    "SCHEMA_VERSION",
    "ConflictRecord",
    "JournalEntry",
    "OutboxCommand",
    "PageBase",
    "StateStore",
]
