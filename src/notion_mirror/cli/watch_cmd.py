"""``watch``: the daemon that keeps a mirror and Notion converged."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from notion_mirror.cli._common import handle_errors, make_client
from notion_mirror.cli.app import app
from notion_mirror.mirror import open_mirror
from notion_mirror.settings import effective, values
from notion_mirror.watch import Daemon, WatchLog, WatchOptions


@app.command("watch")
def watch_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    poll_interval: float | None = typer.Option(
        None,
        "--poll-interval",
        min=1,
        metavar="SECONDS",
        help="How often to ask Notion (default 30, or [options] poll_interval).",
    ),
    debounce: float | None = typer.Option(
        None,
        "--debounce",
        min=0,
        metavar="SECONDS",
        help="Quiet time after a save (default 0.5, or [options] debounce).",
    ),
    full_every: float | None = typer.Option(
        None,
        "--full-every",
        min=0,
        metavar="MINUTES",
        help="Full repair (complete scans) this often; 0 = never (default 60).",
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
        given = {"poll_interval": poll_interval, "debounce": debounce, "full_every": full_every}
        opts = values(effective(mirror, given))
        options = WatchOptions(
            poll_interval=float(opts["poll_interval"]),
            debounce=float(opts["debounce"]),
            full_every=float(opts["full_every"]),
            json_log=json_log,
        )
        code = Daemon(mirror, lambda: make_client(mirror), options, log).run()
    raise typer.Exit(code)
