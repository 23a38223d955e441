"""Turn a page base and the data source schema into the exact bytes of its file.

Pure: the same (schema, base) always gives the same bytes, which is what makes
the mirror deterministic and ``git diff`` quiet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import document, properties
from notion_mirror.store import PageBase

__all__ = [
    "DELETED_PREFIX",
    "deleted_key",
    "deleted_name",
    "empty_value",
    "ordered_schema",
    "render_file",
    "render_page",
    "title_property",
]

_LIST_TYPES = {"title", "rich_text", "multi_select", "people", "files", "relation"}

# Key (in ``keep_local`` and the planner's snapshots) of a value the file holds
# for a property Notion deleted while it was edited here: the value stays in
# the file, under its old name, until the user removes it. Notion property ids
# are URL-encoded, so they never contain ':' and cannot collide with this.
DELETED_PREFIX = "deleted:"


def deleted_key(name: str) -> str:
    return DELETED_PREFIX + name


def deleted_name(key: str) -> str | None:
    """The file key behind a :func:`deleted_key`, or None for a property id."""
    return key[len(DELETED_PREFIX) :] if key.startswith(DELETED_PREFIX) else None


def ordered_schema(schema: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Schema properties in file order: the title first, then Notion's order."""
    props = list(schema.values())
    return [p for p in props if p["type"] == "title"] + [p for p in props if p["type"] != "title"]


def title_property(schema: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for prop in schema.values():
        if prop["type"] == "title":
            return prop
    raise ValueError("data source schema has no title property")


def empty_value(schema_prop: dict[str, Any]) -> dict[str, Any]:
    """The value object Notion shows for a property a page has never set."""
    kind = schema_prop["type"]
    if kind in _LIST_TYPES:
        value: Any = []
    elif kind == "checkbox":
        value = False
    else:
        value = None
    return {"id": schema_prop["id"], "type": kind, kind: value}


# Kinds whose local value is re-rendered through the codec when kept in a
# rewritten file, so it comes out in the same shape Notion's would (dates
# unquoted, numbers as numbers); other kinds keep the user's text as is.
_NORMALISED_KINDS = frozenset(
    {"date", "number", "checkbox", "select", "status", "multi_select", "url", "email"}
)


def _local_fm(prop: dict[str, Any], raw: Any) -> Any:
    kind = prop["type"]
    if kind not in _NORMALISED_KINDS:
        return raw
    try:
        payload = properties.from_frontmatter(prop, raw, path="", allow_new_options=True)
    except Exception:  # validation already ran; keep the user's text as written
        return raw
    return properties.to_frontmatter(prop, {"type": kind, kind: payload[kind]})


def render_file(
    schema: Mapping[str, dict[str, Any]],
    base: PageBase,
    *,
    keep_local: Mapping[str, Any] | None = None,
    body: str | None = None,
    conflicts: Mapping[str, Any] | None = None,
) -> bytes:
    """The file for ``base`` (Notion's values), keeping held-back local values.

    ``keep_local`` maps property id -> the frontmatter value from the user's
    file (a conflicted or unsent edit); ``body`` is the canonical body to show
    (conflict markers included) instead of the base's; ``conflicts`` becomes
    ``_notion.conflicts`` so both sides stay visible.
    """
    keep_local = keep_local or {}
    editable: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    for prop in ordered_schema(dict(schema)):
        pid = prop["id"]
        if pid in keep_local:
            editable[prop["name"]] = _local_fm(prop, keep_local[pid])
            continue
        value = base.properties.get(pid)
        if value is None or value.get("type") != prop["type"]:
            value = empty_value(prop)
        rendered = properties.to_frontmatter(prop, value)
        if properties.is_editable(prop, value):
            editable[prop["name"]] = rendered
        else:
            computed[prop["name"]] = rendered
    for key, raw in keep_local.items():
        name = deleted_name(key)
        if name is not None and name not in editable:
            editable[name] = raw  # kept as the user wrote it, after the live properties
    notion: dict[str, Any] = {"id": base.page_id, "url": base.url}
    if computed:
        notion["computed"] = computed
    if conflicts:
        notion["conflicts"] = dict(conflicts)
    text = body_codec.present(base.body if body is None else body)
    return document.render(editable, notion, text)


def render_page(schema: dict[str, dict[str, Any]], base: PageBase) -> bytes:
    """The file for ``base`` exactly as Notion holds it."""
    return render_file(schema, base)
