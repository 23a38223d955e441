"""``GET``/``PATCH /v1/pages/{id}/markdown``: bodies stored as Notion-canonical markdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notion_mirror.emulator import bodycheck, ids
from notion_mirror.emulator import markdown_edit as edit
from notion_mirror.emulator.errors import validation
from notion_mirror.emulator.request import ApiRequest
from notion_mirror.emulator.workspace import Workspace

_canonicalizer: Callable[[str], str] | None = None


def _canonicalize(markdown: str) -> str:
    # Imported lazily: the codec is the product's single definition of Notion's
    # canonical form, and the emulator must agree with it byte for byte.
    global _canonicalizer
    if _canonicalizer is None:
        from notion_mirror.codec.body import canonicalize

        _canonicalizer = canonicalize
    return _canonicalizer(markdown)


def canonical_body(markdown: str) -> str:
    return edit.strip_signatures(_canonicalize(edit.strip_signatures(markdown)))


def child_line(kind: str, object_id: str, title: str) -> str:
    return f'<{kind} url="{ids.page_url(object_id)}">{title}</{kind}>'


def _hidden_child(ws: Workspace, ref: edit.ChildRef) -> bool:
    """Trashed children vanish from their parent's content (and come back on restore)."""
    oid = ids.parse_id(ref.hex_id)
    obj = ws.pages.get(oid or "") if ref.kind == "page" else ws.databases.get(oid or "")
    return bool(obj and obj["in_trash"])


def visible(ws: Workspace, page: dict[str, Any]) -> str:
    stored = page["markdown"]
    if "<page " not in stored and "<database " not in stored:
        return stored
    lines = []
    for line in stored.split("\n"):
        refs = edit.child_refs(line)
        if refs and _hidden_child(ws, refs[0]):
            continue
        lines.append(line)
    return "\n".join(lines)


def _response(ws: Workspace, page: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "page_markdown",
        "id": page["id"],
        "markdown": edit.sign_media(visible(ws, page)),
        "truncated": bool(page.get("truncated")),
        "unknown_block_ids": list(page.get("unknown_block_ids") or []),
    }


def get_markdown(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    page = ws.page(req.params["page_id"])
    return _response(ws, page)


def _allow_delete(cmd: dict[str, Any], path: str) -> bool:
    if "allow_deleting_content" not in cmd:
        return False
    return bodycheck.boolean(cmd["allow_deleting_content"], f"{path}.allow_deleting_content")


def _updates(cmd: dict[str, Any]) -> list[tuple[str, str, bool]]:
    path = "body.update_content"
    ops = bodycheck.array(
        bodycheck.required(cmd, "content_updates", path), f"{path}.content_updates", max_len=100
    )
    if not ops:
        raise validation(f"body failed validation: {path}.content_updates should be non-empty.")
    out = []
    for i, op in enumerate(ops):
        p = f"{path}.content_updates[{i}]"
        op = bodycheck.obj(op, p)
        bodycheck.only_keys(op, ("old_str", "new_str", "replace_all_matches"), p)
        old = bodycheck.string(bodycheck.required(op, "old_str", p), f"{p}.old_str", non_empty=True)
        new = bodycheck.string(bodycheck.required(op, "new_str", p), f"{p}.new_str")
        every = bodycheck.boolean(op.get("replace_all_matches", False), f"{p}.replace_all_matches")
        out.append((edit.strip_signatures(old), new, every))
    return out


def patch_markdown(ws: Workspace, req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    kind = bodycheck.string(bodycheck.required(body, "type"), "body.type")
    commands = ("update_content", "replace_content", "insert_content")
    if kind not in commands:
        raise bodycheck.fail("body.type", f"one of {list(commands)}", kind)
    bodycheck.only_keys(body, ("type", kind, "allow_async"))
    if body.get("allow_async"):
        raise validation("body.allow_async is not supported by this emulator.")
    cmd = bodycheck.obj(bodycheck.required(body, kind), f"body.{kind}")
    page = ws.page(req.params["page_id"])
    if page["in_trash"]:
        raise validation(
            "Can't edit block that is archived. You must unarchive the block before editing."
        )
    before = visible(ws, page)
    path = f"body.{kind}"
    try:
        if kind == "update_content":
            bodycheck.only_keys(cmd, ("content_updates", "allow_deleting_content"), path)
            allow = _allow_delete(cmd, path)
            after = canonical_body(edit.apply_updates(before, _updates(cmd)))
        elif kind == "replace_content":
            bodycheck.only_keys(cmd, ("new_str", "allow_deleting_content"), path)
            allow = _allow_delete(cmd, path)
            new = bodycheck.string(bodycheck.required(cmd, "new_str", path), f"{path}.new_str")
            after = canonical_body(new)
        else:
            bodycheck.only_keys(cmd, ("content", "after", "position"), path)
            allow = False
            content = bodycheck.string(bodycheck.required(cmd, "content", path), f"{path}.content")
            if "after" in cmd and "position" in cmd:
                raise validation("insert_content accepts either after or position, not both.")
            after_sel = None
            if "after" in cmd:
                after_sel = bodycheck.string(cmd["after"], f"{path}.after", non_empty=True)
            at_start = False
            if "position" in cmd:
                pos = bodycheck.obj(cmd["position"], f"{path}.position")
                bodycheck.only_keys(pos, ("type",), f"{path}.position")
                ptype = pos.get("type")
                if ptype not in ("start", "end"):
                    raise bodycheck.fail(f"{path}.position.type", '`"start"` or `"end"`', ptype)
                at_start = ptype == "start"
            inserted = edit.insert(before, content, after=after_sel, at_start=at_start)
            after = canonical_body(inserted)
    except edit.EditError as exc:
        raise validation(str(exc)) from None
    deleted = edit.deleted_children(before, after)
    if deleted and not allow:
        raise validation(edit.guard_message(deleted))
    for ref in deleted:
        oid = ids.parse_id(ref.hex_id) or ""
        target = ws.pages.get(oid) if ref.kind == "page" else ws.databases.get(oid)
        if target is None or target["in_trash"]:
            continue
        if ref.kind == "page":
            target["in_trash"] = True
            ws.bump(target)
        else:
            ws.set_database_trash(target, True)
    if after != page["markdown"]:
        page["markdown"] = after
        ws.bump(page)
    return _response(ws, page)
