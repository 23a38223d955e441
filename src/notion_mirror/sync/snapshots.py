"""Bridges between stored/observed Notion values, files and the planner's snapshots.

The planner compares canonical values per property id; the store keeps
Notion value objects; files hold frontmatter. This module converts between
them in one place, so every part of a cycle agrees on what "equal" means:
only the properties a file shows at top level (editable and lossless) take
part in a three-way comparison, and bodies are compared canonically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import properties
from notion_mirror.store import PageBase
from notion_mirror.sync.plan import Snapshot
from notion_mirror.sync.render import empty_value

__all__ = [
    "FileRead",
    "base_snapshot",
    "by_id",
    "read_file",
    "top_level_values",
]


def by_id(schema: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {prop["id"]: prop for prop in schema.values()}


def top_level_values(
    schema: Mapping[str, dict[str, Any]], props_by_id: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """Canonical values of the properties a file shows at top level (editable ones)."""
    out: dict[str, Any] = {}
    for prop in schema.values():
        value = props_by_id.get(prop["id"])
        if value is None or value.get("type") != prop["type"]:
            value = empty_value(prop)
        if properties.is_editable(prop, value):
            out[prop["id"]] = properties.canonical_value(prop, value)
    return out


def base_snapshot(schema: Mapping[str, dict[str, Any]], base: PageBase) -> Snapshot:
    return Snapshot(top_level_values(schema, base.properties), body_codec.canonicalize(base.body))


@dataclass(frozen=True)
class FileRead:
    data: bytes
    size: int
    mtime_ns: int | None  # None: the file moved while being read; never trust its stat


def read_file(path: Path) -> FileRead | None:
    """Read a file with a stat fingerprint that provably belongs to the bytes read."""
    try:
        before = os.stat(path)
        data = path.read_bytes()
        after = os.stat(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    stable = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
    stable = stable and len(data) == after.st_size
    return FileRead(data, len(data), after.st_mtime_ns if stable else None)
