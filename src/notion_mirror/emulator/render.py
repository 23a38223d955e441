"""Response objects in Notion 2026-03-11 shapes (recorded fixtures minus ``archived``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from notion_mirror.emulator import ids, values
from notion_mirror.emulator.workspace import Workspace


def user_ref(user_id: str) -> dict[str, str]:
    return {"object": "user", "id": user_id}


def _wants(prop: dict[str, Any], wanted: list[str] | None) -> bool:
    if wanted is None:
        return True
    return any(w in (prop["id"], unquote(prop["id"]), prop["name"]) for w in wanted)


def page_object(
    ws: Workspace, page: dict[str, Any], *, filter_properties: list[str] | None = None
) -> dict[str, Any]:
    schema = ws.schema_of(page)
    view = values.property_view(schema, page["values"], ws.page_meta(page), ctx=ws.value_context())
    if filter_properties is not None:
        keep = {p["name"] for p in schema.values() if _wants(p, filter_properties)}
        view = {k: v for k, v in view.items() if k in keep}
    parent = page["parent"]
    return {
        "object": "page",
        "id": page["id"],
        "created_time": page["created_time"],
        "last_edited_time": page["last_edited_time"],
        "created_by": user_ref(page["created_by"]),
        "last_edited_by": user_ref(page["last_edited_by"]),
        "cover": page["cover"],
        "icon": page["icon"],
        "parent": dict(parent),
        "in_trash": page["in_trash"],
        "is_archived": page["is_archived"],
        "is_locked": page["is_locked"],
        "properties": view,
        "url": ids.page_url(page["id"]),
        "public_url": None,
    }


def database_object(ws: Workspace, db: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "database",
        "id": db["id"],
        "title": db["title"],
        "description": db["description"],
        "parent": dict(db["parent"]),
        "is_inline": db["is_inline"],
        "in_trash": db["in_trash"],
        "is_locked": db["is_locked"],
        "created_time": db["created_time"],
        "last_edited_time": db["last_edited_time"],
        "data_sources": [
            {"id": dsid, "name": values.plain_text(ws.data_sources[dsid]["title"])}
            for dsid in db["data_source_ids"]
        ],
        "icon": db["icon"],
        "cover": db["cover"],
        "url": ids.page_url(db["id"]),
        "public_url": None,
    }


def data_source_object(ws: Workspace, ds: dict[str, Any]) -> dict[str, Any]:
    db = ws.databases[ds["database_id"]]
    return {
        "object": "data_source",
        "id": ds["id"],
        "cover": ds["cover"],
        "icon": ds["icon"],
        "created_time": ds["created_time"],
        "created_by": user_ref(ds["created_by"]),
        "last_edited_by": user_ref(ds["last_edited_by"]),
        "last_edited_time": ds["last_edited_time"],
        "title": ds["title"],
        "description": ds["description"],
        "is_inline": db["is_inline"],
        "properties": {p["name"]: dict(p) for p in ds["schema"].values()},
        "parent": {"type": "database_id", "database_id": db["id"]},
        "database_parent": dict(db["parent"]),
        "url": ids.page_url(db["id"]),
        "public_url": None,
        "in_trash": ds["in_trash"],
    }


def page_block(ws: Workspace, page: dict[str, Any]) -> dict[str, Any]:
    """The ``child_page`` block ``DELETE /v1/blocks/{id}`` answers with."""
    parent = page["parent"]
    if parent["type"] == "data_source_id":
        block_parent = {"type": "database_id", "database_id": parent["database_id"]}
    else:
        block_parent = dict(parent)
    return {
        "object": "block",
        "id": page["id"],
        "parent": block_parent,
        "created_time": page["created_time"],
        "last_edited_time": page["last_edited_time"],
        "created_by": user_ref(page["created_by"]),
        "last_edited_by": user_ref(page["last_edited_by"]),
        "has_children": bool(page["markdown"]),
        "in_trash": page["in_trash"],
        "type": "child_page",
        "child_page": {"title": ws.title_of(page)},
    }


def database_block(ws: Workspace, db: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "block",
        "id": db["id"],
        "parent": dict(db["parent"]),
        "created_time": db["block_time"],
        "last_edited_time": db["block_time"],
        "created_by": user_ref(ws.bot_id),
        "last_edited_by": user_ref(ws.bot_id),
        "has_children": False,
        "in_trash": db["in_trash"],
        "type": "child_database",
        "child_database": {"title": values.plain_text(db["title"])},
    }
