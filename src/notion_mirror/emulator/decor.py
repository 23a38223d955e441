"""Icon and cover request values turned into their stored response shapes."""

from __future__ import annotations

from typing import Any

from notion_mirror.emulator import bodycheck

_ICON_TYPES = ("emoji", "external", "icon", "custom_emoji", "file_upload")


def icon(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    value = bodycheck.obj(value, path)
    kind = value.get("type") or next((k for k in _ICON_TYPES if k in value), None)
    if kind not in _ICON_TYPES or kind not in value:
        raise bodycheck.fail(f"{path}.type", f"one of {list(_ICON_TYPES)}", value.get("type"))
    bodycheck.only_keys(value, ("type", kind), path)
    inner = value[kind]
    if kind == "emoji":
        return {"type": "emoji", "emoji": bodycheck.string(inner, f"{path}.emoji", non_empty=True)}
    if kind == "external":
        inner = bodycheck.obj(inner, f"{path}.external")
        url = bodycheck.string(inner.get("url"), f"{path}.external.url", non_empty=True)
        return {"type": "external", "external": {"url": url}}
    if kind == "icon":
        inner = bodycheck.obj(inner, f"{path}.icon")
        name = bodycheck.string(inner.get("name"), f"{path}.icon.name", non_empty=True)
        return {"type": "icon", "icon": {"name": name, "color": inner.get("color", "gray")}}
    # custom emoji / uploads: no asset store here, keep a stable external-looking shape
    inner = bodycheck.obj(inner, f"{path}.{kind}")
    ident = bodycheck.string(inner.get("id"), f"{path}.{kind}.id", non_empty=True)
    return {"type": kind, kind: {"id": ident}}


def cover(value: Any, path: str) -> dict[str, Any] | None:
    if value is None:
        return None
    value = bodycheck.obj(value, path)
    if "external" not in value:
        raise bodycheck.fail(f"{path}.external", "defined")
    bodycheck.only_keys(value, ("type", "external"), path)
    inner = bodycheck.obj(value["external"], f"{path}.external")
    url = bodycheck.string(inner.get("url"), f"{path}.external.url", non_empty=True)
    return {"type": "external", "external": {"url": url}}
