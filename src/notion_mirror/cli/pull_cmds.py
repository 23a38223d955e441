"""``track`` and ``sync``: bring a folder up to date with Notion."""

from __future__ import annotations

from pathlib import Path

import typer

from notion_mirror.cli._common import (
    err_console,
    handle_errors,
    make_client,
    print_json,
    progress_bar,
)
from notion_mirror.cli.app import app
from notion_mirror.errors import EXIT_CONFLICT, EXIT_OK, UsageError
from notion_mirror.lock import writer_lock
from notion_mirror.mirror import open_mirror
from notion_mirror.sync.engine import SyncOptions, SyncReport, sync
from notion_mirror.sync.pull import PullReport
from notion_mirror.sync.track import preview, track


def summary_line(report: PullReport, verb: str = "synced") -> str:
    parts = [f"{report.pages_seen} page(s) seen"]
    for label, items in (
        ("created", report.created),
        ("updated", report.updated),
        ("renamed", report.renamed),
        ("removed", report.removed),
        ("left alone (local edits)", report.local_edits),
        ("deleted locally", report.deleted_locally),
        ("blocked by untracked files", report.occupied),
        ("inaccessible", report.inaccessible),
        ("read-only bodies", report.read_only),
    ):
        if items:
            parts.append(f"{len(items)} {label}")
    if report.schema_changed:
        parts.append("schema changed")
    if report.bodies_not_fetched:
        parts.append(f"{report.bodies_not_fetched} bodies not fetched yet (lazy)")
    return f"{verb}: " + ", ".join(parts)


def _details(report: PullReport) -> None:
    for path in report.local_edits:
        err_console.print(f"  changed locally, Notion's update waits: {path}", markup=False)
    for path in report.deleted_locally:
        err_console.print(f"  deleted locally, Notion's update waits: {path}", markup=False)
    for path in report.occupied:
        err_console.print(f"  path taken by a file the mirror does not own: {path}", markup=False)
    for path in report.inaccessible:
        err_console.print(f"  no longer visible to the integration (kept): {path}", markup=False)
    for path, reason in report.read_only:
        err_console.print(f"  read-only body: {path}: {reason}", markup=False)


def _exit_for(report: PullReport) -> int:
    return EXIT_CONFLICT if report.pending or report.inaccessible else EXIT_OK


@app.command("track")
def track_cmd(
    ref: str = typer.Argument(..., help="Database URL, database id or data source id."),
    directory: Path = typer.Argument(..., help="Folder to mirror into (created if missing)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Write nothing; list what would be created."
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Preview: write only the first N rows, binding nothing."
    ),
    mode: str = typer.Option("shared", "--mode", help="shared (both ways), pull or push."),
    lazy: bool = typer.Option(
        False,
        "--lazy",
        help="Record every row and its properties but no bodies: a body is fetched when its "
        "file is first opened through `mount`, or by `sync --fetch-bodies`. Until then the "
        "file shows no body and body edits are not sent.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Mirror a Notion data source into DIRECTORY.

    Example: notion-mirror track https://www.notion.so/acme/Tasks-0123456789abcdef0123456789abcdef
    tasks/
    """
    with handle_errors():
        client = make_client()
        try:
            if limit is not None:
                target, report = preview(client, ref, directory, limit)
            else:
                with progress_bar(not as_json) as progress:
                    _, target, report = track(
                        client,
                        ref,
                        directory,
                        mode=mode,
                        lazy=lazy,
                        dry_run=dry_run,
                        progress=progress,
                    )
        finally:
            client.close()
    if as_json:
        out = report.to_json()
        out.update(
            data_source_id=target.data_source_id,
            database_id=target.database_id,
            directory=str(directory),
            dry_run=dry_run,
            preview=limit is not None,
        )
        print_json(out)
    else:
        verb = "would create" if dry_run else ("previewed" if limit else "tracked")
        if dry_run:
            err_console.print(f"{verb} {len(report.created)} file(s) in {directory}", markup=False)
            for path in report.created:
                typer.echo(path)
        else:
            err_console.print(summary_line(report, verb), markup=False)
            _details(report)
            if limit is not None:
                err_console.print(
                    f"preview only: {directory} is not bound; run track without --limit to mirror",
                    markup=False,
                )
    raise typer.Exit(EXIT_OK if dry_run or limit else _exit_for(report))


def _print_sync(report: SyncReport, root: Path) -> None:
    verb = "would sync" if report.dry_run else "synced"
    line = summary_line(report.pull, verb)
    extra = []
    if report.pushed:
        extra.append(
            f"{report.pushed} pushed" if not report.dry_run else f"{report.pushed} to push"
        )
    if report.created:
        extra.append(
            f"{report.created} created in Notion"
            if not report.dry_run
            else f"{report.created} to create"
        )
    if report.conflicts:
        extra.append(f"{report.conflicts} conflict(s)")
    if report.blocked:
        extra.append(f"{report.blocked} blocked")
    if report.pending:
        extra.append(f"{report.pending} pending")
    if extra:
        line += ", " + ", ".join(extra)
    err_console.print(line, markup=False)
    for old, new in report.pull.renamed:
        err_console.print(f"  renamed: {old} -> {new}", markup=False)
    for page in report.pages:
        for surface in page.pushed:
            label = "would push" if report.dry_run else "pushed"
            err_console.print(f"  {label} {surface}: {page.path}", markup=False)
        if page.restored:
            err_console.print(f"  restored: {page.path}", markup=False)
        if page.merged:
            err_console.print(f"  merged Notion's changes: {page.path}", markup=False)
        for c in page.conflicts:
            err_console.print(f"  conflict {c.surface}: {page.path}: {c.reason}", markup=False)
        for surface, reason in page.blocked:
            err_console.print(f"  blocked {surface}: {page.path}:", markup=False)
            for msg in reason.splitlines():
                err_console.print(f"    {msg}", markup=False)
        for note in page.notes:
            err_console.print(f"  {page.path}: {note}", markup=False)
        if page.pending:
            err_console.print(f"  pending: {page.path}: {page.pending}", markup=False)
    reported = {p.path for p in report.pages if p.conflicts}
    older = [c for c in report.open_conflicts if c.path not in reported]
    if older:
        err_console.print(
            f"  {len(older)} unresolved conflict(s) from earlier syncs: "
            "see `notion-mirror conflicts`",
            markup=False,
        )
    for path in report.pull.occupied:
        err_console.print(f"  path taken by a file the mirror does not own: {path}", markup=False)
    for path in report.pull.inaccessible:
        err_console.print(f"  no longer visible to the integration (kept): {path}", markup=False)
    for path, reason in report.pull.read_only:
        err_console.print(f"  read-only body: {path}: {reason}", markup=False)
    for path in report.pull.not_fetched_edited:
        err_console.print(
            f"  body not fetched: {path}: the file has local edits; let them sync "
            "(undo a body edit first), then fetch again",
            markup=False,
        )


def _relative(root: Path, files: list[Path]) -> frozenset[str]:
    out = set()
    for f in files:
        path = (Path.cwd() / f).resolve()
        try:
            out.add(str(path.relative_to(root.resolve())))
        except ValueError:
            raise UsageError(f"{f}: not a file of the mirror at {root}") from None
    return frozenset(out)


@app.command("sync")
def sync_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    full: bool = typer.Option(False, "--full", help="Prove membership with a complete scan."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change; change nothing."
    ),
    force: bool = typer.Option(
        False, "--force", help="Proceed even when more than half the files vanished."
    ),
    allow_new_options: bool = typer.Option(
        False,
        "--allow-new-options",
        help="Let select/multi-select values add options to the schema (default: refuse).",
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        min=0,
        metavar="SECONDS",
        help="If another notion-mirror is syncing this folder, wait this long for it.",
    ),
    allow_deleting: list[Path] = typer.Option(
        [],
        "--allow-deleting-content",
        metavar="FILE",
        help="Let this file's body edit delete child pages/databases in Notion (repeatable).",
    ),
    fetch_bodies: bool = typer.Option(
        False,
        "--fetch-bodies",
        help="Fetch every page body a lazy mirror (`track --lazy`) has not read yet.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Send local edits to Notion and bring Notion's changes into the folder.

    Exit status: 0 converged, 1 something is blocked or in conflict, 2 usage
    error, 3 Notion or the network failed.

    Example: cd tasks && sed -i 's/^Status: Todo/Status: Done/' *.md && notion-mirror sync
    """
    with handle_errors():
        mirror = open_mirror(directory)
        client = make_client(mirror)
        try:
            with (
                writer_lock(mirror.state_dir, "sync", wait=wait),
                progress_bar(not as_json) as progress,
            ):
                report = sync(
                    mirror,
                    client,
                    SyncOptions(
                        full=full,
                        dry_run=dry_run,
                        force=force,
                        allow_new_options=allow_new_options or None,
                        allow_deleting=_relative(mirror.root, allow_deleting),
                        progress=progress,
                        fetch_bodies=fetch_bodies,
                    ),
                )
        finally:
            client.close()
    if as_json:
        out = report.to_json()
        out.update(directory=str(mirror.root))
        print_json(out)
    else:
        _print_sync(report, mirror.root)
    raise typer.Exit(EXIT_OK if report.converged or dry_run else EXIT_CONFLICT)
