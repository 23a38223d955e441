"""``new``: write a new page file with every property pre-filled; ``sync`` creates it."""

from __future__ import annotations

from pathlib import Path

import typer

from notion_mirror.cli._common import err_console, handle_errors, print_json
from notion_mirror.cli.app import app
from notion_mirror.errors import EXIT_OK, UsageError
from notion_mirror.mirror import open_mirror
from notion_mirror.template import build, parse_assignment, taken_names, write_new


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@app.command("new")
def new_cmd(
    args: list[str] = typer.Argument(
        ..., metavar="[DIR] TITLE", help="The mirror (default: the current one) and the title."
    ),
    sets: list[str] = typer.Option(
        [],
        "--set",
        metavar="PROP=VALUE",
        help="Set a property; VALUE is YAML as in the file (3, true, \\[a, b], 2026-12-01). "
        "Repeatable.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Write a new page file with every editable property pre-filled; prints its path.

    Values not given stay empty (null, [], false); the select, multi-select
    and status options are listed on stderr. The file has no _notion block,
    so the next `sync` creates the page. Nothing is written when a value is
    invalid (exit 2).

    Example: notion-mirror new tasks/ "Fix login bug" --set Status=Todo --set 'Tags=\\[backend]'
    """
    with handle_errors():
        if len(args) > 2:
            raise UsageError("expected [DIR] TITLE; quote a title that has spaces")
        directory = Path(args[0]) if len(args) == 2 else None
        title = args[-1]
        mirror = open_mirror(directory)
        assignments = [parse_assignment(s) for s in sets]
        with mirror.open_store() as store:
            schema = store.get_schema() or {}
            known = [b.path for b in store.pages() if b.path and b.state == "live"]
        allow = bool(mirror.config.options.get("allow_new_options", False))
        page = build(
            schema,
            title,
            assignments,
            taken=taken_names(mirror, known),
            allow_new_options=allow,
        )
        target = write_new(mirror, page)
    if as_json:
        out = page.to_json()
        out.update(directory=str(mirror.root), file=str(target))
        print_json(out)
    else:
        typer.echo(_shown(target))
        for hint in page.hints:
            err_console.print(f"  {hint}", markup=False)
        if mirror.config.mode == "pull":
            err_console.print("pull mode: sync will not create this page", markup=False)
        else:
            err_console.print("edit it, then `notion-mirror sync` creates the page", markup=False)
    raise typer.Exit(EXIT_OK)
