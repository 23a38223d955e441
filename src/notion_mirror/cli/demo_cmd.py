"""``demo``: try notion-mirror against a bundled local emulator."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from notion_mirror.cli._common import err_console, handle_errors
from notion_mirror.cli.app import app
from notion_mirror.cli.pull_cmds import summary_line


@app.command("demo")
def demo_cmd(
    directory: Path = typer.Argument(Path("demo-mirror"), help="Folder for the demo mirror."),
) -> None:
    """Start a local Notion emulator with demo data and mirror it into DIRECTORY.

    Example: notion-mirror demo demo-mirror
    """
    from notion_mirror.demo.session import demo_session

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with handle_errors(), demo_session(directory) as demo:
        err_console.print(summary_line(demo.report, "tracked"), markup=False)
        typer.echo(
            f"""
The demo data source is mirrored into {demo.directory}
A local Notion emulator is serving it at {demo.base_url} until you press Ctrl-C.

In another terminal, point notion-mirror at the emulator:

  export NOTION_API_BASE_URL={demo.base_url}
  export NOTION_API_TOKEN={demo.token}
  cd {demo.directory}

Then try:

  ls; cat "$(ls *.md | head -1)"      # one Markdown file per row
  grep -l "Priority: High" *.md       # properties are plain YAML
  sed -i 's/^Priority: Low/Priority: Medium/' *.md
  notion-mirror status                # what you changed, per property
  notion-mirror diff                  # what sync would send
  notion-mirror sync                  # send it, and pull what changed in Notion
  notion-mirror sync --full --json    # a complete membership scan, as JSON

The emulator keeps its data in {demo.directory}/.notion-mirror/; run the demo
again to pick up where you left off.
""",
            nl=False,
        )
        stop.wait()
    err_console.print("demo stopped", markup=False)
