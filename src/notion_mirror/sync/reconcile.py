"""Settle what an earlier run left open, before this run acts.

Updates need nothing special: their base is still the old one, so the
three-way plan against a fresh preflight read settles them by itself (Notion
already shows the edit: same change on both sides; still the base: push
again; something else: conflict). Commands are just marked superseded.

Creates are different: a page may exist in Notion that no file names yet.
A create whose answer was lost is reconciled by querying for pages created
since the attempt with the same title and properties: exactly one is
adopted, none means the create is retried, several is a conflict the user
settles (a page is never created twice by the mirror).
"""

from __future__ import annotations

from typing import Any

from notion_mirror.codec import body as body_codec
from notion_mirror.errors import NotFoundError
from notion_mirror.mirror import Mirror
from notion_mirror.store import StateStore
from notion_mirror.sync._plan_surfaces import same
from notion_mirror.sync.execute import adopt_created
from notion_mirror.sync.observe import (
    complete_properties,
    floor_minute,
    iso,
    observed_body,
    parse_time,
    properties_by_id,
)
from notion_mirror.sync.render import title_property
from notion_mirror.sync.snapshots import top_level_values

__all__ = ["reconcile_open_commands"]

SEVERAL = (
    "an interrupted create may have made {n} pages in Notion ({ids}); trash the extra ones "
    "in Notion, then put the right id under `_notion.id` in this file"
)


def reconcile_open_commands(
    mirror: Mirror, client: Any, store: StateStore
) -> list[tuple[str, str]]:
    """Settle open commands; returns ``(path, page_id)`` of creates found to have landed."""
    adopted: list[tuple[str, str]] = []
    schema = None
    for cmd in store.open_commands():
        if cmd.kind != "create":
            if cmd.kind == "update" and cmd.status in ("sending", "sent", "ambiguous"):
                if schema is None:
                    schema = store.get_schema()
                if schema is not None:
                    _settle_landed_update(client, store, cmd, schema)
            store.set_command(cmd.id, "superseded")
            continue
        if cmd.status == "pending":
            # Recorded but never sent (the status moves to sending first).
            store.set_command(cmd.id, "abandoned")
            continue
        if schema is None:
            schema = (
                store.get_schema()
                or client.retrieve_data_source(mirror.config.data_source_id).raw["properties"]
            )
        if cmd.status == "created":
            _ensure_base(client, store, cmd)
            continue
        # sending / ambiguous: did the page get made?
        matches = _matching_pages(mirror, client, store, cmd, schema)
        if len(matches) == 1:
            store.set_command(cmd.id, "created", page_id=matches[0].id)
            adopted.append((cmd.payload.get("path") or cmd.page_key, matches[0].id))
            _ensure_base(client, store, store.get_command(cmd.id))
        elif not matches:
            store.set_command(cmd.id, "abandoned", error="not created; retried")
        else:
            ids = ", ".join(p.id for p in matches)
            store.set_command(cmd.id, "ambiguous", error=SEVERAL.format(n=len(matches), ids=ids))
    return adopted


def _settle_landed_update(client: Any, store: StateStore, cmd: Any, schema: dict[str, Any]) -> None:
    """Move the base to what an interrupted update already made Notion hold.

    Without this, our own landed write would read as a remote change, and a
    newer local edit of the same property as a conflict nobody made.
    """
    base = store.get_page(cmd.page_id) if cmd.page_id else None
    if base is None:
        return
    try:
        page = client.retrieve_page(base.page_id)
    except NotFoundError:
        return
    props = complete_properties(client, base.page_id, properties_by_id(page.properties))
    now = top_level_values(schema, props)
    new_props = dict(base.properties)
    moved = False
    for pid, want in (cmd.payload.get("props") or {}).items():
        if pid in now and same(now[pid], want):
            new_props[pid] = props[pid]
            moved = True
    body = base.body
    want_body = cmd.payload.get("body")
    if want_body is not None:
        got = observed_body(client.retrieve_markdown(base.page_id))
        if body_codec.canonicalize(got.markdown) == want_body:
            body, moved = got.markdown, True
    if moved:
        # The rest of the page is re-read by the next pull, not assumed.
        store.put_page(base.with_changes(properties=new_props, body=body, remote_dirty=True))


def _matching_pages(
    mirror: Mirror, client: Any, store: StateStore, cmd: Any, schema: dict[str, Any]
) -> list[Any]:
    payload = cmd.payload
    since = iso(floor_minute(parse_time(payload["attempted_at"])).replace(second=0))
    title_prop = title_property(schema)
    want = payload.get("props", {})
    title_value = want.get(title_prop["id"])
    flt: dict[str, Any] = {"timestamp": "created_time", "created_time": {"on_or_after": since}}
    known = {b.page_id for b in store.pages()}
    out = []
    for page in client.iter_query(mirror.config.data_source_id, filter=flt):
        if page.id in known:
            continue
        have = top_level_values(schema, properties_by_id(page.properties))
        if title_value is not None and not same(have.get(title_prop["id"]), title_value):
            continue
        if all(same(have.get(pid), value) for pid, value in want.items()):
            out.append(page)
    return out


def _ensure_base(client: Any, store: StateStore, cmd: Any) -> None:
    """A created page whose base was never stored: store it so pull sees a known page."""
    if cmd.page_id is None or store.get_page(cmd.page_id) is not None:
        return
    page = client.retrieve_page(cmd.page_id)
    adopt_created(
        client, store, page, path=cmd.payload["path"], had_body=bool(cmd.payload.get("body"))
    )
