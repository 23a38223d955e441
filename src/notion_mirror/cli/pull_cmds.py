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
from notion_mirror.errors import EXIT_CONFLICT, EXIT_OK
from notion_mirror.mirror import open_mirror
from notion_mirror.sync.pull import PullOptions, PullReport, pull
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
        False, "--lazy", help="Fetch page bodies only when first opened (mount)."
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
                        client, ref, directory, mode=mode, lazy=lazy, dry_run=dry_run,
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


@app.command("sync")
def sync_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    full: bool = typer.Option(False, "--full", help="Prove membership with a complete scan."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change; change nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Bring the mirror up to date with Notion.

    Example: cd tasks && notion-mirror sync
    """
    with handle_errors():
        mirror = open_mirror(directory)
        client = make_client()
        try:
            with progress_bar(not as_json) as progress:
                report = pull(
                    mirror, client, PullOptions(full=full, dry_run=dry_run, progress=progress)
                )
        finally:
            client.close()
    if as_json:
        out = report.to_json()
        out.update(directory=str(mirror.root), dry_run=dry_run)
        print_json(out)
    else:
        err_console.print(summary_line(report, "would sync" if dry_run else "synced"), markup=False)
        _details(report)
    raise typer.Exit(_exit_for(report))
