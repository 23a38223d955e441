"""The ``notion-mirror`` Typer application; each command lives in its own module."""

from __future__ import annotations

import typer

from notion_mirror import __version__

app = typer.Typer(
    name="notion-mirror",
    help="Mirror a Notion data source as a folder of Markdown files, synced both ways.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"notion-mirror {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Mirror a Notion data source as a folder of Markdown files, synced both ways."""


def _register() -> None:
    # Commands register themselves on import; importing here keeps app.py the
    # one place that knows the full command list.
    from notion_mirror.cli import (  # noqa: F401
        config_cmd,
        demo_cmd,
        doctor_cmd,
        emulator_cmd,
        local_cmds,
        mount_cmd,
        new_cmd,
        pull_cmds,
        schema_cmd,
        watch_cmd,
    )


_register()


def main() -> None:
    app()
