"""Turn a page base and the data source schema into the exact bytes of its file.

Pure: the same (schema, base) always gives the same bytes, which is what makes
the mirror deterministic and ``git diff`` quiet.
"""

from __future__ import annotations

from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.codec import document, properties
from notion_mirror.store import PageBase

__all__ = ["empty_value", "ordered_schema", "render_page", "title_property"]

_LIST_TYPES = {"title", "rich_text", "multi_select", "people", "files", "relation"}


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


def render_page(schema: dict[str, dict[str, Any]], base: PageBase) -> bytes:
    editable: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    for prop in ordered_schema(schema):
        value_obj = base.properties.get(prop["id"])
        if value_obj is None or value_obj.get("type") != prop["type"]:
            # New property, or its type changed and the base predates it.
            value_obj = empty_value(prop)
        rendered = properties.to_frontmatter(prop, value_obj)
        if properties.is_editable(prop, value_obj):
            editable[prop["name"]] = rendered
        else:
            computed[prop["name"]] = rendered
    notion: dict[str, Any] = {"id": base.page_id, "url": base.url}
    if computed:
        notion["computed"] = computed
    return document.render(editable, notion, body_codec.present(base.body))
