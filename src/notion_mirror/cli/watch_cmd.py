"""``watch``: the daemon that keeps a mirror and Notion converged."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from notion_mirror.cli._common import handle_errors, make_client
from notion_mirror.cli.app import app
from notion_mirror.mirror import open_mirror
from notion_mirror.watch import Daemon, WatchLog, WatchOptions


@app.command("watch")
def watch_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    poll_interval: float = typer.Option(
        30.0, "--poll-interval", min=1, metavar="SECONDS", help="How often to ask Notion."
    ),
    debounce: float = typer.Option(
        0.5, "--debounce", min=0, metavar="SECONDS", help="Quiet time after a save."
    ),
    full_every: float = typer.Option(
        60.0,
        "--full-every",
        min=0,
        metavar="MINUTES",
        help="Full repair (complete scans) this often; 0 = never.",
    ),
    json_log: bool = typer.Option(False, "--json-log", help="Log JSON lines instead of text."),
) -> None:
    """Sync continuously: every save goes to Notion, every Notion edit comes back.

    Runs until Ctrl-C or SIGTERM (exit 0). Only one writer runs per mirror:
    `sync` refuses while `watch` is running, and `notion-mirror status` shows it.

    Example: notion-mirror watch tasks/ --poll-interval 15
    """
    with handle_errors():
        mirror = open_mirror(directory)
        log = WatchLog(sys.stderr, json_lines=json_log)
        options = WatchOptions(
            poll_interval=poll_interval, debounce=debounce, full_every=full_every,
            json_log=json_log,
        )  # fmt: skip
        code = Daemon(mirror, make_client, options, log).run()
    raise typer.Exit(code)
