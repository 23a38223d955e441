"""Users and search endpoints."""

from __future__ import annotations

from typing import Any

from notion_mirror.emulator import bodycheck, ids, paging, render, values
from notion_mirror.emulator.request import ApiRequest
from notion_mirror.emulator.workspace import Workspace


def users_me(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    return dict(ws.users[ws.bot_id])


def get_user(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    raw = req.params["user_id"]
    uid = ids.parse_id(raw)
    if uid is None or uid not in ws.users:
        raise ws.missing("user", uid or raw)
    return dict(ws.users[uid])


def list_users(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    size_raw = req.query_one("page_size")
    size = bodycheck.page_size(size_raw, "page_size") if size_raw is not None else 100
    users = list(ws.users.values())
    order = [u["id"] for u in users]
    start = paging.start_index("users", req.query_one("start_cursor"), order)
    return paging.envelope("users", users, order, start, size, "user")


def search(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    bodycheck.only_keys(body, ("query", "sort", "filter", "start_cursor", "page_size"))
    text = body.get("query")
    text = "" if text is None else bodycheck.string(text, "body.query").lower()
    size = bodycheck.page_size(body.get("page_size", 100), "body.page_size")
    kind = None
    want_trash = False
    if body.get("filter") is not None:
        flt = bodycheck.obj(body["filter"], "body.filter")
        bodycheck.only_keys(flt, ("property", "value", "in_trash"), "body.filter")
        if "value" in flt:
            if flt.get("property") != "object":
                raise bodycheck.fail("body.filter.property", '`"object"`', flt.get("property"))
            kind = flt["value"]
            if kind not in ("page", "data_source"):
                raise bodycheck.fail("body.filter.value", '`"page"` or `"data_source"`', kind)
        if "in_trash" in flt:
            want_trash = bodycheck.boolean(flt["in_trash"], "body.filter.in_trash")
    direction = "descending"
    if body.get("sort") is not None:
        sort = bodycheck.obj(body["sort"], "body.sort")
        bodycheck.only_keys(sort, ("timestamp", "property", "direction"), "body.sort")
        direction = sort.get("direction", "descending")
        if direction not in ("ascending", "descending"):
            raise bodycheck.fail(
                "body.sort.direction", '`"ascending"` or `"descending"`', direction
            )

    found: list[tuple[str, str, dict]] = []  # (last_edited_time, id, object)
    if kind in (None, "page"):
        for page in ws.pages.values():
            if page["in_trash"] == want_trash and text in ws.title_of(page).lower():
                found.append((page["last_edited_time"], page["id"], page))
    if kind in (None, "data_source"):
        for ds in ws.data_sources.values():
            if ds["in_trash"] == want_trash and text in values.plain_text(ds["title"]).lower():
                found.append((ds["last_edited_time"], ds["id"], ds))
    found.sort(key=lambda f: (f[0], f[1]), reverse=direction == "descending")
    order = [f[1] for f in found]
    start = paging.start_index("search", body.get("start_cursor"), order)
    chosen = found[start : start + size]
    out = paging.envelope("search", order, order, start, size, "page_or_data_source")
    out["results"] = [
        render.data_source_object(ws, obj) if "schema" in obj else render.page_object(ws, obj)
        for _, _, obj in chosen
    ]
    return out
