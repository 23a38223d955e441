"""Databases, data sources (schema) and the data source query."""

from __future__ import annotations

import copy
from typing import Any

from notion_mirror.emulator import bodycheck, decor, ids, paging, query, render, values
from notion_mirror.emulator.clock import precise
from notion_mirror.emulator.errors import validation
from notion_mirror.emulator.markdown import child_line
from notion_mirror.emulator.request import ApiRequest
from notion_mirror.emulator.workspace import Workspace

RESULT_CAP = 10_000


def _rich(ws: Workspace, raw: Any, path: str) -> list[dict]:
    if raw is None:
        return []
    try:
        return values.normalize_rich_text(path, raw, ws.value_context())
    except values.SchemaError as exc:
        raise validation(str(exc)) from None


def _schema_kwargs(ws: Workspace) -> dict[str, Any]:
    def database_of(dsid: str) -> str | None:
        ds = ws.data_sources.get(ids.parse_id(dsid) or dsid)
        return ds["database_id"] if ds else None

    def schema_of_data_source(dsid: str) -> dict | None:
        ds = ws.data_sources.get(ids.parse_id(dsid) or dsid)
        return ds["schema"] if ds else None

    return {
        "new_id": ids.new_property_id,
        "new_option_id": ids.new_uuid,
        "database_of": database_of,
        "schema_of_data_source": schema_of_data_source,
    }


def _build_schema(ws: Workspace, props: Any, path: str) -> dict[str, dict]:
    props = bodycheck.obj(props, path)
    if not any(isinstance(v, dict) and "title" in v for v in props.values()):
        # Notion always gives a data source a title property
        props = {"Name": {"title": {}}, **props}
    try:
        return values.build_schema(props, **_schema_kwargs(ws))
    except values.SchemaError as exc:
        raise validation(str(exc)) from None


def _new_data_source(
    ws: Workspace, db: dict[str, Any], title: list[dict], schema: dict[str, dict]
) -> dict[str, Any]:
    stamp = ws.stamp()
    ds = {
        "id": ids.new_uuid(),
        "database_id": db["id"],
        "title": title,
        "description": [],
        "schema": schema,
        "created_time": stamp,
        "last_edited_time": stamp,
        "created_by": ws.bot_id,
        "last_edited_by": ws.bot_id,
        "in_trash": False,
        "icon": None,
        "cover": None,
        "next_unique": 1,
    }
    ws.data_sources[ds["id"]] = ds
    db["data_source_ids"].append(ds["id"])
    return ds


# -- databases -----------------------------------------------------------------


def create_database(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    bodycheck.only_keys(
        body,
        ("parent", "title", "description", "is_inline", "initial_data_source", "icon", "cover"),
    )
    parent = bodycheck.obj(bodycheck.required(body, "parent"), "body.parent")
    if "page_id" not in parent:
        raise bodycheck.fail("body.parent.page_id", "defined")
    bodycheck.only_keys(parent, ("type", "page_id"), "body.parent")
    host = ws.page(bodycheck.string(parent["page_id"], "body.parent.page_id"))
    title = _rich(ws, body.get("title"), "body.title")
    description = _rich(ws, body.get("description"), "body.description")
    is_inline = bodycheck.boolean(body.get("is_inline", False), "body.is_inline")
    initial = body.get("initial_data_source") or {}
    initial = bodycheck.obj(initial, "body.initial_data_source")
    bodycheck.only_keys(initial, ("properties",), "body.initial_data_source")
    schema = _build_schema(ws, initial.get("properties", {}), "body.initial_data_source.properties")
    icon = decor.icon(body.get("icon"), "body.icon")
    cover = decor.cover(body.get("cover"), "body.cover")
    now = ws.now()
    db = {
        "id": ids.new_uuid(),
        "title": title,
        "description": description,
        "parent": {"type": "page_id", "page_id": host["id"]},
        "is_inline": is_inline,
        "in_trash": False,
        "is_locked": False,
        "created_time": precise(now),
        "last_edited_time": precise(now),
        "block_time": ws.stamp(),
        "data_source_ids": [],
        "icon": icon,
        "cover": cover,
    }
    ws.databases[db["id"]] = db
    ds = _new_data_source(ws, db, copy.deepcopy(title), schema)
    ds["icon"] = icon
    line = child_line("database", db["id"], values.plain_text(title))
    host["markdown"] = f"{host['markdown']}\n{line}" if host["markdown"] else line
    ws.bump(host)
    return render.database_object(ws, db)


def get_database(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    return render.database_object(ws, ws.database(req.params["database_id"]))


def update_database(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    bodycheck.only_keys(
        body, ("title", "description", "is_inline", "icon", "cover", "in_trash", "is_locked")
    )
    db = ws.database(req.params["database_id"])
    if "title" in body:
        db["title"] = _rich(ws, body["title"], "body.title")
    if "description" in body:
        db["description"] = _rich(ws, body["description"], "body.description")
    for key in ("is_inline", "is_locked"):
        if key in body:
            db[key] = bodycheck.boolean(body[key], f"body.{key}")
    if "in_trash" in body:
        ws.set_database_trash(db, bodycheck.boolean(body["in_trash"], "body.in_trash"))
    if "icon" in body:
        db["icon"] = decor.icon(body["icon"], "body.icon")
    if "cover" in body:
        db["cover"] = decor.cover(body["cover"], "body.cover")
    db["last_edited_time"] = precise(ws.now())
    ws.touched()
    return render.database_object(ws, db)


# -- data sources --------------------------------------------------------------


def create_data_source(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    bodycheck.only_keys(body, ("parent", "properties", "title", "icon"))
    parent = bodycheck.obj(bodycheck.required(body, "parent"), "body.parent")
    bodycheck.only_keys(parent, ("type", "database_id"), "body.parent")
    db = ws.database(
        bodycheck.string(
            bodycheck.required(parent, "database_id", "body.parent"), "body.parent.database_id"
        )
    )
    schema = _build_schema(ws, bodycheck.required(body, "properties"), "body.properties")
    ds = _new_data_source(ws, db, _rich(ws, body.get("title"), "body.title"), schema)
    ds["icon"] = decor.icon(body.get("icon"), "body.icon")
    ws.touched()
    return render.data_source_object(ws, ds)


def get_data_source(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    return render.data_source_object(ws, ws.data_source(req.params["data_source_id"]))


def update_data_source(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    allowed = ("title", "description", "properties", "in_trash", "icon")
    bodycheck.only_keys(body, (*allowed, "archived") if req.legacy_archived else allowed)
    ds = ws.data_source(req.params["data_source_id"])
    title = _rich(ws, body["title"], "body.title") if "title" in body else None
    description = (
        _rich(ws, body["description"], "body.description") if "description" in body else None
    )
    trash = None
    for key in ("in_trash", "archived"):
        if key in body:
            trash = bodycheck.boolean(body[key], f"body.{key}")
    icon = decor.icon(body["icon"], "body.icon") if "icon" in body else ds["icon"]
    schema = ds["schema"]
    if body.get("properties") is not None:
        try:
            schema = values.update_schema(
                ds["schema"],
                bodycheck.obj(body["properties"], "body.properties"),
                **_schema_kwargs(ws),
            )
        except values.SchemaError as exc:
            raise validation(str(exc)) from None
    ds["schema"] = schema
    if title is not None:
        ds["title"] = title
    if description is not None:
        ds["description"] = description
    if trash is not None:
        ds["in_trash"] = trash
    ds["icon"] = icon
    ds["last_edited_time"] = ws.stamp()
    ds["last_edited_by"] = ws.bot_id
    ws.touched()
    return render.data_source_object(ws, ds)


def query_data_source(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    ds = ws.data_source(req.params["data_source_id"])
    if ds["in_trash"]:
        raise ws.missing("data_source", ds["id"])
    body = req.json_object()
    schema = ds["schema"]
    try:
        query.validate_query(body, schema)
    except values.SchemaError as exc:
        raise validation(str(exc)) from None
    size = body.get("page_size", 100)
    ctx = ws.value_context()
    want_trash = body.get("in_trash") is True
    only_archived = body.get("is_archived") is True
    hide_after = ws.now().timestamp() - ws.query_lag if ws.query_lag > 0 else None
    items = []
    for page in ws.pages.values():
        parent = page["parent"]
        if parent["type"] != "data_source_id" or parent["data_source_id"] != ds["id"]:
            continue
        if page["in_trash"] != want_trash or (only_archived and not page["is_archived"]):
            continue
        if hide_after is not None and page["created_at"] > hide_after:
            continue  # eventual consistency: new rows show up in queries late
        meta = ws.page_meta(page)
        if query.filter_matches(body.get("filter"), schema, page["values"], meta, ctx=ctx):
            items.append((meta, page["values"]))
    if body.get("result_type") == "data_source":
        items = []
    if ds["id"] in getattr(ws, "query_blackout", ()):
        items = []  # POST /__emulator/query-blackout: the query answers no rows
    ordered = query.sort_pages(items, body.get("sorts"), schema, ctx=ctx)
    capped = len(ordered) > RESULT_CAP
    ordered = ordered[:RESULT_CAP]
    order = [meta["id"] for meta, _ in ordered]
    scope = f"q:{ds['id']}"
    start = paging.start_index(scope, body.get("start_cursor"), order)
    wanted = req.query_all("filter_properties")
    results = [
        render.page_object(ws, ws.pages[pid], filter_properties=wanted)
        for pid in order[start : start + size]
    ]
    out = paging.envelope(scope, order, order, start, size, "page_or_data_source")
    out["results"] = results
    if capped:
        out["request_status"] = {
            "type": "incomplete",
            "incomplete_reason": "query_result_limit_reached",
        }
    return out
