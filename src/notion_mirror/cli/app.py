"""The ``notion-mirror`` Typer application; each command lives in its own module."""

from __future__ import annotations

import logging
import sys

import typer

from notion_mirror import __version__, tracing

app = typer.Typer(
    name="notion-mirror",
    help="Mirror a Notion data source as a folder of Markdown files, synced both ways.\n\n"
    "Example: notion-mirror track https://www.notion.so/acme/Tasks-0123...cdef tasks/",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

LOGGER = "notion_mirror"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"notion-mirror {__version__}")
        raise typer.Exit()


def enable_debug_log() -> None:
    """``--verbose``: the ``notion_mirror`` logger at debug level on stderr.

    The client logs one line per request, retry, back-off and rate-limit pause,
    keyed by route template: no ids, bodies, headers or token.
    """
    logger = logging.getLogger(LOGGER)
    if not any(getattr(h, "_notion_mirror_verbose", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._notion_mirror_verbose = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Debug log on stderr (every Notion request, retry, wait)."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Only errors on stderr: no summaries, hints or progress."
    ),
) -> None:
    """Mirror a Notion data source as a folder of Markdown files, synced both ways."""
    from notion_mirror.cli._common import fail, set_quiet

    if verbose and quiet:
        raise fail("--verbose and --quiet cannot be combined")
    if quiet:
        set_quiet(True)
    if verbose:
        enable_debug_log()
    # The span main() opened is named after the command (no arguments: they
    # can be page titles or paths).
    command = ctx.invoked_subcommand or ""
    span = tracing.current_span()
    span.update_name(f"notion-mirror {command}".strip())
    span.set_attribute("cli.command", command)


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
    """Run the CLI inside one ``notion-mirror <command>`` span (traced when the
    OTEL environment variables turn tracing on; see :mod:`notion_mirror.tracing`)."""
    tracing.configure_from_env()
    with tracing.span("notion-mirror") as span:
        try:
            app()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            span.set_attribute("process.exit.code", code)
            raise
