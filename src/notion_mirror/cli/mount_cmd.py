"""``mount``: serve the mirror through FUSE and keep it synced while mounted."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import typer

from notion_mirror.cli._common import err_console, handle_errors, make_client
from notion_mirror.cli.app import app
from notion_mirror.errors import MirrorError
from notion_mirror.fs import MountOptions, check_mountpoint, mount
from notion_mirror.fs.kernel import load_fuse
from notion_mirror.mirror import Mirror, open_mirror
from notion_mirror.watch import WatchLog

LOG_NAME = "mount.log"


@app.command("mount")
def mount_cmd(
    directory: Path = typer.Argument(..., help="The mirror folder."),
    mountpoint: Path = typer.Argument(..., help="An existing folder outside the mirror."),
    foreground: bool = typer.Option(
        False, "--foreground", "-f", help="Stay in the foreground and log to stderr."
    ),
    poll_interval: float = typer.Option(
        30.0, "--poll-interval", min=1, metavar="SECONDS", help="How often to ask Notion."
    ),
    debounce: float = typer.Option(
        0.2, "--debounce", min=0, metavar="SECONDS", help="Quiet time after a save."
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
    """Mount the mirror with FUSE: every file as in the folder, synced while mounted.

    Page files saved through the mount are journaled when closed and sent to
    Notion by the same loop `watch` runs; Notion's edits show up in the files.
    Unmount with `fusermount3 -u MOUNTPOINT` (or Ctrl-C with --foreground).
    Without --foreground the command returns once the mount is ready and logs
    to .notion-mirror/mount.log.

    Example: notion-mirror mount tasks/ ~/mnt/tasks
    """
    with handle_errors():
        mirror = open_mirror(directory)
        # Refuse what cannot work while the user is still watching the terminal.
        check_mountpoint(mirror.root, mountpoint)
        load_fuse()
        options = MountOptions(
            poll_interval=poll_interval, debounce=debounce, full_every=full_every,
            json_log=json_log,
        )  # fmt: skip
        if foreground:
            code = _run(mirror, mountpoint, options)
        else:
            code = _background(mirror, mountpoint, options)
    raise typer.Exit(code)


def _run(
    mirror: Mirror,
    mountpoint: Path,
    options: MountOptions,
    on_ready: Callable[[], None] | None = None,
) -> int:
    log = WatchLog(sys.stderr, json_lines=options.json_log)
    return mount(mirror, mountpoint, make_client, options, log, on_ready=on_ready)


def _background(mirror: Mirror, mountpoint: Path, options: MountOptions) -> int:
    """Fork; the child detaches and serves, the parent returns once the mount is ready
    (or with the child's error). A pipe carries "ready" or "error CODE MESSAGE"."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        os._exit(_child(mirror, mountpoint, options, write_end))
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    message = b"".join(chunks).decode("utf-8", "replace")
    if message.startswith("ready"):
        err_console.print(
            f"mounted {mirror.root} at {mountpoint.resolve()} (pid {pid}); "
            f"log: {mirror.state_dir / LOG_NAME}; unmount with "
            f"`fusermount3 -u {mountpoint.resolve()}`",
            markup=False,
        )
        return 0
    os.waitpid(pid, 0)
    code, _, text = message.removeprefix("error ").partition(" ")
    err_console.error("error:", text or "the mount process ended before mounting",
                      style="red", markup=False)  # fmt: skip
    return int(code) if code.isdigit() else 1


def _child(mirror: Mirror, mountpoint: Path, options: MountOptions, status_fd: int) -> int:
    os.setsid()
    log_fd = os.open(mirror.state_dir / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null_fd = os.open(os.devnull, os.O_RDWR)
    os.dup2(null_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(null_fd)
    os.close(log_fd)
    status = {"fd": status_fd}

    def report(text: str) -> None:
        fd = status.pop("fd", None)
        if fd is not None:
            try:
                os.write(fd, text.encode("utf-8"))
            finally:
                os.close(fd)

    code = 1
    try:
        code = _run(mirror, mountpoint, options, on_ready=lambda: report("ready\n"))
    except MirrorError as exc:
        report(f"error {exc.exit_code} {exc}")
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except BaseException as exc:
        report(f"error 1 unexpected error: {exc!r}")
        import traceback

        traceback.print_exc()
    finally:
        report("error 1 the mount process ended before mounting")
        sys.stdout.flush()
        sys.stderr.flush()
    return code
