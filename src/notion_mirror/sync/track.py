"""``track``: bind a folder to a Notion data source and pull everything.

A database reference resolves to its data source; a database with several
data sources is refused with the list, since a mirror is one data source.
Re-running ``track`` on the same binding resumes; a folder bound to another
data source is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notion_mirror.errors import NotFoundError, UsageError
from notion_mirror.mirror import MODES, Mirror, MirrorConfig, find_mirror_root, open_mirror
from notion_mirror.notion import extract_id
from notion_mirror.sync.pull import PullOptions, PullReport, pull

__all__ = ["Target", "preview", "resolve_target", "track"]


@dataclass(frozen=True)
class Target:
    data_source_id: str
    database_id: str | None
    title: str


def resolve_target(client: Any, ref: str) -> Target:
    """A database URL/id or a data source id → the one data source to mirror."""
    try:
        ident = extract_id(ref)
    except ValueError:
        raise UsageError(
            f"{ref!r} is not a Notion database URL, database id or data source id"
        ) from None
    try:
        db = client.retrieve_database(ident)
    except NotFoundError:
        db = None
    if db is not None:
        if len(db.data_sources) == 1:
            return Target(db.data_sources[0].id, db.id, db.title)
        if not db.data_sources:
            raise UsageError(f"database {db.id} has no data source to mirror")
        listing = "\n".join(f"  {ds.id}  {ds.name}" for ds in db.data_sources)
        raise UsageError(
            f"database {db.title!r} has {len(db.data_sources)} data sources; "
            f"a mirror follows one. Pick one and pass its id instead:\n{listing}"
        )
    try:
        ds = client.retrieve_data_source(ident)
    except NotFoundError:
        raise UsageError(
            f"no database or data source {ident} is visible to this integration; "
            "check the id and that the database is shared with the integration"
        ) from None
    return Target(ds.id, ds.database_id, ds.title)


def track(
    client: Any,
    ref: str,
    root: Path,
    *,
    mode: str = "shared",
    lazy: bool = False,
    dry_run: bool = False,
    progress: Any = None,
) -> tuple[Mirror | None, Target, PullReport]:
    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    target = resolve_target(client, ref)
    existing_root = find_mirror_root(root) if root.exists() else None
    if existing_root is not None and existing_root != root.resolve():
        raise UsageError(
            f"{root} is inside the mirror {existing_root}; track into a folder outside it"
        )
    if existing_root is not None:
        mirror = open_mirror(root)
        if mirror.config.data_source_id != target.data_source_id:
            raise UsageError(
                f"{root} already mirrors data source {mirror.config.data_source_id}; "
                f"refusing to bind it to {target.data_source_id}. Use another folder."
            )
    elif dry_run:
        mirror = Mirror(root=root, config=MirrorConfig(target.data_source_id))
    else:
        config = MirrorConfig(
            data_source_id=target.data_source_id,
            database_id=target.database_id,
            title=target.title,
            mode=mode,
            lazy=lazy,
        )
        mirror = Mirror.create(root, config)
    if dry_run and existing_root is None:
        report = _dry_run_unbound(client, target)
        return None, target, report
    report = pull(mirror, client, PullOptions(full=True, dry_run=dry_run, progress=progress))
    return mirror, target, report


def _dry_run_unbound(client: Any, target: Target) -> PullReport:
    from notion_mirror.codec import paths as paths_codec
    from notion_mirror.sync.observe import properties_by_id, title_of

    client.retrieve_data_source(target.data_source_id)
    rows = [
        (page.id, title_of(properties_by_id(page.properties)))
        for page in client.iter_query(target.data_source_id)
    ]
    wanted = paths_codec.assign_paths(sorted(rows))
    return PullReport(full=True, pages_seen=len(rows), created=sorted(wanted.values()))


def preview(client: Any, ref: str, root: Path, limit: int) -> tuple[Target, PullReport]:
    """Write the first ``limit`` rows as files without establishing a mirror."""
    from notion_mirror.codec import paths as paths_codec
    from notion_mirror.sync import materialize
    from notion_mirror.sync.observe import properties_by_id, title_of
    from notion_mirror.sync.pull import base_from_observation, observe_page
    from notion_mirror.sync.render import render_page

    if limit < 1:
        raise UsageError("--limit must be at least 1")
    target = resolve_target(client, ref)
    ds = client.retrieve_data_source(target.data_source_id)
    result = client.query_data_source(target.data_source_id, page_size=min(limit, 100))
    pages = list(result.results)
    while len(pages) < limit and result.has_more:
        result = client.query_data_source(
            target.data_source_id,
            start_cursor=result.next_cursor,
            page_size=min(limit - len(pages), 100),
        )
        pages.extend(result.results)
    pages = pages[:limit]
    report = PullReport(full=False, pages_seen=len(pages))
    root.mkdir(parents=True, exist_ok=True)
    titles = {p.id: title_of(properties_by_id(p.properties)) for p in pages}
    wanted = paths_codec.assign_paths(sorted(titles.items()))
    for page in pages:
        base = base_from_observation(observe_page(client, page), observed_minute="")
        data = render_page(ds.raw["properties"], base)
        try:
            materialize.write_file(
                root,
                wanted[page.id],
                data,
                tmp_dir=root / ".notion-mirror-preview-tmp",
                expected_hash=None,
            )
            report.created.append(wanted[page.id])
        except materialize.PathOccupiedError:
            report.occupied.append(wanted[page.id])
    tmp = root / ".notion-mirror-preview-tmp"
    if tmp.exists():
        tmp.rmdir()
    return target, report
