"""``config``: the mirror's effective options and where each value came from."""

from __future__ import annotations

from pathlib import Path

import typer

from notion_mirror.cli._common import err_console, handle_errors, print_json
from notion_mirror.cli.app import app
from notion_mirror.errors import EXIT_OK
from notion_mirror.mirror import open_mirror
from notion_mirror.settings import effective, unknown_options


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@app.command("config")
def config_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable document."),
) -> None:
    """Show the mirror's effective options and where each value came from (offline).

    Options: mode, allow_new_options, poll_interval, debounce, full_every,
    rate_limit. Sources, highest first: a command-line flag, the environment
    (NOTION_MIRROR_RATE_LIMIT), .notion-mirror/config.toml (`mode` at the top,
    the others under \\[options]), the default. Changes nothing.

    Example: notion-mirror config tasks/ --json
    """
    with handle_errors():
        mirror = open_mirror(directory)
        settings = effective(mirror)
        unknown = unknown_options(mirror)
    if as_json:
        print_json(
            {
                "directory": str(mirror.root),
                "settings": [s.to_json() for s in settings],
                "unknown_options": unknown,
            }
        )
    else:
        typer.echo(f"mirror: {mirror.root}")
        width = max(len(s.name) for s in settings)
        values = {s.name: _show(s.value) + (f" {s.unit}" if s.unit else "") for s in settings}
        vwidth = max(len(v) for v in values.values())
        for s in settings:
            typer.echo(f"{s.name:<{width}}  {values[s.name]:<{vwidth}}  ({s.source})")
    for key in unknown:
        err_console.print(
            f"warning: [options] {key} in .notion-mirror/config.toml is not an option "
            "notion-mirror reads (a typo?)",
            markup=False,
        )
    raise typer.Exit(EXIT_OK)
