"""What a file written under an older schema means under the current one.

Files that were edited while the schema changed in Notion still hold the old
property names, values of the old type, or options Notion no longer has.
:class:`SchemaDrift` is the view of the mirror's schema history that lets
``read_local`` tell such drift from a typo: keys are followed by property id
(a rename), and values made invalid by Notion's change are blocked with a
reason instead of the whole file being refused. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SchemaDrift", "drift_of"]


@dataclass(frozen=True)
class SchemaDrift:
    """The former names, types and options of the current schema's properties.

    * ``aliases`` — a former name -> the id of the property that had it and
      still exists (under another name). Names more than one surviving
      property had are left out: they cannot be followed safely.
    * ``deleted`` — a former name -> the id of a property Notion deleted.
    * ``former_types`` — property id -> the types it had before its current one.
    * ``former_options`` — property id -> option names it had and lost.
    * ``former_holders`` — a name -> ids of surviving properties that had it
      before and are called something else now (ambiguous names included).
    """

    aliases: Mapping[str, str] = field(default_factory=dict)
    deleted: Mapping[str, str] = field(default_factory=dict)
    former_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    former_options: Mapping[str, frozenset[str]] = field(default_factory=dict)
    former_holders: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def current_name(self, schema: Mapping[str, Mapping[str, Any]], prop_id: str) -> str | None:
        for name, prop in schema.items():
            if prop.get("id") == prop_id:
                return str(prop.get("name", name))
        return None


def _options(prop: Mapping[str, Any]) -> set[str]:
    config = prop.get(str(prop.get("type")))
    if not isinstance(config, Mapping):
        return set()
    return {o["name"] for o in config.get("options") or [] if isinstance(o, Mapping)}


def drift_of(
    schema: Mapping[str, Mapping[str, Any]], history: Mapping[str, Mapping[str, list[str]]]
) -> SchemaDrift:
    """The drift view of ``schema`` (name -> property) given the store's history."""
    current = {str(p["id"]): p for p in schema.values() if p.get("id")}
    claims: dict[str, set[str]] = {}
    for pid, entry in history.items():
        for name in entry.get("names", []):
            claims.setdefault(name, set()).add(pid)
    aliases: dict[str, str] = {}
    deleted: dict[str, str] = {}
    holders: dict[str, frozenset[str]] = {}
    for name, pids in claims.items():
        alive = {pid for pid in pids if pid in current}
        renamed = frozenset(pid for pid in alive if current[pid].get("name") != name)
        if renamed:
            holders[name] = renamed
        if len(alive) == 1:
            pid = next(iter(alive))
            if current[pid].get("name") != name:
                aliases[name] = pid
        elif not alive and len(pids) == 1:
            deleted[name] = next(iter(pids))
    former_types: dict[str, tuple[str, ...]] = {}
    former_options: dict[str, frozenset[str]] = {}
    for pid, prop in current.items():
        entry = history.get(pid) or {}
        types = tuple(t for t in entry.get("types", []) if t != prop.get("type"))
        if types:
            former_types[pid] = types
        lost = frozenset(entry.get("options", [])) - _options(prop)
        if lost:
            former_options[pid] = lost
    return SchemaDrift(aliases, deleted, former_types, former_options, holders)
