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

from notion_mirror.mirror import Mirror
from notion_mirror.store import StateStore
from notion_mirror.sync._plan_surfaces import same
from notion_mirror.sync.observe import floor_minute, iso, parse_time, properties_by_id
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
            _ensure_base(mirror, client, store, cmd, schema)
            continue
        # sending / ambiguous: did the page get made?
        matches = _matching_pages(mirror, client, store, cmd, schema)
        if len(matches) == 1:
            store.set_command(cmd.id, "created", page_id=matches[0].id)
            adopted.append((cmd.payload.get("path") or cmd.page_key, matches[0].id))
            _ensure_base(mirror, client, store, store.get_command(cmd.id), schema)
        elif not matches:
            store.set_command(cmd.id, "abandoned", error="not created; retried")
        else:
            ids = ", ".join(p.id for p in matches)
            store.set_command(cmd.id, "ambiguous", error=SEVERAL.format(n=len(matches), ids=ids))
    return adopted


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


def _ensure_base(
    mirror: Mirror, client: Any, store: StateStore, cmd: Any, schema: dict[str, Any]
) -> None:
    """A created page whose base was never stored: store it so pull sees a known page."""
    if cmd.page_id is None or store.get_page(cmd.page_id) is not None:
        return
    from notion_mirror.sync.execute import Executor
    from notion_mirror.sync.plan import Policy

    page = client.retrieve_page(cmd.page_id)
    executor = Executor(
        root=mirror.root,
        tmp_dir=mirror.tmp_dir,
        client=client,
        store=store,
        schema=schema,
        data_source_id=mirror.config.data_source_id,
        policy=Policy(mode=mirror.config.mode),
        allow_new_options=False,
    )
    executor.adopt_created(page, path=cmd.payload["path"], had_body=bool(cmd.payload.get("body")))
