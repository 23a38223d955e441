"""Page endpoints: create, retrieve, update (properties, trash, icon...), trash by block id."""

from __future__ import annotations

import copy
from typing import Any

from notion_mirror.emulator import bodycheck, decor, ids, render, values
from notion_mirror.emulator.errors import ApiError, validation
from notion_mirror.emulator.markdown import canonical_body, child_line
from notion_mirror.emulator.request import ApiRequest
from notion_mirror.emulator.workspace import Workspace

_CREATE_KEYS = (
    "parent",
    "properties",
    "markdown",
    "children",
    "icon",
    "cover",
    "template",
    "position",
)
_UPDATE_KEYS = ("properties", "in_trash", "is_archived", "icon", "cover", "is_locked")


def _schema_error(exc: values.SchemaError) -> ApiError:
    return validation(str(exc))


def _shorthand(schema: dict[str, dict], props: dict[str, Any]) -> dict[str, Any]:
    """Accept ``{"title": [...]}`` for text properties, as Notion does for page titles."""
    out = {}
    for key, req in props.items():
        found = values.find_property(schema, key)
        if isinstance(req, list) and found and found[1]["type"] in ("title", "rich_text"):
            req = {found[1]["type"]: req}
        out[key] = req
    return out


def _resolve_parent(ws: Workspace, parent: Any) -> tuple[dict[str, Any], dict | None]:
    """The stored parent and, for rows, the data source record."""
    parent = bodycheck.obj(parent, "body.parent")
    kinds = [k for k in ("data_source_id", "database_id", "page_id", "workspace") if k in parent]
    if len(kinds) != 1:
        raise validation(
            "body failed validation. Fix one:\nbody.parent.page_id should be defined, instead was "
            "`undefined`.\nbody.parent.data_source_id should be defined, instead was `undefined`."
        )
    kind = kinds[0]
    bodycheck.only_keys(parent, ("type", kind), "body.parent")
    if "type" in parent and parent["type"] != kind:
        raise bodycheck.fail("body.parent.type", f'`"{kind}"`', parent["type"])
    if kind == "workspace":
        raise validation(
            "Can't create workspace-level pages with an internal integration; give a parent page."
        )
    raw = bodycheck.string(parent[kind], f"body.parent.{kind}")
    if kind == "page_id":
        page = ws.page(raw)
        return {"type": "page_id", "page_id": page["id"]}, None
    if kind == "database_id":
        db = ws.database(raw)
        if len(db["data_source_ids"]) != 1:
            raise validation(
                "Database has more than one data source; use parent.data_source_id instead."
            )
        ds = ws.data_sources[db["data_source_ids"][0]]
    else:
        ds = ws.data_source(raw)
    if ds["in_trash"]:
        raise ws.missing("data_source", ds["id"])
    return {
        "type": "data_source_id",
        "data_source_id": ds["id"],
        "database_id": ds["database_id"],
    }, ds


def _h1_title(markdown: str) -> tuple[str | None, str]:
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# "):
            return line[2:].strip(), "\n".join(lines[:i] + lines[i + 1 :])
        break
    return None, markdown


def create_page(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    bodycheck.only_keys(body, _CREATE_KEYS)
    parent, ds = _resolve_parent(ws, bodycheck.required(body, "parent"))
    props = body.get("properties", {})
    props = {} if props is None else bodycheck.obj(props, "body.properties")
    children = body.get("children")
    if children is not None and bodycheck.array(children, "body.children"):
        raise validation("body.children is not supported by this emulator; send markdown instead.")
    markdown = body.get("markdown")
    if markdown is not None:
        markdown = bodycheck.string(markdown, "body.markdown")
        if children:
            raise validation("body.children and body.markdown can't both be given.")
    template = body.get("template")
    if template is not None and bodycheck.obj(template, "body.template").get("type") != "none":
        raise validation("body.template is not supported by this emulator.")
    icon = decor.icon(body.get("icon"), "body.icon")
    cover = decor.cover(body.get("cover"), "body.cover")

    schema = ds["schema"] if ds else ws.schema_of({"parent": parent})
    ctx = ws.value_context()
    props = _shorthand(schema, props)
    title_id = next(pid for pid, p in schema.items() if p["type"] == "title")
    has_title = any(values.find_property(schema, k) == (title_id, schema[title_id]) for k in props)
    if markdown is not None and not has_title:
        h1, markdown = _h1_title(markdown)
        if h1 is not None:
            props[title_id] = {"title": [{"type": "text", "text": {"content": h1}}]}
    try:
        initial = values.initial_values(schema, ctx=ctx)
        new_values, new_schema = values.write_values(schema, initial, props, ctx=ctx)
    except values.SchemaError as exc:
        raise _schema_error(exc) from None
    body_md = canonical_body(markdown) if markdown else ""

    now = ws.now()
    stamp = ws.stamp()
    page_id = ids.new_uuid()
    unique = None
    if ds is not None:
        if new_schema != ds["schema"]:
            ds["schema"] = new_schema
            ds["last_edited_time"] = stamp
        unique = ds["next_unique"]
        ds["next_unique"] += 1
    page = {
        "id": page_id,
        "parent": parent,
        "created_time": stamp,
        "last_edited_time": stamp,
        "created_by": ws.bot_id,
        "last_edited_by": ws.bot_id,
        "created_at": now.timestamp(),
        "icon": icon,
        "cover": cover,
        "in_trash": False,
        "is_archived": False,
        "is_locked": False,
        "values": new_values,
        "markdown": body_md,
        "truncated": False,
        "unknown_block_ids": [],
        "unique_number": unique,
    }
    ws.pages[page_id] = page
    if parent["type"] == "page_id":
        # Real Notion lists a new child page in its parent's content.
        host = ws.pages[parent["page_id"]]
        line = child_line("page", page_id, ws.title_of(page))
        host["markdown"] = f"{host['markdown']}\n{line}" if host["markdown"] else line
        ws.bump(host)
    ws.touched()
    return render.page_object(ws, page, filter_properties=req.query_all("filter_properties"))


def get_page(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    page = ws.page(req.params["page_id"])
    return render.page_object(ws, page, filter_properties=req.query_all("filter_properties"))


def update_page(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    allowed = (*_UPDATE_KEYS, "archived") if req.legacy_archived else _UPDATE_KEYS
    bodycheck.only_keys(body, allowed)
    page = ws.page(req.params["page_id"])
    trash: bool | None = None
    for key in ("in_trash", "archived"):
        if key in body:
            trash = bodycheck.boolean(body[key], f"body.{key}")
    changes: dict[str, Any] = {}
    for key in ("is_archived", "is_locked"):
        if key in body:
            changes[key] = bodycheck.boolean(body[key], f"body.{key}")
    if "icon" in body:
        changes["icon"] = decor.icon(body["icon"], "body.icon")
    if "cover" in body:
        changes["cover"] = decor.cover(body["cover"], "body.cover")
    props = body.get("properties")
    if props is not None:
        props = bodycheck.obj(props, "body.properties")
    if page["in_trash"] and trash is not False and (props or changes):
        raise validation(
            "Can't edit block that is archived. You must unarchive the block before editing."
        )
    new_values, new_schema = page["values"], None
    if props:
        schema = ws.schema_of(page)
        try:
            new_values, new_schema = values.write_values(
                schema, page["values"], _shorthand(schema, props), ctx=ws.value_context()
            )
        except values.SchemaError as exc:
            raise _schema_error(exc) from None
    # Validation is done; from here on the write takes effect as a whole.
    changed = new_values != page["values"]
    page["values"] = new_values
    if new_schema is not None and page["parent"]["type"] == "data_source_id":
        ds = ws.data_sources[page["parent"]["data_source_id"]]
        if new_schema != ds["schema"]:
            ds["schema"] = new_schema
            ds["last_edited_time"] = ws.stamp()
    for key, value in changes.items():
        if page[key] != value:
            page[key] = value
            changed = True
    if trash is not None and trash != page["in_trash"]:
        page["in_trash"] = trash
        changed = True
    if changed:
        ws.bump(page)
    return render.page_object(ws, page, filter_properties=req.query_all("filter_properties"))


def get_property_item(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    page = ws.page(req.params["page_id"])
    schema = ws.schema_of(page)
    wanted = req.params["property_id"]
    prop = next((p for p in schema.values() if ids.same_property_id(p["id"], wanted)), None)
    if prop is None:
        raise ApiError(
            404,
            "object_not_found",
            f"Could not find property with ID: {wanted}.",
            additional_data={"integration_id": ws.bot_id},
        )
    size = req.query_one("page_size")
    try:
        return values.property_item(
            prop,
            copy.deepcopy(page["values"]),
            ws.page_meta(page),
            start_cursor=req.query_one("start_cursor"),
            page_size=int(size) if size is not None and size.isdigit() else size,
            ctx=ws.value_context(),
            base_url=ws.base_url,
            page_id=page["id"],
        )
    except values.SchemaError as exc:
        raise _schema_error(exc) from None


def delete_block(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    raw = req.params["block_id"]
    bid = ids.parse_id(raw)
    if bid is not None and bid in ws.databases:
        db = ws.databases[bid]
        if not db["in_trash"]:
            ws.set_database_trash(db, True)
        return render.database_block(ws, db)
    if bid is None or bid not in ws.pages:
        raise ws.missing("block", bid or raw)
    page = ws.pages[bid]
    if not page["in_trash"]:
        page["in_trash"] = True
        ws.bump(page)
    return render.page_block(ws, page)
